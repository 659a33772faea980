/**
 * Rate limit for repeated log lines: the first line of a key is logged, repeats within the interval
 * are only counted, and the next line logged for the key says how many were suppressed. A full
 * disk fails every request of every partition; one line per partition per interval says as much.
 */
export class RepeatLimiter {
  private readonly keys = new Map<string, { loggedAt: number; suppressed: number }>();

  constructor(
    private readonly intervalMs = 10_000,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether to log now under `key`: null to stay quiet, or the number of repeats suppressed since
   * the key was last logged (0 the first time).
   */
  admit(key: string): number | null {
    const now = this.now();
    const entry = this.keys.get(key);
    if (entry !== undefined && now - entry.loggedAt < this.intervalMs) {
      entry.suppressed++;
      return null;
    }
    const suppressed = entry?.suppressed ?? 0;
    if (entry === undefined && this.keys.size >= this.maxKeys) this.keys.clear();
    this.keys.set(key, { loggedAt: now, suppressed: 0 });
    return suppressed;
  }

  /** `msg`, with the count of suppressed repeats appended when there were any. */
  static describe(msg: string, suppressed: number): string {
    return suppressed > 0 ? `${msg} (${suppressed} similar message${suppressed === 1 ? '' : 's'} suppressed)` : msg;
  }
}
