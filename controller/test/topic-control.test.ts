/**
 * Topic control: CreateTopics, DeleteTopics and CreatePartitions validated against an image, with
 * Kafka's error codes, and the records of what is valid. Replaying those records must give the
 * topics the results promise.
 */
import t from 'tap';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { MetadataImage } from '../image.js';
import type { MetadataRecord } from '../metadata-records.js';
import {
  createPartitionRecords,
  createTopicRecords,
  deleteTopicRecords,
  randomTopicId,
  topicNameError,
  type CreatableTopic,
  type PartitionLimits,
} from '../topic-control.js';
import { ZERO_UUID } from '../../protocol/uuid.js';
import { clusterOf, ID_A, ID_B, partition, registerBroker, replay, topic } from './records.js';

const DEFAULTS = { numPartitions: 3, replicationFactor: 1 };
const LIMITS: PartitionLimits = { perRequest: 10_000, total: 100_000 };

function creatable(name: string, over: Partial<CreatableTopic> = {}): CreatableTopic {
  return { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...over };
}

function types(records: readonly MetadataRecord[]): string[] {
  return records.map((r) => r.type);
}

/** The image with topics `a` (2 partitions on brokers 1,2) and `b_c` (1 partition) on 3 brokers. */
function withTopics(): MetadataImage {
  return replay([topic('a', ID_A), partition(ID_A, 0, [1, 2]), partition(ID_A, 1, [2, 3]), topic('b_c', ID_B), partition(ID_B, 0, [3, 1])], clusterOf(3)).image;
}

t.test('topic names are checked as Kafka does', async (t) => {
  t.equal(topicNameError('orders.v1_x-2'), null);
  t.equal(topicNameError('x'.repeat(249)), null, '249 characters are allowed');
  for (const bad of ['', '.', '..', 'x'.repeat(250), 'a b', 'a/b', 'ü', 'a:b']) t.not(topicNameError(bad), null, `'${bad.slice(0, 20)}' is refused`);
});

t.test('random topic ids are 22 base64url characters, never reserved', async (t) => {
  for (let i = 0; i < 200; i++) {
    const id = randomTopicId();
    t.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    t.not(id, ZERO_UUID);
  }
});

t.test('a valid topic: records and result, with the defaults and round-robin placement', async (t) => {
  const image = clusterOf(3);
  const { records, results } = createTopicRecords(image, [creatable('orders', { replicationFactor: 2, configs: [{ name: 'cleanup.policy', value: 'compact' }] })], DEFAULTS, LIMITS);
  t.equal(results.length, 1);
  const r = results[0]!;
  t.same([r.name, r.errorCode, r.errorMessage, r.numPartitions, r.replicationFactor], ['orders', ErrorCode.NONE, null, 3, 2]);
  t.not(r.topicId, ZERO_UUID);
  t.same([...r.configs], [['cleanup.policy', 'compact']]);
  t.same(types(records), ['TopicRecord', 'ConfigRecord', 'PartitionRecord', 'PartitionRecord', 'PartitionRecord']);

  const built = replay(records, image).image.topics.get('orders')!;
  t.equal(built.id, r.topicId);
  t.same(built.partitions.map((p) => [p.replicas, p.isr, p.leader]), [
    [[1, 2], [1, 2], 1],
    [[2, 3], [2, 3], 2],
    [[3, 1], [3, 1], 3],
  ]);
  t.same([...replay(records, image).image.configs.get('topic:orders')!], [['cleanup.policy', 'compact']]);
});

