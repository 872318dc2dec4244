import type { Logger } from '../logger.js';
import { RunListeners, type TokenChannel, type TokenChunk } from './channel.js';

/**
 * The channel of a process that runs both the worker and the API (`npm start`): a published chunk
 * reaches the run's readers synchronously, with no copy and no network.
 */
export class InProcessTokenChannel implements TokenChannel {
  private readonly listeners = new RunListeners();

  constructor(private readonly log?: Logger) {}

  publish(chunk: TokenChunk): void {
    this.listeners.emit(chunk, (err) => this.log?.error({ err, run_id: chunk.runId }, 'token channel: a subscriber failed on a chunk'));
  }

  subscribe(runId: string, onChunk: (chunk: TokenChunk) => void): () => void {
    const { remove } = this.listeners.add(runId, onChunk);
    return () => void remove();
  }

  close(): Promise<void> {
    this.listeners.clear();
    return Promise.resolve();
  }
}
