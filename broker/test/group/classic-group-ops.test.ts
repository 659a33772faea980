/**
 * The classic group state machine without a broker: every transition (Empty, PreparingRebalance,
 * CompletingRebalance, Stable, Dead), KIP-394 member ids, the join, sync and session timeouts,
 * heartbeat errors, SyncGroup with the leader's assignment, and static members (KIP-345).
 * Operations run as the coordinator runs them: records are "written" by calling afterWrite, and
 * time moves by handing tick a later `now`.
 */
import t from 'tap';
import { ErrorCode } from '../../../protocol/error-codes.js';
import {
  defaultHeartbeatRequest,
  defaultJoinGroupRequest,
  defaultSyncGroupRequest,
  type JoinGroupResponse,
  type SyncGroupResponse,
} from '../../../protocol/messages/index.js';
import type { ClassicGroup } from '../../group/classic-group.js';
import type { ClassicGroupOps } from '../../group/classic-group-ops.js';
import type { CoordinatorRecord } from '../../group/coordinator-records.js';
import type { OpResult } from '../../group/group-ops.js';
import { GroupShard, type GroupConfig } from '../../group/group-shard.js';

const SESSION_MS = 10_000;
const REBALANCE_MS = 5_000;

const config: GroupConfig = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 10,
  maxSessionTimeoutMs: 60_000,
  maxGroupSize: 100,
  offsetsRetentionMs: 60_000,
  offsetsRetentionCheckIntervalMs: 60_000,
  offsetMetadataMaxBytes: 4096,
  consumer: { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5_000 },
};

const topics = { byName: () => undefined, nameOf: () => undefined, allNames: () => [] };

function shard(overrides: Partial<GroupConfig> = {}): GroupShard {
  return new GroupShard(0, { ...config, ...overrides }, () => undefined, topics);
}

function group(c: ClassicGroupOps, id = 'g'): ClassicGroup {
  const g = c.groups.get(id);
  if (g === undefined) throw new Error(`no group ${id}`);
  return g;
}

interface JoinOptions {
  memberId?: string;
  instance?: string | null;
  apiVersion?: number;
  sessionTimeoutMs?: number;
  metadata?: string;
}

function join(c: ClassicGroupOps, o: JoinOptions = {}): OpResult<JoinGroupResponse> {
  return c.joinGroup(
    {
      ...defaultJoinGroupRequest(),
      groupId: 'g',
      sessionTimeoutMs: o.sessionTimeoutMs ?? SESSION_MS,
      rebalanceTimeoutMs: REBALANCE_MS,
      memberId: o.memberId ?? '',
      groupInstanceId: o.instance ?? null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from(o.metadata ?? 'topics') }],
    },
    { clientId: 'client', clientHost: '/127.0.0.1', apiVersion: o.apiVersion ?? 5 },
    false,
  );
}

/** A new member's join, asking for a member id first as v4+ clients do (KIP-394). */
async function joinNew(c: ClassicGroupOps, o: JoinOptions = {}): Promise<OpResult<JoinGroupResponse>> {
  if (o.instance !== undefined && o.instance !== null) return join(c, o);
  const first = await join(c, o).response;
  if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
  return join(c, { ...o, memberId: first.memberId });
}

function sync(c: ClassicGroupOps, memberId: string, generationId: number, assignments: ReadonlyArray<[string, string]> = [], instance: string | null = null): OpResult<SyncGroupResponse> {
  return c.syncGroup(
    { ...defaultSyncGroupRequest(), groupId: 'g', generationId, memberId, groupInstanceId: instance, assignments: assignments.map(([m, a]) => ({ memberId: m, assignment: Buffer.from(a) })) },
    5,
  );
}

function heartbeat(c: ClassicGroupOps, memberId: string, generationId: number, instance: string | null = null): number {
  const { response } = c.heartbeat({ ...defaultHeartbeatRequest(), groupId: 'g', generationId, memberId, groupInstanceId: instance });
  if (typeof response !== 'number') throw new Error('a heartbeat answers at once');
  return response;
}

function leave(c: ClassicGroupOps, members: ReadonlyArray<{ memberId?: string; instance?: string }>) {
  return c.leaveGroup(
    'g',
    members.map((m) => ({ memberId: m.memberId ?? '', groupInstanceId: m.instance ?? null, reason: null })),
  );
}

