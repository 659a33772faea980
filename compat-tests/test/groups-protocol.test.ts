/**
 * The classic consumer-group protocol over raw requests, checked against Kafka 3.9's coordinator:
 * FindCoordinator, JoinGroup (KIP-394 member ids, validation), the rebalance and SyncGroup
 * hand-off between leader and followers, heartbeats and session expiry, static membership
 * (KIP-345), batched LeaveGroup, OffsetCommit/OffsetFetch, DescribeGroups/ListGroups,
 * DeleteGroups/OffsetDelete, the internal offsets topic, and persistence across a restart.
 *
 * Each member has its own connection: a JoinGroup or SyncGroup that waits for the other members
 * holds its connection, as Kafka processes one request per connection at a time. The broker runs
 * with group.initial.rebalance.delay.ms=0 (no 3 s wait for a new group's first rebalance) and
 * group.min.session.timeout.ms=500, so that session expiry can be tested with 1 s sessions.
 */
import t, { type Test } from 'tap';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { Writer } from '../../protocol/codec/writer.js';
import { defaultConsumerProtocolSubscription, encodeConsumerProtocolSubscription } from '../../protocol/messages/data/consumer-protocol-subscription.js';
import { buildBatch } from '../../protocol/records/index.js';
import {
  createTopicsApi,
  defaultCreateTopicsRequest,
  defaultDeleteGroupsRequest,
  defaultDescribeGroupsRequest,
  defaultFindCoordinatorRequest,
  defaultHeartbeatRequest,
  defaultJoinGroupRequest,
  defaultLeaveGroupRequest,
  defaultListGroupsRequest,
  defaultMetadataRequest,
  defaultOffsetCommitRequest,
  defaultOffsetCommitRequestPartition,
  defaultOffsetDeleteRequest,
  defaultOffsetFetchRequest,
  defaultOffsetFetchRequestGroup,
  defaultProduceRequest,
  defaultSyncGroupRequest,
  deleteGroupsApi,
  describeGroupsApi,
  findCoordinatorApi,
  heartbeatApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  metadataApi,
  offsetCommitApi,
  offsetDeleteApi,
  offsetFetchApi,
  produceApi,
  syncGroupApi,
  type DescribeGroupsResponseDescribedGroup,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type ListGroupsResponseListedGroup,
  type OffsetFetchResponseGroup,
  type SyncGroupResponse,
} from '../../protocol/messages/index.js';

const samsa = await SamsaProcess.start({
  overrides: { 'group.initial.rebalance.delay.ms': '0', 'group.min.session.timeout.ms': '500' },
});
t.teardown(() => samsa.close());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function open(t: Test): Promise<RawConnection> {
  const c = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => c.close());
  return c;
}

async function createTopic(c: RawConnection, name: string, partitions: number): Promise<void> {
  const res = await c.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }] });
  const r = res.topics[0]!;
  if (r.errorCode !== 0) throw new Error(`create ${name}: ${r.errorCode} ${r.errorMessage}`);
}

/** Retries `fn` until it returns true; fails with `what` after `timeoutMs`. */
async function waitFor(fn: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Resolves 'answered' if `p` settles within `ms`, else 'waiting'. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<'answered' | 'waiting'> {
  return Promise.race([p.then(() => 'answered' as const, () => 'answered' as const), sleep(ms).then(() => 'waiting' as const)]);
}

// ---- embedded consumer protocol -------------------------------------------------------------

/** A real ConsumerProtocolSubscription v0, prefixed by its int16 version, as Java clients send. */
function subscription(topics: string[]): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolSubscription(w, { ...defaultConsumerProtocolSubscription(), topics }, 0);
  return w.toBuffer();
}

// ---- group requests -------------------------------------------------------------------------

interface JoinOpts {
  memberId?: string;
  instanceId?: string | null;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  protocolType?: string;
  protocols?: Array<{ name: string; metadata: Buffer }>;
  version?: number;
}

function joinRequest(groupId: string, o: JoinOpts): JoinGroupRequest {
  return {
    ...defaultJoinGroupRequest(),
    groupId,
    memberId: o.memberId ?? '',
    groupInstanceId: o.instanceId ?? null,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? 10_000,
    protocolType: o.protocolType ?? 'consumer',
    protocols: o.protocols ?? [{ name: 'range', metadata: subscription(['unused-topic']) }],
  };
}

function join(c: RawConnection, groupId: string, o: JoinOpts = {}): Promise<JoinGroupResponse> {
  return c.request(joinGroupApi, o.version ?? 9, joinRequest(groupId, o));
}

/** A new member's join: with v4+, first MEMBER_ID_REQUIRED and then the join with that id (KIP-394). */
async function joinNew(c: RawConnection, groupId: string, o: JoinOpts = {}): Promise<JoinGroupResponse> {
  const first = await join(c, groupId, { ...o, memberId: '' });
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) return first;
  return join(c, groupId, { ...o, memberId: first.memberId });
}

function sync(
  c: RawConnection,
  groupId: string,
  generationId: number,
  memberId: string,
  assignments: Record<string, Buffer> = {},
  instanceId: string | null = null,
): Promise<SyncGroupResponse> {
  return c.request(syncGroupApi, 5, {
    ...defaultSyncGroupRequest(),
    groupId,
    generationId,
    memberId,
    groupInstanceId: instanceId,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: Object.entries(assignments).map(([id, assignment]) => ({ memberId: id, assignment })),
  });
}

async function heartbeat(c: RawConnection, groupId: string, generationId: number, memberId: string, instanceId: string | null = null): Promise<number> {
  const res = await c.request(heartbeatApi, 4, { ...defaultHeartbeatRequest(), groupId, generationId, memberId, groupInstanceId: instanceId });
  return res.errorCode;
}

interface CommitPart {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch?: number;
  metadata?: string | null;
}

interface CommitOpts {
  generation?: number;
  memberId?: string;
  instanceId?: string | null;
  version?: number;
}

