/**
 * The replica manager's log maintenance (retention, compaction, scheduled flushes) runs one task
 * at a time, in the order queued. Timer ticks queue a task only when none of its kind is already
 * waiting to start, so a slow retention pass does not leave a pile of flush ticks behind it that
 * then run back to back.
 */
export class MaintenanceQueue {
  private tail: Promise<void> = Promise.resolve();
  /** Kinds queued and not yet started. */
  private readonly waiting = new Set<string>();

  /** `onError` hears a task's failure; the queue carries on with the next task. */
  constructor(private readonly onError: (e: unknown) => void) {}

  /** Queues `task` unless one of `kind` is already waiting; true when it was queued. */
  schedule(kind: string, task: () => Promise<void>): boolean {
    if (this.waiting.has(kind)) return false;
    this.waiting.add(kind);
    this.tail = this.tail
      .then(() => {
        // Started: a later tick of this kind may queue the next run.
        this.waiting.delete(kind);
        return task();
      })
      .catch(this.onError);
    return true;
  }

  /** Settles once every task queued so far has finished. */
  get idle(): Promise<void> {
    return this.tail;
  }
}
