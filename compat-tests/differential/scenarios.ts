/**
 * Scripted request sequences for the differential test: each runs against both brokers at once,
 * every compared step through `Differential.exchange`, preparation (waiting for leaders or a
 * coordinator, which Kafka sets up asynchronously) through `Differential.each`.
 */
import type { Differential, Side } from '../harness/differential.js';
import {
  createPartitionsApi,
  createTopicsApi,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultMetadataRequest,
  defaultOffsetCommitRequestPartition,
  deleteGroupsApi,
  deleteRecordsApi,
  deleteTopicsApi,
  describeConfigsApi,
  describeGroupsApi,
  describeTopicPartitionsApi,
  fetchApi,
  heartbeatApi,
  incrementalAlterConfigsApi,
  initProducerIdApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetDeleteApi,
  offsetFetchApi,
  produceApi,
  syncGroupApi,
  alterConfigsApi,
  type FetchResponse,
  type JoinGroupRequest,
  type ListOffsetsRequest,
  type OffsetCommitRequest,
} from '../../protocol/messages/index.js';
import { CompressionType } from '../../protocol/records/index.js';
import { RAW_GROUP, RAW_LEGACY_TOPIC, RAW_TOPIC } from './raw-samples.js';
import {
  batch,
  createTopic,
  createTopicRequest,
  fetchRequest,
  produceRequest,
  records,
  settleCoordinator,
  settleDeleted,
  settleProducerIds,
  settleTopic,
  T0,
} from './steps.js';
import { ZERO_UUID } from '../../protocol/uuid.js';

export type Scenario = (d: Differential) => Promise<void>;

/** The topic and group the raw sweep reads. */
export async function prepareRawSweep(d: Differential): Promise<void> {
  await createTopic(d, 'sweep: create topic', RAW_TOPIC, 2);
  await createTopic(d, 'sweep: create a topic for old produce versions', RAW_LEGACY_TOPIC, 1);
  await d.each(settleProducerIds);
  await d.exchange('sweep: produce', produceApi, 9, produceRequest(RAW_TOPIC, 0, batch({ records: records(3) })));
  await d.each((s) => settleCoordinator(s, RAW_GROUP));
  await d.exchange('sweep: commit', offsetCommitApi, 9, commitRequest(RAW_GROUP, -1, '', RAW_TOPIC, 0, 1n));
}

function commitRequest(groupId: string, generation: number, memberId: string, topic: string, partition: number, offset: bigint): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: generation,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: [{ ...defaultOffsetCommitRequestPartition(), partitionIndex: partition, committedOffset: offset, committedMetadata: '' }] }],
  };
}

function listOffsets(topic: string, queries: Array<{ partition: number; timestamp: bigint }>): ListOffsetsRequest {
  return {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: queries.map((q) => ({ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: q.partition, timestamp: q.timestamp, maxNumOffsets: 1 })) }],
  };
}

const CONFIG_KEYS = ['cleanup.policy', 'retention.ms', 'compression.type', 'segment.bytes', 'max.message.bytes', 'min.insync.replicas', 'message.timestamp.type'];

