import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../logger.js';
import { isRuntimeAlreadyInstalled } from './errors.js';

const LEVELS: Record<string, LogLevel> = { trace: 'TRACE', debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR', silent: 'ERROR' };

/**
 * Sends the Temporal SDK's own logs through our logger at our level. Must run before any worker or
 * native connection is created; a second call is a no-op.
 */
export function installTemporalRuntime(log: Logger, options: { sdkMetricsAddress?: string; shutdownSignals?: NodeJS.Signals[] } = {}): void {
  const { sdkMetricsAddress, shutdownSignals } = options;
  try {
    Runtime.install({
      ...(shutdownSignals && { shutdownSignals }),
      // The SDK's own metrics (task latencies, poll counts, slots) in Prometheus format, when asked for.
      ...(sdkMetricsAddress && { telemetryOptions: { metrics: { prometheus: { bindAddress: sdkMetricsAddress } } } }),
      logger: new DefaultLogger(LEVELS[log.level] ?? 'INFO', ({ level, message, meta }) => {
        const method = level === 'ERROR' ? 'error' : level === 'WARN' ? 'warn' : level === 'INFO' ? 'info' : 'debug';
        log[method]({ ...meta, sdk: true }, message);
      }),
    });
  } catch (err) {
    if (!isRuntimeAlreadyInstalled(err)) throw err;
  }
}
