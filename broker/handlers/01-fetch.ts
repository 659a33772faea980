/**
 * Fetch (key 1), v0-17. v17 only adds the follower's directory id (KIP-853), a tagged field consumers
 * never send.
 * Reads whole record batches straight from the segment files into the response's buffer list (no
 * copy, no re-encoding). Limits (KIP-74): `partition_max_bytes` per partition and `max_bytes` (v3+)
 * for the response, itself at most the broker's `fetch.max.bytes` (KIP-541), except that the first
 * partition with data always returns at least its first whole batch so a consumer can never be
 * stuck behind a batch larger than its limits.
 * Long polling: when fewer than `min_bytes` are available the fetch waits up to `max_wait_ms` and
 * is answered as soon as appends make up the difference.
 * Isolation (v4+): read_committed reads up to the last stable offset, read_uncommitted up to the
 * high watermark. Fetch sessions (v7+, KIP-227), topic ids (v13+, KIP-516), leader epoch checks
 * (v9+, KIP-320). Consumers of v0-v3 get magic 0 (v0-1) or magic 1 (v2-3) message sets, converted
 * from the stored v2 batches.
 * Not implemented: follower fetching (replica_id >= 0 is served like a consumer), rack-aware
 * preferred read replicas (always -1), diverging epochs (single leader), aborted transactions
 * (no transactions yet: read_committed gets an empty list).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  defaultFetchResponsePartitionData,
  fetchApi,
  type FetchRequest,
  type FetchResponse,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
} from '../../protocol/messages/index.js';
import { downConvert } from '../../protocol/records/index.js';
import { EMPTY_BYTES, type RecordsData } from '../../protocol/codec/support.js';
import { waitForAppends } from '../fetch/delayed-fetch.js';
import { partitionKey, type FetchSession, type SessionPartition } from '../fetch/fetch-session-cache.js';
import { storageErrorCode, type Partition } from '../replica-manager.js';
import { ZERO_UUID } from '../../protocol/uuid.js';
import { defineHandler, type RequestContext } from './handler.js';
import { leaderEpochError } from './leader-epoch.js';

const READ_COMMITTED = 1;

interface PartitionRead {
  sp: SessionPartition;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  records: Buffer[] | null;
  bytes: number;
}

function sessionPartitionsFromRequest(req: FetchRequest, ctx: RequestContext, usesIds: boolean): SessionPartition[] {
  const image = ctx.broker.image();
  const out: SessionPartition[] = [];
  for (const t of req.topics) {
    const name = usesIds ? (image.topicsById.get(t.topicId)?.name ?? '') : t.topic;
    for (const p of t.partitions) {
      out.push({
        topic: name,
        topicId: usesIds ? t.topicId : (image.topics.get(name)?.id ?? ZERO_UUID),
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        sentHighWatermark: -1n,
        sentLastStableOffset: -1n,
        sentLogStartOffset: -1n,
      });
    }
  }
  return out;
}

function sessionKey(sp: SessionPartition, usesIds: boolean): string {
  return partitionKey(usesIds ? sp.topicId : sp.topic, sp.partition);
}

/** Applies an incremental request to its session: new and changed partitions, then forgotten ones. */
function updateSession(session: FetchSession, req: FetchRequest, ctx: RequestContext, usesIds: boolean): void {
  for (const sp of sessionPartitionsFromRequest(req, ctx, usesIds)) {
    const key = sessionKey(sp, usesIds);
    const existing = session.partitions.get(key);
    if (existing) {
      existing.fetchOffset = sp.fetchOffset;
      existing.maxBytes = sp.maxBytes;
      existing.currentLeaderEpoch = sp.currentLeaderEpoch;
    } else session.partitions.set(key, sp);
  }
  for (const f of req.forgottenTopicsData) {
    for (const p of f.partitions) session.partitions.delete(partitionKey(usesIds ? f.topicId : f.topic, p));
  }
}