/** OffsetCommit; returns the error code of each partition as `topic:partition`. */
async function commit(c: RawConnection, groupId: string, parts: CommitPart[], o: CommitOpts = {}): Promise<Record<string, number>> {
  const topics = new Map<string, CommitPart[]>();
  for (const p of parts) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p]);
  const res = await c.request(offsetCommitApi, o.version ?? 8, {
    ...defaultOffsetCommitRequest(),
    groupId,
    generationIdOrMemberEpoch: o.generation ?? -1,
    memberId: o.memberId ?? '',
    groupInstanceId: o.instanceId ?? null,
    topics: [...topics].map(([name, ps]) => ({
      name,
      partitions: ps.map((p) => ({
        ...defaultOffsetCommitRequestPartition(),
        partitionIndex: p.partition,
        committedOffset: BigInt(p.offset),
        committedLeaderEpoch: p.leaderEpoch ?? -1,
        committedMetadata: p.metadata === undefined ? '' : p.metadata,
      })),
    })),
  });
  const out: Record<string, number> = {};
  for (const topic of res.topics) for (const p of topic.partitions) out[`${topic.name}:${p.partitionIndex}`] = p.errorCode;
  return out;
}

type TopicsAsked = Array<{ name: string; partitionIndexes: number[] }> | null;

/** OffsetFetch v8 for several groups at once. */
async function fetchOffsets(c: RawConnection, groups: Array<{ groupId: string; topics: TopicsAsked }>): Promise<OffsetFetchResponseGroup[]> {
  const res = await c.request(offsetFetchApi, 8, {
    ...defaultOffsetFetchRequest(),
    groups: groups.map((g) => ({ ...defaultOffsetFetchRequestGroup(), groupId: g.groupId, topics: g.topics })),
  });
  return res.groups;
}

interface Committed {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

/** A fetched group's offsets as `topic:partition` → committed offset, epoch and metadata. */
function offsetsOf(g: OffsetFetchResponseGroup): Record<string, Committed> {
  const out: Record<string, Committed> = {};
  for (const topic of g.topics) {
    for (const p of topic.partitions) {
      out[`${topic.name}:${p.partitionIndex}`] = { offset: Number(p.committedOffset), leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata, errorCode: p.errorCode };
    }
  }
  return out;
}

async function fetchOne(c: RawConnection, groupId: string, topics: TopicsAsked): Promise<Record<string, Committed>> {
  const [g] = await fetchOffsets(c, [{ groupId, topics }]);
  if (g === undefined) throw new Error(`OffsetFetch answered no group for ${groupId}`);
  return offsetsOf(g);
}

async function describe(c: RawConnection, groups: string[]): Promise<DescribeGroupsResponseDescribedGroup[]> {
  const res = await c.request(describeGroupsApi, 5, { ...defaultDescribeGroupsRequest(), groups });
  return res.groups;
}

async function describeOne(c: RawConnection, groupId: string): Promise<DescribeGroupsResponseDescribedGroup> {
  return (await describe(c, [groupId]))[0]!;
}

async function listGroups(c: RawConnection, version: number, statesFilter: string[] = [], typesFilter: string[] = []): Promise<ListGroupsResponseListedGroup[]> {
  const res = await c.request(listGroupsApi, version, { ...defaultListGroupsRequest(), statesFilter, typesFilter });
  if (res.errorCode !== 0) throw new Error(`ListGroups v${version}: error ${res.errorCode}`);
  return res.groups;
}

// ---- forming groups -------------------------------------------------------------------------

interface MemberSpec {
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  topics?: string[];
  instanceId?: string;
}

interface Member {
  conn: RawConnection;
  memberId: string;
  instanceId: string | null;
  spec: MemberSpec;
}

interface FormedGroup {
  groupId: string;
  generation: number;
  leaderId: string;
  members: Member[];
  /** What the leader assigned each member in the last generation. */
  assignments: Map<string, Buffer>;
}

function memberJoinOpts(spec: MemberSpec, memberId = ''): JoinOpts {
  return {
    memberId,
    instanceId: spec.instanceId ?? null,
    sessionTimeoutMs: spec.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: spec.rebalanceTimeoutMs ?? 10_000,
    protocols: [{ name: 'range', metadata: subscription(spec.topics ?? ['unused-topic']) }],
  };
}

/**
 * Forms a Stable group one member at a time, as consumers starting one after another would: each
 * new member's join starts a rebalance, the members already in learn of it from a heartbeat and
 * rejoin, then the leader sends every member's assignment through SyncGroup.
 */
async function formGroup(t: Test, groupId: string, specs: MemberSpec[]): Promise<FormedGroup> {
  const members: Member[] = [];
  let generation = -1;
  let leaderId = '';
  let assignments = new Map<string, Buffer>();
  for (const spec of specs) {
    const conn = await open(t);
    const joining = joinNew(conn, groupId, memberJoinOpts(spec));
    let rejoins: Array<Promise<JoinGroupResponse>> = [];
    if (members.length > 0) {
      const first = members[0]!;
      await waitFor(
        async () => (await heartbeat(first.conn, groupId, generation, first.memberId, first.instanceId)) === ErrorCode.REBALANCE_IN_PROGRESS,
        5000,
        `${groupId}: a heartbeat answering REBALANCE_IN_PROGRESS after a new member joined`,
        50,
      );
      rejoins = members.map((m) => join(m.conn, groupId, memberJoinOpts(m.spec, m.memberId)));
    }
    const [fresh, ...others] = await Promise.all([joining, ...rejoins]);
    for (const r of [fresh!, ...others]) {
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`${groupId}: JoinGroup failed with ${r.errorCode}`);
    }
    members.push({ conn, memberId: fresh!.memberId, instanceId: spec.instanceId ?? null, spec });
    generation = fresh!.generationId;
    leaderId = fresh!.leader;
    assignments = new Map(members.map((m) => [m.memberId, Buffer.from(`assignment of ${m.memberId} in ${generation}`)]));
    const leader = members.find((m) => m.memberId === leaderId);
    if (leader === undefined) throw new Error(`${groupId}: leader ${leaderId} is not one of the members`);
    const followerSyncs = members.filter((m) => m !== leader).map((m) => sync(m.conn, groupId, generation, m.memberId, {}, m.instanceId));
    const leaderSync = sync(leader.conn, groupId, generation, leaderId, Object.fromEntries(assignments), leader.instanceId);
    for (const r of await Promise.all([leaderSync, ...followerSyncs])) {
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`${groupId}: SyncGroup failed with ${r.errorCode}`);
    }
  }
  return { groupId, generation, leaderId, members, assignments };
}

// ---- shared fixtures ------------------------------------------------------------------------

