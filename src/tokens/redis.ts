import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { tokenChunksDropped } from '../metrics.js';
import { RunListeners, tokenChunkSchema, type TokenChannel, type TokenChunk } from './channel.js';

/** ioredis is an optional dependency: loaded only when REDIS_URL asks for it. */
export async function loadIoredis(): Promise<{ Redis: typeof Redis }> {
  try {
    return await import('ioredis');
  } catch (err) {
    throw new Error('REDIS_URL is set, but the optional dependency ioredis is not installed. Install it (npm install ioredis) or unset REDIS_URL.', { cause: err });
  }
}

/** One Redis pub/sub channel per run, so an API instance receives only the runs it streams. */
export function tokenChannelName(runId: string): string {
  return `chainport:tokens:${runId}`;
}

/**
 * The channel between processes (API instances, separate workers) through Redis pub/sub: one
 * publisher and one subscriber connection per process; the subscriber joins a run's Redis channel
 * with the run's first local subscriber and leaves it with the last.
 */
export class RedisTokenChannel implements TokenChannel {
  private readonly listeners = new RunListeners();
  /** Whether the last publish failed: failures are logged once per outage, not once per token. */
  private failing = false;

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly log: Logger,
  ) {
    subscriber.on('message', (_channel: string, message: string) => this.receive(message));
  }

  /** Connects both connections; fails with an operator-facing message when Redis cannot be reached. */
  static async connect(url: string, log: Logger): Promise<RedisTokenChannel> {
    // No offline queue on the publisher: while Redis is away chunks are dropped (heartbeats carry the
    // output), not piled up in memory. The subscriber keeps its queue so a SUBSCRIBE waits for a reconnect.
    const { Redis: RedisClient } = await loadIoredis();
    const publisher = new RedisClient(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const subscriber = new RedisClient(url, { lazyConnect: true });
    for (const connection of [publisher, subscriber]) connection.on('error', (err: Error) => log.debug({ err }, 'token channel: Redis connection error'));
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
    } catch (err) {
      publisher.disconnect();
      subscriber.disconnect();
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`REDIS_URL is set, but Redis could not be reached (${why}). Start Redis, fix REDIS_URL, or unset it.`, { cause: err });
    }
    return new RedisTokenChannel(publisher, subscriber, log);
  }

  publish(chunk: TokenChunk): void {
    this.publisher.publish(tokenChannelName(chunk.runId), JSON.stringify(chunk)).then(
      () => (this.failing = false),
      (err: unknown) => {
        tokenChunksDropped.inc({ reason: 'publish_failed' });
        if (!this.failing) this.log.warn({ err, run_id: chunk.runId }, 'token channel: publishing to Redis failed; streams fall back to heartbeats until it works again');
        this.failing = true;
      },
    );
  }

  subscribe(runId: string, onChunk: (chunk: TokenChunk) => void): () => void {
    const { first, remove } = this.listeners.add(runId, onChunk);
    const channel = tokenChannelName(runId);
    if (first) this.subscriber.subscribe(channel).catch((err: unknown) => this.log.warn({ err, run_id: runId }, 'token channel: subscribing failed; the stream reads heartbeats only'));
    return () => {
      if (remove().last) this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  close(): Promise<void> {
    this.listeners.clear();
    this.publisher.disconnect();
    this.subscriber.disconnect();
    return Promise.resolve();
  }

  private receive(message: string): void {
    const chunk = parseChunk(message);
    if (!chunk) {
      tokenChunksDropped.inc({ reason: 'malformed' });
      return;
    }
    this.listeners.emit(chunk, (err) => this.log.error({ err, run_id: chunk.runId }, 'token channel: a subscriber failed on a chunk'));
  }
}

function parseChunk(message: string): TokenChunk | undefined {
  try {
    const parsed = tokenChunkSchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The Redis channel when REDIS_URL is set; otherwise none (each process keeps to its heartbeats). */
export async function redisTokenChannel(config: Config, log: Logger): Promise<TokenChannel | undefined> {
  return config.api.redisUrl ? RedisTokenChannel.connect(config.api.redisUrl, log) : undefined;
}
