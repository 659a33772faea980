/**
 * Idle connections: which to close after `connections.max.idle.ms` (Kafka's Selector
 * IdleExpiryManager), and which one to close to make room at `max.connections` (the least
 * recently used idle one, as Kafka's Selector.lowestPriorityChannel picks for
 * Processor.closeExcessConnections).
 *
 * A connection pays one timestamp write when it becomes idle (its last response leaves) and
 * nothing else per request. The expiry sweep runs on a timer and walks every connection: cheap
 * next to the connections themselves, and only once per tick. Finding the least recently used
 * one sorts the idle connections once and keeps the oldest `CANDIDATES` of them; later
 * evictions take from that list, skipping any that had activity since (its idle timestamp
 * changed) or are gone. That is exact: a connection left out of the list was younger than every
 * one in it, and activity only makes connections younger.
 */

export interface IdleTrackable {
  /** When it last became idle, in `performance.now()` milliseconds. */
  readonly idleSince: number;
  /** No request received and not answered, nothing left to write. */
  readonly idle: boolean;
}

/** Oldest idle connections kept for eviction between scans. */
const CANDIDATES = 64;

export class IdleConnections<C extends IdleTrackable> {
  private candidates: C[] = [];
  private candidateSince: number[] = [];
  private next = 0;

  /** `live`: the open connections (an evicted or closed one must no longer be in it). */
  constructor(private readonly live: ReadonlyMap<C, unknown>) {}

  /** The connections idle for at least `maxIdleMs` at `now`. */
  expired(now: number, maxIdleMs: number): C[] {
    const out: C[] = [];
    for (const c of this.live.keys()) if (c.idle && now - c.idleSince >= maxIdleMs) out.push(c);
    return out;
  }

  /** The idle connection idle the longest, or undefined when none is idle. */
  leastRecentlyUsed(): C | undefined {
    const found = this.takeCandidate();
    if (found !== undefined) return found;
    this.rescan();
    return this.takeCandidate();
  }

  private takeCandidate(): C | undefined {
    while (this.next < this.candidates.length) {
      const i = this.next++;
      const c = this.candidates[i]!;
      if (this.live.has(c) && c.idle && c.idleSince === this.candidateSince[i]) return c;
    }
    return undefined;
  }

  private rescan(): void {
    const idle: C[] = [];
    for (const c of this.live.keys()) if (c.idle) idle.push(c);
    idle.sort((a, b) => a.idleSince - b.idleSince);
    if (idle.length > CANDIDATES) idle.length = CANDIDATES;
    this.candidates = idle;
    this.candidateSince = idle.map((c) => c.idleSince);
    this.next = 0;
  }
}
