/**
 * One read per key at a time: a caller asking while a read of its key is under way shares that read
 * (its answer or its failure) instead of starting another.
 */
export class SharedReads<T> {
  private readonly pending = new Map<string, Promise<T>>();

  read(key: string, start: () => Promise<T>): Promise<T> {
    let read = this.pending.get(key);
    if (!read) {
      read = start().finally(() => this.pending.delete(key));
      this.pending.set(key, read);
    }
    return read;
  }
}
