/**
 * Incremental fetch sessions (KIP-227). A client opens a session with a full fetch (epoch 0) and
 * then sends only what changed (epoch 1, 2, ...); the broker answers only partitions with news:
 * records, a moved high watermark, last stable offset or log start offset, or an error.
 *
 * Session id / epoch in a request (Kafka's FetchMetadata):
 *   0 / -1  sessionless full fetch              0 / 0   full fetch opening a new session
 *   S / -1  close S, then a sessionless fetch   S / 0   close S, open a new one
 *   S / n   incremental fetch in session S at epoch n (must be the epoch we expect)
 * The cache holds at most `maxSessions` sessions; the least recently used one is evicted to make
 * room, and when even that is impossible the fetch is served sessionless (session id 0). What a
 * request does to its session is fetch-context.ts's job.
 */
import { ErrorCode } from '../../protocol/error-codes.js';

export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/** What a session remembers of one partition between fetches. */
export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** Values last sent to the client: a change is news even without records. */
  sentHighWatermark: bigint;
  sentLastStableOffset: bigint;
  sentLogStartOffset: bigint;
}

/** Partitions a request asks the session to drop, as Fetch's forgotten_topics_data names them. */
export interface ForgottenTopic {
  readonly topic: string;
  readonly topicId: string;
  readonly partitions: readonly number[];
}

export class FetchSession {
  /** Partitions in the order they were added, keyed by `topicId|topic:partition`. */
  readonly partitions = new Map<string, SessionPartition>();
  epoch = 1;
  lastUsed = Date.now();

  constructor(readonly id: number, readonly usesTopicIds: boolean) {}

  /** A partition's key in this session: by topic id from Fetch v13 (KIP-516), by name before. */
  keyOf(topic: string, topicId: string, partition: number): string {
    return partitionKey(this.usesTopicIds ? topicId : topic, partition);
  }

  /** Adds every partition of a full fetch (the one that opens the session). */
  addAll(requested: readonly SessionPartition[]): void {
    for (const sp of requested) this.partitions.set(this.keyOf(sp.topic, sp.topicId, sp.partition), sp);
  }

  /**
   * Applies an incremental fetch (Kafka's FetchSession.update): new partitions are added, known
   * ones take the request's offset, size limit and leader epoch (keeping what was last sent), then
   * forgotten ones are dropped.
   */
  update(requested: readonly SessionPartition[], forgotten: readonly ForgottenTopic[]): void {
    for (const sp of requested) {
      const key = this.keyOf(sp.topic, sp.topicId, sp.partition);
      const existing = this.partitions.get(key);
      if (existing) {
        existing.fetchOffset = sp.fetchOffset;
        existing.maxBytes = sp.maxBytes;
        existing.currentLeaderEpoch = sp.currentLeaderEpoch;
      } else this.partitions.set(key, sp);
    }
    for (const f of forgotten) {
      for (const p of f.partitions) this.partitions.delete(this.keyOf(f.topic, f.topicId, p));
    }
  }

  /** The epoch the client sends next; wraps to 1, since 0 and -1 mean open and close. */
  bumpEpoch(): void {
    this.epoch = this.epoch === 0x7fffffff ? 1 : this.epoch + 1;
  }
}

export type SessionLookup =
  | { kind: 'sessionless' }
  | { kind: 'new'; session: FetchSession }
  | { kind: 'incremental'; session: FetchSession }
  | { kind: 'error'; errorCode: number };

export function partitionKey(topicIdOrName: string, partition: number): string {
  return `${topicIdOrName}:${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private nextId = (Math.random() * 0x7fffffff) | 0;

  constructor(private readonly maxSessions: number) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Resolves the session a request refers to, closing or creating sessions as its metadata says. */
  lookup(sessionId: number, epoch: number, usesTopicIds: boolean): SessionLookup {
    if (epoch === FINAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      return { kind: 'sessionless' };
    }
    if (epoch === INITIAL_EPOCH) {
      if (sessionId !== 0) this.sessions.delete(sessionId);
      const session = this.create(usesTopicIds);
      return session === null ? { kind: 'sessionless' } : { kind: 'new', session };
    }
    const session = this.sessions.get(sessionId);
    if (session === undefined) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== epoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    if (session.usesTopicIds !== usesTopicIds) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    // Map insertion order doubles as recency order for eviction.
    this.sessions.delete(sessionId);
    this.sessions.set(sessionId, session);
    session.lastUsed = Date.now();
    return { kind: 'incremental', session };
  }

  private create(usesTopicIds: boolean): FetchSession | null {
    if (this.maxSessions <= 0) return null;
    if (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next();
      if (oldest.done) return null;
      this.sessions.delete(oldest.value);
    }
    let id: number;
    do {
      this.nextId = (this.nextId + 1) & 0x7fffffff;
      id = this.nextId;
    } while (id === 0 || this.sessions.has(id));
    const s = new FetchSession(id, usesTopicIds);
    this.sessions.set(id, s);
    return s;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  close(): void {
    this.sessions.clear();
  }
}
