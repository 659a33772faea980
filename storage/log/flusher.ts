/**
 * Group commit: one fdatasync round covers every file with unsynced data, across all partitions.
 * A caller asks for its file to be synced; if no round is running one starts at once, otherwise
 * the file joins the next round, which starts as soon as the current one ends. Under load, rounds
 * run back to back and each covers every append made during the previous one, so fsync latency
 * is paid once per round rather than once per batch.
 */
import type { StorageFile } from '../fs/file-system.js';

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class Flusher {
  private next = new Map<StorageFile, Waiter[]>();
  private running = false;
  /** Rounds run so far (for tests and metrics). */
  rounds = 0;

  constructor(private readonly enabled: boolean) {}

  /** Resolves once `file` has been fdatasynced after this call. */
  sync(file: StorageFile): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let list = this.next.get(file);
      if (list === undefined) this.next.set(file, (list = []));
      list.push({ resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.next.size > 0) {
      const round = this.next;
      this.next = new Map();
      this.rounds++;
      await Promise.all(
        [...round.entries()].map(async ([file, waiters]) => {
          try {
            await file.datasync();
            for (const w of waiters) w.resolve();
          } catch (e) {
            for (const w of waiters) w.reject(e);
          }
        }),
      );
    }
    this.running = false;
  }
}
