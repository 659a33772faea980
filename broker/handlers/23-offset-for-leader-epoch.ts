/**
 * OffsetForLeaderEpoch (key 23), v0-4.
 * Consumers use it after a leader change to detect log truncation (KIP-320): for a leader epoch,
 * the end offset of that epoch. The partition's leader-epoch history comes from its log; an
 * epoch newer than any known gets (-1, -1), as in Kafka.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  offsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '../../protocol/messages/index.js';
import { storageErrorCode } from '../replica-manager.js';
import { defineHandler, type RequestContext } from './handler.js';
import { leaderEpochError } from './leader-epoch.js';

function result(partition: number, errorCode: number, leaderEpoch = -1, endOffset = -1n): OffsetForLeaderEpochResponseEpochEndOffset {
  return { errorCode, partition, leaderEpoch, endOffset };
}

async function handle(req: OffsetForLeaderEpochRequest, ctx: RequestContext): Promise<OffsetForLeaderEpochResponse> {
  const rm = ctx.broker.replicaManager;
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      topic: t.topic,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const partition = rm.partition(t.topic, p.partition);
          if (partition === undefined) return result(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const epochError = leaderEpochError(p.currentLeaderEpoch, partition.leaderEpoch);
          if (epochError !== ErrorCode.NONE) return result(p.partition, epochError);
          let log;
          try {
            log = await partition.getLog();
          } catch (e) {
            return result(p.partition, storageErrorCode(e));
          }
          const found = log.endOffsetForEpoch(p.leaderEpoch);
          return result(p.partition, ErrorCode.NONE, found.epoch, BigInt(found.endOffset));
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const offsetForLeaderEpochHandler = defineHandler({
  api: offsetForLeaderEpochApi,
  minVersion: 0,
  maxVersion: 4,
  handle,
  errorResponse(req, errorCode): OffsetForLeaderEpochResponse {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => result(p.partition, errorCode)) })) };
  },
});