t.test('invalid names are refused with INVALID_TOPIC_EXCEPTION and write nothing', async (t) => {
  const { records, results } = createTopicRecords(clusterOf(1), ['', '..', 'bad name', 'x'.repeat(250)].map((n) => creatable(n)), DEFAULTS, LIMITS);
  t.same(records, []);
  for (const r of results) {
    t.equal(r.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    t.equal(r.topicId, ZERO_UUID);
    t.equal(r.numPartitions, -1);
    t.equal(r.replicationFactor, -1);
  }
});

t.test('an existing topic, a name colliding through . and _, and a name repeated in the request', async (t) => {
  const { records, results } = createTopicRecords(withTopics(), [creatable('a'), creatable('b.c'), creatable('x_y'), creatable('x_y'), creatable('x.y')], DEFAULTS, LIMITS);
  t.same(results.map((r) => r.errorCode), [ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.NONE, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_TOPIC_EXCEPTION]);
  t.match(results[1]!.errorMessage, /collides with existing topic: b_c/);
  t.match(results[3]!.errorMessage, /collides with existing topic: x_y/, 'the second of a repeated name collides with the first');
  t.match(results[4]!.errorMessage, /collides with existing topic: x_y/, 'as does a name created earlier in the request, through . and _');
  t.equal(records.filter((r) => r.type === 'TopicRecord').length, 1, 'only the first new topic is created');
});

t.test('replication factor: zero, negative, and more than the unfenced brokers', async (t) => {
  const image = replay([registerBroker(3, { fenced: true })], clusterOf(2)).image;
  const { records, results } = createTopicRecords(image, [creatable('zero', { replicationFactor: 0 }), creatable('neg', { replicationFactor: -2 }), creatable('three', { replicationFactor: 3 }), creatable('two', { replicationFactor: 2 })], DEFAULTS, LIMITS);
  t.same(results.map((r) => r.errorCode), [ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.NONE]);
  t.match(results[2]!.errorMessage, /only 2 broker\(s\) are registered/, 'the fenced broker does not count');
  const placed = replay(records, image).image.topics.get('two')!;
  t.ok(placed.partitions.every((p) => !p.replicas.includes(3)), 'no replica on the fenced broker');

  const defaulted = createTopicRecords(clusterOf(1), [creatable('d')], { numPartitions: 1, replicationFactor: 2 }, LIMITS);
  t.equal(defaulted.results[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR, '-1 takes the default, which is checked too');
});

t.test('partition counts: zero and negative are refused, -1 takes the default', async (t) => {
  const { results } = createTopicRecords(clusterOf(1), [creatable('zero', { numPartitions: 0 }), creatable('neg', { numPartitions: -3 }), creatable('dflt'), creatable('five', { numPartitions: 5 })], DEFAULTS, LIMITS);
  t.same(results.map((r) => r.errorCode), [ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_PARTITIONS, ErrorCode.NONE, ErrorCode.NONE]);
  t.same(results.slice(2).map((r) => r.numPartitions), [3, 5]);
});

t.test('partitions per request: over the limit refuses every topic with POLICY_VIOLATION', async (t) => {
  const limits = { perRequest: 10, total: 1000 };
  const over = createTopicRecords(clusterOf(1), [creatable('a', { numPartitions: 6 }), creatable('b')], { numPartitions: 5, replicationFactor: 1 }, limits);
  t.same(over.records, []);
  t.same(over.results.map((r) => r.errorCode), [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
  t.match(over.results[0]!.errorMessage, /11 requested, at most 10 allowed/, 'the default counts for -1');
  const at = createTopicRecords(clusterOf(1), [creatable('a', { numPartitions: 6 }), creatable('b', { numPartitions: 4 })], DEFAULTS, limits);
  t.same(at.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.NONE], 'exactly the limit is fine');
});

t.test('partitions in the cluster: the topic that would pass the total is refused, later ones may fit', async (t) => {
  const limits = { perRequest: 100, total: 10 };
  const image = withTopics(); // 3 partitions already
  const { records, results } = createTopicRecords(image, [creatable('a4', { numPartitions: 4 }), creatable('big', { numPartitions: 4 }), creatable('small', { numPartitions: 3 })], DEFAULTS, limits);
  t.same(results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.POLICY_VIOLATION, ErrorCode.NONE]);
  t.match(results[1]!.errorMessage, /bring the cluster to 11 partitions, over the limit of 10/);
  t.same([...replay(records, image).image.topics.keys()].sort(), ['a', 'a4', 'b_c', 'small']);
});

t.test('manual assignments', async (t) => {
  const image = clusterOf(3);
  const assign = (...lists: number[][]): CreatableTopic['assignments'] => lists.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds }));
  const cases: Array<[string, CreatableTopic, number]> = [
    ['with a partition count', creatable('x', { numPartitions: 2, assignments: assign([1]) }), ErrorCode.INVALID_REQUEST],
    ['with a replication factor', creatable('x', { replicationFactor: 1, assignments: assign([1]) }), ErrorCode.INVALID_REQUEST],
    ['not 0-based', creatable('x', { assignments: [{ partitionIndex: 1, brokerIds: [1] }] }), ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['an empty replica list', creatable('x', { assignments: assign([]) }), ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['a broker twice', creatable('x', { assignments: assign([1, 1]) }), ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['an unknown broker', creatable('x', { assignments: assign([1, 9]) }), ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['uneven replication', creatable('x', { assignments: assign([1, 2], [3]) }), ErrorCode.INVALID_REPLICA_ASSIGNMENT],
  ];
  for (const [what, topicReq, code] of cases) {
    const { records, results } = createTopicRecords(image, [topicReq], DEFAULTS, LIMITS);
    t.equal(results[0]!.errorCode, code, what);
    t.same(records, [], `${what}: nothing written`);
  }
  const ok = createTopicRecords(image, [creatable('x', { assignments: [{ partitionIndex: 1, brokerIds: [2, 1] }, { partitionIndex: 0, brokerIds: [3, 2] }] })], DEFAULTS, LIMITS);
  t.same([ok.results[0]!.errorCode, ok.results[0]!.numPartitions, ok.results[0]!.replicationFactor], [ErrorCode.NONE, 2, 2]);
  t.same(replay(ok.records, image).image.topics.get('x')!.partitions.map((p) => [p.replicas, p.leader]), [[[3, 2], 3], [[2, 1], 2]], 'sorted by partition; the first replica leads');
});

t.test('topic configs at creation: unknown names, bad values and nulls refuse the topic', async (t) => {
  const image = clusterOf(1);
  const { records, results } = createTopicRecords(image, [
    creatable('unknown', { configs: [{ name: 'no.such.config', value: '1' }] }),
    creatable('bad', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
    creatable('range', { configs: [{ name: 'min.insync.replicas', value: '0' }] }),
    creatable('null', { configs: [{ name: 'retention.ms', value: null }] }),
    creatable('good', { configs: [{ name: 'retention.ms', value: '-1' }] }),
  ], DEFAULTS, LIMITS);
  t.same(results.map((r) => r.errorCode), [ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.NONE]);
  t.match(results[0]!.errorMessage, /Unknown topic config name: no.such.config/);
  t.same(records.filter((r) => r.type === 'TopicRecord').map((r) => (r.data as { name: string }).name), ['good']);
});

t.test('delete by name and by id; unknown topics; the same topic twice', async (t) => {
  const image = withTopics();
  const { records, results } = deleteTopicRecords(image, [
    { name: 'a', topicId: ZERO_UUID },
    { name: null, topicId: ID_B },
    { name: 'missing', topicId: ZERO_UUID },
    { name: '', topicId: 'AAAAAAAAAAAAAAAAAAAAfw' },
    { name: 'a', topicId: ZERO_UUID },
  ], true);
  t.same(results, [
    { name: 'a', topicId: ID_A, errorCode: ErrorCode.NONE, errorMessage: null },
    { name: 'b_c', topicId: ID_B, errorCode: ErrorCode.NONE, errorMessage: null },
    { name: 'missing', topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' },
    { name: '', topicId: 'AAAAAAAAAAAAAAAAAAAAfw', errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' },
    { name: 'a', topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' },
  ]);
  t.same(records, [{ type: 'RemoveTopicRecord', data: { topicId: ID_A } }, { type: 'RemoveTopicRecord', data: { topicId: ID_B } }], 'one removal per topic');
  t.equal(replay(records, image).image.topics.size, 0);
});

t.test('delete with deletion disabled refuses every topic', async (t) => {
  const { records, results } = deleteTopicRecords(withTopics(), [{ name: 'a', topicId: ZERO_UUID }, { name: 'missing', topicId: ZERO_UUID }], false);
  t.same(records, []);
  t.same(results.map((r) => r.errorCode), [ErrorCode.TOPIC_DELETION_DISABLED, ErrorCode.TOPIC_DELETION_DISABLED]);
});

t.test('create partitions: added with the topic replication factor, placed round-robin', async (t) => {
  const image = withTopics();
  const { records, results } = createPartitionRecords(image, [{ name: 'a', count: 4, assignments: null }], LIMITS);
  t.same(results, [{ name: 'a', errorCode: ErrorCode.NONE, errorMessage: null }]);
  t.same(types(records), ['PartitionRecord', 'PartitionRecord']);
  const { image: next, builder } = replay(records, image);
  t.same(next.topics.get('a')!.partitions.map((p) => [p.partition, p.replicas]), [[0, [1, 2]], [1, [2, 3]], [2, [3, 1]], [3, [1, 2]]]);
  t.same(builder.changes().changedTopics, ['a']);
});

t.test('create partitions: shrinking, the same count and unknown topics are refused', async (t) => {
  const { records, results } = createPartitionRecords(withTopics(), [
    { name: 'a', count: 1, assignments: null },
    { name: 'a', count: 2, assignments: null },
    { name: 'missing', count: 3, assignments: null },
  ], LIMITS);
  t.same(records, []);
  t.same(results.map((r) => r.errorCode), [ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_PARTITIONS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  t.match(results[0]!.errorMessage, /currently has 2 partition\(s\); 1 would not be an increase/);
  t.match(results[1]!.errorMessage, /already has 2 partition/);
});

t.test('create partitions: manual assignments are checked', async (t) => {
  const image = withTopics();
  const cases: Array<[string, number[][], number]> = [
    ['too few assignments', [[1, 2]], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['an unknown broker', [[1, 2], [1, 9]], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['a broker twice', [[1, 1], [1, 2]], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['another replication factor', [[1, 2], [1, 2, 3]], ErrorCode.INVALID_REPLICA_ASSIGNMENT],
  ];
  for (const [what, assignments, code] of cases) {
    const { records, results } = createPartitionRecords(image, [{ name: 'a', count: 4, assignments }], LIMITS);
    t.equal(results[0]!.errorCode, code, what);
    t.same(records, [], `${what}: nothing written`);
  }
  const ok = createPartitionRecords(image, [{ name: 'a', count: 4, assignments: [[3, 2], [2, 1]] }], LIMITS);
  t.equal(ok.results[0]!.errorCode, ErrorCode.NONE);
  t.same(replay(ok.records, image).image.topics.get('a')!.partitions.slice(2).map((p) => [p.partition, p.replicas, p.leader]), [[2, [3, 2], 3], [3, [2, 1], 2]]);
});

t.test('create partitions: not enough unfenced brokers for the topic replication factor', async (t) => {
  const image = replay([registerBroker(2, { fenced: true }), registerBroker(3, { fenced: true })], withTopics()).image;
  const { records, results } = createPartitionRecords(image, [{ name: 'a', count: 3, assignments: null }], LIMITS);
  t.equal(results[0]!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
  t.same(records, []);
});

t.test('create partitions: the limits per request and in total', async (t) => {
  const image = withTopics(); // a: 2, b_c: 1
  const perRequest = createPartitionRecords(image, [{ name: 'a', count: 5, assignments: null }, { name: 'b_c', count: 3, assignments: null }], { perRequest: 4, total: 100 });
  t.same(perRequest.results.map((r) => r.errorCode), [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION], 'refused together: 3 + 2 > 4');
  t.same(perRequest.records, []);
  const total = createPartitionRecords(image, [{ name: 'a', count: 4, assignments: null }, { name: 'b_c', count: 3, assignments: null }, { name: 'b_c', count: 2, assignments: null }], { perRequest: 100, total: 6 });
  t.same(total.results.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.POLICY_VIOLATION, ErrorCode.NONE], 'the cluster total counts partitions added earlier in the request');
});
