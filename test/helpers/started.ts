/**
 * Things a suite started, stopped in reverse order. `before` adds each as it starts and, when a later
 * step throws, stops what already started before rethrowing; `after` stops the rest.
 */
export class Started {
  private readonly stops: Array<{ label: string; stop: () => Promise<unknown> }> = [];

  add<T>(label: string, value: T, stop: (value: T) => Promise<unknown>): T {
    this.stops.push({ label, stop: () => stop(value) });
    return value;
  }

  async stopAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const { label, stop } of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        errors.push(new Error(`stopping ${label} failed`, { cause: err }));
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'teardown failed');
  }

  /** Runs `setup`; if it throws, stops whatever it had started and rethrows. */
  async setup(setup: () => Promise<void>): Promise<void> {
    try {
      await setup();
    } catch (err) {
      await this.stopAll().catch(() => undefined);
      throw err;
    }
  }
}
