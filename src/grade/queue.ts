// The class run's work queue. Workers take submissions until none is left; a submission whose worker's
// engine was lost goes back to the front and is taken by a worker elsewhere. "None left" means the
// queue is empty *and* nothing is in flight, because an in-flight submission may still come back.
export class WorkQueue<T> {
  private items: T[] = [];
  private inflight = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(items: T[] = []) {
    this.items = [...items];
  }

  get pending(): number {
    return this.items.length;
  }

  get inFlight(): number {
    return this.inflight;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next item, or undefined when the queue is closed or drained for good. */
  async take(): Promise<T | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const item = this.items.shift();
      if (item !== undefined) {
        this.inflight++;
        return item;
      }
      if (this.inflight === 0) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** A taken item is finished (graded, or given up on). */
  done(): void {
    this.inflight--;
    this.wake();
  }

  /** A taken item goes back to the front, for another worker. */
  requeue(item: T): void {
    this.inflight--;
    this.items.unshift(item);
    this.wake();
  }

  /** Stop handing out items (Ctrl-C, or no worker left); returns what was still waiting. */
  close(): T[] {
    this.closed = true;
    const left = this.items;
    this.items = [];
    this.wake();
    return left;
  }
}
