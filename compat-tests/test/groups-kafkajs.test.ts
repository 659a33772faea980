/**
 * kafkajs consumer groups against a real Samsa process and the reference Kafka, with the same
 * assertions: partitions spread over members, a member that vanishes without LeaveGroup, several
 * groups on one topic, more members than partitions, committed offsets across a broker restart,
 * and the admin group APIs (reset offsets, describe, list, delete).
 *
 * kafkajs has no way to crash a consumer, so the crashing member gets its own client whose
 * sockets come from a socketFactory the test controls: destroying them (and refusing new ones)
 * silences it the way a dead process would, without a LeaveGroup.
 */
import t, { type Test } from 'tap';
import { createRequire } from 'node:module';
import net from 'node:net';
import { onEachBroker } from '../harness/target-broker.js';

const require = createRequire(import.meta.url);
// kafkajs ships CommonJS without types; the shapes used here are declared below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajs = require('kafkajs') as KafkaJsModule;

interface EachMessagePayload {
  topic: string;
  partition: number;
  message: { offset: string; key: Buffer | null; value: Buffer | null };
}
interface GroupJoinEvent {
  payload: { groupId: string; memberId: string; leaderId: string; isLeader: boolean; memberAssignment: Record<string, number[]>; groupProtocol: string };
}
interface KafkaJsConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(req: { topics: string[]; fromBeginning?: boolean }): Promise<void>;
  run(req: { autoCommit?: boolean; eachMessage: (p: EachMessagePayload) => Promise<void> }): Promise<void>;
  on(event: string, listener: (e: GroupJoinEvent) => void): () => void;
  events: { GROUP_JOIN: string; CRASH: string };
}
interface KafkaJsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(req: unknown): Promise<Array<{ partition: number; errorCode: number; baseOffset: string }>>;
}
interface OffsetsOfTopic {
  topic: string;
  partitions: Array<{ partition: number; offset: string; metadata: string | null }>;
}
interface DescribedGroup {
  errorCode: number;
  groupId: string;
  state: string;
  protocol: string;
  protocolType: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }>;
}
interface KafkaJsAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(req: unknown): Promise<boolean>;
  fetchOffsets(req: { groupId: string; topics: string[] }): Promise<OffsetsOfTopic[]>;
  resetOffsets(req: { groupId: string; topic: string; earliest?: boolean }): Promise<void>;
  describeGroups(groupIds: string[]): Promise<{ groups: DescribedGroup[] }>;
  listGroups(): Promise<{ groups: Array<{ groupId: string; protocolType: string }> }>;
  deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; errorCode: number }>>;
}
interface KafkaJsClient {
  producer(config?: unknown): KafkaJsProducer;
  consumer(config: unknown): KafkaJsConsumer;
  admin(): KafkaJsAdmin;
}
interface KafkaJsModule {
  Kafka: new (config: unknown) => KafkaJsClient;
  logLevel: { NOTHING: number };
  AssignerProtocol: { MemberAssignment: { decode(buffer: Buffer): { assignment: Record<string, number[]> } | null } };
}
interface DeleteGroupsError {
  name: string;
  groups: Array<{ groupId: string; errorCode: number; error?: { type: string } }>;
}

const groupSettings = { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '1000' };

