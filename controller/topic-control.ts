/**
 * Topic operations turned into metadata records, with Kafka's validation and error codes
 * (Kafka's ReplicationControlManager): create, delete, add partitions. Pure functions of the
 * image; the controller appends what they return.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/error-codes.js';
import { defaultPartitionRecord } from '../protocol/metadata/index.js';
import { ZERO_UUID } from '../protocol/uuid.js';
import type { MetadataImage, TopicImage } from './image.js';
import { TOPIC_RESOURCE } from './image.js';
import type { MetadataRecord } from './metadata-records.js';
import { topicConfigError } from './config-control.js';

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
const MAX_TOPIC_NAME_LENGTH = 249;
/** Kafka's Uuid.METADATA_TOPIC_ID (1), reserved. */
const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

export interface TopicDefaults {
  numPartitions: number;
  replicationFactor: number;
}

/**
 * Bounds on partition creation, checked before any placement or record is built, validate-only
 * requests included, so a request's cost never follows a count it claims.
 */
export interface PartitionLimits {
  /**
   * Partitions one CreateTopics or CreatePartitions request may create, summed over its topics
   * (`samsa.max.partitions.per.request`; Kafka hard-codes ReplicationControlManager's
   * MAX_PARTITIONS_PER_BATCH = 10,000).
   */
  perRequest: number;
  /** Partitions the cluster may hold in all (`samsa.max.partitions`). */
  total: number;
}

/** Kafka's own sentence (ReplicationControlManager.validateTotalNumberOfPartitions), with the numbers. */
function perRequestError(requested: number, limit: number): string {
  return `Excessively large number of partitions per request: ${requested} requested, at most ${limit} allowed (samsa.max.partitions.per.request).`;
}

function totalLimitError(name: string, adding: number, existing: number, limit: number): string {
  return `Adding ${adding} partition(s) to topic ${name} would bring the cluster to ${existing + adding} partitions, over the limit of ${limit} (samsa.max.partitions).`;
}

/** Partitions in the cluster now. */
function partitionCount(image: MetadataImage): number {
  let n = 0;
  for (const t of image.topics.values()) n += t.partitions.length;
  return n;
}

/** Partitions a topic to create asks for: its assignments, else its count or the default (as Kafka counts them). */
function requestedPartitions(t: CreatableTopic, defaults: TopicDefaults): number {
  if (t.assignments.length > 0) return t.assignments.length;
  if (t.numPartitions === -1) return defaults.numPartitions;
  return t.numPartitions > 0 ? t.numPartitions : 0;
}

export interface CreatableTopic {
  name: string;
  /** -1 for the broker default. */
  numPartitions: number;
  /** -1 for the broker default. */
  replicationFactor: number;
  /** Explicit replica assignment per partition; empty for automatic. */
  assignments: ReadonlyArray<{ partitionIndex: number; brokerIds: readonly number[] }>;
  configs: ReadonlyArray<{ name: string; value: string | null }>;
}

export interface CreateTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
  /** The topic's own configs (those set at creation). */
  configs: ReadonlyMap<string, string>;
}

export interface TopicRef {
  name: string | null;
  topicId: string;
}

export interface DeleteTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface NewPartitions {
  name: string;
  count: number;
  assignments: ReadonlyArray<readonly number[]> | null;
}

export interface CreatePartitionsResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

