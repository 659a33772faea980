/**
 * OffsetDelete (key 47), v0.
 * Deletes a group's committed offsets for some partitions (KIP-496). Refused per partition with
 * GROUP_SUBSCRIBED_TO_TOPIC while a member of the group consumes the topic.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { offsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import { subscribedTopics } from '../group/consumer-protocol.js';
import { defineHandler, type RequestContext } from './handler.js';

function respond(req: OffsetDeleteRequest, errorCode: number, code: (topic: string, partition: number) => number): OffsetDeleteResponse {
  return {
    errorCode,
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) })),
  };
}

async function handle(req: OffsetDeleteRequest, ctx: RequestContext): Promise<OffsetDeleteResponse> {
  // Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION before the coordinator sees them
  // (KafkaApis.handleDeleteOffsetsRequest checks the metadata cache).
  const exists = (topic: string, partition: number): boolean => ctx.broker.replicaManager.partition(topic, partition) !== undefined;
  const wanted = req.topics.flatMap((t) => t.partitions.filter((p) => exists(t.name, p.partitionIndex)).map((p) => ({ topic: t.name, partition: p.partitionIndex })));
  try {
    const res = await ctx.broker.groups.run(req.groupId, (shard) => shard.deleteOffsets(req.groupId, wanted, subscribedTopics));
    if (res.errorCode !== ErrorCode.NONE) return { errorCode: res.errorCode, throttleTimeMs: 0, topics: [] };
    const byKey = new Map(res.results.map((r) => [`${r.topic}\u0000${r.partition}`, r.errorCode]));
    return respond(req, ErrorCode.NONE, (t, p) => (exists(t, p) ? (byKey.get(`${t}\u0000${p}`) ?? ErrorCode.NONE) : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  } catch (e) {
    return { errorCode: coordinatorErrorCode(e), throttleTimeMs: 0, topics: [] };
  }
}

export const offsetDeleteHandler = defineHandler({
  api: offsetDeleteApi,
  minVersion: 0,
  maxVersion: 0,
  handle,
  errorResponse: (req, errorCode) => ({ errorCode, throttleTimeMs: 0, topics: [] }),
});