/** Written group records, as the fields these tests check. */
function summary(records: readonly CoordinatorRecord[]): unknown[] {
  return records.map((r) => {
    if (r.type !== 'group') return r.type;
    if (r.value === null) return { group: r.group, tombstone: true };
    return { group: r.group, generation: r.value.generation, leader: r.value.leader, protocol: r.value.protocol, members: r.value.members.map((m) => m.memberId) };
  });
}

/** The coordinator's part once an operation's records are durable (or failed to be). */
function written<T>(r: OpResult<T>, ok = true): OpResult<T> {
  r.afterWrite?.(ok);
  return r;
}

/** Whether a response is still waiting (a pending JoinGroup or SyncGroup). */
async function isPending(response: unknown): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([response, Promise.resolve(marker)])) === marker;
}

/**
 * A Stable group with one member per entry, each new member joining and the earlier ones
 * rejoining, and every member synced with the assignment `a-<memberId>`. The first is the leader.
 */
async function stableGroup(c: ClassicGroupOps, members: JoinOptions[] = [{}, {}]): Promise<{ ids: string[]; generation: number }> {
  const ids: string[] = [];
  for (const m of members) {
    const joins = [await joinNew(c, m), ...ids.map((id, i) => join(c, { ...members[i], memberId: id }))];
    const responses = await Promise.all(joins.map((j) => j.response));
    for (const r of responses) if (r.errorCode !== ErrorCode.NONE) throw new Error(`join failed: ${r.errorCode}`);
    ids.push(responses[0]!.memberId);
  }
  const generation = group(c).generation;
  const leaderSync = written(sync(c, ids[0]!, generation, ids.map((id) => [id, `a-${id}`]), members[0]!.instance ?? null));
  const syncs = [leaderSync, ...ids.slice(1).map((id, i) => sync(c, id, generation, [], members[i + 1]!.instance ?? null))];
  for (const s of syncs) if ((await s.response).errorCode !== ErrorCode.NONE) throw new Error('sync failed');
  return { ids, generation };
}

t.test('Empty → PreparingRebalance → CompletingRebalance → Stable', async (t) => {
  const s = shard({ initialRebalanceDelayMs: 100 });
  const c = s.classic;
  const now = Date.now();
  const joined = join(c, { apiVersion: 3 });
  t.equal(group(c).state, 'PreparingRebalance', 'a new group waits the initial rebalance delay for more members');
  t.ok(await isPending(joined.response));
  t.same(c.tick(now + 50), [], 'still waiting within the delay');
  t.equal(group(c).state, 'PreparingRebalance');
  c.tick(now + 200);
  t.equal(group(c).state, 'CompletingRebalance', 'the join phase ends after the delay');
  const res = await joined.response;
  t.match(res, { errorCode: ErrorCode.NONE, generationId: 1, protocolName: 'range', protocolType: 'consumer' });
  t.equal(res.leader, res.memberId, 'the only member leads');
  t.same(
    res.members.map((m) => [m.memberId, m.metadata.toString()]),
    [[res.memberId, 'topics']],
    'the leader gets every member’s metadata',
  );

  const synced = sync(c, res.memberId, 1, [[res.memberId, 'mine']]);
  t.equal(synced.records.length, 1, 'the leader’s assignment is written');
  t.same(summary(synced.records), [{ group: 'g', generation: 1, leader: res.memberId, protocol: 'range', members: [res.memberId] }]);
  t.equal(group(c).state, 'CompletingRebalance', 'nothing changes before the write');
  written(synced);
  t.equal(group(c).state, 'Stable');
  t.equal((await synced.response).assignment.toString(), 'mine');
});

t.test('a join with an unknown member id', async (t) => {
  const c = shard().classic;
  t.equal((await join(c, { memberId: 'nobody' }).response).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'unknown group');
  t.notOk(c.groups.has('g'), 'no group is made for it');

  const first = await join(c, { apiVersion: 4 }).response;
  t.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED, 'v4+: the id is handed out first');
  t.match(first.memberId, /^client-/, 'the id starts with the client id');
  t.equal(group(c).state, 'Empty', 'handing out an id changes no state');
  t.ok(group(c).pendingMembers.has(first.memberId));
  t.equal((await join(c, { memberId: 'nobody' }).response).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'an id the group never handed out');

  const second = await join(c, { apiVersion: 4, memberId: first.memberId }).response;
  t.match(second, { errorCode: ErrorCode.NONE, memberId: first.memberId, generationId: 1 }, 'joining with the handed-out id');
  t.equal(group(c).pendingMembers.size, 0);

  const old = await join(shard().classic, { apiVersion: 3 }).response;
  t.match(old, { errorCode: ErrorCode.NONE, generationId: 1 }, 'before v4 the member joins at once');
  t.not(old.memberId, '');
});

