/**
 * Intended differences between Samsa and the reference Apache Kafka (4.1.1), one reason each.
 * The differential test prints which entries it used; an entry names its FINDINGS.md section when
 * the difference is a gap in Samsa rather than a choice.
 */
import type { AllowedDifference } from '../harness/differential.js';

const absent = (v: unknown): boolean => v === undefined;

export const ALLOWED_DIFFERENCES: readonly AllowedDifference[] = [
  {
    id: 'quorum-log-position',
    api: 'DescribeQuorum',
    path: /(highWatermark|logEndOffset|lastFetchTimestamp|lastCaughtUpTimestamp)$/,
    reason: "each broker's metadata log holds its own records (Kafka 4.1 writes more feature and registration records), so its end offset and the times it was last read differ",
  },
  {
    id: 'quorum-directory-id',
    api: 'DescribeQuorum',
    path: /currentVoters\[\*\]\.replicaDirectoryId$/,
    samsa: (v) => v === 'AAAAAAAAAAAAAAAAAAAAAA',
    reason: 'Samsa\'s data directory has no KIP-858 directory id, so its voter reports the zero id',
  },
  {
    id: 'quorum-controller-listener',
    api: 'DescribeQuorum',
    path: /^nodes\[\*\]\.listeners\[name=(CONTROLLER|PLAINTEXT)\]$/,
    reason: "Samsa's one node serves the quorum on its client listener; Kafka's combined node has a separate CONTROLLER listener",
  },
  {
    id: 'api-versions-ranges',
    api: 'ApiVersions',
    path: 'apiKeys',
    reason: 'the advertised ranges are compared one by one by the ApiVersions test (VERSION_RANGE_DIFFERENCES)',
  },
  {
    id: 'features',
    api: 'ApiVersions',
    path: /^(supportedFeatures|finalizedFeatures|finalizedFeaturesEpoch)/,
    reason: "Samsa supports and finalizes only metadata.version, at 3.9's level; Kafka 4.1 also group.version, transaction.version, eligible.leader.replicas.version and kraft.version",
    finding: 'Feature levels',
  },
  {
    id: 'produce-v0-2',
    api: 'Produce',
    versions: { max: 2 },
    path: /.*/,
    reason: 'Kafka 4 advertises Produce v0-2 only so old librdkafka negotiates (KAFKA-18659) and closes the connection on them; Samsa appends their message sets, as Kafka 3.x did',
  },
  {
    id: 'removed-topic-configs',
    api: '*',
    path: /configs\[name=(message\.downconversion\.enable|message\.format\.version|message\.timestamp\.difference\.max\.ms)\]$/,
    kafka: absent,
    reason: 'topic configs Kafka 4.0 removed (KIP-724, KIP-896, KIP-937); Samsa still accepts and describes them as no-ops for 3.x tools',
  },
  {
    id: 'min-insync-cluster-default',
    api: '*',
    path: /configs\[name=min\.insync\.replicas\]\.(configSource|synonyms)/,
    reason: "Kafka 4.1 with eligible leader replicas (KIP-966) stores the cluster's min.insync.replicas as a dynamic cluster default when it formats; Samsa's is its static default",
  },
  {
    id: 'authorized-operations',
    api: '*',
    path: /(topic|cluster)AuthorizedOperations$/,
    kafka: (v) => v !== -2147483648,
    samsa: (v) => v === -2147483648,
    reason: 'without an authorizer Kafka reports every operation as allowed; Samsa reports authorized operations as not requested (SKIPPED.md: ACLs)',
    finding: 'Authorized operations',
  },
  {
    id: 'timestamp-after-max-default',
    api: '*',
    path: /configs\[name=message\.timestamp\.after\.max\.ms\]\.value$/,
    kafka: (v) => v === '3600000',
    samsa: (v) => v === '9223372036854775807',
    reason: 'Kafka 4.0 lowered the default of message.timestamp.after.max.ms to one hour (KIP-1030); Samsa keeps 3.x\'s unlimited default',
    finding: 'message.timestamp.after.max.ms default',
  },
  {
    id: 'retention-hours-synonym',
    api: 'DescribeConfigs',
    path: /configs\[name=retention\.ms\]\.synonyms\[name=log\.retention\.hours\]$/,
    kafka: absent,
    reason: "Samsa lists the broker's default log.retention.hours as a synonym of retention.ms; Kafka 4.1 does not",
    finding: 'retention.ms synonyms',
  },
  {
    id: 'duplicate-append-time',
    api: 'Produce',
    path: /logAppendTimeMs$/,
    step: /duplicate/,
    kafka: (v) => v === '<time>',
    samsa: (v) => v === -1n,
    reason: "for a duplicate idempotent batch Kafka answers with the cached batch's timestamp even on CreateTime topics; Samsa with -1",
    finding: 'Duplicate batch answers',
  },
  {
    id: 'produce-error-log-start-offset',
    api: 'Produce',
    path: /partitionResponses\[\*\]\.logStartOffset$/,
    samsa: (v) => v === -1n,
    reason: 'Kafka fills in the log start offset when it refuses a batch for its producer state (sequence, epoch); Samsa answers -1',
    finding: 'Produce errors without the log start offset',
  },
  {
    id: 'offset-out-of-range-offsets',
    api: 'Fetch',
    path: /partitions\[\*\]\.(highWatermark|lastStableOffset|logStartOffset)$/,
    kafka: (v) => v === -1n,
    reason: "on OFFSET_OUT_OF_RANGE Kafka sends -1 for the partition's offsets; Samsa sends the real ones, which a consumer can use to reset without a ListOffsets",
  },
  {
    id: 'fetch-no-partial-batch-at-response-max-bytes',
    api: 'Fetch',
    path: /partitions\[\*\]\.records\[\*\]$/,
    kafka: (v) => typeof v === 'string' && v.startsWith('<partial batch'),
    samsa: absent,
    reason: "where the response's max_bytes ends inside a batch Kafka sends the cut-off batch, which the client drops; Samsa sends whole batches only",
    finding: 'Fetch max_bytes and partial batches',
  },
  {
    id: 'fetch-no-partial-batch-at-max-bytes',
    api: 'Fetch',
    path: /partitions\[\*\]\.records\[\*\]$/,
    step: /max bytes ends mid-partition/,
    reason: "when the response's max_bytes runs out inside a partition Kafka fills the rest with a cut-off batch that the client drops, and sends nothing for later partitions; Samsa stops at the last whole batch and lets later partitions use the room",
    finding: 'Fetch max_bytes and partial batches',
  },
  {
    id: 'unknown-config-operation',
    api: 'IncrementalAlterConfigs',
    path: /responses\[resourceName=[^\]]*\]\.errorCode$/,
    step: /unknown operation/,
    kafka: (v) => v === -1,
    samsa: (v) => v === 42,
    reason: 'Kafka 4.1 lets the IllegalArgumentException for an unknown config operation escape as UNKNOWN_SERVER_ERROR; Samsa answers INVALID_REQUEST',
  },
];

