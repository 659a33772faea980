/**
 * DescribeTopicPartitions (key 75), v0 (KIP-966).
 * Topics in name order with their partitions, at most `response_partition_limit` partitions per
 * answer; when the limit cuts a topic short, `next_cursor` says where the next request starts. An
 * empty topic list means every topic. Eligible leader replicas (KIP-966) are not tracked: the ELR
 * fields are empty arrays, never null, as Kafka sends them (the Java 4.x admin client dereferences
 * them without a null check).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  describeTopicPartitionsApi,
  type DescribeTopicPartitionsRequest,
  type DescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsResponseTopic,
} from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/uuid.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';

const MAX_PARTITION_LIMIT = 2000;

function handle(req: DescribeTopicPartitionsRequest, ctx: RequestContext): DescribeTopicPartitionsResponse {
  const image = ctx.broker.image();
  const limit = Math.max(1, Math.min(req.responsePartitionLimit, MAX_PARTITION_LIMIT));
  const names = (req.topics.length === 0 ? [...image.topics.keys()] : req.topics.map((t) => t.name)).sort();
  const cursor = req.cursor;
  const topics: DescribeTopicPartitionsResponseTopic[] = [];
  let budget = limit;
  let nextCursor: DescribeTopicPartitionsResponse['nextCursor'] = null;
  for (const name of names) {
    if (cursor !== null && name < cursor.topicName) continue;
    const t = image.topics.get(name);
    if (t === undefined) {
      topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED });
      continue;
    }
    if (budget === 0) {
      nextCursor = { topicName: name, partitionIndex: 0 };
      break;
    }
    const first = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
    const entry: DescribeTopicPartitionsResponseTopic = {
      errorCode: ErrorCode.NONE,
      name,
      topicId: t.id,
      isInternal: name.startsWith('__'),
      partitions: [],
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
    };
    topics.push(entry);
    for (const p of t.partitions) {
      if (p.partition < first) continue;
      if (budget === 0) {
        nextCursor = { topicName: name, partitionIndex: p.partition };
        break;
      }
      entry.partitions.push({
        errorCode: ErrorCode.NONE,
        partitionIndex: p.partition,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
        offlineReplicas: p.replicas.filter((id) => !image.brokers.has(id)),
      });
      budget--;
    }
    if (nextCursor !== null) break;
  }
  return { throttleTimeMs: 0, topics, nextCursor };
}

export const describeTopicPartitionsHandler = defineHandler({
  api: describeTopicPartitionsApi,
  minVersion: 0,
  maxVersion: 0,
  handle,
  errorResponse(req, errorCode): DescribeTopicPartitionsResponse {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ errorCode, name: t.name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED })),
      nextCursor: null,
    };
  },
});
