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
import { storageErrorCode } from '../replica-manager.js';
import { defineHandler, type RequestContext } from './handler.js';
import { leaderEpochError } from './leader-epoch.js';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const LATEST_TIERED = -5n;
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
          const partition = rm.partition(t.name, p.partitionIndex);
          if (partition === undefined) return answer(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const epochError = leaderEpochError(p.currentLeaderEpoch, partition.leaderEpoch);
          if (epochError !== ErrorCode.NONE) return answer(p.partitionIndex, epochError);
          let log;
          try {
            // Reads need no free space: a log that opens answers even on a full disk.
            log = await partition.getLog();
          } catch (e) {
            return answer(p.partitionIndex, storageErrorCode(e));
          }
          const epoch = partition.leaderEpoch;
          let offset = -1;
          let timestamp = -1;
          switch (p.timestamp) {
            case LATEST:
              offset = req.isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
              break;
            case EARLIEST:
            case EARLIEST_LOCAL:
              offset = log.logStartOffset;
              break;
            case LATEST_TIERED:
              break;
            case MAX_TIMESTAMP: {
              const found = await log.maxTimestampOffset();
              if (found !== null) ({ offset, timestamp } = found);
              break;
            }
            default: {
              // A negative timestamp that is no sentinel of this version: Kafka 4.1 answers UNSUPPORTED_VERSION.
              if (p.timestamp < 0n) return answer(p.partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
              const found = await log.offsetForTimestamp(Number(p.timestamp));
              if (found !== null && found.offset < log.highWatermark) ({ offset, timestamp } = found);
            }
          }
          const r = answer(p.partitionIndex, ErrorCode.NONE, offset, timestamp, offset >= 0 && v >= 4 ? epoch : -1);
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