const createWithConfigs: Scenario = async (d) => {
  await createTopic(d, 'create with configs', 'diff-cfg', 3, { 'cleanup.policy': 'compact', 'retention.ms': '1000', 'compression.type': 'zstd', 'max.message.bytes': '2000000' });
  await d.exchange('describe the configs set', describeConfigsApi, 4, {
    resources: [{ resourceType: 2, resourceName: 'diff-cfg', configurationKeys: CONFIG_KEYS }],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  await d.exchange('create an existing topic', createTopicsApi, 7, createTopicRequest('diff-cfg', 1));
  const invalid: Array<[string, ReturnType<typeof createTopicRequest>]> = [
    ['zero partitions', createTopicRequest('diff-bad-zero', 0)],
    ['-5 partitions', createTopicRequest('diff-bad-negative', -5)],
    ['replication factor 3', { ...createTopicRequest('diff-bad-rf', 1), topics: [{ name: 'diff-bad-rf', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }] }],
    ['replication factor 0', { ...createTopicRequest('diff-bad-rf0', 1), topics: [{ name: 'diff-bad-rf0', numPartitions: 1, replicationFactor: 0, assignments: [], configs: [] }] }],
    ['unknown config', createTopicRequest('diff-bad-config', 1, { 'no.such.config': '1' })],
    ['bad cleanup.policy', createTopicRequest('diff-bad-policy', 1, { 'cleanup.policy': 'sometimes' })],
    ['non-numeric retention.ms', createTopicRequest('diff-bad-retention', 1, { 'retention.ms': 'soon' })],
    ['segment.bytes too small', createTopicRequest('diff-bad-segment', 1, { 'segment.bytes': '10' })],
    ['bad compression.type', createTopicRequest('diff-bad-codec', 1, { 'compression.type': 'brotli' })],
    ['null config value', createTopicRequest('diff-null-config', 1, {}, {})],
    ['invalid name', createTopicRequest('bad/name', 1)],
    ['name of 250 characters', createTopicRequest('x'.repeat(250), 1)],
    ['name "."', createTopicRequest('.', 1)],
    ['default partitions (-1), validate only', { ...createTopicRequest('diff-default-partitions', -1), validateOnly: true }],
    ['manual assignment, validate only', { ...createTopicRequest('diff-manual', -1), validateOnly: true, topics: [{ name: 'diff-manual', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [1] }], configs: [] }] }],
    ['assignment to a missing broker', { ...createTopicRequest('diff-manual-bad', -1), validateOnly: true, topics: [{ name: 'diff-manual-bad', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [7] }], configs: [] }] }],
  ];
  invalid[9]![1].topics[0]!.configs = [{ name: 'retention.ms', value: null }];
  for (const [what, req] of invalid) await d.exchange(`create: ${what}`, createTopicsApi, 7, req);
  await d.exchange('create: the same name twice in one request', createTopicsApi, 7, {
    ...createTopicRequest('diff-dup', 1),
    topics: [...createTopicRequest('diff-dup', 1).topics, ...createTopicRequest('diff-dup', 2).topics],
  });
};

const produceEveryCodec: Scenario = async (d) => {
  await createTopic(d, 'create', 'diff-codecs', 1);
  const codecs = Object.entries(CompressionType) as Array<[string, number]>;
  let first = 0;
  for (const [name, compression] of codecs) {
    await d.exchange(`produce ${name}`, produceApi, 9, produceRequest('diff-codecs', 0, batch({ compression, records: records(4, first, 40) })));
    first += 4;
  }
  await d.exchange('produce zstd with v6 (zstd needs v7)', produceApi, 6, produceRequest('diff-codecs', 0, batch({ compression: CompressionType.Zstd, records: records(1, first) })));
  await d.exchange('produce acks=1 v3', produceApi, 3, produceRequest('diff-codecs', 0, batch({ records: records(1, first) }), 1));
  await d.exchange('fetch every codec v11', fetchApi, 11, (s) => fetchRequest(s, 11, [{ topic: 'diff-codecs', partition: 0, offset: 0 }]));
  await d.exchange('fetch every codec v4', fetchApi, 4, (s) => fetchRequest(s, 4, [{ topic: 'diff-codecs', partition: 0, offset: 0 }]));
  await d.exchange('produce to a missing partition', produceApi, 9, produceRequest('diff-codecs', 3, batch({ records: records(1) })));
  await d.exchange('produce to a missing topic', produceApi, 9, produceRequest('diff-codecs-missing', 0, batch({ records: records(1) })));
  await d.exchange('produce acks=2', produceApi, 9, produceRequest('diff-codecs', 0, batch({ records: records(1) }), 2));
  await createTopic(d, 'create a small-message topic', 'diff-small', 1, { 'max.message.bytes': '200' });
  await d.exchange('produce a batch above max.message.bytes', produceApi, 9, produceRequest('diff-small', 0, batch({ records: records(5, 0, 100) })));
  const corrupt = batch({ records: records(2) });
  corrupt[corrupt.length - 1] ^= 0xff;
  await d.exchange('produce a batch with a bad CRC', produceApi, 9, produceRequest('diff-small', 0, corrupt));
};