/** Why a topic name is invalid (Kafka's Topic.validate), or null. */
export function topicNameError(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL_TOPIC.test(name)) return `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/** A random topic id in the 22-character base64url form, never one of Kafka's reserved ids. */
export function randomTopicId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (id !== ZERO_UUID && id !== METADATA_TOPIC_ID && !id.startsWith('-')) return id;
  }
}

function unfenced(image: MetadataImage): number[] {
  return [...image.brokers.values()]
    .filter((b) => !b.fenced)
    .map((b) => b.id)
    .sort((a, b) => a - b);
}

/** Round-robin replica placement over the unfenced brokers (Kafka's StripedReplicaPlacer, without racks). */
function placeReplicas(brokers: readonly number[], firstPartition: number, count: number, replicationFactor: number): number[][] {
  const out: number[][] = [];
  for (let p = firstPartition; p < firstPartition + count; p++) {
    const replicas: number[] = [];
    for (let r = 0; r < replicationFactor; r++) replicas.push(brokers[(p + r) % brokers.length]!);
    out.push(replicas);
  }
  return out;
}

function assignmentError(image: MetadataImage, replicas: readonly number[], partition: number): string | null {
  if (replicas.length === 0) return `The manual partition assignment includes an empty replica list for partition ${partition}.`;
  if (new Set(replicas).size !== replicas.length) return `The manual partition assignment includes the broker ${replicas.join(',')} more than once for partition ${partition}.`;
  for (const id of replicas) if (!image.brokers.has(id)) return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
  return null;
}

/** Appends one PartitionRecord per assignment to `records` (a loop: a spread of thousands of records would overflow the stack). */
function pushPartitionRecords(records: MetadataRecord[], topicId: string, assignments: readonly (readonly number[])[], firstPartition: number): void {
  assignments.forEach((replicas, i) => {
    records.push({
      type: 'PartitionRecord',
      data: { ...defaultPartitionRecord(), partitionId: firstPartition + i, topicId, replicas: [...replicas], isr: [...replicas], leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0 },
    });
  });
}

/** Validates topics to create and returns the records creating the valid ones. */
export function createTopicRecords(
  image: MetadataImage,
  topics: readonly CreatableTopic[],
  defaults: TopicDefaults,
  limits: PartitionLimits,
): { records: MetadataRecord[]; results: CreateTopicResult[] } {
  const records: MetadataRecord[] = [];
  const results: CreateTopicResult[] = [];
  // Kafka (ReplicationControlManager.validateTotalNumberOfPartitions) refuses the whole request
  // with POLICY_VIOLATION when its topics ask for too many partitions together.
  let requested = 0;
  for (const t of topics) requested += requestedPartitions(t, defaults);
  if (requested > limits.perRequest) {
    const message = perRequestError(requested, limits.perRequest);
    for (const t of topics) {
      results.push({ name: t.name, topicId: ZERO_UUID, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: message, numPartitions: -1, replicationFactor: -1, configs: new Map() });
    }
    return { records, results };
  }
  let existing = partitionCount(image);
  const brokers = unfenced(image);
  // Names created earlier in this same batch collide too.
  const taken = new Map<string, string>();
  for (const name of image.topics.keys()) taken.set(name.replace(/\./g, '_'), name);

  for (const t of topics) {
    const fail = (errorCode: number, errorMessage: string): void => {
      results.push({ name: t.name, topicId: ZERO_UUID, errorCode, errorMessage, numPartitions: -1, replicationFactor: -1, configs: new Map() });
    };
    const nameError = topicNameError(t.name);
    if (nameError !== null) {
      fail(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
      continue;
    }
    if (image.topics.has(t.name)) {
      fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      continue;
    }
    const collides = taken.get(t.name.replace(/\./g, '_'));
    if (collides !== undefined) {
      fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${t.name}' collides with existing topic: ${collides}`);
      continue;
    }
    let assignments: number[][];
    if (t.assignments.length > 0) {
      if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
        fail(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions or replicationFactor was not set to -1.');
        continue;
      }
      const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      let err: string | null = null;
      sorted.forEach((a, i) => {
        if (err === null && a.partitionIndex !== i) err = `Partitions should be 0-based consecutive integers; partition ${a.partitionIndex} is out of place.`;
        err ??= assignmentError(image, a.brokerIds, a.partitionIndex);
        if (err === null && a.brokerIds.length !== sorted[0]!.brokerIds.length) err = `The manual partition assignment includes a partition with ${a.brokerIds.length} replica(s), but this is not consistent with previous partitions, which have ${sorted[0]!.brokerIds.length} replica(s).`;
      });
      if (err !== null) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, err);
        continue;
      }
      assignments = sorted.map((a) => [...a.brokerIds]);
    } else {
      const numPartitions = t.numPartitions === -1 ? defaults.numPartitions : t.numPartitions;
      const replicationFactor = t.replicationFactor === -1 ? defaults.replicationFactor : t.replicationFactor;
      if (numPartitions <= 0) {
        fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions was set to an invalid non-positive value.`);
        continue;
      }
      if (replicationFactor <= 0) {
        fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be larger than 0, or -1 to use the default value.`);
        continue;
      }
      if (replicationFactor > brokers.length) {
        fail(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`,
        );
        continue;
      }
      assignments = placeReplicas(brokers, 0, numPartitions, replicationFactor);
    }
    if (existing + assignments.length > limits.total) {
      fail(ErrorCode.POLICY_VIOLATION, totalLimitError(t.name, assignments.length, existing, limits.total));
      continue;
    }
    const configs = new Map<string, string>();
    let configError: string | null = null;
    for (const c of t.configs) {
      if (c.value === null) {
        configError = `Null value not supported for topic configs: ${c.name}`;
        break;
      }
      configError = topicConfigError(c.name, c.value);
      if (configError !== null) break;
      configs.set(c.name, c.value);
    }
    if (configError !== null) {
      fail(ErrorCode.INVALID_CONFIG, configError);
      continue;
    }
    const topicId = randomTopicId();
    records.push({ type: 'TopicRecord', data: { name: t.name, topicId } });
    for (const [name, value] of configs) records.push({ type: 'ConfigRecord', data: { resourceType: TOPIC_RESOURCE, resourceName: t.name, name, value } });
    pushPartitionRecords(records, topicId, assignments, 0);
    existing += assignments.length;
    taken.set(t.name.replace(/\./g, '_'), t.name);
    results.push({ name: t.name, topicId, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: assignments.length, replicationFactor: assignments[0]!.length, configs });
  }
  return { records, results };
}

function lookup(image: MetadataImage, ref: TopicRef): TopicImage | undefined {
  if (ref.name !== null && ref.name !== '') return image.topics.get(ref.name);
  return image.topicsById.get(ref.topicId);
}

export function deleteTopicRecords(image: MetadataImage, refs: readonly TopicRef[], deletionEnabled: boolean): { records: MetadataRecord[]; results: DeleteTopicResult[] } {
  const records: MetadataRecord[] = [];
  const results: DeleteTopicResult[] = [];
  const removed = new Set<string>();
  for (const ref of refs) {
    const byName = ref.name !== null && ref.name !== '';
    if (!deletionEnabled) {
      results.push({ ...ref, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: 'Topic deletion is disabled.' });
      continue;
    }
    const t = lookup(image, ref);
    if (t === undefined || removed.has(t.id)) {
      results.push({
        ...ref,
        errorCode: byName ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID,
        errorMessage: byName ? 'This server does not host this topic-partition.' : 'This server does not host this topic ID.',
      });
      continue;
    }
    removed.add(t.id);
    records.push({ type: 'RemoveTopicRecord', data: { topicId: t.id } });
    results.push({ name: t.name, topicId: t.id, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  return { records, results };
}

export function createPartitionRecords(image: MetadataImage, items: readonly NewPartitions[], limits: PartitionLimits): { records: MetadataRecord[]; results: CreatePartitionsResult[] } {
  const records: MetadataRecord[] = [];
  const results: CreatePartitionsResult[] = [];
  // As for CreateTopics: the partitions the whole request would add are bounded first.
  let requested = 0;
  for (const item of items) {
    const t = image.topics.get(item.name);
    if (t !== undefined && item.count > t.partitions.length) requested += item.count - t.partitions.length;
  }
  if (requested > limits.perRequest) {
    const message = perRequestError(requested, limits.perRequest);
    for (const item of items) results.push({ name: item.name, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: message });
    return { records, results };
  }
  let existing = partitionCount(image);
  const brokers = unfenced(image);
  for (const item of items) {
    const fail = (errorCode: number, errorMessage: string): void => {
      results.push({ name: item.name, errorCode, errorMessage });
    };
    const t = image.topics.get(item.name);
    if (t === undefined) {
      fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      continue;
    }
    const current = t.partitions.length;
    if (item.count < current) {
      fail(ErrorCode.INVALID_PARTITIONS, `The topic ${item.name} currently has ${current} partition(s); ${item.count} would not be an increase.`);
      continue;
    }
    if (item.count === current) {
      fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
      continue;
    }
    const added = item.count - current;
    if (existing + added > limits.total) {
      fail(ErrorCode.POLICY_VIOLATION, totalLimitError(item.name, added, existing, limits.total));
      continue;
    }
    const replicationFactor = t.partitions[0]?.replicas.length ?? 1;
    let assignments: number[][];
    if (item.assignments !== null) {
      if (item.assignments.length !== added) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${added} additional partition(s), but only ${item.assignments.length} assignment(s) were specified.`);
        continue;
      }
      let err: string | null = null;
      item.assignments.forEach((a, i) => {
        err ??= assignmentError(image, a, current + i);
        if (err === null && a.length !== replicationFactor) err = `The manual partition assignment includes a partition with ${a.length} replica(s), but this is not consistent with previous partitions, which have ${replicationFactor} replica(s).`;
      });
      if (err !== null) {
        fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, err);
        continue;
      }
      assignments = item.assignments.map((a) => [...a]);
    } else {
      if (replicationFactor > brokers.length) {
        fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replicationFactor} time(s): only ${brokers.length} broker(s) are registered.`);
        continue;
      }
      assignments = placeReplicas(brokers, current, added, replicationFactor);
    }
    pushPartitionRecords(records, t.id, assignments, current);
    existing += added;
    results.push({ name: item.name, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  return { records, results };
}