/**
 * ApiVersions ranges that differ from Kafka 4.1's for an API Samsa implements, with why.
 * Each entry must match the advertised ranges exactly (a stale entry fails the test).
 */
export interface VersionRangeDifference {
  api: string;
  kafka: string;
  samsa: string;
  reason: string;
  finding?: string;
}

const KIP_896 =
  'Kafka 4.0 removed these old versions (KIP-896, baseline Kafka 2.1); Samsa still serves them, as Kafka 3.x did, for clients that never upgraded';
const NEWER_SPEC = "needs the Kafka 4.x message spec; Samsa's codecs are generated from Kafka 3.9's";

export const VERSION_RANGE_DIFFERENCES: readonly VersionRangeDifference[] = [
  { api: 'Produce', kafka: '0-13', samsa: '0-11', reason: `v12 (KIP-890 transactions v2) and v13 (topic ids, KIP-516) ${NEWER_SPEC}`, finding: 'Produce v12-13' },
  { api: 'Fetch', kafka: '4-18', samsa: '0-17', reason: `${KIP_896} (v0-3); v18 (KIP-1166 high watermark for followers) ${NEWER_SPEC}`, finding: 'Fetch v18' },
  { api: 'ListOffsets', kafka: '1-10', samsa: '0-9', reason: `${KIP_896} (v0); v10 (timeout, KIP-1075) ${NEWER_SPEC}`, finding: 'ListOffsets v10' },
  { api: 'Metadata', kafka: '0-13', samsa: '0-12', reason: `v13 (top-level error code for rebootstrap, KIP-1102) ${NEWER_SPEC}`, finding: 'Metadata v13' },
  { api: 'OffsetCommit', kafka: '2-9', samsa: '0-9', reason: `${KIP_896} (v0-1)` },
  { api: 'OffsetFetch', kafka: '1-9', samsa: '0-9', reason: `${KIP_896} (v0)` },
  { api: 'DescribeGroups', kafka: '0-6', samsa: '0-5', reason: `v6 (per-group error message, KIP-1043) ${NEWER_SPEC}`, finding: 'DescribeGroups v6' },
  { api: 'CreateTopics', kafka: '2-7', samsa: '0-7', reason: `${KIP_896} (v0-1)` },
  { api: 'DeleteTopics', kafka: '1-6', samsa: '0-6', reason: `${KIP_896} (v0)` },
  { api: 'OffsetForLeaderEpoch', kafka: '2-4', samsa: '0-4', reason: `${KIP_896} (v0-1)` },
  { api: 'DescribeConfigs', kafka: '1-4', samsa: '0-4', reason: `${KIP_896} (v0)` },
  { api: 'DescribeLogDirs', kafka: '1-4', samsa: '0-4', reason: `${KIP_896} (v0)` },
  { api: 'AlterReplicaLogDirs', kafka: '1-2', samsa: '0-2', reason: `${KIP_896} (v0)` },
  { api: 'DescribeCluster', kafka: '0-2', samsa: '0-1', reason: `v2 (fenced brokers, KIP-1073) ${NEWER_SPEC}`, finding: 'DescribeCluster v2' },
  { api: 'ConsumerGroupDescribe', kafka: '0-1', samsa: '0-0', reason: `v1 (member type, KIP-1099) ${NEWER_SPEC}`, finding: 'ConsumerGroupDescribe v1' },
];
