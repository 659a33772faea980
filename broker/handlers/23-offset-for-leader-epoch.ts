/**
 * OffsetForLeaderEpoch (key 23), v0-4.
 * Consumers use it after a leader change to detect log truncation (KIP-320): for a leader epoch,
 * the end offset of that epoch. The partition's leader-epoch history comes from its log; an
 * epoch newer than any known gets (-1, -1), as in Kafka.
 */
import {
  offsetForLeaderEpochApi,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderEpochResponseEpochEndOffset,
} from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from './handler.js';

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
          const found = await rm.lastOffsetForLeaderEpoch(t.topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch);
          return result(p.partition, found.errorCode, found.leaderEpoch, found.endOffset);
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
