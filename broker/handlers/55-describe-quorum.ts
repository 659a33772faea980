/**
 * DescribeQuorum (key 55), v0-2: the state of the KRaft metadata quorum, as Kafka's
 * KafkaRaftClient.handleDescribeQuorumRequest answers it (kafka-metadata-quorum uses it). This
 * node is the quorum's only voter and its leader, at a fixed epoch; every metadata record is
 * committed once appended, so the high watermark and the leader's log end offset are the metadata
 * log's end offset, and the leader is caught up now. v1 (KIP-836) adds the fetch timestamps; v2
 * (KIP-853) the replica directory id (this node has none: the zero id) and the voters' endpoints.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeQuorumApi, type DescribeQuorumRequest, type DescribeQuorumResponse } from '../../protocol/messages/index.js';
import { defineHandler } from './handler.js';

/** Kafka's metadata log: the topic-partition every DescribeQuorum request must name. */
const METADATA_TOPIC = '__cluster_metadata';
const METADATA_PARTITION = 0;
const ZERO_DIRECTORY_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** A partition-level error for every partition asked about (DescribeQuorumRequest.getPartitionLevelErrorResponse). */
function partitionErrors(req: DescribeQuorumRequest, errorCode: number): DescribeQuorumResponse {
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: req.topics.map((t) => ({
      topicName: t.topicName,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        errorCode,
        errorMessage: null,
        leaderId: -1,
        leaderEpoch: -1,
        highWatermark: -1n,
        currentVoters: [],
        observers: [],
      })),
    })),
    nodes: [],
  };
}

export const describeQuorumHandler = defineHandler({
  api: describeQuorumApi,
  minVersion: 0,
  maxVersion: 2,
  handle(req, ctx): DescribeQuorumResponse {
    // Kafka answers only for exactly its metadata partition (RaftUtil.hasValidTopicPartition).
    const only = req.topics.length === 1 && req.topics[0]!.partitions.length === 1 ? req.topics[0]! : null;
    if (only === null || only.topicName !== METADATA_TOPIC || only.partitions[0]!.partitionIndex !== METADATA_PARTITION) {
      return partitionErrors(req, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    const quorum = ctx.broker.controller.quorumState();
    const now = BigInt(Date.now());
    const leader = {
      replicaId: quorum.leaderId,
      replicaDirectoryId: ZERO_DIRECTORY_ID,
      logEndOffset: BigInt(quorum.highWatermark),
      lastFetchTimestamp: now,
      lastCaughtUpTimestamp: now,
    };
    // This node's one listener serves clients and the quorum alike. Nodes are v2+ only (and not ignorable).
    const registration = ctx.broker.image().brokers.get(quorum.leaderId);
    const nodes =
      ctx.apiVersion < 2 || registration === undefined || registration.listeners.length === 0
        ? []
        : [{ nodeId: registration.id, listeners: [{ name: registration.listeners[0]!.name, ...ctx.broker.advertisedListenerOf(registration) }] }];
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topics: [
        {
          topicName: METADATA_TOPIC,
          partitions: [
            {
              partitionIndex: METADATA_PARTITION,
              errorCode: ErrorCode.NONE,
              errorMessage: null,
              leaderId: quorum.leaderId,
              leaderEpoch: quorum.leaderEpoch,
              highWatermark: BigInt(quorum.highWatermark),
              currentVoters: [leader],
              observers: [],
            },
          ],
        },
      ],
      nodes,
    };
  },
  // DescribeQuorumRequest.getErrorResponse: a top-level error, no topics.
  errorResponse(_req, errorCode): DescribeQuorumResponse {
    return { errorCode, errorMessage: null, topics: [], nodes: [] };
  },
});
