/**
 * GroupShard without a broker: offsets of an empty group expire after offsets.retention.minutes,
 * and a shard rebuilt by replaying its records has the same groups and offsets.
 */
import t from 'tap';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { defaultOffsetCommitRequest } from '../../../protocol/messages/index.js';
import type { CoordinatorRecord } from '../../group/coordinator-records.js';
import { GroupShard, type GroupConfig } from '../../group/group-shard.js';

const config: GroupConfig = {
  initialRebalanceDelayMs: 0,
  minSessionTimeoutMs: 10,
  maxSessionTimeoutMs: 60_000,
  maxGroupSize: 100,
  offsetsRetentionMs: 1_000,
  offsetsRetentionCheckIntervalMs: 0,
  offsetMetadataMaxBytes: 4096,
  consumer: { sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5_000 },
};

const topics = { byName: () => ({ id: 'id', partitions: 2 }), nameOf: () => 't', allNames: () => ['t'] };

function shard(): GroupShard {
  return new GroupShard(0, config, () => undefined, topics);
}

function commit(s: GroupShard, group: string, offset: bigint): CoordinatorRecord[] {
  const res = s.commitOffsets(
    {
      ...defaultOffsetCommitRequest(),
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'm' }] }],
    },
    8,
    () => true,
  );
  t.same(res.response, [{ topic: 't', partition: 0, errorCode: ErrorCode.NONE }]);
  for (const r of res.records) s.replay(r, false);
  return res.records;
}

t.test('offsets of an empty group expire after the retention time', async (t) => {
  const s = shard();
  commit(s, 'g', 42n);
  t.equal(s.offsets.get('g', 't', 0)?.offset, 42n);
  t.same(s.tick(Date.now()), [], 'nothing expires early');
  const expired = s.tick(Date.now() + 5_000);
  t.same(
    expired.map((r) => r.type === 'offset' && [r.group, r.topic, r.partition, r.value]),
    [['g', 't', 0, null]],
    'a tombstone for the expired offset',
  );
  for (const r of expired) s.replay(r, false);
  t.equal(s.offsets.get('g', 't', 0), undefined);
});

t.test('expiring more offsets than a call can take as arguments', async (t) => {
  // One OffsetCommit may name every partition of the cluster; their tombstones are gathered
  // without spreading them into a call (which overflows the stack past ~100k elements).
  const s = shard();
  const count = 300_000;
  const partitions = Array.from({ length: count }, (_, i) => ({ partitionIndex: i, committedOffset: 1n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }));
  const res = s.commitOffsets({ ...defaultOffsetCommitRequest(), groupId: 'many', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 't', partitions }] }, 8, () => true);
  for (const r of res.records) s.replay(r, false);
  const expired = s.tick(Date.now() + 5_000);
  t.equal(expired.length, count, 'one tombstone per committed offset');
});

t.test('replaying the records rebuilds groups and offsets', async (t) => {
  const s = shard();
  const records = [...commit(s, 'a', 1n), ...commit(s, 'b', 2n), ...commit(s, 'a', 3n)];
  const rebuilt = shard();
  for (const r of records) rebuilt.replay(r, true);
  rebuilt.finishLoad();
  t.equal(rebuilt.offsets.get('a', 't', 0)?.offset, 3n, 'the latest commit wins');
  t.equal(rebuilt.offsets.get('b', 't', 0)?.metadata, 'm');
  t.same(
    rebuilt
      .listGroups([])
      .map((g) => g.groupId)
      .sort(),
    ['a', 'b'],
  );
});

t.test('offsets of a consumer-protocol group expire once it has no members', async (t) => {
  const s = shard();
  const ctx = { clientId: 'c', clientHost: '/h', apiVersion: 0 };
  const hb = {
    groupId: 'cg',
    memberId: 'member-1',
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 1000,
    subscribedTopicNames: ['t'],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
  };
  const joined = s.consumer.heartbeat(hb, ctx, topics, false);
  t.equal((await joined.response).errorCode, ErrorCode.NONE);
  const left = s.consumer.heartbeat({ ...hb, memberEpoch: -1, topicPartitions: null, subscribedTopicNames: null, rebalanceTimeoutMs: -1 }, ctx, topics, false);
  t.equal((await left.response).errorCode, ErrorCode.NONE);
  commit(s, 'cg', 7n);
  t.same(s.tick(Date.now()), [], 'the group just emptied: nothing expires yet');
  const expired = s.tick(Date.now() + 5_000);
  t.same(
    expired.filter((r) => r.type === 'offset').map((r) => r.type === 'offset' && r.group),
    ['cg'],
    'its offsets expire after the retention time',
  );
});
