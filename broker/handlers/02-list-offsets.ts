/**
 * ListOffsets (key 2), v0-9.
 * Special timestamps: -1 latest (high watermark, or last stable offset for read_committed), -2
 * earliest (log start offset), -3 the record with the largest timestamp (v7+, KIP-734), -4
 * earliest local (v8+; no tiered storage, so the log start offset), -5 latest tiered (v9+; nothing
 * is tiered, so offset -1). Any other timestamp finds the first offset whose record timestamp is at
 * or after it, or offset -1 when there is none. v0 answers in `old_style_offsets`.
 * current_leader_epoch (v4+) is checked: an older epoch gets FENCED_LEADER_EPOCH, a newer one
 * UNKNOWN_LEADER_EPOCH (KIP-320). A partition named more than once (v1+) gets INVALID_REQUEST, as in
 * Kafka.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  listOffsetsApi,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponseListOffsetsPartitionResponse,
} from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from './handler.js';

const READ_COMMITTED = 1;

function answer(partitionIndex: number, errorCode: number, offset = -1, timestamp = -1, leaderEpoch = -1): ListOffsetsResponseListOffsetsPartitionResponse {
  return {
    partitionIndex,
    errorCode,
    oldStyleOffsets: [],
    timestamp: BigInt(timestamp),
    offset: BigInt(offset),
    leaderEpoch,
  };
}

async function handle(req: ListOffsetsRequest, ctx: RequestContext): Promise<ListOffsetsResponse> {
  const v = ctx.apiVersion;
  const rm = ctx.broker.replicaManager;
  // Kafka (ListOffsetsRequest.duplicatePartitions, v1+): a partition named twice gets
  // INVALID_REQUEST in both places, so no partition is looked up more than once per request.
  const duplicates = new Set<string>();
  if (v >= 1) {
    const seen = new Set<string>();
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const key = `${t.name}\u0000${p.partitionIndex}`;
        if (seen.has(key)) duplicates.add(key);
        else seen.add(key);
      }
    }
  }
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p): Promise<ListOffsetsResponseListOffsetsPartitionResponse> => {
          if (duplicates.size > 0 && duplicates.has(`${t.name}\u0000${p.partitionIndex}`)) return answer(p.partitionIndex, ErrorCode.INVALID_REQUEST);
          const found = await rm.fetchOffsetForTimestamp(t.name, p.partitionIndex, p.timestamp, req.isolationLevel === READ_COMMITTED, p.currentLeaderEpoch);
          if (found.errorCode !== ErrorCode.NONE) return answer(p.partitionIndex, found.errorCode);
          const { offset, timestamp } = found;
          const r = answer(p.partitionIndex, ErrorCode.NONE, offset, timestamp, offset >= 0 && v >= 4 ? found.leaderEpoch : -1);
          if (v === 0) {
            r.oldStyleOffsets = offset >= 0 ? [BigInt(offset)] : [];
            r.offset = -1n;
            r.timestamp = -1n;
            r.leaderEpoch = -1;
          }
          return r;
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const listOffsetsHandler = defineHandler({
  api: listOffsetsApi,
  minVersion: 0,
  maxVersion: 9,
  handle,
  errorResponse(req, errorCode): ListOffsetsResponse {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => answer(p.partitionIndex, errorCode)) })),
    };
  },
});
