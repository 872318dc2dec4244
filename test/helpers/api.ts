import { createLogger, type Logger } from '../../src/logger.js';
import { startApi, type RunningApi } from '../../src/api/server.js';
import type { TestEngine } from './engine.js';

/** Two callers every API suite can use; keys are long enough for the config's minimum. */
export const CALLERS = {
  alice: 'alice-key-0123456789abcdef',
  bob: 'bob-key-0123456789abcdef01',
} as const;

export interface TestApi extends RunningApi {
  /** fetch against the API with a caller's key (or none) and JSON handling. */
  request(path: string, init?: { method?: string; body?: unknown; rawBody?: string; key?: string | null; headers?: Record<string, string>; signal?: AbortSignal }): Promise<Response>;
}

/**
 * The real API (createApp + startApi) on 127.0.0.1, port 0, in front of a test engine. Callers come
 * from CHAINPORT_API_KEYS unless the engine's env sets callers itself.
 */
export async function startTestApi(
  engine: Pick<TestEngine, 'config' | 'client' | 'catalog' | 'tokens' | 'localRuns'>,
  options: { stream?: { keepAliveMs?: number; heartbeatPollMs?: number }; log?: Logger; /** `false`: no caller configured, so the development key is in use (local mode). */ callers?: false } = {},
): Promise<TestApi> {
  const testCallers = options.callers === false ? undefined : Object.entries(CALLERS).map(([id, key]) => `${id}:${key}`).join(',');
  const config = { ...engine.config, api: { ...engine.config.api, host: '127.0.0.1', apiKeys: engine.config.api.apiKeys ?? testCallers } };
  const api = await startApi({ config, client: engine.client, catalog: engine.catalog, port: 0, stream: options.stream, tokens: engine.tokens, localRuns: engine.localRuns, log: options.log ?? createLogger({ logLevel: 'silent' }, 'api') });
  return {
    ...api,
    request(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const key = init.key === undefined ? CALLERS.alice : init.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = init.rawBody;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${api.url}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body, signal: init.signal });
    },
  };
}