await onEachBroker(t, { samsa: { overrides: groupSettings }, kafka: groupSettings }, async (t, broker) => {
  const clientConfig = { clientId: 'samsa-groups', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } };
  const kafka = new kafkajs.Kafka(clientConfig);
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const producer = kafka.producer();
  await producer.connect();
  t.teardown(() => producer.disconnect());

  const SESSION_TIMEOUT = 3000;

  async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function createTopic(topic: string, numPartitions: number): Promise<void> {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  }

  /** Produces `perPartition` records to every partition, values `p-offset` counted from `from`. */
  async function produce(topic: string, partitions: number, from: number, perPartition: number): Promise<void> {
    const messages = [];
    for (let i = from; i < from + perPartition; i++) for (let p = 0; p < partitions; p++) messages.push({ partition: p, key: `k${p}`, value: `${p}-${i}` });
    await producer.send({ topic, acks: -1, messages });
  }

  interface Consumed {
    partition: number;
    offset: number;
    value: string;
    at: number;
  }

  interface Member {
    name: string;
    consumer: KafkaJsConsumer;
    joins: Array<Record<string, number[]>>;
    consumed: Consumed[];
    /** Partitions of `topic` in the member's latest GROUP_JOIN, or null before its first. */
    partitions(topic: string): number[] | null;
    stop(): Promise<void>;
  }

  /** Starts a consumer of `groupId` subscribed to `topic` from the beginning. */
  async function startMember(name: string, groupId: string, topic: string, client: KafkaJsClient = kafka, extra: Record<string, unknown> = {}): Promise<Member> {
    const consumer = client.consumer({ groupId, sessionTimeout: SESSION_TIMEOUT, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 200, ...extra });
    const joins: Array<Record<string, number[]>> = [];
    const consumed: Consumed[] = [];
    consumer.on(consumer.events.GROUP_JOIN, (e) => joins.push(e.payload.memberAssignment));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        consumed.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '', at: Date.now() });
      },
    });
    let stopped = false;
    return {
      name,
      consumer,
      joins,
      consumed,
      partitions: (tp) => (joins.length === 0 ? null : [...(joins[joins.length - 1]![tp] ?? [])].sort((a, b) => a - b)),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await consumer.disconnect();
      },
    };
  }

  /** True when the members' latest assignments split the partitions with the given sizes. */
  function splitAs(members: Member[], topic: string, partitions: number, sizes: number[]): boolean {
    const got = members.map((m) => m.partitions(topic));
    if (got.some((g) => g === null)) return false;
    const all = got.flatMap((g) => g!);
    return (
      all.length === partitions &&
      new Set(all).size === partitions &&
      got
        .map((g) => g!.length)
        .sort()
        .join() === [...sizes].sort().join()
    );
  }

  function counts(members: Member[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of members) for (const c of m.consumed) out.set(`${c.partition}:${c.offset}`, (out.get(`${c.partition}:${c.offset}`) ?? 0) + 1);
    return out;
  }

  function total(members: Member[]): number {
    return members.reduce((n, m) => n + m.consumed.length, 0);
  }

  /** Every record `p:offset` for offsets [0, perPartition) consumed exactly once, values intact. */
  function assertExactlyOnce(t: Test, members: Member[], partitions: number, perPartition: number, label: string): void {
    const c = counts(members);
    const missing: string[] = [];
    const dup: string[] = [];
    for (let p = 0; p < partitions; p++) {
      for (let o = 0; o < perPartition; o++) {
        const n = c.get(`${p}:${o}`) ?? 0;
        if (n === 0) missing.push(`${p}:${o}`);
        if (n > 1) dup.push(`${p}:${o}x${n}`);
      }
    }
    t.same(missing, [], `${label}: no record missing`);
    t.same(dup, [], `${label}: no record consumed twice`);
    t.equal(c.size, partitions * perPartition, `${label}: nothing else consumed`);
    const badValue = members.flatMap((m) => m.consumed).filter((r) => r.value !== `${r.partition}-${r.offset}`);
    t.same(badValue, [], `${label}: values match their partition and offset`);
  }

  async function committed(groupId: string, topic: string): Promise<Record<number, string>> {
    const res = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(res.find((r) => r.topic === topic)!.partitions.map((p) => [p.partition, p.offset]));
  }

  async function waitCommitted(groupId: string, topic: string, partitions: number, offset: number): Promise<void> {
    await waitFor(`${groupId} to commit offset ${offset} on every partition of ${topic}`, async () => {
      const c = await committed(groupId, topic);
      return Array.from({ length: partitions }, (_, p) => c[p]).every((o) => o === String(offset));
    });
  }

  t.test('three members share six partitions, two each, and consume every record once', async (t) => {
    const topic = 'g-three';
    await createTopic(topic, 6);
    const members: Member[] = [];
    t.teardown(() => Promise.all(members.map((m) => m.stop())));
    for (const name of ['a', 'b', 'c']) members.push(await startMember(name, 'g-three', topic));
    await waitFor('two partitions each', () => splitAs(members, topic, 6, [2, 2, 2]));
    const assigned = members.map((m) => m.partitions(topic)!);
    t.ok(
      assigned.every((a) => a.length === 2),
      `GROUP_JOIN assignments ${JSON.stringify(assigned)}`,
    );

    await produce(topic, 6, 0, 10);
    await waitFor('60 records consumed', () => total(members) >= 60);
    await sleep(500);
    assertExactlyOnce(t, members, 6, 10, 'three members');
    for (const [i, m] of members.entries()) {
      const read = [...new Set(m.consumed.map((c) => c.partition))].sort((a, b) => a - b);
      t.same(read, assigned[i], `member ${m.name} consumed exactly its assigned partitions`);
    }
    await waitCommitted('g-three', topic, 6, 10);
  });

  t.test('a member that dies without leaving loses its partitions after its session timeout', async (t) => {
    const topic = 'g-crash';
    const groupId = 'g-crash';
    await createTopic(topic, 6);

    // The victim's own client: every socket it opens is tracked, and after the crash new ones are refused.
    const sockets = new Set<net.Socket>();
    let dead = false;
    const victimClient = new kafkajs.Kafka({
      ...clientConfig,
      clientId: 'victim',
      retry: { retries: 0, restartOnFailure: async () => false },
      socketFactory: ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) => {
        const socket = dead ? net.connect({ host: '127.0.0.1', port: 1 }) : net.connect({ host, port }, onConnect);
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        return socket;
      },
    });

    const survivors: Member[] = [];
    t.teardown(() => Promise.all(survivors.map((m) => m.stop())));
    survivors.push(await startMember('a', groupId, topic));
    const victim = await startMember('victim', groupId, topic, victimClient);
    // kafkajs keeps a timer per connection until the client disconnects; the dead client's LeaveGroup cannot get through.
    t.teardown(() => Promise.race([victim.stop().catch(() => undefined), sleep(5000)]));
    let victimCrashed = false;
    victim.consumer.on(victim.consumer.events.CRASH, () => (victimCrashed = true));
    survivors.push(await startMember('b', groupId, topic));
    const all = [...survivors, victim];
    await waitFor('two partitions each', () => splitAs(all, topic, 6, [2, 2, 2]));
    const victimPartitions = victim.partitions(topic)!;

    await produce(topic, 6, 0, 10);
    await waitFor('the first 60 records consumed', () => total(all) >= 60);
    await waitCommitted(groupId, topic, 6, 10);
    const before = await committed(groupId, topic);
    t.ok(
      victim.consumed.length > 0 && victim.consumed.every((c) => victimPartitions.includes(c.partition)),
      `the victim consumed its partitions ${victimPartitions.join(',')} before dying`,
    );

    // Crash: every socket of the victim is destroyed and it can open no new one, so no LeaveGroup reaches the broker.
    const joinsBefore = survivors.map((m) => m.joins.length);
    dead = true;
    const crashedAt = Date.now();
    for (const s of sockets) s.destroy(new Error('simulated crash'));
    const victimConsumedAtCrash = victim.consumed.length;

    await produce(topic, 6, 10, 10);
    await waitFor(
      "the survivors to take over the victim's partitions",
      () => survivors.every((m, i) => m.joins.length > joinsBefore[i]!) && splitAs(survivors, topic, 6, [3, 3]),
      SESSION_TIMEOUT + 10_000,
    );
    const movedAfter = Date.now() - crashedAt;
    t.ok(movedAfter < SESSION_TIMEOUT + 5000, `partitions moved ${movedAfter} ms after the crash (session timeout ${SESSION_TIMEOUT} ms)`);
    t.ok(movedAfter >= SESSION_TIMEOUT - 500, `not before the session could expire (${movedAfter} ms)`);
    // The reference Kafka's harness keeps only warnings and errors of its log.
    if (broker.kind === 'samsa') t.match(broker.log(), /group g-crash: member victim-\S+ session expired/, 'the broker logged the expired session');

    await waitFor('the remaining records consumed', () => {
      const c = counts(survivors);
      for (let p = 0; p < 6; p++) for (let o = 10; o < 20; o++) if (!c.has(`${p}:${o}`)) return false;
      return true;
    });
    await sleep(500);
    t.equal(victim.consumed.length, victimConsumedAtCrash, 'the dead member consumed nothing more');

    const c = counts(all);
    const redelivered: string[] = [];
    for (let p = 0; p < 6; p++) for (let o = 0; o < Number(before[p]); o++) if (c.get(`${p}:${o}`) !== 1) redelivered.push(`${p}:${o}x${c.get(`${p}:${o}`) ?? 0}`);
    t.same(redelivered, [], 'records committed before the crash were consumed exactly once');
    const missing: string[] = [];
    for (let p = 0; p < 6; p++) for (let o = 0; o < 20; o++) if (!c.has(`${p}:${o}`)) missing.push(`${p}:${o}`);
    t.same(missing, [], 'every record consumed');
    const takenOver = survivors.flatMap((m) => m.consumed).filter((r) => victimPartitions.includes(r.partition) && r.offset >= 10);
    t.equal(takenOver.length, victimPartitions.length * 10, "the survivors consumed the victim's partitions after the crash");
    await waitCommitted(groupId, topic, 6, 20);
    t.ok(
      [...sockets].every((s) => s.destroyed || s.remotePort !== broker.port),
      `the victim has no live connection to the broker (crash event seen: ${victimCrashed})`,
    );
  });

  t.test('two groups on one topic each read every record', async (t) => {
    const topic = 'g-fan';
    await createTopic(topic, 3);
    const groupA: Member[] = [];
    const groupB: Member[] = [];
    t.teardown(() => Promise.all([...groupA, ...groupB].map((m) => m.stop())));
    groupA.push(await startMember('a1', 'g-fan-a', topic));
    groupA.push(await startMember('a2', 'g-fan-a', topic));
    groupB.push(await startMember('b1', 'g-fan-b', topic));
    await waitFor('both groups stable', () => splitAs(groupA, topic, 3, [1, 2]) && splitAs(groupB, topic, 3, [3]));
    await produce(topic, 3, 0, 20);
    await waitFor('each group consumed 60 records', () => total(groupA) >= 60 && total(groupB) >= 60);
    await sleep(500);
    assertExactlyOnce(t, groupA, 3, 20, 'group a');
    assertExactlyOnce(t, groupB, 3, 20, 'group b');
    await waitCommitted('g-fan-a', topic, 3, 20);
    await waitCommitted('g-fan-b', topic, 3, 20);
  });

  t.test('with more members than partitions one member gets nothing', async (t) => {
    const topic = 'g-small';
    const groupId = 'g-small';
    await createTopic(topic, 2);
    const members: Member[] = [];
    t.teardown(() => Promise.all(members.map((m) => m.stop())));
    for (const name of ['a', 'b', 'c']) members.push(await startMember(name, groupId, topic));
    await waitFor('a stable group of three', async () => {
      if (!splitAs(members, topic, 2, [0, 1, 1])) return false;
      const g = (await admin.describeGroups([groupId])).groups[0]!;
      return g.state === 'Stable' && g.members.length === 3;
    });
    const idle = members.filter((m) => m.partitions(topic)!.length === 0);
    t.equal(idle.length, 1, 'exactly one member has no partition');
    t.same(idle[0]!.joins[idle[0]!.joins.length - 1], {}, 'its GROUP_JOIN memberAssignment is empty');

    const described = (await admin.describeGroups([groupId])).groups[0]!;
    const decoded = described.members.map((m) => kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? []);
    t.same(
      decoded.map((d) => d.length).sort(),
      [0, 1, 1],
      `DescribeGroups shows the same split ${JSON.stringify(decoded)}`,
    );

    await produce(topic, 2, 0, 15);
    await waitFor('30 records consumed', () => total(members) >= 30);
    await sleep(500);
    assertExactlyOnce(t, members, 2, 15, 'three members, two partitions');
    t.equal(idle[0]!.consumed.length, 0, 'the idle member consumed nothing');
  });

  t.test('committed offsets survive a broker restart', async (t) => {
    const topic = 'g-restart';
    const groupId = 'g-restart';
    await createTopic(topic, 3);
    await produce(topic, 3, 0, 10);
    const first = await startMember('first', groupId, topic);
    t.teardown(() => first.stop());
    await waitFor('the first 30 records consumed', () => first.consumed.length >= 30);
    await waitCommitted(groupId, topic, 3, 10);
    await first.stop();
    const before = await committed(groupId, topic);
    t.same(before, { 0: '10', 1: '10', 2: '10' }, 'offsets committed before the restart');

    await broker.restart('SIGTERM');
    let after: Record<number, string> = {};
    await waitFor('OffsetFetch to answer after the restart', async () => {
      try {
        after = await committed(groupId, topic);
        return true;
      } catch {
        return false;
      }
    });
    t.same(after, before, 'fetchOffsets returns the same offsets after the restart');

    await produce(topic, 3, 10, 10);
    const second = await startMember('second', groupId, topic);
    t.teardown(() => second.stop());
    await waitFor('the later 30 records consumed', () => second.consumed.length >= 30);
    await sleep(500);
    const offsets = second.consumed.map((c) => c.offset);
    t.equal(second.consumed.length, 30, 'only the later records consumed');
    t.ok(
      offsets.every((o) => o >= 10),
      'consumption resumed at the committed offsets',
    );
    t.equal(new Set(second.consumed.map((c) => `${c.partition}:${c.offset}`)).size, 30, 'each once');
    await waitCommitted(groupId, topic, 3, 20);
  });

  t.test('admin: describe, list, reset offsets to replay, delete groups', async (t) => {
    const topic = 'g-reset';
    const groupId = 'g-reset';
    await createTopic(topic, 2);
    await produce(topic, 2, 0, 10);
    const first = await startMember('first', groupId, topic);
    t.teardown(() => first.stop());
    await waitFor('20 records consumed', () => first.consumed.length >= 20);
    await waitCommitted(groupId, topic, 2, 10);
    await waitFor('the group to be stable', async () => (await admin.describeGroups([groupId])).groups[0]!.state === 'Stable');

    const running = (await admin.describeGroups([groupId])).groups[0]!;
    t.equal(running.errorCode, 0);
    t.equal(running.state, 'Stable');
    t.equal(running.protocolType, 'consumer');
    t.equal(running.protocol, 'RoundRobinAssigner', 'the protocol kafkajs chose');
    t.equal(running.members.length, 1, 'one member');
    t.equal(running.members[0]!.clientId, 'samsa-groups');
    // In the order of the brokers' Metadata, which Kafka does not sort.
    const assigned = kafkajs.AssignerProtocol.MemberAssignment.decode(running.members[0]!.memberAssignment)?.assignment[topic];
    t.same([...(assigned ?? [])].sort(), [0, 1], 'its assignment');

    const listed = (await admin.listGroups()).groups;
    t.same(
      listed.find((g) => g.groupId === groupId),
      { groupId, protocolType: 'consumer' },
      'listGroups shows the group',
    );
    t.ok(
      ['g-three', 'g-crash', 'g-fan-a', 'g-fan-b', 'g-small', 'g-restart'].every((id) => listed.some((g) => g.groupId === id)),
      'and the earlier groups',
    );

    const nonEmpty = await admin.deleteGroups([groupId]).then(
      () => null,
      (e: DeleteGroupsError) => e,
    );
    t.equal(nonEmpty?.name, 'KafkaJSDeleteGroupsError', 'deleting a group with members fails');
    t.equal(nonEmpty?.groups[0]?.error?.type, 'NON_EMPTY_GROUP', 'with NON_EMPTY_GROUP');

    await first.stop();
    const empty = (await admin.describeGroups([groupId])).groups[0]!;
    t.equal(empty.state, 'Empty', 'the group is empty after its member left');
    t.equal(empty.members.length, 0);

    await admin.resetOffsets({ groupId, topic, earliest: true });
    const replay = await startMember('replay', groupId, topic);
    t.teardown(() => replay.stop());
    await waitFor('the log replayed', () => replay.consumed.length >= 20);
    await sleep(500);
    assertExactlyOnce(t, [replay], 2, 10, 'after resetOffsets');
    await waitCommitted(groupId, topic, 2, 10);
    await replay.stop();

    const deleted = await admin.deleteGroups([groupId]);
    t.same(
      deleted.map((r) => [r.groupId, r.errorCode]),
      [[groupId, 0]],
      'deleting the empty group succeeds',
    );
    t.notOk(
      (await admin.listGroups()).groups.some((g) => g.groupId === groupId),
      'it is no longer listed',
    );
    t.same(await committed(groupId, topic), { 0: '-1', 1: '-1' }, 'its offsets are gone');
    t.equal((await admin.describeGroups([groupId])).groups[0]!.state, 'Dead', 'and it describes as Dead');

    const unknown = await admin.deleteGroups(['g-no-such-group']).then(
      () => null,
      (e: DeleteGroupsError) => e,
    );
    t.equal(unknown?.groups[0]?.error?.type, 'GROUP_ID_NOT_FOUND', 'deleting an unknown group fails with GROUP_ID_NOT_FOUND');
  });
});
