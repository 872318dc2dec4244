/**
 * Tells an API that shares its process with the worker (`npm start`) the moment a run's workflow
 * ends, so polls need not re-read a running run every 100 ms only to notice its end. Best effort and
 * local: it is fed by a workflow sink, which is not called while a history replays, and a process
 * without a worker never hears of an end (its polls keep the short sharing window).
 */
export class RunEnds {
  private readonly listeners = new Set<(runId: string) => void>();

  ended(runId: string): void {
    for (const listener of this.listeners) listener(runId);
  }

  onEnd(listener: (runId: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
