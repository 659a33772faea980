/**
 * node-rdkafka (librdkafka) consumer groups with subscribe() against a real Samsa process and the
 * reference Kafka, with the same assertions: cooperative-sticky incremental rebalancing as members
 * join and leave, the range and roundrobin assignors, and static membership (group.instance.id)
 * surviving a consumer restart without a rebalance.
 *
 * Every consumer has its own rebalance_cb that records the partitions it was given or had taken
 * away and applies them (incrementalAssign/incrementalUnassign for cooperative, assign/unassign
 * for eager assignors).
 */
import t, { type Test } from 'tap';
import { createRequire } from 'node:module';
import { onEachBroker } from '../harness/target-broker.js';
import { connected, disconnected } from '../harness/rdkafka.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');

type KafkaConsumer = import('node-rdkafka').KafkaConsumer;
type LibrdKafkaError = import('node-rdkafka').LibrdKafkaError;
type TopicPartition = import('node-rdkafka').TopicPartition;
type TopicPartitionOffset = import('node-rdkafka').TopicPartitionOffset;

const ASSIGN = Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS;
const REVOKE = Kafka.CODES.ERRORS.ERR__REVOKE_PARTITIONS;

const groupSettings = { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '1000' };

await onEachBroker(t, { samsa: { overrides: groupSettings }, kafka: groupSettings }, async (t, broker) => {
  const admin = Kafka.AdminClient.create({ 'metadata.broker.list': broker.bootstrap, 'client.id': 'samsa-groups-admin' });
  t.teardown(() => admin.disconnect());

  function createTopic(topic: string, partitions: number): Promise<void> {
    return new Promise((resolve, reject) => admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 10_000, (err) => (err ? reject(err) : resolve())));
  }

  const producer = new Kafka.HighLevelProducer({ 'metadata.broker.list': broker.bootstrap, 'linger.ms': 5 });
  await connected(producer);
  t.teardown(() => disconnected(producer));

  /** Produces offsets [from, from + count) of every partition, values `p-offset`. */
  async function produce(topic: string, partitions: number, from: number, count: number): Promise<void> {
    const sends: Array<Promise<void>> = [];
    for (let i = from; i < from + count; i++) {
      for (let p = 0; p < partitions; p++) {
        sends.push(new Promise<void>((resolve, reject) => producer.produce(topic, p, Buffer.from(`${p}-${i}`), Buffer.from(`k${p}`), Date.now(), [], (err) => (err ? reject(err) : resolve()))));
      }
    }
    await Promise.all(sends);
  }

  async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  interface RebalanceEvent {
    kind: 'assign' | 'revoke';
    partitions: number[];
    /** The member's partitions before the event. */
    before: number[];
    /** Whether the member was closing (a final revoke is expected then). */
    closing: boolean;
  }

  interface Member {
    name: string;
    consumer: KafkaConsumer;
    events: RebalanceEvent[];
    assigned: Set<number>;
    consumed: Array<{ partition: number; offset: number; value: string }>;
    errors: string[];
    closing: boolean;
    partitions(): number[];
    close(): Promise<void>;
  }

  const sorted = (xs: Iterable<number>) => [...xs].sort((a, b) => a - b);

  /** A subscribe() consumer that applies and records its rebalances, consuming in flowing mode. */
  async function startMember(name: string, groupId: string, topic: string, strategy: string, extra: Record<string, string | number | boolean> = {}): Promise<Member> {
    const cooperative = strategy === 'cooperative-sticky';
    const member: Member = {
      name,
      consumer: undefined as unknown as KafkaConsumer,
      events: [],
      assigned: new Set(),
      consumed: [],
      errors: [],
      closing: false,
      partitions: () => sorted(member.assigned),
      close: async () => {
        if (member.closing) return;
        member.closing = true;
        await disconnected(member.consumer);
      },
    };
    const rebalance = (err: LibrdKafkaError, assignment: TopicPartition[]): void => {
      const parts = sorted(assignment.filter((a) => a.topic === topic).map((a) => a.partition));
      const before = member.partitions();
      try {
        if (err.code === ASSIGN) {
          member.events.push({ kind: 'assign', partitions: parts, before, closing: member.closing });
          if (cooperative) member.consumer.incrementalAssign(assignment);
          else member.consumer.assign(assignment);
          if (!cooperative) member.assigned.clear();
          for (const p of parts) member.assigned.add(p);
        } else if (err.code === REVOKE) {
          member.events.push({ kind: 'revoke', partitions: parts, before, closing: member.closing });
          if (cooperative) member.consumer.incrementalUnassign(assignment);
          else member.consumer.unassign();
          if (cooperative) for (const p of parts) member.assigned.delete(p);
          else member.assigned.clear();
        } else member.errors.push(`rebalance error ${err.code}: ${err.message}`);
      } catch (e) {
        if (!member.closing) member.errors.push(`applying a rebalance: ${String(e)}`);
      }
    };
    const consumer = new Kafka.KafkaConsumer(
      {
        'metadata.broker.list': broker.bootstrap,
        'group.id': groupId,
        'client.id': name,
        'partition.assignment.strategy': strategy,
        'session.timeout.ms': 6000,
        'heartbeat.interval.ms': 300,
        'enable.auto.commit': true,
        'auto.commit.interval.ms': 200,
        'fetch.wait.max.ms': 100,
        rebalance_cb: rebalance,
        ...extra,
      },
      { 'auto.offset.reset': 'earliest' },
    );
    member.consumer = consumer;
    consumer.on('data', (m) => member.consumed.push({ partition: m.partition, offset: m.offset, value: m.value?.toString() ?? '' }));
    consumer.on('event.error', (e) => member.errors.push(`event.error ${e.code}: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      consumer.once('ready', () => resolve());
      consumer.once('connection.failure', reject);
      consumer.connect();
    });
    consumer.subscribe([topic]);
    consumer.consume();
    return member;
  }

  /** The group's committed offsets, read through a member's connection. */
  function committed(member: Member, topic: string, partitions: number): Promise<TopicPartitionOffset[]> {
    const toppars = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    return new Promise((resolve, reject) => member.consumer.committed(toppars, 5000, (err, offsets) => (err ? reject(err) : resolve(offsets))));
  }

  async function waitCommitted(member: Member, topic: string, partitions: number, offset: number): Promise<void> {
    await waitFor(`offset ${offset} committed on every partition of ${topic}`, async () => (await committed(member, topic, partitions)).every((o) => o.offset === offset));
  }

  function counts(members: Member[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of members) for (const c of m.consumed) out.set(`${c.partition}:${c.offset}`, (out.get(`${c.partition}:${c.offset}`) ?? 0) + 1);
    return out;
  }

  function consumedAll(members: Member[], partitions: number, upTo: number): boolean {
    const c = counts(members);
    for (let p = 0; p < partitions; p++) for (let o = 0; o < upTo; o++) if (!c.has(`${p}:${o}`)) return false;
    return true;
  }

  function assertExactlyOnce(t: Test, members: Member[], partitions: number, upTo: number, label: string): void {
    const c = counts(members);
    const missing: string[] = [];
    const dup: string[] = [];
    for (let p = 0; p < partitions; p++) {
      for (let o = 0; o < upTo; o++) {
        const n = c.get(`${p}:${o}`) ?? 0;
        if (n === 0) missing.push(`${p}:${o}`);
        if (n > 1) dup.push(`${p}:${o}x${n}`);
      }
    }
    t.same(missing, [], `${label}: no record missing`);
    t.same(dup, [], `${label}: no record consumed twice`);
    t.equal(c.size, partitions * upTo, `${label}: nothing else consumed`);
    t.same(
      members.flatMap((m) => m.consumed).filter((r) => r.value !== `${r.partition}-${r.offset}`),
      [],
      `${label}: values match`,
    );
  }

  /** True when the members' partitions are disjoint, cover `partitions` and have the given sizes. */
  function splitAs(members: Member[], partitions: number, sizes: number[]): boolean {
    const got = members.map((m) => m.partitions());
    const all = got.flat();
    return (
      all.length === partitions &&
      new Set(all).size === partitions &&
      got
        .map((g) => g.length)
        .sort()
        .join() === [...sizes].sort().join()
    );
  }

  t.test('cooperative-sticky moves partitions incrementally as members join and leave', async (t) => {
    const topic = 'r-coop';
    const groupId = 'r-coop';
    const P = 6;
    await createTopic(topic, P);
    const members: Member[] = [];
    t.teardown(() => Promise.all(members.map((m) => m.close())));
    let produced = 0;
    const step = async (label: string): Promise<void> => {
      await produce(topic, P, produced, 5);
      produced += 5;
      await waitFor(`${label}: records up to ${produced} consumed`, () => consumedAll(members, P, produced));
      await waitCommitted(members.find((m) => !m.closing)!, topic, P, produced);
    };

    const m1 = await startMember('m1', groupId, topic, 'cooperative-sticky');
    members.push(m1);
    await waitFor('m1 owns all partitions', () => m1.assigned.size === P);
    t.equal(m1.consumer.rebalanceProtocol(), 'COOPERATIVE', 'librdkafka runs the cooperative protocol');
    await step('one member');

    const m1EventsBeforeM2 = m1.events.length;
    const m2 = await startMember('m2', groupId, topic, 'cooperative-sticky');
    members.push(m2);
    await waitFor('3 + 3', () => splitAs([m1, m2], P, [3, 3]));
    const m1Revokes = m1.events.slice(m1EventsBeforeM2).filter((e) => e.kind === 'revoke');
    t.same(
      m1Revokes.map((e) => e.partitions.length),
      [3],
      `when m2 joined, m1 had only 3 partitions revoked (${JSON.stringify(m1Revokes.map((e) => e.partitions))})`,
    );
    t.same(sorted([...m1.partitions(), ...m1Revokes.flatMap((e) => e.partitions)]), [0, 1, 2, 3, 4, 5], 'and kept the others');
    // librdkafka may first apply an empty incremental assignment while m1 gives partitions up.
    t.same(
      m2.events.filter((e) => e.partitions.length > 0).map((e) => [e.kind, e.partitions.length]),
      [['assign', 3]],
      `m2 got one incremental assignment of three (${JSON.stringify(m2.events)})`,
    );
    await step('two members');

    const eventsBeforeM3 = [m1.events.length, m2.events.length];
    const m3 = await startMember('m3', groupId, topic, 'cooperative-sticky');
    members.push(m3);
    await waitFor('2 + 2 + 2', () => splitAs([m1, m2, m3], P, [2, 2, 2]));
    for (const [i, m] of [m1, m2].entries()) {
      const revokes = m.events.slice(eventsBeforeM3[i]).filter((e) => e.kind === 'revoke');
      t.same(
        revokes.map((e) => e.partitions.length),
        [1],
        `when m3 joined, ${m.name} gave up one partition only`,
      );
    }
    await step('three members');

    // Members leave one by one: the others only gain partitions.
    const eventsBeforeLeave = [m1.events.length, m2.events.length];
    const m3Had = m3.partitions();
    await m3.close();
    await waitFor('3 + 3 after m3 left', () => splitAs([m1, m2], P, [3, 3]));
    for (const [i, m] of [m1, m2].entries()) {
      const after = m.events.slice(eventsBeforeLeave[i]);
      t.ok(
        after.every((e) => e.kind === 'assign'),
        `when m3 left, ${m.name} was only assigned partitions (${JSON.stringify(after)})`,
      );
    }
    t.same(
      sorted([m1, m2].flatMap((m) => m.events.slice(eventsBeforeLeave[[m1, m2].indexOf(m)]).flatMap((e) => e.partitions))),
      m3Had,
      "m3's partitions were handed out",
    );
    t.same(m3.events[m3.events.length - 1], { kind: 'revoke', partitions: m3Had, before: m3Had, closing: true }, 'm3 revoked its own partitions on close');
    await step('after m3 left');

    const m1BeforeM2Leaves = m1.events.length;
    await m2.close();
    await waitFor('m1 owns everything again', () => m1.assigned.size === P);
    t.ok(
      m1.events.slice(m1BeforeM2Leaves).every((e) => e.kind === 'assign'),
      'when m2 left, m1 was only assigned partitions',
    );
    await step('after m2 left');

    const fullRevokes = [m1, m2, m3].flatMap((m) => m.events.filter((e) => e.kind === 'revoke' && !e.closing && e.partitions.length === e.before.length).map((e) => `${m.name}: ${JSON.stringify(e)}`));
    t.same(fullRevokes, [], 'no member staying in the group ever had everything revoked');

    // A final synchronous commit of m1's positions, and the group's offsets are at the end of the log.
    const positions = m1.consumer.position();
    t.same(
      sorted(positions.map((p) => p.partition)),
      [0, 1, 2, 3, 4, 5],
      'm1 has a position on every partition',
    );
    m1.consumer.commitSync(positions);
    const offsets = await committed(m1, topic, P);
    t.same(
      offsets.map((o) => o.offset),
      Array.from({ length: P }, () => produced),
      'committed offsets at the end of every partition',
    );
    assertExactlyOnce(t, members, P, produced, 'cooperative');
    t.same(
      members.flatMap((m) => m.errors),
      [],
      'no client errors',
    );
    await m1.close();
  });

  for (const [strategy, expected] of [
    ['range', ['0,1', '2,3']],
    ['roundrobin', ['0,2', '1,3']],
  ] as const) {
    t.test(`${strategy}: two members on four partitions get two each`, async (t) => {
      const topic = `r-${strategy}`;
      const groupId = `r-${strategy}`;
      await createTopic(topic, 4);
      const members: Member[] = [];
      t.teardown(() => Promise.all(members.map((m) => m.close())));
      members.push(await startMember(`${strategy}-a`, groupId, topic, strategy));
      members.push(await startMember(`${strategy}-b`, groupId, topic, strategy));
      await waitFor('2 + 2', () => splitAs(members, 4, [2, 2]));
      t.equal(members[0]!.consumer.rebalanceProtocol(), 'EAGER', 'librdkafka runs the eager protocol');
      t.same(members.map((m) => m.partitions().join()).sort(), expected, `the ${strategy} assignment`);

      await produce(topic, 4, 0, 5);
      await waitFor('20 records consumed', () => consumedAll(members, 4, 5));
      await sleep(300);
      assertExactlyOnce(t, members, 4, 5, strategy);
      for (const m of members) {
        t.same(sorted(new Set(m.consumed.map((c) => c.partition))), m.partitions(), `${m.name} consumed its own partitions`);
      }
      await waitCommitted(members[0]!, topic, 4, 5);
      t.same(
        members.flatMap((m) => m.errors),
        [],
        'no client errors',
      );
    });
  }

  t.test('a static member that restarts within its session keeps its partitions without a rebalance', async (t) => {
    const topic = 'r-static';
    const groupId = 'r-static';
    await createTopic(topic, 4);
    const members: Member[] = [];
    t.teardown(() => Promise.all(members.map((m) => m.close())));
    const staticConf = (id: string) => ({ 'group.instance.id': id, 'session.timeout.ms': 10_000 });
    const b = await startMember('static-b', groupId, topic, 'range', staticConf('instance-b'));
    members.push(b);
    await waitFor('b owns all partitions', () => b.assigned.size === 4);
    const a = await startMember('static-a', groupId, topic, 'range', staticConf('instance-a'));
    members.push(a);
    await waitFor('2 + 2', () => splitAs([a, b], 4, [2, 2]));
    const aHad = a.partitions();
    const bHad = b.partitions();
    await produce(topic, 4, 0, 5);
    await waitFor('the first records consumed', () => consumedAll(members, 4, 5));
    await waitCommitted(b, topic, 4, 5);

    // The reference Kafka's harness keeps only warnings and errors of its log.
    const logged = broker.kind === 'samsa';
    if (logged) t.match(broker.log(), /group r-static: preparing to rebalance/, 'the broker logs rebalances of the group (a joined)');
    const bEvents = b.events.length;
    const logMark = broker.log().length;
    const closedAt = Date.now();
    await a.close();
    await sleep(1000);
    t.equal(b.events.length, bEvents, 'closing the static member did not rebalance the group');

    const a2 = await startMember('static-a', groupId, topic, 'range', staticConf('instance-a'));
    members.push(a2);
    await waitFor('the restarted member to get its partitions', () => a2.assigned.size > 0);
    t.ok(Date.now() - closedAt < 10_000, 'it came back within its session timeout');
    t.same(a2.partitions(), aHad, 'the restarted member got the same partitions');
    await sleep(1500);
    t.same(b.events.slice(bEvents), [], 'the other member was neither revoked nor reassigned');
    t.same(b.partitions(), bHad, 'and still owns its partitions');
    t.same(a2.events.map((e) => e.kind), ['assign'], 'the restarted member had a single assignment');
    if (logged) t.notMatch(broker.log().slice(logMark), /group r-static: preparing to rebalance/, 'the broker did not rebalance the group');

    await produce(topic, 4, 5, 5);
    await waitFor('the later records consumed', () => consumedAll(members, 4, 10));
    await sleep(300);
    assertExactlyOnce(t, members, 4, 10, 'static membership');
    t.ok(
      a2.consumed.every((c) => aHad.includes(c.partition) && c.offset >= 5),
      'the restarted member resumed its partitions at the committed offsets',
    );
    t.same(
      [a, a2, b].flatMap((m) => m.errors),
      [],
      'no client errors',
    );
  });
});