const ctl = await RawConnection.open(samsa.host, samsa.port);
t.teardown(() => ctl.close());

const meta = await ctl.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: [] });
const self = meta.brokers[0]!;
// Created before the first subtest: top-level awaits would otherwise run alongside it.
await createTopic(ctl, 'oc-topic', 4);

// ---- tests ----------------------------------------------------------------------------------

/** FindCoordinator, retried while the coordinator is not available yet (Kafka creates its topic on first lookup). */
async function findCoordinator(version: number, body: FindCoordinatorRequest): Promise<FindCoordinatorResponse> {
  for (let i = 0; ; i++) {
    const res = await ctl.request(findCoordinatorApi, version, body);
    const codes = version >= 4 ? res.coordinators.map((c) => c.errorCode) : [res.errorCode];
    if (!codes.includes(ErrorCode.COORDINATOR_NOT_AVAILABLE) || i >= 50) return res;
    await sleep(100);
  }
}

t.test('FindCoordinator: this broker for groups and transactional ids, batched (v4+) and single (v0-3)', async (t) => {
  const batched = await findCoordinator(4, { ...defaultFindCoordinatorRequest(), keyType: 0, coordinatorKeys: ['fc-group-a', 'fc-group-b', 'fc-group-c'] });
  t.same(
    batched.coordinators.map((c) => ({ key: c.key, errorCode: c.errorCode, nodeId: c.nodeId, host: c.host, port: c.port })),
    ['fc-group-a', 'fc-group-b', 'fc-group-c'].map((key) => ({ key, errorCode: 0, nodeId: self.nodeId, host: self.host, port: self.port })),
    'v4: one answer per group key, each naming this broker',
  );
  const txn = await findCoordinator(4, { ...defaultFindCoordinatorRequest(), keyType: 1, coordinatorKeys: ['fc-txn-a', 'fc-txn-b'] });
  t.same(
    txn.coordinators.map((c) => ({ key: c.key, errorCode: c.errorCode, nodeId: c.nodeId, port: c.port })),
    ['fc-txn-a', 'fc-txn-b'].map((key) => ({ key, errorCode: 0, nodeId: self.nodeId, port: self.port })),
    'v4: transactional ids (key type 1) are answered too',
  );
  for (const v of [0, 1, 2, 3]) {
    const res = await findCoordinator(v, { ...defaultFindCoordinatorRequest(), key: `fc-single-${v}` });
    t.same({ errorCode: res.errorCode, nodeId: res.nodeId, host: res.host, port: res.port }, { errorCode: 0, nodeId: self.nodeId, host: self.host, port: self.port }, `v${v}: a single group key`);
  }
  const single = await findCoordinator(3, { ...defaultFindCoordinatorRequest(), key: 'fc-txn-single', keyType: 1 });
  t.equal(single.errorCode, ErrorCode.NONE, 'v3: a transactional id');
  t.equal(single.nodeId, self.nodeId);

  const badBatch = await ctl.request(findCoordinatorApi, 4, { ...defaultFindCoordinatorRequest(), keyType: 7, coordinatorKeys: ['fc-x', 'fc-y'] });
  t.same(badBatch.coordinators.map((c) => [c.key, c.errorCode]), [['fc-x', ErrorCode.INVALID_REQUEST], ['fc-y', ErrorCode.INVALID_REQUEST]], 'v4: an unknown key type fails every key with INVALID_REQUEST');
  const badSingle = await ctl.request(findCoordinatorApi, 3, { ...defaultFindCoordinatorRequest(), key: 'fc-x', keyType: 7 });
  t.equal(badSingle.errorCode, ErrorCode.INVALID_REQUEST, 'v3: an unknown key type is INVALID_REQUEST');
});

t.test('JoinGroup: KIP-394 member id, first generation, old versions join directly', async (t) => {
  const c = await open(t);
  const metadata = subscription(['jg-topic']);
  const protocols = [{ name: 'range', metadata }];
  const first = await join(c, 'jg-basic', { protocols });
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'v9 without a member id: MEMBER_ID_REQUIRED');
  t.ok(first.memberId.length > 0, `with a member id to join with (${first.memberId})`);
  t.equal(first.generationId, -1);

  const joined = await join(c, 'jg-basic', { memberId: first.memberId, protocols });
  t.equal(joined.errorCode, ErrorCode.NONE);
  t.equal(joined.memberId, first.memberId, 'keeps the id it was given');
  t.equal(joined.generationId, 1, 'generation 1');
  t.equal(joined.leader, first.memberId, 'the only member leads');
  t.equal(joined.protocolType, 'consumer');
  t.equal(joined.protocolName, 'range');
  t.equal(joined.skipAssignment, false);
  t.equal(joined.members.length, 1, 'the leader gets the member list');
  t.equal(joined.members[0]?.memberId, first.memberId);
  t.equal(joined.members[0]?.groupInstanceId, null);
  t.ok(joined.members[0]?.metadata.equals(metadata), 'with the metadata it joined with');

  const synced = await sync(c, 'jg-basic', 1, first.memberId, { [first.memberId]: Buffer.from('mine') });
  t.equal(synced.errorCode, ErrorCode.NONE);
  t.equal(synced.assignment.toString(), 'mine', 'the leader gets its own assignment back');
  t.equal(synced.protocolType, 'consumer');
  t.equal(synced.protocolName, 'range');
  t.equal(await heartbeat(c, 'jg-basic', 1, first.memberId), ErrorCode.NONE, 'Stable: heartbeat NONE');

  const old = await open(t);
  const v3 = await join(old, 'jg-v3', { version: 3, protocols });
  t.equal(v3.errorCode, ErrorCode.NONE, 'v3 (before KIP-394) joins without a second round');
  t.ok(v3.memberId.length > 0, 'and gets its member id in the answer');
  t.equal(v3.generationId, 1);
  t.equal(v3.leader, v3.memberId);
  t.equal(v3.protocolName, 'range');
  t.equal(v3.members.length, 1);
});