t.test('a handed-out member id expires after the session timeout', async (t) => {
  const c = shard().classic;
  const first = await join(c).response;
  c.tick(Date.now() + SESSION_MS + 1);
  t.equal(group(c).pendingMembers.size, 0);
  t.equal((await join(c, { memberId: first.memberId }).response).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

t.test('the join phase waits for handed-out ids, then every member gets the generation', async (t) => {
  const c = shard().classic;
  const a = (await join(c).response).memberId;
  const b = (await join(c).response).memberId;
  const ja = join(c, { memberId: a });
  t.equal(group(c).state, 'PreparingRebalance');
  t.ok(await isPending(ja.response), 'waits for the other handed-out id');
  const jb = join(c, { memberId: b });
  const [ra, rb] = await Promise.all([ja.response, jb.response]);
  t.equal(group(c).state, 'CompletingRebalance');
  t.match(ra, { generationId: 1, leader: a });
  t.equal(ra.members.length, 2, 'the leader sees both members');
  t.match(rb, { generationId: 1, leader: a });
  t.same(rb.members, [], 'a follower sees no members');
});

t.test('Stable → PreparingRebalance when a new member joins', async (t) => {
  const c = shard().classic;
  const { ids, generation } = await stableGroup(c);
  const newcomer = await joinNew(c);
  t.equal(group(c).state, 'PreparingRebalance');
  t.ok(await isPending(newcomer.response), 'the newcomer waits for the others to rejoin');
  t.equal(heartbeat(c, ids[0]!, generation), ErrorCode.REBALANCE_IN_PROGRESS, 'members learn of it by heartbeat');
  const rejoins = ids.map((id) => join(c, { memberId: id }));
  const all = await Promise.all([newcomer.response, ...rejoins.map((r) => r.response)]);
  t.same(
    all.map((r) => r.generationId),
    [generation + 1, generation + 1, generation + 1],
  );
  t.equal(group(c).state, 'CompletingRebalance');
});

t.test('a known member rejoining a Stable group', async (t) => {
  const c = shard().classic;
  const { ids, generation } = await stableGroup(c);
  const follower = join(c, { memberId: ids[1] });
  t.equal(group(c).state, 'Stable', 'a follower with the same protocols causes no rebalance');
  t.match(await follower.response, { errorCode: ErrorCode.NONE, generationId: generation });
  join(c, { memberId: ids[1], metadata: 'other-topics' });
  t.equal(group(c).state, 'PreparingRebalance', 'changed protocols do');
});

t.test('the leader rejoining a Stable group rebalances it', async (t) => {
  const c = shard().classic;
  const { ids } = await stableGroup(c);
  join(c, { memberId: ids[0] });
  t.equal(group(c).state, 'PreparingRebalance');
});

t.test('Stable → PreparingRebalance when a member leaves, and Empty when the last one does', async (t) => {
  const c = shard().classic;
  const { ids, generation } = await stableGroup(c);
  const left = leave(c, [{ memberId: ids[1] }]);
  t.same(left.response, { errorCode: ErrorCode.NONE, members: [{ memberId: ids[1], groupInstanceId: null, errorCode: ErrorCode.NONE }] });
  t.equal(group(c).state, 'PreparingRebalance');
  t.notOk(group(c).members.has(ids[1]!));
  const rejoined = await join(c, { memberId: ids[0] }).response;
  t.match(rejoined, { generationId: generation + 1, leader: ids[0] });
  t.equal(group(c).state, 'CompletingRebalance');

  const last = leave(c, [{ memberId: ids[0] }]);
  t.equal(group(c).state, 'Empty');
  t.equal(group(c).generation, generation + 2, 'emptying the group ends a generation');
  t.same(summary(last.records), [{ group: 'g', generation: generation + 2, leader: null, protocol: null, members: [] }], 'the empty group is written');
  t.equal(group(c).leaderId, null);
});

t.test('leaving with an unknown member id', async (t) => {
  const c = shard().classic;
  t.match(leave(c, [{ memberId: 'x' }]).response, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID }, 'unknown group');
  const { ids } = await stableGroup(c);
  const res = leave(c, [{ memberId: 'x' }, { memberId: ids[1] }]).response;
  t.same(
    res,
    {
      errorCode: ErrorCode.NONE,
      members: [
        { memberId: 'x', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
        { memberId: ids[1], groupInstanceId: null, errorCode: ErrorCode.NONE },
      ],
    },
    'a batch answers per member',
  );
  t.match(leave(c, [{ memberId: 'x' }]).response, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID }, 'one unknown member is also the top-level error');
});

t.test('Stable → PreparingRebalance when a member’s session expires', async (t) => {
  const c = shard().classic;
  const { ids } = await stableGroup(c, [{ sessionTimeoutMs: 30_000 }, { sessionTimeoutMs: SESSION_MS }]);
  const now = Date.now();
  t.same(c.tick(now + SESSION_MS - 1_000), [], 'nothing expires early');
  t.equal(group(c).state, 'Stable');
  c.tick(now + SESSION_MS + 1);
  t.notOk(group(c).members.has(ids[1]!), 'the member without heartbeats is out');
  t.ok(group(c).members.has(ids[0]!));
  t.equal(group(c).state, 'PreparingRebalance');
});

t.test('heartbeats keep a session alive; the last session expiring empties the group', async (t) => {
  const c = shard().classic;
  const { ids, generation } = await stableGroup(c, [{}]);
  const now = Date.now();
  t.equal(heartbeat(c, ids[0]!, generation), ErrorCode.NONE);
  t.equal(group(c).members.get(ids[0]!)!.heartbeatDeadline >= now + SESSION_MS, true, 'a heartbeat pushes the deadline');
  const records = c.tick(now + SESSION_MS + 1_000);
  t.equal(group(c).state, 'Empty');
  t.equal(group(c).members.size, 0);
  t.same(summary(records), [{ group: 'g', generation: generation + 1, leader: null, protocol: null, members: [] }], 'the empty group is written');
});

t.test('a member waiting in a join is not expired by its session', async (t) => {
  const c = shard().classic;
  const a = (await join(c).response).memberId;
  const b = (await join(c).response).memberId;
  const ja = join(c, { memberId: a });
  // b has not joined yet; a waits for it with a session deadline of now + SESSION_MS.
  c.tick(Date.now() + SESSION_MS + 1);
  t.ok(group(c).members.has(a), 'still a member');
  t.notOk(group(c).pendingMembers.has(b), 'the handed-out id expired');
  t.match(await ja.response, { errorCode: ErrorCode.NONE, generationId: 1 }, 'and the join phase ends without it');
});

t.test('the rebalance timeout removes members that did not rejoin', async (t) => {
  const c = shard().classic;
  const { ids, generation } = await stableGroup(c, [{ sessionTimeoutMs: 30_000 }, { sessionTimeoutMs: 30_000 }]);
  const now = Date.now();
  const newcomer = await joinNew(c, { sessionTimeoutMs: 30_000 });
  const rejoined = join(c, { memberId: ids[0], sessionTimeoutMs: 30_000 });
  t.same(c.tick(now + REBALANCE_MS - 1_000), [], 'waits for the rebalance timeout');
  t.equal(group(c).state, 'PreparingRebalance');
  c.tick(now + REBALANCE_MS + 1_000);
  t.equal(group(c).state, 'CompletingRebalance');
  t.same([...group(c).members.keys()].sort(), [ids[0], (await newcomer.response).memberId].sort(), 'the member that did not rejoin is out');
  t.match(await rejoined.response, { errorCode: ErrorCode.NONE, generationId: generation + 1, leader: ids[0] });
  t.equal(heartbeat(c, ids[1]!, generation), ErrorCode.UNKNOWN_MEMBER_ID);
});

t.test('the rebalance timeout with no member rejoined empties the group', async (t) => {
  const c = shard().classic;
  const { ids } = await stableGroup(c, [{ sessionTimeoutMs: 30_000 }, { sessionTimeoutMs: 30_000 }]);
  leave(c, [{ memberId: ids[1] }]);
  t.equal(group(c).state, 'PreparingRebalance');
  c.tick(Date.now() + REBALANCE_MS + 1_000);
  t.equal(group(c).state, 'Empty');
});

t.test('CompletingRebalance → PreparingRebalance when members do not sync in time', async (t) => {
  const c = shard().classic;
  const a = (await join(c, { sessionTimeoutMs: 30_000 }).response).memberId;
  const b = (await join(c, { sessionTimeoutMs: 30_000 }).response).memberId;
  const joins = [join(c, { memberId: a, sessionTimeoutMs: 30_000 }), join(c, { memberId: b, sessionTimeoutMs: 30_000 })];
  await Promise.all(joins.map((j) => j.response));
  t.equal(group(c).state, 'CompletingRebalance');
  const followerSync = sync(c, b, 1);
  t.ok(await isPending(followerSync.response), 'a follower waits for the leader’s assignment');
  c.tick(Date.now() + REBALANCE_MS + 1_000);
  t.notOk(group(c).members.has(a), 'the leader that never synced is out');
  t.ok(group(c).members.has(b));
  t.equal((await followerSync.response).errorCode, ErrorCode.REBALANCE_IN_PROGRESS, 'the waiting sync is told to rejoin');
  t.equal(group(c).state, 'PreparingRebalance');
});

t.test('heartbeat errors', async (t) => {
  const c = shard().classic;
  t.equal(heartbeat(c, 'x', 0), ErrorCode.UNKNOWN_MEMBER_ID, 'unknown group');
  const { ids, generation } = await stableGroup(c);
  t.equal(heartbeat(c, ids[1]!, generation), ErrorCode.NONE, 'Stable');
  t.equal(heartbeat(c, 'x', generation), ErrorCode.UNKNOWN_MEMBER_ID, 'unknown member');
  t.equal(heartbeat(c, ids[1]!, generation - 1), ErrorCode.ILLEGAL_GENERATION, 'an old generation');
  t.equal(heartbeat(c, ids[1]!, generation + 1), ErrorCode.ILLEGAL_GENERATION, 'a future generation');
  await joinNew(c);
  t.equal(heartbeat(c, ids[1]!, generation), ErrorCode.REBALANCE_IN_PROGRESS, 'PreparingRebalance');
  t.equal(heartbeat(c, ids[1]!, generation - 1), ErrorCode.ILLEGAL_GENERATION, 'the generation is checked first');
  await Promise.all(ids.map((id) => join(c, { memberId: id }).response));
  t.equal(group(c).state, 'CompletingRebalance');
  t.equal(heartbeat(c, ids[1]!, generation + 1), ErrorCode.NONE, 'CompletingRebalance with the new generation');
});

t.test('SyncGroup hands each member the leader’s assignment', async (t) => {
  const c = shard().classic;
  const a = (await join(c).response).memberId;
  const b = (await join(c).response).memberId;
  const [ra] = await Promise.all([join(c, { memberId: a }).response, join(c, { memberId: b }).response]);
  t.equal(ra.leader, a);

  t.equal((await sync(c, b, 0).response).errorCode, ErrorCode.ILLEGAL_GENERATION, 'the wrong generation');
  t.equal((await sync(c, 'x', 1).response).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'an unknown member');
  const follower = sync(c, b, 1);
  t.same(follower.records, [], 'a follower writes nothing');
  t.ok(await isPending(follower.response), 'and waits for the leader');
  const leader = sync(c, a, 1, [
    [a, 'for-a'],
    [b, 'for-b'],
  ]);
  t.same(summary(leader.records), [{ group: 'g', generation: 1, leader: a, protocol: 'range', members: [a, b] }]);
  const record = leader.records[0]!;
  t.same(
    record.type === 'group' && record.value?.members.map((m) => m.assignment.toString()),
    ['for-a', 'for-b'],
    'the written record holds the assignments',
  );
  t.ok(await isPending(follower.response), 'nobody is answered before the write');
  written(leader);
  t.equal((await leader.response).assignment.toString(), 'for-a');
  t.match(await follower.response, { errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range' });
  t.equal((await follower.response).assignment.toString(), 'for-b');
  t.equal(group(c).state, 'Stable');
  t.equal((await sync(c, b, 1).response).assignment.toString(), 'for-b', 'a sync in Stable answers at once');
});

t.test('a member the leader left out gets an empty assignment', async (t) => {
  const c = shard().classic;
  const a = (await join(c).response).memberId;
  const b = (await join(c).response).memberId;
  await Promise.all([join(c, { memberId: a }).response, join(c, { memberId: b }).response]);
  const follower = sync(c, b, 1);
  written(sync(c, a, 1, [[a, 'all']]));
  t.equal((await follower.response).assignment.length, 0);
});

t.test('SyncGroup during PreparingRebalance, and a failed write of the assignment', async (t) => {
  const c = shard().classic;
  const { ids, generation } = await stableGroup(c);
  await joinNew(c);
  t.equal((await sync(c, ids[1]!, generation).response).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);

  const c2 = shard().classic;
  const a = (await join(c2).response).memberId;
  await join(c2, { memberId: a }).response;
  const failed = written(sync(c2, a, 1, [[a, 'x']]), false);
  t.equal((await failed.response).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  t.equal(group(c2).state, 'PreparingRebalance', 'the group rebalances again');
});

t.test('Dead on delete', async (t) => {
  const s = shard();
  const c = s.classic;
  const { ids } = await stableGroup(c, [{}]);
  t.equal(s.deleteGroup('g').response, ErrorCode.NON_EMPTY_GROUP, 'a group with members is not deleted');
  leave(c, [{ memberId: ids[0] }]);
  t.equal(group(c).state, 'Empty');

  const failed = s.deleteGroup('g');
  t.equal(group(c).state, 'Dead', 'Dead while the tombstone is written');
  t.equal((await join(c).response).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE, 'a join meanwhile');
  t.equal(heartbeat(c, ids[0]!, 0), ErrorCode.COORDINATOR_NOT_AVAILABLE, 'a heartbeat meanwhile');
  t.equal((await sync(c, ids[0]!, 0).response).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a sync meanwhile');
  written(failed, false);
  t.equal(group(c).state, 'Empty', 'a failed write leaves the group as it was');

  const deleted = s.deleteGroup('g');
  t.same(summary(deleted.records), [{ group: 'g', tombstone: true }]);
  for (const r of deleted.records) s.replay(r, false);
  written(deleted);
  t.notOk(c.groups.has('g'), 'the group is gone');
  t.equal(s.deleteGroup('g').response, ErrorCode.GROUP_ID_NOT_FOUND);
});

t.test('static member: joining needs no handed-out id', async (t) => {
  const c = shard().classic;
  const res = await join(c, { instance: 'i1' }).response;
  t.match(res, { errorCode: ErrorCode.NONE, generationId: 1 });
  t.equal(group(c).staticMembers.get('i1'), res.memberId);
  t.equal((await join(c, { instance: 'i2', memberId: 'made-up' }).response).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'an unknown instance with a member id');
});

t.test('static member: a rejoin with unchanged protocols replaces the old member id without a rebalance', async (t) => {
  const c = shard().classic;
  const { ids, generation } = await stableGroup(c, [{ instance: 'i1' }, { instance: 'i2' }]);
  const [leaderId, oldId] = ids as [string, string];
  const replaced = join(c, { instance: 'i2' });
  t.equal(group(c).state, 'Stable', 'no rebalance');
  t.equal(replaced.records.length, 1, 'the new member id is written');
  const newId = group(c).staticMembers.get('i2')!;
  t.not(newId, oldId, 'a new member id');
  t.same(summary(replaced.records), [{ group: 'g', generation, leader: leaderId, protocol: 'range', members: [leaderId, newId] }]);
  t.ok(await isPending(replaced.response), 'answered once written');
  written(replaced);
  const res = await replaced.response;
  t.match(res, { errorCode: ErrorCode.NONE, memberId: newId, generationId: generation, leader: leaderId });
  t.same(res.members, [], 'a follower sees no members');
  t.equal(group(c).generation, generation);
  t.notOk(group(c).members.has(oldId));
  t.equal((await sync(c, newId, generation, [], 'i2').response).assignment.toString(), `a-${oldId}`, 'the new id keeps the old assignment');

  t.equal(heartbeat(c, oldId, generation, 'i2'), ErrorCode.FENCED_INSTANCE_ID, 'the old member id is fenced: heartbeat');
  t.equal((await sync(c, oldId, generation, [], 'i2').response).errorCode, ErrorCode.FENCED_INSTANCE_ID, 'sync');
  t.equal((await join(c, { instance: 'i2', memberId: oldId }).response).errorCode, ErrorCode.FENCED_INSTANCE_ID, 'join');
  t.equal(heartbeat(c, newId, generation, 'i2'), ErrorCode.NONE, 'the new one is not');
  t.equal(heartbeat(c, newId, generation, 'i9'), ErrorCode.UNKNOWN_MEMBER_ID, 'an unknown instance id');
});

t.test('static member: a replaced leader', async (t) => {
  const c = shard().classic;
  const { ids, generation } = await stableGroup(c, [{ instance: 'i1' }, { instance: 'i2' }]);
  const before = written(join(c, { instance: 'i1', apiVersion: 8 }));
  const newId = group(c).staticMembers.get('i1')!;
  t.equal(group(c).leaderId, newId, 'the new id leads');
  const old = await before.response;
  t.match(old, { memberId: newId, generationId: generation, leader: ids[0], skipAssignment: false }, 'before v9: told the old leader id, so it does not assign again');
  t.same(old.members, [], 'and no members');

  const after = written(join(c, { instance: 'i1', apiVersion: 9 }));
  const newerId = group(c).staticMembers.get('i1')!;
  const res = await after.response;
  t.match(res, { memberId: newerId, leader: newerId, skipAssignment: true }, 'v9: leads, and skips the assignment (KIP-814)');
  t.equal(res.members.length, 2);
  t.equal(group(c).state, 'Stable');
});

t.test('static member: a failed write of the replacement', async (t) => {
  const c = shard().classic;
  await stableGroup(c, [{ instance: 'i1' }]);
  const replaced = written(join(c, { instance: 'i1' }), false);
  t.equal((await replaced.response).errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
});

t.test('static member: a rejoin with changed protocols rebalances', async (t) => {
  const c = shard().classic;
  const { ids } = await stableGroup(c, [{ instance: 'i1' }, { instance: 'i2' }]);
  const replaced = join(c, { instance: 'i2', metadata: 'other-topics' });
  t.same(replaced.records, []);
  t.equal(group(c).state, 'PreparingRebalance');
  t.notOk(group(c).members.has(ids[1]!), 'the old id is replaced all the same');
  const newId = group(c).staticMembers.get('i2');
  t.ok(newId !== undefined && newId !== ids[1] && group(c).members.has(newId), 'the instance maps to its new member id');
});

t.test('static member: leaving by instance id', async (t) => {
  const c = shard().classic;
  const { ids } = await stableGroup(c, [{ instance: 'i1' }, { instance: 'i2' }]);
  t.same(leave(c, [{ instance: 'i9' }]).response, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [{ memberId: '', groupInstanceId: 'i9', errorCode: ErrorCode.UNKNOWN_MEMBER_ID }] }, 'an unknown instance');
  t.same(leave(c, [{ instance: 'i2', memberId: 'someone-else' }]).response, { errorCode: ErrorCode.FENCED_INSTANCE_ID, members: [{ memberId: 'someone-else', groupInstanceId: 'i2', errorCode: ErrorCode.FENCED_INSTANCE_ID }] }, 'another member id for the instance is fenced');
  t.equal(group(c).state, 'Stable', 'refused leaves change nothing');
  const left = leave(c, [{ instance: 'i2' }]);
  t.same(left.response, { errorCode: ErrorCode.NONE, members: [{ memberId: '', groupInstanceId: 'i2', errorCode: ErrorCode.NONE }] });
  t.notOk(group(c).members.has(ids[1]!));
  t.notOk(group(c).staticMembers.has('i2'));
  t.equal(group(c).state, 'PreparingRebalance');
});

t.test('static members keep their place through a rebalance they miss', async (t) => {
  const c = shard().classic;
  const { ids } = await stableGroup(c, [
    { instance: 'i1', sessionTimeoutMs: 30_000 },
    { instance: 'i2', sessionTimeoutMs: 30_000 },
  ]);
  const newcomer = await joinNew(c, { sessionTimeoutMs: 30_000 });
  join(c, { memberId: ids[0], instance: 'i1', sessionTimeoutMs: 30_000 });
  c.tick(Date.now() + REBALANCE_MS + 1_000);
  t.equal(group(c).state, 'CompletingRebalance');
  t.ok(group(c).members.has(ids[1]!), 'the static member that did not rejoin stays');
  t.equal((await newcomer.response).errorCode, ErrorCode.NONE);
});