const idempotentProduce: Scenario = async (d) => {
  await createTopic(d, 'create', 'diff-idem', 1);
  await d.each(settleProducerIds);
  await d.exchange('InitProducerId', initProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, {
    remember: (r, s) => {
      s.vars.set('pid', Number(r.producerId));
      s.vars.set('epoch', r.producerEpoch);
    },
  });
  const send = (step: string, baseSequence: number, count: number, first: number, epochDelta = 0) =>
    d.exchange(step, produceApi, 9, (s: Side) =>
      produceRequest('diff-idem', 0, batch({ producerId: s.get<number>('pid'), producerEpoch: s.get<number>('epoch') + epochDelta, baseSequence, records: records(count, first) })),
    );
  await send('sequence 0-2', 0, 3, 0);
  await send('sequence 3-4', 3, 2, 3);
  await send('duplicate of 0-2', 0, 3, 0);
  await send('duplicate of 3-4', 3, 2, 3);
  await send('gap: sequence 9', 9, 1, 9);
  await send('overlap: sequence 4-5', 4, 2, 4);
  await send('next: sequence 5', 5, 1, 5);
  await send('older epoch', 6, 1, 6, -1);
  await send('newer epoch, sequence 3', 3, 1, 7, 1);
  await send('newer epoch, sequence 0', 0, 1, 7, 1);
  await d.exchange('unknown producer id, sequence 5', produceApi, 9, produceRequest('diff-idem', 0, batch({ producerId: 987_654, producerEpoch: 0, baseSequence: 5, records: records(1, 50) })));
  await d.exchange('fetch the log', fetchApi, 12, (s) => fetchRequest(s, 12, [{ topic: 'diff-idem', partition: 0, offset: 0 }]));
};

