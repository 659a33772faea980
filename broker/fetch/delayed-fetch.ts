/**
 * Long polling for Fetch (Kafka's DelayedFetch in the fetch purgatory): a fetch that found fewer
 * than min_bytes waits until appends to its partitions add up to the missing bytes, or until
 * max_wait_ms passes, whichever is first. Waiters are bounded: past `MAX_DELAYED_FETCHES` a fetch
 * is answered at once with what it has, so idle consumers cannot pile up without limit. Each
 * replica manager has its own purgatory, so brokers sharing a process do not share the bound.
 */

const MAX_DELAYED_FETCHES = 10_000;
/** No client needs longer, and a bound keeps a shutdown from hanging on a silly value. */
const MAX_WAIT_CAP_MS = 300_000;

/** What a delayed fetch watches of a partition (its Partition in the replica manager). */
export interface WatchedPartition {
  /** Bytes appended since start, only ever growing. */
  readonly appendedBytes: number;
  /** Calls `fn` after every append until the returned function is called. */
  watch(fn: () => void): () => void;
}

export class DelayedFetchPurgatory {
  private delayed = 0;

  constructor(private readonly maxDelayed = MAX_DELAYED_FETCHES) {}

  /** Fetches waiting now. */
  get size(): number {
    return this.delayed;
  }

  /** Resolves once `missingBytes` more bytes were appended to any of `partitions`, or on timeout. */
  waitForAppends(partitions: readonly WatchedPartition[], missingBytes: number, maxWaitMs: number, abort: AbortSignal): Promise<void> {
    if (partitions.length === 0 || maxWaitMs <= 0 || this.delayed >= this.maxDelayed || abort.aborted) return Promise.resolve();
    this.delayed++;
    return new Promise<void>((resolve) => {
      const start = partitions.map((p) => p.appendedBytes);
      const unwatch: Array<() => void> = [];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        this.delayed--;
        clearTimeout(timer);
        abort.removeEventListener('abort', finish);
        for (const u of unwatch) u();
        resolve();
      };
      const check = (): void => {
        let added = 0;
        for (let i = 0; i < partitions.length; i++) added += partitions[i]!.appendedBytes - start[i]!;
        if (added >= missingBytes) finish();
      };
      const timer = setTimeout(finish, Math.min(maxWaitMs, MAX_WAIT_CAP_MS));
      abort.addEventListener('abort', finish);
      for (const p of partitions) unwatch.push(p.watch(check));
    });
  }
}