async function readPartitions(
  wanted: readonly SessionPartition[],
  req: FetchRequest,
  ctx: RequestContext,
  maxBytes: number,
  allocate: (size: number) => Buffer,
): Promise<{ reads: PartitionRead[]; bytes: number; partitions: Partition[]; failed: boolean }> {
  const rm = ctx.broker.replicaManager;
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  const reads: PartitionRead[] = [];
  const partitions: Partition[] = [];
  let budget = maxBytes;
  let total = 0;
  let failed = false;
  for (const sp of wanted) {
    const read: PartitionRead = { sp, errorCode: ErrorCode.NONE, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null, bytes: 0 };
    reads.push(read);
    const partition = sp.topic === '' ? undefined : rm.partition(sp.topic, sp.partition);
    if (partition === undefined) {
      read.errorCode = sp.topic === '' ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      failed = true;
      continue;
    }
    const epochError = leaderEpochError(sp.currentLeaderEpoch, partition.leaderEpoch);
    if (epochError !== ErrorCode.NONE) {
      read.errorCode = epochError;
      failed = true;
      continue;
    }
    partitions.push(partition);
    let log;
    try {
      log = await partition.getLog();
    } catch (e) {
      read.errorCode = storageErrorCode(e);
      failed = true;
      continue;
    }
    read.highWatermark = BigInt(log.highWatermark);
    read.lastStableOffset = BigInt(log.lastStableOffset);
    read.logStartOffset = BigInt(log.logStartOffset);
    const offset = Number(sp.fetchOffset);
    if (offset < log.logStartOffset || offset > log.logEndOffset) {
      read.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      failed = true;
      continue;
    }
    const upper = readCommitted ? log.lastStableOffset : log.highWatermark;
    if (offset >= upper || budget <= 0 || sp.maxBytes <= 0) continue;
    const result = await log.read(offset, Math.min(sp.maxBytes, budget), { minOneBatch: total === 0, upperBound: upper, allocate });
    if (result.errorCode !== undefined) {
      // The batch at this offset is corrupt on disk (the log reported the range); later offsets stay readable.
      read.errorCode = result.errorCode;
      failed = true;
      continue;
    }
    let bytes = 0;
    for (const b of result.records) bytes += b.length;
    if (bytes > 0) {
      read.records = result.records;
      read.bytes = bytes;
      total += bytes;
      budget -= bytes;
    }
  }
  return { reads, bytes: total, partitions, failed };
}

function toResponsePartition(read: PartitionRead, req: FetchRequest, v: number): FetchResponsePartitionData {
  const p = defaultFetchResponsePartitionData();
  p.partitionIndex = read.sp.partition;
  p.errorCode = read.errorCode;
  p.highWatermark = read.highWatermark;
  p.lastStableOffset = read.lastStableOffset;
  p.logStartOffset = read.logStartOffset;
  // Kafka answers partitions it cannot find with an empty list (FetchResponse.partitionResponse in
  // KafkaApis' erroneous partitions), and the others with null unless reading committed.
  const unknown = read.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || read.errorCode === ErrorCode.UNKNOWN_TOPIC_ID;
  p.abortedTransactions = unknown || req.isolationLevel === READ_COMMITTED ? [] : null;
  let records: RecordsData | null = read.records;
  if (records !== null && v <= 3) records = downConvert(Buffer.concat(records), v <= 1 ? 0 : 1);
  // Kafka answers "no records" with an empty record set, never null; some clients rely on it.
  p.records = records ?? EMPTY_BYTES;
  return p;
}

/** Groups partition answers by topic, keeping their order. */
function groupByTopic(reads: readonly PartitionRead[], req: FetchRequest, v: number): FetchResponseFetchableTopicResponse[] {
  const out: FetchResponseFetchableTopicResponse[] = [];
  let current: FetchResponseFetchableTopicResponse | null = null;
  let currentKey = '';
  for (const r of reads) {
    const key = v >= 13 ? r.sp.topicId : r.sp.topic;
    if (current === null || key !== currentKey) {
      current = { topic: v >= 13 ? '' : r.sp.topic, topicId: v >= 13 ? r.sp.topicId : ZERO_UUID, partitions: [] };
      currentKey = key;
      out.push(current);
    }
    current.partitions.push(toResponsePartition(r, req, v));
  }
  return out;
}

