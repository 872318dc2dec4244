import type { Config } from '../config.js';
import type { Tracing } from './sdk.js';

export type { Tracing };

/**
 * Starts this process's tracing when the configuration turns it on (an OTLP endpoint is set), under
 * OTEL_SERVICE_NAME or `defaultServiceName`. Off, it loads nothing — no SDK, no exporter, no Temporal
 * interceptors — and resolves undefined; the few spans the code makes itself are then no-ops.
 */
export async function startTracing(config: Pick<Config, 'tracing'>, defaultServiceName: string): Promise<Tracing | undefined> {
  if (!config.tracing) return undefined;
  const { installTracing } = await import('./sdk.js');
  return installTracing(config.tracing, defaultServiceName);
}
