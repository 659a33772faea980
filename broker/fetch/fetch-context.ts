/**
 * What one Fetch request means for its fetch session (Kafka's FetchContext and
 * FetchManager.newContext): which partitions to read and, once they are read, which to answer and
 * what the session remembers of them.
 *   sessionless   Fetch v0-6, or a client that asked for none (or no room in the cache): every
 *                 requested partition, answered in full.
 *   full          a full fetch opening a session: every requested partition, all of which the
 *                 session now holds.
 *   incremental   a fetch in an open session: the request updates the session (new, changed and
 *                 forgotten partitions), every partition of the session is read, and only those
 *                 with news are answered; then the session expects the next epoch.
 *   error         an unknown session or a wrong epoch: the whole fetch is answered with the error.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { FetchSession, FetchSessionCache, ForgottenTopic, SessionPartition } from './fetch-session-cache.js';

/** What a read of one partition found, as far as the session cares. */
export interface PartitionFetchState {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** Bytes of records read. */
  bytes: number;
}

/** A partition the response carries, with what was read for it. */
export interface ResponsePartition<T extends PartitionFetchState> {
  partition: SessionPartition;
  read: T;
}

export interface FetchContextRequest {
  /** The request's session id and epoch (Kafka's FetchMetadata); null below v7, which has no sessions. */
  metadata: { sessionId: number; epoch: number } | null;
  /** From v13 partitions are named by topic id (KIP-516). */
  usesTopicIds: boolean;
  /** The request's partitions, each a new object the session may keep. */
  partitions: SessionPartition[];
  forgotten: readonly ForgottenTopic[];
}

export abstract class FetchContext {
  /** The session id the response carries: 0 when there is no session. */
  abstract readonly sessionId: number;
  /** The partitions to read, in the order the response lists them. */
  abstract readonly partitions: readonly SessionPartition[];
  /** NONE, or the error the whole fetch is answered with. */
  get errorCode(): number {
    return ErrorCode.NONE;
  }

  /**
   * Given one read per partition of `partitions` (same order), the partitions the response
   * carries; what they are sent is remembered as the baseline for the next incremental fetch.
   */
  abstract updateAndGenerateResponseData<T extends PartitionFetchState>(reads: readonly T[]): Array<ResponsePartition<T>>;
}

function recordSent<T extends PartitionFetchState>(partitions: readonly SessionPartition[], reads: readonly T[], keep: (read: T, sp: SessionPartition) => boolean): Array<ResponsePartition<T>> {
  const out: Array<ResponsePartition<T>> = [];
  reads.forEach((read, i) => {
    const sp = partitions[i]!;
    if (!keep(read, sp)) return;
    sp.sentHighWatermark = read.highWatermark;
    sp.sentLastStableOffset = read.lastStableOffset;
    sp.sentLogStartOffset = read.logStartOffset;
    out.push({ partition: sp, read });
  });
  return out;
}

export class SessionErrorContext extends FetchContext {
  readonly sessionId = 0;
  readonly partitions: readonly SessionPartition[] = [];

  constructor(private readonly error: number) {
    super();
  }

  override get errorCode(): number {
    return this.error;
  }

  updateAndGenerateResponseData<T extends PartitionFetchState>(): Array<ResponsePartition<T>> {
    return [];
  }
}

export class SessionlessFetchContext extends FetchContext {
  readonly sessionId = 0;

  constructor(readonly partitions: readonly SessionPartition[]) {
    super();
  }

  updateAndGenerateResponseData<T extends PartitionFetchState>(reads: readonly T[]): Array<ResponsePartition<T>> {
    return recordSent(this.partitions, reads, () => true);
  }
}

export class FullFetchContext extends FetchContext {
  constructor(
    private readonly session: FetchSession,
    readonly partitions: readonly SessionPartition[],
  ) {
    super();
  }

  get sessionId(): number {
    return this.session.id;
  }

  updateAndGenerateResponseData<T extends PartitionFetchState>(reads: readonly T[]): Array<ResponsePartition<T>> {
    return recordSent(this.partitions, reads, () => true);
  }
}

/** News: records, an error, or a high watermark, last stable offset or log start offset that moved. */
function hasNews(read: PartitionFetchState, sp: SessionPartition): boolean {
  return (
    read.errorCode !== ErrorCode.NONE ||
    read.bytes > 0 ||
    read.highWatermark !== sp.sentHighWatermark ||
    read.lastStableOffset !== sp.sentLastStableOffset ||
    read.logStartOffset !== sp.sentLogStartOffset
  );
}

export class IncrementalFetchContext extends FetchContext {
  readonly partitions: readonly SessionPartition[];

  constructor(private readonly session: FetchSession) {
    super();
    this.partitions = [...session.partitions.values()];
  }

  get sessionId(): number {
    return this.session.id;
  }

  updateAndGenerateResponseData<T extends PartitionFetchState>(reads: readonly T[]): Array<ResponsePartition<T>> {
    const out = recordSent(this.partitions, reads, hasNews);
    this.session.bumpEpoch();
    return out;
  }
}

/** Resolves a request's session in `sessions` (opening, closing or updating it) and gives its context. */
export function newFetchContext(sessions: FetchSessionCache, req: FetchContextRequest): FetchContext {
  if (req.metadata === null) return new SessionlessFetchContext(req.partitions);
  const lookup = sessions.lookup(req.metadata.sessionId, req.metadata.epoch, req.usesTopicIds);
  switch (lookup.kind) {
    case 'error':
      return new SessionErrorContext(lookup.errorCode);
    case 'sessionless':
      return new SessionlessFetchContext(req.partitions);
    case 'new':
      lookup.session.addAll(req.partitions);
      return new FullFetchContext(lookup.session, req.partitions);
    case 'incremental':
      lookup.session.update(req.partitions, req.forgotten);
      return new IncrementalFetchContext(lookup.session);
  }
}
