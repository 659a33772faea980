/**
 * Admin API semantics over raw requests, checked against Apache Kafka 3.9's behaviour:
 * CreateTopics validation and responses, DeleteTopics by name and id, CreatePartitions,
 * IncrementalAlterConfigs / AlterConfigs, DescribeConfigs (synonyms, documentation, broker
 * resources), DescribeCluster, DescribeLogDirs, DescribeTopicPartitions paging and ApiVersions.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import t from 'tap';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  alterConfigsApi,
  apiByKey,
  apiVersionsApi,
  createPartitionsApi,
  createTopicsApi,
  defaultAlterConfigsRequest,
  defaultApiVersionsRequest,
  defaultCreatePartitionsRequest,
  defaultCreateTopicsRequest,
  defaultCreateTopicsRequestCreatableTopic,
  defaultDeleteTopicsRequest,
  defaultDescribeClusterRequest,
  defaultDescribeConfigsRequest,
  defaultDescribeLogDirsRequest,
  defaultDescribeQuorumRequest,
  defaultDescribeTopicPartitionsRequest,
  defaultIncrementalAlterConfigsRequest,
  defaultListOffsetsRequest,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultMetadataRequest,
  defaultProduceRequest,
  deleteTopicsApi,
  describeClusterApi,
  describeConfigsApi,
  describeLogDirsApi,
  describeQuorumApi,
  describeTopicPartitionsApi,
  incrementalAlterConfigsApi,
  listOffsetsApi,
  metadataApi,
  produceApi,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponse,
  type DescribeConfigsResponseDescribeConfigsResult,
  type MetadataResponseTopic,
} from '../../protocol/messages/index.js';
import { buildBatch, type RecordInput } from '../../protocol/records/index.js';
import { ZERO_UUID } from '../../protocol/uuid.js';

const TOPIC = 2; // ConfigResource.Type.TOPIC
const BROKER = 4; // ConfigResource.Type.BROKER
const DYNAMIC_TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;
const OP_SET = 0;
const OP_DELETE = 1;
const OP_APPEND = 2;
const OP_SUBTRACT = 3;
const TYPE_INT = 3;
const TYPE_LONG = 5;
const TYPE_LIST = 7;

const samsa = await SamsaProcess.start();
t.teardown(() => samsa.close());
const conn = await RawConnection.open(samsa.host, samsa.port);
t.teardown(() => conn.close());

function topicSpec(name: string, extra: Partial<CreateTopicsRequestCreatableTopic> = {}): CreateTopicsRequestCreatableTopic {
  return { ...defaultCreateTopicsRequestCreatableTopic(), name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [], ...extra };
}

async function createTopics(topics: CreateTopicsRequestCreatableTopic[], opts: { version?: number; validateOnly?: boolean } = {}): Promise<CreateTopicsResponse> {
  return conn.request(createTopicsApi, opts.version ?? 7, { ...defaultCreateTopicsRequest(), topics, timeoutMs: 5000, validateOnly: opts.validateOnly ?? false });
}

async function createTopic(name: string, partitions = 1, configs: Array<{ name: string; value: string }> = []): Promise<string> {
  const res = await createTopics([topicSpec(name, { numPartitions: partitions, configs })]);
  const r = res.topics[0]!;
  if (r.errorCode !== 0) throw new Error(`create ${name}: ${r.errorCode} ${r.errorMessage}`);
  return r.topicId;
}

async function metadataFor(name: string): Promise<MetadataResponseTopic> {
  const res = await conn.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name }], allowAutoTopicCreation: false });
  return res.topics[0]!;
}

async function allTopicNames(): Promise<string[]> {
  const res = await conn.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: null, allowAutoTopicCreation: false });
  return res.topics.map((x) => x.name ?? '');
}

function records(n: number, start = 0): RecordInput[] {
  const ts = Date.now();
  return Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${start + i}`), value: Buffer.from(`v${start + i}`), timestamp: ts + i }));
}

async function produce(topic: string, n: number, partition = 0) {
  const res = await conn.request(produceApi, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: buildBatch({ baseOffset: 0, records: records(n) }) }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

async function latestOffset(topic: string): Promise<[number, number]> {
  const res = await conn.request(listOffsetsApi, 8, {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    topics: [{ name: topic, partitions: [{ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp: -1n }] }],
  });
  const p = res.topics[0]!.partitions[0]!;
  return [p.errorCode, Number(p.offset)];
}

async function describe(
  resourceType: number,
  resourceName: string,
  opts: { keys?: string[] | null; version?: number; synonyms?: boolean; docs?: boolean } = {},
): Promise<DescribeConfigsResponseDescribeConfigsResult> {
  const version = opts.version ?? 4;
  const res = await conn.request(describeConfigsApi, version, {
    ...defaultDescribeConfigsRequest(),
    resources: [{ resourceType, resourceName, configurationKeys: opts.keys ?? null }],
    includeSynonyms: opts.synonyms ?? false,
    includeDocumentation: opts.docs ?? false,
  });
  return res.results[0]!;
}

async function topicConfig(topic: string, key: string): Promise<{ value: string | null; source: number } | undefined> {
  const r = await describe(TOPIC, topic);
  const c = r.configs.find((x) => x.name === key);
  return c === undefined ? undefined : { value: c.value, source: c.configSource };
}

async function incrementalAlter(topic: string, configs: Array<[string, number, string | null]>, validateOnly = false): Promise<number> {
  const res = await conn.request(incrementalAlterConfigsApi, 1, {
    ...defaultIncrementalAlterConfigsRequest(),
    resources: [{ resourceType: TOPIC, resourceName: topic, configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })) }],
    validateOnly,
  });
  return res.responses[0]!.errorCode;
}

t.test('CreateTopics: validation, errors and returned configs', async (t) => {
  const validated = await createTopics([topicSpec('ct-validate', { numPartitions: 3, configs: [{ name: 'retention.ms', value: '3600000' }] })], { validateOnly: true });
  const v = validated.topics[0]!;
  t.equal(v.errorCode, ErrorCode.NONE, 'validate_only succeeds');
  t.equal(v.numPartitions, 3, 'validate_only reports numPartitions');
  t.equal(v.replicationFactor, 1, 'validate_only reports replicationFactor');
  t.ok(v.configs !== null && v.configs.length > 0, 'validate_only lists configs');
  t.equal(v.configs?.find((c) => c.name === 'retention.ms')?.value, '3600000', 'validate_only shows the requested config');
  t.equal((await metadataFor('ct-validate')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'validate_only does not create the topic');

  const rf3 = await createTopics([topicSpec('ct-rf3', { replicationFactor: 3 })]);
  t.equal(rf3.topics[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR, 'replication factor 3 on one broker');

  const zero = await createTopics([topicSpec('ct-zero', { numPartitions: 0 })]);
  t.equal(zero.topics[0]!.errorCode, ErrorCode.INVALID_PARTITIONS, 'numPartitions 0');

  const broker7 = await createTopics([topicSpec('ct-b7', { numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [7] }] })]);
  t.equal(broker7.topics[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'assignment naming an unknown broker');

  const mixed = await createTopics([topicSpec('ct-mixed', { numPartitions: 2, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] })]);
  t.equal(mixed.topics[0]!.errorCode, ErrorCode.INVALID_REQUEST, 'assignment with numPartitions set');

  const dup = await createTopics([topicSpec('ct-dup'), topicSpec('ct-dup')]);
  const dupResults = dup.topics.filter((x) => x.name === 'ct-dup');
  t.ok(dupResults.length >= 1, 'the duplicated name is answered');
  t.ok(
    dupResults.every((x) => x.errorCode === ErrorCode.INVALID_REQUEST),
    `every answer for a duplicated name is INVALID_REQUEST (got ${dupResults.map((x) => x.errorCode).join(',')})`,
  );
  t.equal((await metadataFor('ct-dup')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'a duplicated topic is not created');

  const unknownCfg = await createTopics([topicSpec('ct-badcfg', { configs: [{ name: 'no.such.config', value: '1' }] })]);
  t.equal(unknownCfg.topics[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'unknown config name');
  const badValue = await createTopics([topicSpec('ct-badval', { configs: [{ name: 'retention.ms', value: 'abc' }] })]);
  t.equal(badValue.topics[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'retention.ms=abc');
  t.equal((await metadataFor('ct-badval')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'a topic with a bad config is not created');

  const created = await createTopics([topicSpec('ct-real', { configs: [{ name: 'retention.ms', value: '123456' }] })]);
  const c = created.topics[0]!;
  t.equal(c.errorCode, ErrorCode.NONE, 'a valid topic is created');
  t.not(c.topicId, ZERO_UUID, 'v7 returns the topic id');
  t.equal(c.numPartitions, 1);
  t.equal(c.replicationFactor, 1);
  const retention = c.configs?.find((x) => x.name === 'retention.ms');
  t.equal(retention?.value, '123456', 'retention.ms set at creation is listed');
  t.equal(retention?.configSource, DYNAMIC_TOPIC_CONFIG, 'with source DYNAMIC_TOPIC_CONFIG');
  const cleanup = c.configs?.find((x) => x.name === 'cleanup.policy');
  t.equal(cleanup?.value, 'delete', 'cleanup.policy default is listed');
  t.equal(cleanup?.configSource, DEFAULT_CONFIG, 'with source DEFAULT_CONFIG');

  const again = await createTopics([topicSpec('ct-real')]);
  t.equal(again.topics[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, 'an existing topic');

  const manual = await createTopics([
    topicSpec('ct-manual', {
      numPartitions: -1,
      replicationFactor: -1,
      assignments: [
        { partitionIndex: 0, brokerIds: [1] },
        { partitionIndex: 1, brokerIds: [1] },
      ],
    }),
  ]);
  t.equal(manual.topics[0]!.errorCode, ErrorCode.NONE, 'a valid manual assignment');
  t.equal(manual.topics[0]!.numPartitions, 2, 'the response counts the assigned partitions');
  const manualMeta = await metadataFor('ct-manual');
  t.equal(manualMeta.errorCode, ErrorCode.NONE);
  t.same(
    manualMeta.partitions.map((p) => [p.partitionIndex, p.replicaNodes]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    [
      [0, [1]],
      [1, [1]],
    ],
    'two partitions on broker 1',
  );

  const old = await createTopics([topicSpec('ct-v2', { numPartitions: 2 })], { version: 2 });
  t.equal(old.topics[0]!.errorCode, ErrorCode.NONE, 'CreateTopics v2 works');
  const oldMeta = await metadataFor('ct-v2');
  t.equal(oldMeta.errorCode, ErrorCode.NONE);
  t.equal(oldMeta.partitions.length, 2, 'v2 created the requested partitions');
});

t.test('DeleteTopics: by id, by name, unknowns, recreation', async (t) => {
  const id = await createTopic('dt-id');
  const byId = await conn.request(deleteTopicsApi, 6, { ...defaultDeleteTopicsRequest(), topics: [{ name: null, topicId: id }], topicNames: [], timeoutMs: 5000 });
  const r = byId.responses[0]!;
  t.equal(r.errorCode, ErrorCode.NONE, 'v6 deletes by topic id');
  t.equal(r.topicId, id, 'the answer carries the id');
  t.equal(r.name, 'dt-id', 'and the resolved name');
  t.notOk((await allTopicNames()).includes('dt-id'), 'Metadata no longer lists it');
  t.equal((await metadataFor('dt-id')).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

  const unknownId = randomBytes(16).toString('base64url');
  const badId = await conn.request(deleteTopicsApi, 6, { ...defaultDeleteTopicsRequest(), topics: [{ name: null, topicId: unknownId }], topicNames: [], timeoutMs: 5000 });
  t.equal(badId.responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'an unknown topic id');

  const firstId = await createTopic('dt-name');
  t.equal((await produce('dt-name', 3)).errorCode, ErrorCode.NONE);
  t.same(await latestOffset('dt-name'), [ErrorCode.NONE, 3], 'the old topic has records');
  const byName = await conn.request(deleteTopicsApi, 4, { ...defaultDeleteTopicsRequest(), topicNames: ['dt-name'], timeoutMs: 5000 });
  t.equal(byName.responses[0]!.name, 'dt-name');
  t.equal(byName.responses[0]!.errorCode, ErrorCode.NONE, 'v4 deletes by name');
  t.notOk((await allTopicNames()).includes('dt-name'), 'Metadata no longer lists it');

  const unknownName = await conn.request(deleteTopicsApi, 4, { ...defaultDeleteTopicsRequest(), topicNames: ['dt-never'], timeoutMs: 5000 });
  t.equal(unknownName.responses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'an unknown name');

  const secondId = await createTopic('dt-name');
  t.not(secondId, firstId, 'recreating the name gives a new topic id');
  t.same(await latestOffset('dt-name'), [ErrorCode.NONE, 0], 'and an empty log');
});

t.test('CreatePartitions: grow, refuse shrinking, validate_only, assignments', async (t) => {
  await createTopic('cp');
  const grow = async (name: string, count: number, opts: { validateOnly?: boolean; assignments?: Array<{ brokerIds: number[] }> | null } = {}) => {
    const res = await conn.request(createPartitionsApi, 3, {
      ...defaultCreatePartitionsRequest(),
      topics: [{ name, count, assignments: opts.assignments ?? null }],
      timeoutMs: 5000,
      validateOnly: opts.validateOnly ?? false,
    });
    return res.results[0]!;
  };
  const r = await grow('cp', 3);
  t.equal(r.name, 'cp');
  t.equal(r.errorCode, ErrorCode.NONE, 'grow 1 -> 3');
  t.equal((await metadataFor('cp')).partitions.length, 3, 'Metadata shows 3 partitions');

  t.equal((await grow('cp', 2)).errorCode, ErrorCode.INVALID_PARTITIONS, 'a smaller count');
  t.equal((await grow('cp', 3)).errorCode, ErrorCode.INVALID_PARTITIONS, 'the same count');
  t.equal((await grow('cp-never', 3)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'an unknown topic');

  t.equal((await grow('cp', 5, { validateOnly: true })).errorCode, ErrorCode.NONE, 'validate_only succeeds');
  t.equal((await metadataFor('cp')).partitions.length, 3, 'validate_only leaves the topic unchanged');

  t.equal((await grow('cp', 5, { assignments: [{ brokerIds: [1] }] })).errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'one assignment for two new partitions');
  t.equal((await metadataFor('cp')).partitions.length, 3, 'a refused request changes nothing');

  const p2 = await produce('cp', 2, 2);
  t.equal(p2.errorCode, ErrorCode.NONE, 'produce to the new partition 2 works');
  t.equal(p2.baseOffset, 0n);
});

t.test('IncrementalAlterConfigs and AlterConfigs on a topic', async (t) => {
  await createTopic('iac');
  t.equal(await incrementalAlter('iac', [['retention.ms', OP_SET, '86400000']]), ErrorCode.NONE, 'SET retention.ms');
  t.same(await topicConfig('iac', 'retention.ms'), { value: '86400000', source: DYNAMIC_TOPIC_CONFIG });

  t.equal(await incrementalAlter('iac', [['cleanup.policy', OP_APPEND, 'compact']]), ErrorCode.NONE, 'APPEND cleanup.policy');
  t.same(await topicConfig('iac', 'cleanup.policy'), { value: 'delete,compact', source: DYNAMIC_TOPIC_CONFIG }, 'appended to the default');

  t.equal(await incrementalAlter('iac', [['cleanup.policy', OP_SUBTRACT, 'delete']]), ErrorCode.NONE, 'SUBTRACT delete');
  t.same(await topicConfig('iac', 'cleanup.policy'), { value: 'compact', source: DYNAMIC_TOPIC_CONFIG });

  t.equal(await incrementalAlter('iac', [['retention.ms', OP_DELETE, null]]), ErrorCode.NONE, 'DELETE retention.ms');
  t.same(await topicConfig('iac', 'retention.ms'), { value: '604800000', source: DEFAULT_CONFIG }, 'back to the default');

  t.equal(await incrementalAlter('iac', [['retention.ms', OP_APPEND, '5']]), ErrorCode.INVALID_CONFIG, 'APPEND on a non-list config');
  t.equal(await incrementalAlter('iac', [['retention.ms', OP_SET, 'abc']]), ErrorCode.INVALID_CONFIG, 'an invalid value');
  t.equal(await incrementalAlter('iac-never', [['retention.ms', OP_SET, '1000']]), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'an unknown topic');
  t.same(await topicConfig('iac', 'retention.ms'), { value: '604800000', source: DEFAULT_CONFIG }, 'refused changes left nothing');

  t.equal(await incrementalAlter('iac', [['retention.ms', OP_SET, '1000']], true), ErrorCode.NONE, 'validate_only succeeds');
  t.same(await topicConfig('iac', 'retention.ms'), { value: '604800000', source: DEFAULT_CONFIG }, 'validate_only changes nothing');

  t.equal(await incrementalAlter('iac', [['retention.ms', OP_SET, '5000']]), ErrorCode.NONE);
  const legacy = await conn.request(alterConfigsApi, 2, {
    ...defaultAlterConfigsRequest(),
    resources: [{ resourceType: TOPIC, resourceName: 'iac', configs: [{ name: 'max.message.bytes', value: '2000' }] }],
    validateOnly: false,
  });
  t.equal(legacy.responses[0]!.errorCode, ErrorCode.NONE, 'AlterConfigs v2');
  t.same(await topicConfig('iac', 'max.message.bytes'), { value: '2000', source: DYNAMIC_TOPIC_CONFIG }, 'the named config is set');
  t.same(await topicConfig('iac', 'retention.ms'), { value: '604800000', source: DEFAULT_CONFIG }, 'retention.ms, not named, reverts to default');
  t.same(await topicConfig('iac', 'cleanup.policy'), { value: 'delete', source: DEFAULT_CONFIG }, 'cleanup.policy, not named, reverts to default');
});

t.test('DescribeConfigs: synonyms, documentation, filters, brokers, v0', async (t) => {
  await createTopic('dc', 1, [
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'retention.ms', value: '3600000' },
  ]);
  const all = await describe(TOPIC, 'dc', { synonyms: true, docs: true });
  t.equal(all.errorCode, ErrorCode.NONE);
  t.equal(all.resourceName, 'dc');
  t.equal(all.resourceType, TOPIC);

  const cleanup = all.configs.find((c) => c.name === 'cleanup.policy');
  t.equal(cleanup?.value, 'compact');
  t.equal(cleanup?.configSource, DYNAMIC_TOPIC_CONFIG);
  t.equal(cleanup?.configType, TYPE_LIST, 'cleanup.policy is a LIST');
  t.ok(typeof cleanup?.documentation === 'string' && cleanup.documentation.length > 0, 'documentation is included');
  const format = all.configs.find((c) => c.name === 'message.format.version');
  t.match(format?.documentation ?? '', /Deprecated.*ignored/, 'a deprecated config says it has no effect');
  t.same(
    cleanup?.synonyms.map((s) => [s.name, s.value, s.source]),
    [
      ['cleanup.policy', 'compact', DYNAMIC_TOPIC_CONFIG],
      ['log.cleanup.policy', 'delete', DEFAULT_CONFIG],
    ],
    'synonyms: the topic override first, then the broker default',
  );

  const retention = all.configs.find((c) => c.name === 'retention.ms');
  t.equal(retention?.value, '3600000');
  t.equal(retention?.configType, TYPE_LONG, 'retention.ms is a LONG');
  t.same(retention?.synonyms[0] && [retention.synonyms[0].name, retention.synonyms[0].value, retention.synonyms[0].source], ['retention.ms', '3600000', DYNAMIC_TOPIC_CONFIG], 'the override first');
  t.same(
    retention?.synonyms.slice(1).map((s) => [s.name, s.value, s.source]),
    [['log.retention.hours', '168', DEFAULT_CONFIG]],
    'then the broker default (log.retention.hours, the only broker synonym with a default)',
  );

  const segment = all.configs.find((c) => c.name === 'segment.bytes');
  t.equal(segment?.configSource, DEFAULT_CONFIG, 'a config without override is DEFAULT_CONFIG');
  t.equal(segment?.configType, TYPE_INT, 'segment.bytes is an INT');
  t.same(segment?.synonyms.map((s) => [s.name, s.source]), [['log.segment.bytes', DEFAULT_CONFIG]], 'only the broker default as synonym');

  const filtered = await describe(TOPIC, 'dc', { keys: ['retention.ms'] });
  t.equal(filtered.errorCode, ErrorCode.NONE);
  t.same(
    filtered.configs.map((c) => [c.name, c.value]),
    [['retention.ms', '3600000']],
    'configurationKeys filters',
  );
  const noSyn = filtered.configs[0];
  t.same(noSyn?.synonyms, [], 'no synonyms unless asked');

  const broker = await describe(BROKER, '1');
  t.equal(broker.errorCode, ErrorCode.NONE, 'broker resource "1"');
  t.ok(broker.configs.length > 10, `broker configs are listed (${broker.configs.length})`);
  const nodeId = broker.configs.find((c) => c.name === 'node.id');
  t.equal(nodeId?.value, '1', 'node.id');
  t.equal(nodeId?.readOnly, true, 'node.id is read-only');
  t.ok(
    broker.configs.some((c) => !c.readOnly),
    'dynamically updatable broker configs are not read-only',
  );

  const otherBroker = await describe(BROKER, '7');
  t.not(otherBroker.errorCode, ErrorCode.NONE, 'an unknown broker id is an error');
  t.equal(otherBroker.errorCode, ErrorCode.INVALID_REQUEST, 'Kafka answers INVALID_REQUEST (unexpected broker id)');

  const unknown = await describe(TOPIC, 'dc-never');
  t.equal(unknown.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'an unknown topic');

  const v0 = await describe(TOPIC, 'dc', { version: 0 });
  t.equal(v0.errorCode, ErrorCode.NONE);
  t.equal(v0.configs.find((c) => c.name === 'cleanup.policy')?.isDefault, false, 'v0: an override is not default');
  t.equal(v0.configs.find((c) => c.name === 'segment.bytes')?.isDefault, true, 'v0: an untouched config is default');
});

t.test('DescribeCluster, DescribeLogDirs, DescribeTopicPartitions', async (t) => {
  const cluster = await conn.request(describeClusterApi, 1, { ...defaultDescribeClusterRequest(), includeClusterAuthorizedOperations: false, endpointType: 1 });
  t.equal(cluster.errorCode, ErrorCode.NONE);
  t.ok(cluster.clusterId.length > 0, 'a cluster id');
  t.equal(cluster.controllerId, 1, 'controllerId 1');
  t.equal(cluster.endpointType, 1, 'broker endpoints');
  t.equal(cluster.brokers.length, 1, 'one broker');
  t.equal(cluster.brokers[0]?.brokerId, 1);
  t.equal(cluster.brokers[0]?.port, samsa.port, 'with the listening port');

  await createTopic('ld');
  t.equal((await produce('ld', 5)).errorCode, ErrorCode.NONE);
  const dirs = await conn.request(describeLogDirsApi, 4, { ...defaultDescribeLogDirsRequest(), topics: null });
  t.equal(dirs.errorCode, ErrorCode.NONE);
  const dir = dirs.results.find((d) => d.logDir === resolve(samsa.dataDir));
  t.ok(dir, `the data dir is listed (got ${dirs.results.map((d) => d.logDir).join(', ')})`);
  t.equal(dir?.errorCode, ErrorCode.NONE);
  const ld = dir?.topics.find((x) => x.name === 'ld')?.partitions.find((p) => p.partitionIndex === 0);
  t.ok(ld !== undefined && ld.partitionSize > 0n, 'a partition with records has a size');
  t.ok(dir !== undefined && dir.totalBytes > 0n, 'v4 reports total bytes');

  await createTopic('dtp', 5);
  const seen: number[] = [];
  const page = async (cursor: { topicName: string; partitionIndex: number } | null) =>
    conn.request(describeTopicPartitionsApi, 0, { ...defaultDescribeTopicPartitionsRequest(), topics: [{ name: 'dtp' }], responsePartitionLimit: 2, cursor });
  const first = await page(null);
  t.equal(first.topics[0]?.errorCode, ErrorCode.NONE);
  t.same(first.topics[0]?.partitions.map((p) => p.partitionIndex), [0, 1], 'the first page holds the limit');
  for (const p of first.topics[0]?.partitions ?? []) {
    // Kafka always sends the ELR arrays; the Java admin client throws on null.
    t.same(p.eligibleLeaderReplicas, [], 'eligible leader replicas is an empty array, not null');
    t.same(p.lastKnownElr, [], 'last known ELR is an empty array, not null');
  }
  t.same(first.nextCursor && [first.nextCursor.topicName, first.nextCursor.partitionIndex], ['dtp', 2], 'nextCursor points at partition 2');
  seen.push(...(first.topics[0]?.partitions.map((p) => p.partitionIndex) ?? []));
  let cursor = first.nextCursor;
  let pages = 1;
  while (cursor !== null && pages < 10) {
    const next = await page({ topicName: cursor.topicName, partitionIndex: cursor.partitionIndex });
    for (const topic of next.topics) {
      t.equal(topic.name, 'dtp');
      t.ok(topic.partitions.length <= 2, 'each page within the limit');
      seen.push(...topic.partitions.map((p) => p.partitionIndex));
    }
    cursor = next.nextCursor;
    pages++;
  }
  t.equal(cursor, null, 'the last page has no cursor');
  t.equal(pages, 3, 'five partitions in pages of two');
  t.same(seen, [0, 1, 2, 3, 4], 'following the cursor returns the rest');
});

t.test('DescribeQuorum: this node leads a quorum of one (what kafka-metadata-quorum shows)', async (t) => {
  const ask = (version: number, topicName: string, partitionIndex: number) =>
    conn.request(describeQuorumApi, version, { ...defaultDescribeQuorumRequest(), topics: [{ topicName, partitions: [{ partitionIndex }] }] });
  const before = Date.now();
  const res = await ask(2, '__cluster_metadata', 0);
  t.equal(res.errorCode, ErrorCode.NONE);
  const p = res.topics[0]?.partitions[0];
  t.equal(res.topics[0]?.topicName, '__cluster_metadata');
  t.equal(p?.errorCode, ErrorCode.NONE);
  t.equal(p?.leaderId, 1, 'node 1 leads');
  t.ok(p !== undefined && p.leaderEpoch >= 0, 'a leader epoch');
  t.ok(p !== undefined && p.highWatermark > 0n, 'the metadata log has records: a positive high watermark');
  t.same(p?.currentVoters.map((v) => [v.replicaId, v.logEndOffset]), [[1, p?.highWatermark]], 'the one voter is the leader, caught up to the high watermark');
  t.ok(p !== undefined && p.currentVoters[0]!.lastCaughtUpTimestamp >= BigInt(before), 'the leader is caught up now');
  t.same(p?.observers, [], 'no observers');
  t.same(res.nodes.map((n) => [n.nodeId, n.listeners.map((l) => l.port)]), [[1, [samsa.port]]], 'v2 names the voter with its endpoint');

  // More metadata records move the high watermark.
  await createTopic('dq');
  const after = (await ask(0, '__cluster_metadata', 0)).topics[0]?.partitions[0];
  t.ok(after !== undefined && p !== undefined && after.highWatermark > p.highWatermark, 'creating a topic moves the high watermark');

  // Kafka answers only for its metadata partition (RaftUtil.hasValidTopicPartition).
  for (const [topic, partition] of [['other', 0], ['__cluster_metadata', 1]] as const) {
    const wrong = await ask(2, topic, partition);
    t.equal(wrong.topics[0]?.partitions[0]?.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${topic}-${partition}: UNKNOWN_TOPIC_OR_PARTITION`);
  }
});

t.test('ApiVersions v3 lists every handled API', async (t) => {
  const res = await conn.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'samsa-compat', clientSoftwareVersion: '1.0' });
  t.equal(res.errorCode, ErrorCode.NONE);
  const byKey = new Map(res.apiKeys.map((k) => [k.apiKey, k]));
  const expected = [0, 1, 2, 3, 10, 18, 19, 20, 21, 22, 23, 32, 33, 35, 37, 44, 55, 60, 75];
  for (const key of expected) t.ok(byKey.has(key), `API ${key} is advertised`);
  for (const k of res.apiKeys) {
    t.ok(k.minVersion >= 0 && k.minVersion <= k.maxVersion, `API ${k.apiKey}: ${k.minVersion}..${k.maxVersion}`);
    const spec = apiByKey[k.apiKey];
    t.ok(spec !== undefined && k.minVersion >= spec.minVersion && k.maxVersion <= spec.maxVersion, `API ${k.apiKey} within Kafka 3.9's range`);
  }
  t.equal(byKey.size, res.apiKeys.length, 'no API listed twice');
  t.ok((byKey.get(0)?.maxVersion ?? -1) >= 9, 'Produce max >= 9');
  t.ok((byKey.get(1)?.maxVersion ?? -1) >= 12, 'Fetch max >= 12');
  t.equal(byKey.get(3)?.maxVersion, 12, 'Metadata max 12');
  t.equal(byKey.get(18)?.maxVersion, 4, 'ApiVersions max 4 (Kafka 3.9)');
  t.ok((byKey.get(18)?.minVersion ?? 99) === 0, 'ApiVersions min 0');
});