t.test('JoinGroup validation', async (t) => {
  const c = await open(t);
  t.equal((await join(c, 'jg-errors', { sessionTimeoutMs: 100 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'session timeout below group.min.session.timeout.ms');
  t.equal((await join(c, 'jg-errors', { sessionTimeoutMs: 1_800_001 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'session timeout above group.max.session.timeout.ms');
  t.equal((await join(c, '')).errorCode, ErrorCode.INVALID_GROUP_ID, 'empty group id');
  t.equal((await join(c, 'jg-no-type', { protocolType: '' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'an empty protocol type into an empty group');
  t.equal((await join(c, 'jg-no-protocols', { protocols: [] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'no protocols into an empty group');
  t.equal((await join(c, 'jg-never-existed', { memberId: 'made-up-id' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a member id for a group that does not exist');

  const g = await formGroup(t, 'jg-proto', [{}]);
  t.equal((await join(c, 'jg-proto', { protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'a different protocol type than the group');
  t.equal(
    (await join(c, 'jg-proto', { protocols: [{ name: 'roundrobin', metadata: subscription(['x']) }] })).errorCode,
    ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    'no protocol name in common with the members',
  );
  t.equal((await join(c, 'jg-proto', { memberId: 'made-up-id' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'an unknown member id');
  const overlap = await join(c, 'jg-proto', { protocols: [{ name: 'roundrobin', metadata: subscription(['x']) }, { name: 'range', metadata: subscription(['x']) }] });
  t.equal(overlap.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'one protocol in common is enough');
  const leader = g.members[0]!;
  t.equal(await heartbeat(leader.conn, 'jg-proto', g.generation, leader.memberId), ErrorCode.NONE, 'refused joins left the group alone');
});

t.test('two members: rebalance, leader, SyncGroup hand-off', async (t) => {
  const group = 'pair';
  const ca = await open(t);
  const cb = await open(t);
  const metaA = subscription(['pair-topic-a']);
  const metaB = subscription(['pair-topic-b']);
  const a1 = await joinNew(ca, group, { protocols: [{ name: 'range', metadata: metaA }] });
  t.equal(a1.errorCode, ErrorCode.NONE);
  t.equal(a1.generationId, 1);
  const idA = a1.memberId;
  t.equal((await sync(ca, group, 1, idA, { [idA]: Buffer.from('A1') })).assignment.toString(), 'A1');
  t.equal(await heartbeat(ca, group, 1, idA), ErrorCode.NONE, 'generation 1 is Stable');

  const bJoining = joinNew(cb, group, { protocols: [{ name: 'range', metadata: metaB }] });
  const waited = await waitFor(async () => (await heartbeat(ca, group, 1, idA)) === ErrorCode.REBALANCE_IN_PROGRESS, 5000, 'REBALANCE_IN_PROGRESS', 50);
  t.pass(`the first member's heartbeat answers REBALANCE_IN_PROGRESS once the second joins (${waited} ms)`);
  t.equal((await describeOne(ctl, group)).groupState, 'PreparingRebalance', 'DescribeGroups: PreparingRebalance');
  t.equal(await settlesWithin(bJoining, 300), 'waiting', "the new member's JoinGroup waits for the first member to rejoin");

  const [ra, rb] = await Promise.all([join(ca, group, { memberId: idA, protocols: [{ name: 'range', metadata: metaA }] }), bJoining]);
  t.equal(ra.errorCode, ErrorCode.NONE);
  t.equal(rb.errorCode, ErrorCode.NONE);
  const idB = rb.memberId;
  t.not(idB, idA);
  t.equal(ra.generationId, 2, 'the rejoining member is in generation 2');
  t.equal(rb.generationId, 2, 'the new member is in generation 2');
  t.equal(ra.leader, rb.leader, 'both are told the same leader');
  t.ok([idA, idB].includes(ra.leader), 'the leader is one of them');
  const [leaderRes, followerRes] = ra.leader === idA ? [ra, rb] : [rb, ra];
  const [leaderConn, followerConn] = ra.leader === idA ? [ca, cb] : [cb, ca];
  const leaderId = leaderRes.memberId;
  const followerId = followerRes.memberId;
  t.same(followerRes.members, [], "the follower's answer lists no members");
  t.same(
    leaderRes.members.map((m) => [m.memberId, m.metadata.toString('hex')]).sort(),
    [[idA, metaA.toString('hex')], [idB, metaB.toString('hex')]].sort(),
    "only the leader's answer lists the members, with their metadata",
  );
  t.equal((await describeOne(ctl, group)).groupState, 'CompletingRebalance', 'DescribeGroups: CompletingRebalance');

  const followerSync = sync(followerConn, group, 2, followerId);
  t.equal(await settlesWithin(followerSync, 300), 'waiting', "the follower's SyncGroup waits for the leader's");
  t.equal(await heartbeat(ctl, group, 2, followerId), ErrorCode.NONE, 'a heartbeat while the assignment is pending is NONE');
  t.equal((await sync(ctl, group, 1, leaderId)).errorCode, ErrorCode.ILLEGAL_GENERATION, 'SyncGroup with an old generation');
  t.equal((await sync(ctl, group, 2, 'not-a-member')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'SyncGroup from an unknown member');
  t.equal(await settlesWithin(followerSync, 50), 'waiting', 'the follower still waits');

  const leaderSync = await sync(leaderConn, group, 2, leaderId, { [leaderId]: Buffer.from('for the leader'), [followerId]: Buffer.from('for the follower') });
  t.equal(leaderSync.errorCode, ErrorCode.NONE);
  t.equal(leaderSync.assignment.toString(), 'for the leader', 'the leader gets its part');
  const fs = await followerSync;
  t.equal(fs.errorCode, ErrorCode.NONE);
  t.equal(fs.assignment.toString(), 'for the follower', 'the follower gets what the leader assigned it');
  t.equal(fs.protocolType, 'consumer');
  t.equal(fs.protocolName, 'range');

  t.equal(await heartbeat(leaderConn, group, 2, leaderId), ErrorCode.NONE, 'Stable: the leader heartbeats NONE');
  t.equal(await heartbeat(followerConn, group, 2, followerId), ErrorCode.NONE, 'Stable: the follower heartbeats NONE');
  t.equal(await heartbeat(followerConn, group, 1, followerId), ErrorCode.ILLEGAL_GENERATION, 'a heartbeat with the old generation');
  t.equal(await heartbeat(ctl, group, 2, 'not-a-member'), ErrorCode.UNKNOWN_MEMBER_ID, 'a heartbeat from an unknown member');
  t.equal(await heartbeat(ctl, 'no-such-group', 1, 'x'), ErrorCode.UNKNOWN_MEMBER_ID, 'a heartbeat to an unknown group');

  // A follower rejoining with unchanged metadata while Stable gets the current generation back.
  const again = await join(followerConn, group, { memberId: followerId, protocols: [{ name: 'range', metadata: followerId === idA ? metaA : metaB }] });
  t.equal(again.errorCode, ErrorCode.NONE);
  t.equal(again.generationId, 2, 'a follower rejoining unchanged does not start a rebalance');
  t.same(again.members, []);
  t.equal(await heartbeat(leaderConn, group, 2, leaderId), ErrorCode.NONE, 'the group stays Stable');
  const d = await describeOne(ctl, group);
  t.equal(d.groupState, 'Stable');
});

t.test('a member that stops heartbeating is removed after its session timeout', async (t) => {
  const group = 'expiry';
  const g = await formGroup(t, group, [{ sessionTimeoutMs: 10_000 }, { sessionTimeoutMs: 1000, rebalanceTimeoutMs: 3000 }]);
  const [a, b] = g.members as [Member, Member];
  t.equal(g.generation, 2);
  const started = Date.now();
  // Only A heartbeats; B's 1 s session runs out.
  const waited = await waitFor(async () => {
    const code = await heartbeat(a.conn, group, 2, a.memberId);
    if (code !== ErrorCode.NONE && code !== ErrorCode.REBALANCE_IN_PROGRESS) throw new Error(`heartbeat answered ${code}`);
    return code === ErrorCode.REBALANCE_IN_PROGRESS;
  }, 8000, 'the silent member to expire', 200);
  t.ok(waited >= 700, `not before its session timeout (${waited} ms)`);
  t.ok(Date.now() - started < 6000, `soon after it (${waited} ms)`);
  const rejoined = await join(a.conn, group, memberJoinOpts(a.spec, a.memberId));
  t.equal(rejoined.errorCode, ErrorCode.NONE);
  t.equal(rejoined.generationId, 3, 'a new generation');
  t.equal(rejoined.leader, a.memberId);
  t.same(rejoined.members.map((m) => m.memberId), [a.memberId], 'without the expired member');
  t.equal((await sync(a.conn, group, 3, a.memberId, { [a.memberId]: Buffer.from('all') })).errorCode, ErrorCode.NONE);
  t.equal(await heartbeat(b.conn, group, 2, b.memberId), ErrorCode.UNKNOWN_MEMBER_ID, 'the expired member is unknown');
  const d = await describeOne(ctl, group);
  t.same(d.members.map((m) => m.memberId), [a.memberId]);
});

t.test('static membership (KIP-345)', async (t) => {
  const group = 'static';
  const inst = 'instance-1';
  const metadata = subscription(['static-topic']);
  const protocols = [{ name: 'range', metadata }];
  const c1 = await open(t);
  const first = await join(c1, group, { instanceId: inst, protocols });
  t.equal(first.errorCode, ErrorCode.NONE, 'a static member joins without MEMBER_ID_REQUIRED');
  const oldId = first.memberId;
  t.equal(first.generationId, 1);
  t.equal(first.leader, oldId);
  t.same(first.members.map((m) => [m.memberId, m.groupInstanceId]), [[oldId, inst]], 'the leader sees the instance id');
  t.equal((await sync(c1, group, 1, oldId, { [oldId]: Buffer.from('static assignment') }, inst)).errorCode, ErrorCode.NONE);

  // The instance restarts: same instance id, no member id.
  const c2 = await open(t);
  const again = await join(c2, group, { instanceId: inst, protocols });
  t.equal(again.errorCode, ErrorCode.NONE);
  const newId = again.memberId;
  t.not(newId, oldId, 'the instance gets a new member id');
  t.equal(again.generationId, 1, 'no rebalance: same generation');
  t.equal(again.leader, newId, 'v9: the replaced leader is told it leads (KIP-814)');
  t.equal(again.skipAssignment, true, 'v9: ...but to skip the assignment');

  t.equal(await heartbeat(c1, group, 1, oldId, inst), ErrorCode.FENCED_INSTANCE_ID, 'Heartbeat: the old member id with the instance id is fenced');
  t.equal(await heartbeat(c1, group, 1, oldId), ErrorCode.UNKNOWN_MEMBER_ID, 'Heartbeat: the old member id alone is unknown');
  t.equal((await sync(c1, group, 1, oldId, {}, inst)).errorCode, ErrorCode.FENCED_INSTANCE_ID, 'SyncGroup: the old member id is fenced');
  t.equal((await join(c1, group, { memberId: oldId, instanceId: inst, protocols })).errorCode, ErrorCode.FENCED_INSTANCE_ID, 'JoinGroup: the old member id is fenced');
  const fencedCommit = await commit(c1, group, [{ topic: 'oc-topic', partition: 0, offset: 1 }], { generation: 1, memberId: oldId, instanceId: inst });
  t.same(Object.values(fencedCommit), [ErrorCode.FENCED_INSTANCE_ID], 'OffsetCommit: the old member id is fenced');

  t.equal(await heartbeat(c2, group, 1, newId, inst), ErrorCode.NONE, 'the new member id heartbeats NONE');
  const resync = await sync(c2, group, 1, newId, {}, inst);
  t.equal(resync.errorCode, ErrorCode.NONE);
  t.equal(resync.assignment.toString(), 'static assignment', 'and gets the assignment of the member it replaced');
  const d = await describeOne(ctl, group);
  t.equal(d.groupState, 'Stable');
  t.same(d.members.map((m) => [m.memberId, m.groupInstanceId]), [[newId, inst]]);

  // Before v9 the replacing member must not think it leads: Kafka answers with the old leader id.
  const c3 = await open(t);
  const v8 = await join(c3, group, { instanceId: inst, protocols, version: 8 });
  t.equal(v8.errorCode, ErrorCode.NONE);
  t.equal(v8.generationId, 1);
  t.equal(v8.leader, newId, 'v8: the leader named is the replaced member id, not the new one');
  t.same(v8.members, [], 'v8: no member list');

  const left = await ctl.request(leaveGroupApi, 5, { ...defaultLeaveGroupRequest(), groupId: group, members: [{ memberId: '', groupInstanceId: inst, reason: 'test' }] });
  t.equal(left.errorCode, ErrorCode.NONE);
  t.same(left.members.map((m) => [m.groupInstanceId, m.errorCode]), [[inst, ErrorCode.NONE]], 'LeaveGroup by instance id alone');
  t.equal((await describeOne(ctl, group)).groupState, 'Empty');
});

t.test('LeaveGroup v3+: several members in one request', async (t) => {
  const group = 'leave';
  const g = await formGroup(t, group, [{}, {}]);
  const [a, b] = g.members as [Member, Member];
  const res = await ctl.request(leaveGroupApi, 5, {
    ...defaultLeaveGroupRequest(),
    groupId: group,
    members: [
      { memberId: a.memberId, groupInstanceId: null, reason: null },
      { memberId: 'no-such-member', groupInstanceId: null, reason: null },
      { memberId: b.memberId, groupInstanceId: null, reason: 'done' },
    ],
  });
  t.equal(res.errorCode, ErrorCode.NONE, 'top-level NONE');
  t.same(
    res.members.map((m) => [m.memberId, m.errorCode]),
    [[a.memberId, ErrorCode.NONE], ['no-such-member', ErrorCode.UNKNOWN_MEMBER_ID], [b.memberId, ErrorCode.NONE]],
    'one entry per member; the unknown one is UNKNOWN_MEMBER_ID',
  );
  const d = await describeOne(ctl, group);
  t.equal(d.groupState, 'Empty', 'the group is empty');
  t.same(d.members, []);
  t.equal(await heartbeat(a.conn, group, g.generation, a.memberId), ErrorCode.UNKNOWN_MEMBER_ID, 'a member that left is unknown');
});

t.test('OffsetCommit and OffsetFetch', async (t) => {
  const ok = await commit(ctl, 'oc-simple', [
    { topic: 'oc-topic', partition: 0, offset: 10, leaderEpoch: 3, metadata: 'm0' },
    { topic: 'oc-topic', partition: 1, offset: 20, leaderEpoch: 4, metadata: 'm1' },
  ]);
  t.same(ok, { 'oc-topic:0': 0, 'oc-topic:1': 0 }, 'generation -1 from a non-member creates a simple group and commits');

  const mixed = await commit(ctl, 'oc-simple', [
    { topic: 'oc-topic', partition: 2, offset: 30, metadata: null },
    { topic: 'oc-topic', partition: 9, offset: 1 },
    { topic: 'oc-no-such-topic', partition: 0, offset: 1 },
  ]);
  t.same(
    mixed,
    { 'oc-topic:2': ErrorCode.NONE, 'oc-topic:9': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'oc-no-such-topic:0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    'unknown topics and partitions fail alone',
  );

  const big = await commit(ctl, 'oc-meta', [
    { topic: 'oc-topic', partition: 0, offset: 5, metadata: 'x'.repeat(4097) },
    { topic: 'oc-topic', partition: 1, offset: 6, metadata: 'y'.repeat(4096) },
  ]);
  t.same(big, { 'oc-topic:0': ErrorCode.OFFSET_METADATA_TOO_LARGE, 'oc-topic:1': ErrorCode.NONE }, 'metadata over offset.metadata.max.bytes (4096)');
  const bigBack = await fetchOne(ctl, 'oc-meta', [{ name: 'oc-topic', partitionIndexes: [0, 1] }]);
  t.equal(bigBack['oc-topic:0']?.offset, -1, 'the refused commit was not stored');
  t.equal(bigBack['oc-topic:1']?.metadata, 'y'.repeat(4096), '4096 bytes of metadata are kept');

  const g = await formGroup(t, 'oc-members', [{}]);
  const m = g.members[0]!;
  t.same(await commit(ctl, 'oc-members', [{ topic: 'oc-topic', partition: 0, offset: 7 }], { generation: g.generation + 5, memberId: m.memberId }), { 'oc-topic:0': ErrorCode.ILLEGAL_GENERATION }, 'a member with the wrong generation');
  t.same(await commit(ctl, 'oc-members', [{ topic: 'oc-topic', partition: 0, offset: 7 }], { generation: g.generation, memberId: 'not-a-member' }), { 'oc-topic:0': ErrorCode.UNKNOWN_MEMBER_ID }, 'an unknown member');
  t.same(await commit(ctl, 'oc-members', [{ topic: 'oc-topic', partition: 0, offset: 7 }]), { 'oc-topic:0': ErrorCode.UNKNOWN_MEMBER_ID }, 'generation -1 from a non-member into a group with members');
  t.same(await commit(m.conn, 'oc-members', [{ topic: 'oc-topic', partition: 3, offset: 8, leaderEpoch: 1, metadata: 'member' }], { generation: g.generation, memberId: m.memberId }), { 'oc-topic:3': ErrorCode.NONE }, 'the member with its generation commits');

  const [simple, members, unknown] = await fetchOffsets(ctl, [
    { groupId: 'oc-simple', topics: [{ name: 'oc-topic', partitionIndexes: [0, 1, 2, 3] }] },
    { groupId: 'oc-members', topics: null },
    { groupId: 'oc-never-committed', topics: [{ name: 'oc-topic', partitionIndexes: [0] }] },
  ]);
  t.equal(simple?.groupId, 'oc-simple');
  t.equal(simple?.errorCode, ErrorCode.NONE);
  t.same(
    offsetsOf(simple!),
    {
      'oc-topic:0': { offset: 10, leaderEpoch: 3, metadata: 'm0', errorCode: 0 },
      'oc-topic:1': { offset: 20, leaderEpoch: 4, metadata: 'm1', errorCode: 0 },
      'oc-topic:2': { offset: 30, leaderEpoch: -1, metadata: '', errorCode: 0 },
      'oc-topic:3': { offset: -1, leaderEpoch: -1, metadata: '', errorCode: 0 },
    },
    'v8 group 1: offsets, leader epochs and metadata round-trip; -1 where nothing was committed',
  );
  t.equal(members?.groupId, 'oc-members');
  t.same(offsetsOf(members!), { 'oc-topic:3': { offset: 8, leaderEpoch: 1, metadata: 'member', errorCode: 0 } }, 'v8 group 2 (null topics): every committed partition, only those');
  t.same(offsetsOf(unknown!), { 'oc-topic:0': { offset: -1, leaderEpoch: -1, metadata: '', errorCode: 0 } }, 'a group without commits: -1');

  const v7 = await ctl.request(offsetFetchApi, 7, { ...defaultOffsetFetchRequest(), groupId: 'oc-simple', topics: null });
  t.equal(v7.errorCode, ErrorCode.NONE);
  t.same(
    v7.topics.flatMap((tp) => tp.partitions.map((p) => [tp.name, p.partitionIndex, Number(p.committedOffset)])).sort(),
    [['oc-topic', 0, 10], ['oc-topic', 1, 20], ['oc-topic', 2, 30]],
    'v7 with null topics: every committed partition',
  );
  const v1 = await ctl.request(offsetFetchApi, 1, { ...defaultOffsetFetchRequest(), groupId: 'oc-simple', topics: [{ name: 'oc-topic', partitionIndexes: [1] }] });
  t.same(v1.topics.flatMap((tp) => tp.partitions.map((p) => [p.partitionIndex, Number(p.committedOffset), p.metadata])), [[1, 20, 'm1']], 'v1: offset and metadata');
});

t.test('an empty group id is valid for offset commit and fetch (Kafka keeps it for old clients)', async (t) => {
  t.same(await commit(ctl, '', [{ topic: 'oc-topic', partition: 0, offset: 4 }]), { 'oc-topic:0': ErrorCode.NONE }, 'OffsetCommit with group id ""');
  const back = await fetchOne(ctl, '', [{ name: 'oc-topic', partitionIndexes: [0] }]);
  t.equal(back['oc-topic:0']?.offset, 4, 'OffsetFetch with group id "" reads it back');
});

t.test('DescribeGroups and ListGroups', async (t) => {
  const g = await formGroup(t, 'described', [{ topics: ['described-topic'] }, { topics: ['described-topic'] }]);
  await commit(ctl, 'described-empty', [{ topic: 'oc-topic', partition: 0, offset: 1 }]);
  const [stable, empty, dead] = await describe(ctl, ['described', 'described-empty', 'described-never']);
  t.equal(stable?.errorCode, ErrorCode.NONE);
  t.equal(stable?.groupState, 'Stable');
  t.equal(stable?.protocolType, 'consumer');
  t.equal(stable?.protocolData, 'range', 'the protocol in use');
  t.same(
    stable?.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, metadata: m.memberMetadata.toString('hex'), assignment: m.memberAssignment.toString() })).sort((x, y) => x.memberId.localeCompare(y.memberId)),
    g.members
      .map((m) => ({ memberId: m.memberId, clientId: 'raw', clientHost: '/127.0.0.1', metadata: subscription(['described-topic']).toString('hex'), assignment: g.assignments.get(m.memberId)!.toString() }))
      .sort((x, y) => x.memberId.localeCompare(y.memberId)),
    'Stable: members with client id, host, metadata and assignment',
  );
  t.equal(empty?.groupState, 'Empty', 'a group with offsets only is Empty');
  t.equal(empty?.protocolType, '');
  t.same(empty?.members, []);
  t.equal(dead?.errorCode, ErrorCode.NONE, 'v5: an unknown group is not an error...');
  t.equal(dead?.groupState, 'Dead', '...it is Dead');

  const ids = (gs: ListGroupsResponseListedGroup[]): string[] => gs.map((x) => x.groupId);
  const all = await listGroups(ctl, 4);
  t.ok(ids(all).includes('described') && ids(all).includes('described-empty'), 'v4 without a filter: every group');
  t.equal(all.find((x) => x.groupId === 'described')?.groupState, 'Stable');
  t.equal(all.find((x) => x.groupId === 'described')?.protocolType, 'consumer');
  const stableOnly = await listGroups(ctl, 4, ['Stable']);
  t.ok(ids(stableOnly).includes('described'), 'v4 state filter Stable: the Stable group');
  t.notOk(ids(stableOnly).includes('described-empty'), '...and not the Empty one');
  t.ok(stableOnly.every((x) => x.groupState === 'Stable'), '...only Stable groups');
  const emptyOnly = await listGroups(ctl, 4, ['Empty']);
  t.ok(ids(emptyOnly).includes('described-empty') && !ids(emptyOnly).includes('described'), 'v4 state filter Empty');
  const classic = await listGroups(ctl, 5, [], ['classic']);
  t.ok(ids(classic).includes('described') && ids(classic).includes('described-empty'), "v5 type filter 'classic': the classic groups");
  t.ok(classic.every((x) => x.groupType === 'classic'), "v5: group type 'classic'");
  t.same(ids(await listGroups(ctl, 5, [], ['consumer'])), [], "v5 type filter 'consumer': no classic group");
  t.ok(ids(await listGroups(ctl, 0)).includes('described'), 'v0 lists groups too');
});

t.test('DeleteGroups and OffsetDelete', async (t) => {
  await createTopic(ctl, 'od-subscribed', 1);
  await createTopic(ctl, 'od-other', 1);
  const g = await formGroup(t, 'od', [{ topics: ['od-subscribed'] }]);
  const m = g.members[0]!;
  t.same(
    await commit(m.conn, 'od', [{ topic: 'od-subscribed', partition: 0, offset: 3 }, { topic: 'od-other', partition: 0, offset: 4 }], { generation: g.generation, memberId: m.memberId }),
    { 'od-subscribed:0': 0, 'od-other:0': 0 },
  );
  const del = await ctl.request(offsetDeleteApi, 0, {
    ...defaultOffsetDeleteRequest(),
    groupId: 'od',
    topics: [
      { name: 'od-subscribed', partitions: [{ partitionIndex: 0 }] },
      { name: 'od-other', partitions: [{ partitionIndex: 0 }] },
    ],
  });
  t.equal(del.errorCode, ErrorCode.NONE);
  t.same(
    del.topics.flatMap((tp) => tp.partitions.map((p) => [tp.name, p.partitionIndex, p.errorCode])),
    [['od-subscribed', 0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], ['od-other', 0, ErrorCode.NONE]],
    'OffsetDelete: refused for a topic the members subscribe to, done for another',
  );
  const after = await fetchOne(ctl, 'od', [{ name: 'od-subscribed', partitionIndexes: [0] }, { name: 'od-other', partitionIndexes: [0] }]);
  t.equal(after['od-subscribed:0']?.offset, 3, 'the subscribed offset is kept');
  t.equal(after['od-other:0']?.offset, -1, 'the other one is gone');
  const unknownGroup = await ctl.request(offsetDeleteApi, 0, { ...defaultOffsetDeleteRequest(), groupId: 'od-never', topics: [{ name: 'od-other', partitions: [{ partitionIndex: 0 }] }] });
  t.equal(unknownGroup.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'OffsetDelete of an unknown group');

  await commit(ctl, 'deletable', [{ topic: 'od-other', partition: 0, offset: 9 }]);
  const res = await ctl.request(deleteGroupsApi, 2, { ...defaultDeleteGroupsRequest(), groupsNames: ['od', 'deletable', 'deletable-never'] });
  t.same(
    res.results.map((r) => [r.groupId, r.errorCode]),
    [['od', ErrorCode.NON_EMPTY_GROUP], ['deletable', ErrorCode.NONE], ['deletable-never', ErrorCode.GROUP_ID_NOT_FOUND]],
    'DeleteGroups: members → NON_EMPTY_GROUP, empty → NONE, unknown → GROUP_ID_NOT_FOUND',
  );
  t.equal((await fetchOne(ctl, 'deletable', [{ name: 'od-other', partitionIndexes: [0] }]))['od-other:0']?.offset, -1, "a deleted group's offsets are gone");
  t.equal((await describeOne(ctl, 'deletable')).groupState, 'Dead', 'and the group with them');
  t.notOk((await listGroups(ctl, 4)).some((x) => x.groupId === 'deletable'), 'it is not listed');

  // Once the member has left, the group is empty: its offsets can go, then the group.
  await ctl.request(leaveGroupApi, 5, { ...defaultLeaveGroupRequest(), groupId: 'od', members: [{ memberId: m.memberId, groupInstanceId: null, reason: null }] });
  const emptied = await ctl.request(offsetDeleteApi, 0, { ...defaultOffsetDeleteRequest(), groupId: 'od', topics: [{ name: 'od-subscribed', partitions: [{ partitionIndex: 0 }] }] });
  t.same(emptied.topics.flatMap((tp) => tp.partitions.map((p) => p.errorCode)), [ErrorCode.NONE], 'OffsetDelete on an empty group');
  const again = await ctl.request(deleteGroupsApi, 2, { ...defaultDeleteGroupsRequest(), groupsNames: ['od'] });
  t.same(again.results.map((r) => r.errorCode), [ErrorCode.NONE], 'the empty group can be deleted');
});

t.test('clients cannot produce to __consumer_offsets', async (t) => {
  const res = await ctl.request(produceApi, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records: buildBatch({ baseOffset: 0, records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: Date.now() }] }) }] }],
  });
  t.equal(res.responses[0]?.partitionResponses[0]?.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
});

t.test('committed offsets and group metadata survive a restart', async (t) => {
  const group = 'durable';
  await createTopic(ctl, 'durable-topic', 2);
  const g = await formGroup(t, group, [{ sessionTimeoutMs: 3000, rebalanceTimeoutMs: 3000 }, { sessionTimeoutMs: 3000, rebalanceTimeoutMs: 3000 }]);
  const [a, b] = g.members as [Member, Member];
  t.same(
    await commit(a.conn, group, [{ topic: 'durable-topic', partition: 0, offset: 42, leaderEpoch: 2, metadata: 'kept' }, { topic: 'durable-topic', partition: 1, offset: 43 }], { generation: g.generation, memberId: a.memberId }),
    { 'durable-topic:0': 0, 'durable-topic:1': 0 },
  );
  t.same(await commit(ctl, 'durable-simple', [{ topic: 'durable-topic', partition: 0, offset: 7 }]), { 'durable-topic:0': 0 });

  await samsa.restart('SIGTERM');
  const c = await open(t);
  const ca = await open(t);
  // The restored members keep their place if they heartbeat in time (COORDINATOR_LOAD_IN_PROGRESS while loading).
  await waitFor(async () => {
    const code = await heartbeat(ca, group, g.generation, a.memberId);
    if (code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) return false;
    t.equal(code, ErrorCode.NONE, 'a restored member heartbeats with its generation');
    return true;
  }, 2000, 'the coordinator to load', 100);

  const [durable, simple] = await fetchOffsets(c, [
    { groupId: group, topics: [{ name: 'durable-topic', partitionIndexes: [0, 1] }] },
    { groupId: 'durable-simple', topics: null },
  ]);
  t.same(
    offsetsOf(durable!),
    { 'durable-topic:0': { offset: 42, leaderEpoch: 2, metadata: 'kept', errorCode: 0 }, 'durable-topic:1': { offset: 43, leaderEpoch: -1, metadata: '', errorCode: 0 } },
    'committed offsets, epochs and metadata are back',
  );
  t.same(offsetsOf(simple!), { 'durable-topic:0': { offset: 7, leaderEpoch: -1, metadata: '', errorCode: 0 } }, "a simple group's offsets too");

  const d = await describeOne(c, group);
  t.equal(d.groupState, 'Stable', 'the group is Stable again');
  t.equal(d.protocolType, 'consumer');
  t.equal(d.protocolData, 'range');
  t.same(
    d.members.map((m) => [m.memberId, m.memberAssignment.toString()]).sort(),
    g.members.map((m) => [m.memberId, g.assignments.get(m.memberId)!.toString()]).sort(),
    'with its members and their assignments',
  );
  t.ok((await listGroups(c, 4)).some((x) => x.groupId === 'durable-simple' && x.groupState === 'Empty'), 'the simple group is listed, Empty');

  // B never heartbeats after the restart: its session runs out and A must rejoin without it.
  const waited = await waitFor(async () => (await heartbeat(ca, group, g.generation, a.memberId)) === ErrorCode.REBALANCE_IN_PROGRESS, 8000, 'the silent restored member to expire', 300);
  t.pass(`a restored member that does not heartbeat expires (${waited} ms)`);
  const rejoined = await join(ca, group, memberJoinOpts(a.spec, a.memberId));
  t.equal(rejoined.errorCode, ErrorCode.NONE);
  t.equal(rejoined.generationId, g.generation + 1, 'the next generation');
  t.same(rejoined.members.map((m) => m.memberId), [a.memberId], 'without the expired member');
  t.equal(await heartbeat(c, group, g.generation, b.memberId), ErrorCode.UNKNOWN_MEMBER_ID);
});
