/**
 * Server-side assignors and the reconciliation step of the consumer group protocol: balance,
 * stickiness, and the order in which partitions move between members (revoke before assign).
 */
import t from 'tap';
import { rangeAssign, uniformAssign, type TopicAssignment } from '../../group/assignors.js';
import { MemberState, reconcile, type ConsumerMember } from '../../group/consumer-group.js';

const T1 = 'topic-one-id-aaaaaaaaaa';
const T2 = 'topic-two-id-bbbbbbbbbb';

function sizes(result: Map<string, TopicAssignment>): number[] {
  return [...result.values()].map((a) => [...a.values()].reduce((n, s) => n + s.size, 0)).sort();
}

function member(memberId: string, assigned: TopicAssignment, epoch = 1): ConsumerMember {
  return {
    memberId,
    instanceId: null,
    rackId: null,
    clientId: 'c',
    clientHost: '/h',
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    rebalanceTimeoutMs: 1000,
    memberEpoch: epoch,
    previousMemberEpoch: epoch - 1,
    state: MemberState.STABLE,
    assigned,
    pendingRevocation: new Map(),
    heartbeatDeadline: 0,
    revocationDeadline: 0,
  };
}

t.test('uniform: balanced, every partition once, sticky on membership change', async (t) => {
  const counts = new Map([
    [T1, 6],
    [T2, 3],
  ]);
  const topics = new Set([T1, T2]);
  const two = uniformAssign({ members: ['a', 'b'].map((id) => ({ memberId: id, topics, current: new Map() })), partitionCounts: counts });
  t.same(sizes(two), [4, 5], '9 partitions over 2 members');
  const three = uniformAssign({
    members: ['a', 'b', 'c'].map((id) => ({ memberId: id, topics, current: two.get(id) ?? new Map() })),
    partitionCounts: counts,
  });
  t.same(sizes(three), [3, 3, 3], '9 partitions over 3 members');
  let moved = 0;
  for (const id of ['a', 'b']) {
    for (const [topic, parts] of two.get(id)!) for (const p of parts) if (!three.get(id)!.get(topic)?.has(p)) moved++;
  }
  t.equal(moved, 3, 'only the partitions the new member needs move');
  const all = [...three.values()].flatMap((a) => [...a].flatMap(([topic, ps]) => [...ps].map((p) => `${topic}:${p}`)));
  t.equal(new Set(all).size, 9, 'no partition twice');
});

t.test('uniform: members only get topics they subscribe to', async (t) => {
  const result = uniformAssign({
    members: [
      { memberId: 'a', topics: new Set([T1]), current: new Map() },
      { memberId: 'b', topics: new Set([T2]), current: new Map() },
    ],
    partitionCounts: new Map([
      [T1, 2],
      [T2, 2],
    ]),
  });
  t.same([...result.get('a')!.keys()], [T1]);
  t.same([...result.get('b')!.keys()], [T2]);
});

t.test('range: consecutive ranges per topic', async (t) => {
  const result = rangeAssign({
    members: ['a', 'b'].map((id) => ({ memberId: id, topics: new Set([T1]), current: new Map() })),
    partitionCounts: new Map([[T1, 5]]),
  });
  t.same([...result.get('a')!.get(T1)!], [0, 1, 2]);
  t.same([...result.get('b')!.get(T1)!], [3, 4]);
});

t.test('reconcile: revoke first, then take partitions others released', async (t) => {
  const a = member('a', new Map([[T1, new Set([0, 1, 2, 3])]]));
  const target = new Map([[T1, new Set([0, 1])]]);
  const step1 = reconcile(a, target, 2, new Map(), null);
  t.equal(step1.state, MemberState.UNREVOKED_PARTITIONS, 'must revoke first');
  t.equal(step1.memberEpoch, 1, 'epoch unchanged while revoking');
  t.same([...step1.assigned.get(T1)!], [0, 1]);
  t.same([...step1.pendingRevocation.get(T1)!], [2, 3]);

  const stillOwning = reconcile({ ...a, ...step1 }, target, 2, new Map(), new Map([[T1, new Set([0, 1, 2, 3])]]));
  t.equal(stillOwning.state, MemberState.UNREVOKED_PARTITIONS, 'waits while the heartbeat still owns them');
  const done = reconcile({ ...a, ...step1 }, target, 2, new Map(), new Map([[T1, new Set([0, 1])]]));
  t.equal(done.state, MemberState.STABLE);
  t.equal(done.memberEpoch, 2, 'moves to the target epoch once revoked');

  const b = member('b', new Map(), 0);
  const bTarget = new Map([[T1, new Set([2, 3])]]);
  const blocked = reconcile(b, bTarget, 2, new Map([[`${T1}:2`, 'a'], [`${T1}:3`, 'a']]), new Map());
  t.equal(blocked.state, MemberState.UNRELEASED_PARTITIONS, 'partitions still held elsewhere are not given yet');
  t.same(blocked.assigned.get(T1), undefined);
  t.equal(blocked.memberEpoch, 2);
  const freed = reconcile({ ...b, ...blocked }, bTarget, 2, new Map(), new Map());
  t.equal(freed.state, MemberState.STABLE);
  t.same([...freed.assigned.get(T1)!].sort(), [2, 3], 'and are given once released');
});
