/**
 * One well-formed request per API and version, for the raw protocol sweep: every (API, version)
 * both brokers advertise gets at least this request, compared. The requests read or validate; the
 * few that change state use names of their own (`<prefix>-v<version>`), so versions do not
 * interfere.
 */
import type { Side } from '../harness/differential.js';
import {
  ApiKey,
  defaultApiVersionsRequest,
  defaultConsumerGroupHeartbeatRequest,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultMetadataRequest,
  defaultOffsetCommitRequestPartition,
} from '../../protocol/messages/index.js';
import { buildMessageSet } from '../../protocol/records/index.js';
import { batch, createTopicRequest, fetchRequest, produceRequest, records, T0 } from './steps.js';
import { ZERO_UUID } from '../../protocol/uuid.js';

/** The topic the sweep reads: 2 partitions, 3 records in partition 0. */
export const RAW_TOPIC = 'diff-raw';
/** Where the sweep sends Produce v0-2 (Kafka 4 refuses them; Samsa appends). */
export const RAW_LEGACY_TOPIC = 'diff-raw-legacy';
/** A group with one committed offset (simple consumer commit, no members). */
export const RAW_GROUP = 'diff-raw-group';

/** The request body for `key` at `version` on one side, or undefined where the sweep has none. */
export function rawSample(key: number, version: number, side: Side): unknown {
  const tag = `${RAW_TOPIC}-v${version}`;
  switch (key) {
    case ApiKey.Produce:
      // v0-2 carry magic 0/1 message sets; v3+ v2 record batches.
      return produceRequest(version < 3 ? RAW_LEGACY_TOPIC : RAW_TOPIC, version < 3 ? 0 : 1, version < 3 ? buildMessageSet(version < 2 ? 0 : 1, [{ key: Buffer.from('old'), value: Buffer.from('v'), timestamp: T0 }]) : batch({ records: records(1, 100) }));
    case ApiKey.Fetch:
      return fetchRequest(side, version, [{ topic: RAW_TOPIC, partition: 0, offset: 0 }]);
    case ApiKey.ListOffsets:
      return {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: RAW_TOPIC, partitions: [{ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp: -1n, maxNumOffsets: 1 }] }],
      };
    case ApiKey.Metadata:
      return { ...defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name: RAW_TOPIC }], allowAutoTopicCreation: false };
    case ApiKey.OffsetCommit:
      return {
        groupId: RAW_GROUP,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [{ name: RAW_TOPIC, partitions: [{ ...defaultOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: 2n, committedMetadata: 'm' }] }],
      };
    case ApiKey.OffsetFetch:
      // v8+ batch groups; earlier versions name one group.
      return version >= 8
        ? { groupId: '', topics: [], groups: [{ groupId: RAW_GROUP, memberId: null, memberEpoch: -1, topics: [{ name: RAW_TOPIC, partitionIndexes: [0, 1] }] }], requireStable: false }
        : { groupId: RAW_GROUP, topics: [{ name: RAW_TOPIC, partitionIndexes: [0, 1] }], groups: [], requireStable: false };
    case ApiKey.FindCoordinator:
      return { key: RAW_GROUP, keyType: 0, coordinatorKeys: [RAW_GROUP] };
    case ApiKey.JoinGroup:
      // A new member of a group of its own: v4+ first gets MEMBER_ID_REQUIRED (KIP-394).
      return {
        groupId: `${tag}-join`,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: Buffer.from([0, 1, 0, 0, 0, 0]) }],
        reason: null,
      };
    case ApiKey.Heartbeat:
      return { groupId: `${tag}-missing`, generationId: 1, memberId: 'nobody', groupInstanceId: null };
    case ApiKey.LeaveGroup:
      return { groupId: `${tag}-missing`, memberId: 'nobody', members: [{ memberId: 'nobody', groupInstanceId: null, reason: null }] };
    case ApiKey.SyncGroup:
      return { groupId: `${tag}-missing`, generationId: 1, memberId: 'nobody', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] };
    case ApiKey.DescribeGroups:
      return { groups: [RAW_GROUP, `${tag}-missing`], includeAuthorizedOperations: false };
    case ApiKey.ListGroups:
      return { statesFilter: [], typesFilter: [] };
    case ApiKey.ApiVersions:
      return { ...defaultApiVersionsRequest(), clientSoftwareName: 'samsa-differential', clientSoftwareVersion: '1.0' };
    case ApiKey.CreateTopics:
      return createTopicRequest(`${tag}-validate`, 3, { 'cleanup.policy': 'compact' }, { validateOnly: true });
    case ApiKey.DeleteTopics:
      return { topics: [{ name: `${tag}-missing`, topicId: ZERO_UUID }], topicNames: [`${tag}-missing`], timeoutMs: 10_000 };
    case ApiKey.DeleteRecords:
      return { topics: [{ name: RAW_TOPIC, partitions: [{ partitionIndex: 1, offset: 0n }] }], timeoutMs: 10_000 };
    case ApiKey.InitProducerId:
      return { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 };
    case ApiKey.OffsetForLeaderEpoch:
      return { replicaId: -1, topics: [{ topic: RAW_TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] };
    case ApiKey.DescribeConfigs:
      return { resources: [{ resourceType: 2, resourceName: RAW_TOPIC, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false };
    case ApiKey.AlterConfigs:
      return { resources: [{ resourceType: 2, resourceName: RAW_TOPIC, configs: [{ name: 'retention.ms', value: '3600000' }] }], validateOnly: true };
    case ApiKey.DescribeLogDirs:
      return { topics: [{ topic: RAW_TOPIC, partitions: [0, 1] }] };
    case ApiKey.CreatePartitions:
      return { topics: [{ name: RAW_TOPIC, count: 4, assignments: null }], timeoutMs: 10_000, validateOnly: true };
    case ApiKey.DeleteGroups:
      return { groupsNames: [`${tag}-missing`] };
    case ApiKey.IncrementalAlterConfigs:
      return { resources: [{ resourceType: 2, resourceName: RAW_TOPIC, configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] }], validateOnly: true };
    case ApiKey.OffsetDelete:
      return { groupId: `${tag}-missing`, topics: [{ name: RAW_TOPIC, partitions: [{ partitionIndex: 0 }] }] };
    case ApiKey.DescribeCluster:
      return { includeClusterAuthorizedOperations: false, endpointType: 1 };
    case ApiKey.ConsumerGroupHeartbeat:
      // A heartbeat for a member the group does not know: no group is created.
      return { ...defaultConsumerGroupHeartbeatRequest(), groupId: `${tag}-cg-missing`, memberId: 'AAAAAAAAAAAAAAAAAAAAAQ', memberEpoch: 5, rebalanceTimeoutMs: -1 };
    case ApiKey.ConsumerGroupDescribe:
      return { groupIds: [`${tag}-cg-missing`], includeAuthorizedOperations: false };
    case ApiKey.AlterReplicaLogDirs:
      // A directory neither broker has: LOG_DIR_NOT_FOUND for the partition, nothing moves.
      return { dirs: [{ path: '/nonexistent-log-dir', topics: [{ name: RAW_TOPIC, partitions: [0] }] }] };
    case ApiKey.DescribeQuorum:
      return { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] };
    case ApiKey.DescribeTopicPartitions:
      return { topics: [{ name: RAW_TOPIC }, { name: `${tag}-missing` }], responsePartitionLimit: 2000, cursor: null };
    default:
      return undefined;
  }
}
