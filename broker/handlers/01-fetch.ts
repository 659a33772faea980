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
import { newFetchContext, type ResponsePartition } from '../fetch/fetch-context.js';
import type { SessionPartition } from '../fetch/fetch-session-cache.js';
import type { FetchPartitionData } from '../replica-manager.js';
import { ZERO_UUID } from '../../protocol/uuid.js';
import { defineHandler, type RequestContext } from './handler.js';

const READ_COMMITTED = 1;

type PartitionRead = ResponsePartition<FetchPartitionData>;

/** The request's partitions; a topic id this broker does not know leaves the name '' (UNKNOWN_TOPIC_ID). */
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

function toResponsePartition({ partition, read }: PartitionRead, req: FetchRequest, v: number): FetchResponsePartitionData {
  const p = defaultFetchResponsePartitionData();
  p.partitionIndex = partition.partition;
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
    const key = v >= 13 ? r.partition.topicId : r.partition.topic;
    if (current === null || key !== currentKey) {
      current = { topic: v >= 13 ? '' : r.partition.topic, topicId: v >= 13 ? r.partition.topicId : ZERO_UUID, partitions: [] };
      currentKey = key;
      out.push(current);
    }
    current.partitions.push(toResponsePartition(r, req, v));
  }
  return out;
}

function errorResponse(errorCode: number, sessionId = 0): FetchResponse {
  return { throttleTimeMs: 0, errorCode, sessionId, responses: [], nodeEndpoints: [] };
}

async function handle(req: FetchRequest, ctx: RequestContext): Promise<FetchResponse> {
  const v = ctx.apiVersion;
  const usesIds = v >= 13;
  const broker = ctx.broker;
  const fetchContext = newFetchContext(broker.fetchSessions, {
    metadata: v >= 7 ? { sessionId: req.sessionId, epoch: req.sessionEpoch } : null,
    usesTopicIds: usesIds,
    partitions: sessionPartitionsFromRequest(req, ctx, usesIds),
    forgotten: req.forgottenTopicsData,
  });
  if (fetchContext.errorCode !== ErrorCode.NONE) return errorResponse(fetchContext.errorCode);

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
  const reads = await broker.replicaManager.fetchMessages(fetchContext.partitions, {
    maxBytes,
    minBytes: req.minBytes,
    maxWaitMs: req.maxWaitMs,
    readCommitted: req.isolationLevel === READ_COMMITTED,
    allocate,
    abort: broker.shutdownSignal,
  });

  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: fetchContext.sessionId,
    responses: groupByTopic(fetchContext.updateAndGenerateResponseData(reads), req, v),
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