function hasNews(r: PartitionRead): boolean {
  return (
    r.errorCode !== ErrorCode.NONE ||
    r.bytes > 0 ||
    r.highWatermark !== r.sp.sentHighWatermark ||
    r.lastStableOffset !== r.sp.sentLastStableOffset ||
    r.logStartOffset !== r.sp.sentLogStartOffset
  );
}

function errorResponse(errorCode: number, sessionId = 0): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId, responses: [], nodeEndpoints: [] };
}

async function handle(req: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
  const v = ctx.apiVersion;
  const usesIds = v >= 13;
  const broker = ctx.broker;
  const lookup = v >= 7 ? broker.fetchSessions.lookup(req.sessionId, req.sessionEpoch, usesIds) : ({ kind: 'sessionless' } as const);
  if (lookup.kind === 'error') return errorResponse(lookup.errorCode);

  let wanted: SessionPartition[];
  let session: FetchSession | null = null;
  if (lookup.kind === 'incremental') {
    session = lookup.session;
    updateSession(session, req, ctx, usesIds);
    wanted = [...session.partitions.values()];
  } else {
    wanted = sessionPartitionsFromRequest(req, ctx, usesIds);
    if (lookup.kind === 'new') {
      session = lookup.session;
      for (const sp of wanted) session.partitions.set(sessionKey(sp, usesIds), sp);
    }
  }

  // Kafka (KafkaApis.handleFetchRequest) bounds every response by fetch.max.bytes, v0-2 (which
  // have no max_bytes) included: the reads are held in memory until the response is written.
  const maxBytes = Math.min(v >= 3 ? req.maxBytes : 0x7fffffff, broker.config.fetchMaxBytes);
  // Every buffer read into goes back to the pool once the response is written, including those
  // of a read that a long poll replaces.
  const pool = broker.buffers;
  const borrowed: Buffer[] = [];
  const allocate = (size: number): Buffer => {
    const buf = pool.take(size);
    if (borrowed.length === 0) ctx.afterResponse(() => borrowed.forEach((b) => pool.give(b)));
    borrowed.push(buf);
    return buf;
  };
  let result = await readPartitions(wanted, req, ctx, maxBytes, allocate);
  if (result.bytes < req.minBytes && !result.failed && req.maxWaitMs > 0) {
    await waitForAppends(result.partitions, req.minBytes - result.bytes, req.maxWaitMs, broker.shutdownSignal);
    result = await readPartitions(wanted, req, ctx, maxBytes, allocate);
  }

  let reads = result.reads;
  if (lookup.kind === 'incremental') reads = reads.filter(hasNews);
  for (const r of reads) {
    r.sp.sentHighWatermark = r.highWatermark;
    r.sp.sentLastStableOffset = r.lastStableOffset;
    r.sp.sentLogStartOffset = r.logStartOffset;
  }
  if (session !== null && lookup.kind === 'incremental') session.epoch = session.epoch === 0x7fffffff ? 1 : session.epoch + 1;

  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: session?.id ?? 0,
    responses: groupByTopic(reads, req, v),
    nodeEndpoints: [],
  };
}

export const fetchHandler = defineHandler({
  api: fetchApi,
  minVersion: 0,
  maxVersion: 17,
  handle,
  errorResponse(req, errorCode, ctx): FetchResponse {
    if (ctx.apiVersion >= 7) return errorResponse(errorCode);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: 0,
      responses: req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const d = defaultFetchResponsePartitionData();
          d.partitionIndex = p.partition;
          d.errorCode = errorCode;
          d.records = EMPTY_BYTES;
          return d;
        }),
      })),
      nodeEndpoints: [],
    };
  },
});