const fetchEdges: Scenario = async (d) => {
  await createTopic(d, 'create', 'diff-fetch', 2);
  for (let i = 0; i < 3; i++) await d.exchange(`produce batch ${i}`, produceApi, 9, produceRequest('diff-fetch', 0, batch({ records: records(5, i * 5, 100) })));
  await d.exchange('produce to partition 1', produceApi, 9, produceRequest('diff-fetch', 1, batch({ records: records(2, 0, 100) })));
  const both = (o0: number, o1: number, m0?: number, m1?: number) => (s: Side, v: number) =>
    fetchRequest(s, v, [
      { topic: 'diff-fetch', partition: 0, offset: o0, maxBytes: m0 },
      { topic: 'diff-fetch', partition: 1, offset: o1, maxBytes: m1 },
    ]);
  for (const v of [4, 11, 12, 13, 16]) {
    await d.exchange(`v${v} from 0`, fetchApi, v, (s) => both(0, 0)(s, v));
    await d.exchange(`v${v} offset out of range`, fetchApi, v, (s) => both(100, 0)(s, v));
    await d.exchange(`v${v} negative offset`, fetchApi, v, (s) => both(-1, 0)(s, v));
    await d.exchange(`v${v} in the middle of a batch`, fetchApi, v, (s) => both(7, 1)(s, v));
    await d.exchange(`v${v} at the high watermark`, fetchApi, v, (s) => both(15, 2)(s, v));
    await d.exchange(`v${v} partition max bytes below a batch`, fetchApi, v, (s) => both(0, 0, 10, 10)(s, v));
    await d.exchange(`v${v} second partition cut mid-batch`, fetchApi, v, (s) => both(0, 0, 1 << 20, 200)(s, v));
    await d.exchange(`v${v} max bytes below a batch`, fetchApi, v, (s) => ({ ...both(0, 0)(s, v), maxBytes: 10 }));
    await d.exchange(`v${v} max bytes ends mid-partition`, fetchApi, v, (s) => ({ ...both(0, 0)(s, v), maxBytes: 1200 }));
  }
  await d.exchange('v12 missing partition', fetchApi, 12, (s) => fetchRequest(s, 12, [{ topic: 'diff-fetch', partition: 9, offset: 0 }]));
  await d.exchange('v12 missing topic', fetchApi, 12, (s) => fetchRequest(s, 12, [{ topic: 'diff-fetch-missing', partition: 0, offset: 0 }]));
  await d.exchange('v13 unknown topic id', fetchApi, 13, (s) => ({
    ...fetchRequest(s, 13, [{ topic: 'diff-fetch', partition: 0, offset: 0 }]),
    topics: [{ topic: '', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [{ ...fetchRequest(s, 13, [{ topic: 'diff-fetch', partition: 0, offset: 0 }]).topics[0]!.partitions[0]! }] }],
  }));

  // Fetch sessions (KIP-227): a full fetch creates one, incremental fetches send only changes.
  const remember = (r: FetchResponse, s: Side): void => {
    if (r.sessionId !== 0) s.vars.set('session', r.sessionId);
  };
  await d.exchange('session: full fetch, new session', fetchApi, 12, (s) => ({ ...both(0, 0)(s, 12), sessionId: 0, sessionEpoch: 0 }), { remember });
  const incremental = (epoch: number, extra: (s: Side) => Partial<ReturnType<typeof fetchRequest>> = () => ({ topics: [] })) => (s: Side) => ({
    ...fetchRequest(s, 12, []),
    sessionId: s.get<number>('session'),
    sessionEpoch: epoch,
    ...extra(s),
  });
  await d.exchange('session: incremental, nothing new', fetchApi, 12, incremental(1));
  await d.exchange('session: produce', produceApi, 9, produceRequest('diff-fetch', 1, batch({ records: records(1, 2) })));
  await d.exchange('session: incremental after a produce (old offsets)', fetchApi, 12, incremental(2));
  await d.exchange('session: incremental, move partition 1 forward', fetchApi, 12, incremental(3, (s) => ({ topics: fetchRequest(s, 12, [{ topic: 'diff-fetch', partition: 1, offset: 3 }]).topics })));
  await d.exchange('session: incremental, forget partition 0', fetchApi, 12, incremental(4, () => ({ topics: [], forgottenTopicsData: [{ topic: 'diff-fetch', topicId: ZERO_UUID, partitions: [0] }] })));
  await d.exchange('session: wrong epoch', fetchApi, 12, incremental(9));
  await d.exchange('session: unknown session id', fetchApi, 12, (s) => ({ ...fetchRequest(s, 12, []), sessionId: 123_456_789, sessionEpoch: 1 }));
  await d.exchange('session: close', fetchApi, 12, (s) => ({ ...fetchRequest(s, 12, []), sessionId: s.get<number>('session'), sessionEpoch: -1 }));
  await d.exchange('session: use after close', fetchApi, 12, incremental(5));
};

const listOffsetsByTime: Scenario = async (d) => {
  await createTopic(d, 'create', 'diff-times', 2);
  await d.exchange('produce T0+0..4', produceApi, 9, produceRequest('diff-times', 0, batch({ records: records(5, 0) })));
  // A batch whose largest timestamp is its first record's: max timestamp points inside it.
  const later = records(5, 5).map((r, i) => ({ ...r, timestamp: i === 0 ? T0 + 50 : r.timestamp }));
  await d.exchange('produce T0+50, T0+6..9', produceApi, 9, produceRequest('diff-times', 0, batch({ records: later })));
  const at = (timestamp: number | bigint) => ({ partition: 0, timestamp: BigInt(timestamp) });
  for (const v of [1, 4, 5, 7, 8, 9]) {
    const queries = [at(-2), at(-1), at(T0 + 3), at(T0 + 7), at(T0 + 40), at(T0 + 1000), at(T0 - 10)];
    if (v >= 7) queries.push(at(-3));
    if (v >= 8) queries.push(at(-4));
    if (v >= 9) queries.push(at(-5));
    for (const q of queries) await d.exchange(`v${v} timestamp ${q.timestamp >= BigInt(T0 - 100) ? `T0${q.timestamp - BigInt(T0) >= 0n ? '+' : ''}${q.timestamp - BigInt(T0)}` : q.timestamp}`, listOffsetsApi, v, listOffsets('diff-times', [q]));
    await d.exchange(`v${v} empty partition, latest and earliest`, listOffsetsApi, v, listOffsets('diff-times', [{ partition: 1, timestamp: -1n }]));
    await d.exchange(`v${v} missing partition`, listOffsetsApi, v, listOffsets('diff-times', [{ partition: 7, timestamp: -1n }]));
    await d.exchange(`v${v} missing topic`, listOffsetsApi, v, listOffsets('diff-times-missing', [{ partition: 0, timestamp: -1n }]));
  }
  await d.exchange('v9 unknown negative timestamp', listOffsetsApi, 9, listOffsets('diff-times', [at(-7)]));
  await d.exchange('v9 read committed, latest', listOffsetsApi, 9, { ...listOffsets('diff-times', [at(-1)]), isolationLevel: 1 });
};

