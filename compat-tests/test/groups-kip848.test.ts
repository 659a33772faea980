/**
 * The consumer group protocol of KIP-848 with node-rdkafka (librdkafka 2.12,
 * `group.protocol=consumer`): server-side assignment, members joining and leaving, committed
 * offsets, and ConsumerGroupDescribe / ListGroups as an operator sees the group.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { consumerGroupDescribeApi, defaultListGroupsRequest, listGroupsApi } from '../../protocol/messages/index.js';
import { connected, disconnected } from '../harness/rdkafka.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');
type KafkaConsumer = import('node-rdkafka').KafkaConsumer;

const samsa = await SamsaProcess.start({ overrides: { 'group.initial.rebalance.delay.ms': '0', 'group.consumer.heartbeat.interval.ms': '300', 'group.consumer.session.timeout.ms': '6000' } });
t.teardown(() => samsa.close());

const admin = Kafka.AdminClient.create({ 'metadata.broker.list': samsa.bootstrap });
t.teardown(() => admin.disconnect());

function createTopic(topic: string, partitions: number): Promise<void> {
  return new Promise((resolve, reject) => admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 10_000, (err) => (err ? reject(err) : resolve())));
}

async function produce(topic: string, partitions: number, perPartition: number, tag: string): Promise<void> {
  const producer = new Kafka.HighLevelProducer({ 'metadata.broker.list': samsa.bootstrap, 'linger.ms': 5 });
  await connected(producer);
  const sends: Array<Promise<void>> = [];
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < perPartition; i++) {
      sends.push(new Promise((resolve, reject) => producer.produce(topic, p, Buffer.from(`${tag}-${p}-${i}`), Buffer.from(`k${i}`), Date.now(), (err) => (err ? reject(err) : resolve()))));
    }
  }
  await Promise.all(sends);
  await disconnected(producer);
}

interface Member {
  consumer: KafkaConsumer;
  seen: string[];
}

async function startMember(group: string, topic: string, seen: Map<string, number>): Promise<Member> {
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': samsa.bootstrap, 'group.id': group, 'group.protocol': 'consumer', 'enable.auto.commit': false }, { 'auto.offset.reset': 'earliest' });
  await connected(consumer);
  const member: Member = { consumer, seen: [] };
  consumer.subscribe([topic]);
  consumer.on('data', (m) => {
    const v = m.value!.toString();
    member.seen.push(v);
    seen.set(v, (seen.get(v) ?? 0) + 1);
    consumer.commitMessage(m);
  });
  consumer.consume();
  return member;
}

function stop(m: Member): Promise<void> {
  return disconnected(m.consumer);
}

async function waitFor(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const partitionsOf = (m: Member): number[] =>
  m.consumer
    .assignments()
    .map((a) => a.partition)
    .sort((a, b) => a - b);

t.test('members share a topic, partitions move as members come and go, every record is read', async (t) => {
  await createTopic('kip848', 6);
  await produce('kip848', 6, 10, 'a');
  const seen = new Map<string, number>();
  const first = await startMember('g848', 'kip848', seen);
  await waitFor('the first member to consume everything', () => seen.size === 60);
  t.same(partitionsOf(first), [0, 1, 2, 3, 4, 5], 'a lone member gets every partition');

  const second = await startMember('g848', 'kip848', seen);
  await waitFor('the partitions to be split', () => partitionsOf(first).length === 3 && partitionsOf(second).length === 3);
  t.same([...partitionsOf(first), ...partitionsOf(second)].sort(), [0, 1, 2, 3, 4, 5], 'two members split the partitions');

  await produce('kip848', 6, 5, 'b');
  await waitFor('the new records', () => seen.size === 90);

  const third = await startMember('g848', 'kip848', seen);
  await waitFor('three-way split', () => [first, second, third].every((m) => partitionsOf(m).length === 2));
  t.pass('three members get two partitions each');

  await stop(second);
  await waitFor('the leaver partitions to move', () => partitionsOf(first).length + partitionsOf(third).length === 6);
  await produce('kip848', 6, 5, 'c');
  await waitFor('all records', () => seen.size === 120);
  t.equal(seen.size, 120, 'every record consumed');

  // Describe the group the way operator tools do.
  const conn = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => conn.close());
  const described = await conn.request(consumerGroupDescribeApi, 0, { groupIds: ['g848', 'no-such-group'], includeAuthorizedOperations: false });
  const g = described.groups[0]!;
  t.equal(g.errorCode, ErrorCode.NONE);
  t.equal(g.members.length, 2, 'two members described');
  t.ok(g.groupEpoch >= 4, `group epoch ${g.groupEpoch} counts the membership changes`);
  t.equal(g.assignorName, 'uniform');
  t.same(
    g.members.flatMap((m) => m.assignment.topicPartitions.flatMap((tp) => tp.partitions)).sort(),
    [0, 1, 2, 3, 4, 5],
    'the described assignment covers every partition once',
  );
  t.ok(
    g.members.every((m) => m.assignment.topicPartitions.every((tp) => tp.topicName === 'kip848')),
    'topic names resolved',
  );
  t.equal(described.groups[1]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  const listed = await conn.request(listGroupsApi, 5, { ...defaultListGroupsRequest(), typesFilter: ['consumer'] });
  t.ok(
    listed.groups.some((x) => x.groupId === 'g848' && x.groupType === 'consumer'),
    'listed as a consumer group',
  );

  await stop(first);
  await stop(third);
});

t.test('committed offsets: a new member resumes after the last commit', async (t) => {
  await createTopic('kip848-resume', 2);
  await produce('kip848-resume', 2, 20, 'r');
  const seen = new Map<string, number>();
  const m1 = await startMember('g848-resume', 'kip848-resume', seen);
  await waitFor('everything', () => seen.size === 40);
  // commitMessage is asynchronous: give it time to land before leaving.
  await new Promise((r) => setTimeout(r, 1500));
  await stop(m1);
  await produce('kip848-resume', 2, 5, 's');
  const later = new Map<string, number>();
  const m2 = await startMember('g848-resume', 'kip848-resume', later);
  await waitFor('the new records', () => later.size >= 10);
  await new Promise((r) => setTimeout(r, 1000));
  t.same(
    [...later.keys()].filter((v) => v.startsWith('r-')),
    [],
    'nothing committed is read again',
  );
  t.equal([...later.keys()].filter((v) => v.startsWith('s-')).length, 10, 'every new record is read');
  await stop(m2);
});