const GROUP = 'diff-group';

/**
 * A ConsumerProtocolSubscription v0 (version, topics, null user data): Kafka 4's coordinator parses
 * the metadata of "consumer" members, and a join with bytes it cannot parse never completes.
 */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

function joinRequest(memberId: string, groupId = GROUP): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [
      { name: 'range', metadata: subscription(['diff-group-topic']) },
      { name: 'roundrobin', metadata: subscription(['diff-group-topic']) },
    ],
    reason: null,
  };
}

const consumerGroup: Scenario = async (d) => {
  await createTopic(d, 'create', 'diff-group-topic', 2);
  await d.each((s) => settleCoordinator(s, GROUP));
  const member = (s: Side): string => s.get<string>('member');
  await d.exchange('join v9 without member id: MEMBER_ID_REQUIRED', joinGroupApi, 9, joinRequest('', `${GROUP}-v9`));
  // v3 joins complete in one round trip (v9's two-step join is the step above and the raw sweep).
  await d.exchange('join v3', joinGroupApi, 3, joinRequest(''), {
    remember: (r, s) => {
      s.vars.set('member', r.memberId);
      s.vars.set('generation', r.generationId);
    },
    timeoutMs: 30_000,
  });
  const gen = (s: Side): number => s.get<number>('generation');
  await d.exchange('describe while completing the rebalance', describeGroupsApi, 5, { groups: [GROUP], includeAuthorizedOperations: false });
  await d.exchange('heartbeat before sync', heartbeatApi, 4, (s) => ({ groupId: GROUP, generationId: gen(s), memberId: member(s), groupInstanceId: null }));
  await d.exchange('sync as leader', syncGroupApi, 5, (s) => ({
    groupId: GROUP,
    generationId: gen(s),
    memberId: member(s),
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: member(s), assignment: Buffer.from('assignment-bytes') }],
  }));
  await d.exchange('sync with a wrong protocol name', syncGroupApi, 5, (s) => ({
    groupId: GROUP,
    generationId: gen(s),
    memberId: member(s),
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'roundrobin',
    assignments: [],
  }));
  await d.exchange('heartbeat', heartbeatApi, 4, (s) => ({ groupId: GROUP, generationId: gen(s), memberId: member(s), groupInstanceId: null }));
  await d.exchange('heartbeat, wrong generation', heartbeatApi, 4, (s) => ({ groupId: GROUP, generationId: gen(s) + 5, memberId: member(s), groupInstanceId: null }));
  await d.exchange('heartbeat, unknown member', heartbeatApi, 4, (s) => ({ groupId: GROUP, generationId: gen(s), memberId: 'raw-unknown', groupInstanceId: null }));
  await d.exchange('describe the stable group', describeGroupsApi, 5, { groups: [GROUP], includeAuthorizedOperations: false });
  await d.exchange('list groups', listGroupsApi, 5, { statesFilter: [], typesFilter: [] });
  await d.exchange('list stable groups', listGroupsApi, 4, { statesFilter: ['Stable'], typesFilter: [] });
  await d.exchange('commit as member', offsetCommitApi, 9, (s) => commitRequest(GROUP, gen(s), member(s), 'diff-group-topic', 0, 5n));
  await d.exchange('commit, wrong generation', offsetCommitApi, 9, (s) => commitRequest(GROUP, gen(s) + 1, member(s), 'diff-group-topic', 1, 3n));
  await d.exchange('commit, unknown member', offsetCommitApi, 9, (s) => commitRequest(GROUP, gen(s), 'raw-unknown', 'diff-group-topic', 1, 3n));
  await d.exchange('commit without member (simple) to a group with members', offsetCommitApi, 9, commitRequest(GROUP, -1, '', 'diff-group-topic', 1, 3n));
  await d.exchange('commit to a missing partition', offsetCommitApi, 9, (s) => commitRequest(GROUP, gen(s), member(s), 'diff-group-topic', 5, 3n));
  await d.exchange('commit v2', offsetCommitApi, 2, (s) => commitRequest(GROUP, gen(s), member(s), 'diff-group-topic', 1, 4n));
  for (const v of [1, 5, 7, 8, 9]) {
    const topics = [{ name: 'diff-group-topic', partitionIndexes: [0, 1, 2] }];
    await d.exchange(
      `offset fetch v${v}`,
      offsetFetchApi,
      v,
      v >= 8
        ? { groupId: '', topics: [], groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics }], requireStable: true }
        : { groupId: GROUP, topics, groups: [], requireStable: v >= 7 },
    );
  }
  await d.exchange('offset fetch all topics v9', offsetFetchApi, 9, { groupId: '', topics: [], groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: null }, { groupId: 'diff-group-missing', memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
  await d.exchange('delete a group with members', deleteGroupsApi, 2, { groupsNames: [GROUP] });
  await d.exchange('offset delete of a subscribed topic', offsetDeleteApi, 0, { groupId: GROUP, topics: [{ name: 'diff-group-topic', partitions: [{ partitionIndex: 0 }] }] });
  await d.exchange('rejoin with a different protocol set', joinGroupApi, 9, (s) => ({ ...joinRequest(member(s)), protocols: [{ name: 'sticky', metadata: subscription(['diff-group-topic']) }] }));
  await d.exchange('second member, inconsistent protocol type', joinGroupApi, 9, { ...joinRequest(''), protocolType: 'connect' });
  await d.exchange('leave', leaveGroupApi, 5, (s) => ({ groupId: GROUP, memberId: '', members: [{ memberId: member(s), groupInstanceId: null, reason: 'done' }, { memberId: 'raw-unknown', groupInstanceId: null, reason: null }] }));
  await d.exchange('describe the empty group', describeGroupsApi, 5, { groups: [GROUP], includeAuthorizedOperations: false });
  await d.exchange('heartbeat after leaving', heartbeatApi, 4, (s) => ({ groupId: GROUP, generationId: gen(s), memberId: member(s), groupInstanceId: null }));
  await d.exchange('offset delete', offsetDeleteApi, 0, { groupId: GROUP, topics: [{ name: 'diff-group-topic', partitions: [{ partitionIndex: 0 }, { partitionIndex: 7 }] }] });
  await d.exchange('delete the empty group', deleteGroupsApi, 2, { groupsNames: [GROUP, 'diff-group-missing'] });
  await d.exchange('describe the deleted group', describeGroupsApi, 5, { groups: [GROUP], includeAuthorizedOperations: false });
  await d.exchange('join v0 (no member id round trip)', joinGroupApi, 3, joinRequest('', 'diff-group-v3'));
  await d.exchange('join with an empty group id', joinGroupApi, 9, joinRequest('', ''));
  await d.exchange('join with a session timeout below the minimum', joinGroupApi, 9, { ...joinRequest('', 'diff-group-short'), sessionTimeoutMs: 10 });
};

/** Waits (uncompared) until the side describes the topic config with the value: Kafka applies changes asynchronously. */
async function settleConfig(side: Side, topic: string, key: string, value: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await side.conn.request(describeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: topic, configurationKeys: [key] }], includeSynonyms: false, includeDocumentation: false });
    if (r.results[0]?.configs[0]?.value === value) return;
    if (Date.now() > deadline) throw new Error(`${side.name}: ${topic} ${key} is not ${value} after 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const adminErrors: Scenario = async (d) => {
  await createTopic(d, 'create', 'diff-admin', 2);
  await d.exchange('delete a missing topic', deleteTopicsApi, 6, { topics: [{ name: 'diff-admin-missing', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 10_000 });
  await d.exchange('delete by an unknown topic id', deleteTopicsApi, 6, { topics: [{ name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }], topicNames: [], timeoutMs: 10_000 });
  await d.exchange('delete v4 missing', deleteTopicsApi, 4, { topics: [], topicNames: ['diff-admin-missing'], timeoutMs: 10_000 });
  await d.exchange('describe a missing group', describeGroupsApi, 5, { groups: ['diff-admin-no-group'], includeAuthorizedOperations: false });
  await d.exchange('delete a missing group', deleteGroupsApi, 2, { groupsNames: ['diff-admin-no-group'] });
  await d.exchange('describe configs of a missing topic', describeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: 'diff-admin-missing', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  await d.exchange('describe configs of another broker', describeConfigsApi, 4, { resources: [{ resourceType: 4, resourceName: '7', configurationKeys: ['log.retention.hours'] }], includeSynonyms: false, includeDocumentation: false });
  await d.exchange('describe configs of a non-numeric broker', describeConfigsApi, 4, { resources: [{ resourceType: 4, resourceName: 'x', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  await d.exchange('describe configs of an unknown resource type', describeConfigsApi, 4, { resources: [{ resourceType: 9, resourceName: 'x', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
  await d.exchange('describe topic configs by key', describeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configurationKeys: CONFIG_KEYS }], includeSynonyms: false, includeDocumentation: false });
  await d.exchange('alter configs of a missing topic', alterConfigsApi, 2, { resources: [{ resourceType: 2, resourceName: 'diff-admin-missing', configs: [{ name: 'retention.ms', value: '1' }] }], validateOnly: false });
  await d.exchange('alter configs, invalid value', alterConfigsApi, 2, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configs: [{ name: 'retention.ms', value: 'x' }] }], validateOnly: false });
  await d.exchange('incremental alter, unknown config', incrementalAlterConfigsApi, 1, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configs: [{ name: 'no.such.config', configOperation: 0, value: '1' }] }], validateOnly: false });
  await d.exchange('incremental alter, append to a non-list', incrementalAlterConfigsApi, 1, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configs: [{ name: 'retention.ms', configOperation: 2, value: '1' }] }], validateOnly: false });
  await d.exchange('incremental alter, unknown operation', incrementalAlterConfigsApi, 1, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configs: [{ name: 'retention.ms', configOperation: 9, value: '1' }] }], validateOnly: false });
  await d.exchange('incremental alter, set then describe', incrementalAlterConfigsApi, 1, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configs: [{ name: 'retention.ms', configOperation: 0, value: '7200000' }, { name: 'cleanup.policy', configOperation: 2, value: 'compact' }] }], validateOnly: false });
  await d.each((s) => settleConfig(s, 'diff-admin', 'retention.ms', '7200000'));
  await d.exchange('describe after set', describeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configurationKeys: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: true, includeDocumentation: false });
  await d.exchange('incremental alter, delete', incrementalAlterConfigsApi, 1, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configs: [{ name: 'retention.ms', configOperation: 1, value: null }] }], validateOnly: false });
  await d.each((s) => settleConfig(s, 'diff-admin', 'retention.ms', '604800000'));
  await d.exchange('describe after delete', describeConfigsApi, 4, { resources: [{ resourceType: 2, resourceName: 'diff-admin', configurationKeys: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: true, includeDocumentation: false });
  await d.exchange('create partitions: fewer', createPartitionsApi, 3, { topics: [{ name: 'diff-admin', count: 1, assignments: null }], timeoutMs: 10_000, validateOnly: false });
  await d.exchange('create partitions: the same count', createPartitionsApi, 3, { topics: [{ name: 'diff-admin', count: 2, assignments: null }], timeoutMs: 10_000, validateOnly: false });
  await d.exchange('create partitions: missing topic', createPartitionsApi, 3, { topics: [{ name: 'diff-admin-missing', count: 3, assignments: null }], timeoutMs: 10_000, validateOnly: false });
  await d.exchange('create partitions: wrong assignment count', createPartitionsApi, 3, { topics: [{ name: 'diff-admin', count: 4, assignments: [{ brokerIds: [1] }] }], timeoutMs: 10_000, validateOnly: false });
  await d.exchange('create partitions: 3', createPartitionsApi, 3, { topics: [{ name: 'diff-admin', count: 3, assignments: null }], timeoutMs: 10_000, validateOnly: false });
  await d.each((s) => settleTopic(s, 'diff-admin', 3));
  await d.exchange('produce', produceApi, 9, produceRequest('diff-admin', 0, batch({ records: records(4) })));
  await d.exchange('delete records beyond the high watermark', deleteRecordsApi, 2, { topics: [{ name: 'diff-admin', partitions: [{ partitionIndex: 0, offset: 10n }] }], timeoutMs: 10_000 });
  await d.exchange('delete records up to 2', deleteRecordsApi, 2, { topics: [{ name: 'diff-admin', partitions: [{ partitionIndex: 0, offset: 2n }, { partitionIndex: 1, offset: -1n }, { partitionIndex: 9, offset: 0n }] }], timeoutMs: 10_000 });
  await d.exchange('list earliest after delete records', listOffsetsApi, 9, listOffsets('diff-admin', [{ partition: 0, timestamp: -2n }]));
  await d.exchange('fetch below the log start offset', fetchApi, 12, (s) => fetchRequest(s, 12, [{ topic: 'diff-admin', partition: 0, offset: 1 }]));
  await d.exchange('delete records of a missing topic', deleteRecordsApi, 2, { topics: [{ name: 'diff-admin-missing', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 10_000 });
  await d.exchange('offset delete, missing group', offsetDeleteApi, 0, { groupId: 'diff-admin-no-group', topics: [{ name: 'diff-admin', partitions: [{ partitionIndex: 0 }] }] });
  await d.exchange('metadata of a missing topic', metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name: 'diff-admin-missing' }], allowAutoTopicCreation: false });
  await d.exchange('metadata of an invalid topic name', metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name: 'bad/name' }], allowAutoTopicCreation: false });
  await d.exchange('metadata by topic id', metadataApi, 12, (s) => ({ ...defaultMetadataRequest(), topics: [{ topicId: s.get<string>('topicId:diff-admin'), name: null }] }));
  await d.exchange('metadata with authorized operations', metadataApi, 10, { ...defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name: 'diff-admin' }], includeTopicAuthorizedOperations: true, includeClusterAuthorizedOperations: true });
  await d.exchange('describe topic partitions with a cursor', describeTopicPartitionsApi, 0, { topics: [{ name: 'diff-admin' }], responsePartitionLimit: 1, cursor: { topicName: 'diff-admin', partitionIndex: 1 } });
  await d.exchange('describe topic partitions, missing topic', describeTopicPartitionsApi, 0, { topics: [{ name: 'diff-admin-missing' }], responsePartitionLimit: 10, cursor: null });
  await d.exchange('delete the topic', deleteTopicsApi, 6, { topics: [{ name: 'diff-admin', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 30_000 });
  await d.each((s) => settleDeleted(s, 'diff-admin'));
  await d.exchange('delete it again', deleteTopicsApi, 6, { topics: [{ name: 'diff-admin', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 30_000 });
  await d.exchange('recreate it', createTopicsApi, 7, createTopicRequest('diff-admin', 1));
  await d.each((s) => settleTopic(s, 'diff-admin', 1));
  await d.exchange('list offsets of the new topic', listOffsetsApi, 9, listOffsets('diff-admin', [{ partition: 0, timestamp: -1n }]));
};

export const SCENARIOS: Record<string, Scenario> = {
  'create topics with configs, invalid configs and partition counts': createWithConfigs,
  'produce with every codec and over the limits': produceEveryCodec,
  'idempotent produce: sequences, duplicates, gaps, epochs': idempotentProduce,
  'fetch at every edge and in fetch sessions': fetchEdges,
  'list offsets by time': listOffsetsByTime,
  'consumer group over raw JoinGroup, SyncGroup, Heartbeat, OffsetCommit, OffsetFetch, LeaveGroup': consumerGroup,
  'admin errors': adminErrors,
};
