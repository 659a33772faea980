/**
 * The groups of one `__consumer_offsets` partition (Kafka's GroupCoordinatorShard). It dispatches
 * each request to its protocol's operations (classic-group-ops.ts: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup; consumer-group-ops.ts: KIP-848) and owns what both protocols share:
 * offsets (Kafka's OffsetMetadataManager), replay, the periodic timeouts and the admin operations.
 * Each operation checks a request against the current state and returns the records to write plus
 * the response; the runtime writes the records, replays them here, and only then answers.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type {
  DescribeGroupsResponseDescribedGroup,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequestMemberIdentity,
  LeaveGroupResponseMemberResponse,
  ListGroupsResponseListedGroup,
  OffsetCommitRequest,
  SyncGroupRequest,
  SyncGroupResponse,
} from '../../protocol/messages/index.js';
import { ClassicGroup } from './classic-group.js';
import { ClassicGroupOps, type ClassicGroupConfig } from './classic-group-ops.js';
import { ConsumerGroupOps, type ConsumerGroupConfig } from './consumer-group-ops.js';
import type { CoordinatorRecord } from './coordinator-records.js';
import type { MemberContext, OpResult, TopicResolver } from './group-ops.js';
import { OffsetStore } from './offset-store.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';

export interface GroupConfig extends ClassicGroupConfig {
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  consumer: ConsumerGroupConfig;
}

export interface CommitPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

export class GroupShard {
  readonly offsets = new OffsetStore();
  readonly classic: ClassicGroupOps;
  readonly consumer: ConsumerGroupOps;
  private lastOffsetExpiry = 0;

  constructor(
    readonly partition: number,
    private readonly config: GroupConfig,
    private readonly log: (msg: string) => void,
    readonly topics: TopicResolver,
  ) {
    this.classic = new ClassicGroupOps(config, log);
    this.consumer = new ConsumerGroupOps(config.consumer, log);
  }

  /** The classic groups, with the empty ones that only hold offsets. */
  get classicGroups(): Map<string, ClassicGroup> {
    return this.classic.groups;
  }

  /** After loading: a group id is either a classic or a consumer group (offsets alone made a classic placeholder). */
  finishLoad(): void {
    for (const id of this.consumer.groups.keys()) {
      const classic = this.classicGroups.get(id);
      if (classic !== undefined && classic.isEmpty) this.classicGroups.delete(id);
    }
  }

  // ---- replay ---------------------------------------------------------------------------------

  /** Applies a record read back from the log (at load) or just written. */
  replay(rec: CoordinatorRecord, loading: boolean): void {
    switch (rec.type) {
      case 'offset':
        this.offsets.replay(rec.group, rec.topic, rec.partition, rec.value);
        if (rec.value !== null && !this.classicGroups.has(rec.group) && !this.consumer.groups.has(rec.group)) this.classicGroups.set(rec.group, new ClassicGroup(rec.group));
        break;
      case 'group':
        this.classic.replay(rec, loading);
        break;
      default:
        // Consumer-group records were applied when produced (see consumer-group-ops.ts).
        if (loading) this.consumer.replay(rec);
        break;
    }
  }

  // ---- classic protocol (classic-group-ops.ts) ------------------------------------------------

  joinGroup(req: JoinGroupRequest, ctx: MemberContext): OpResult<JoinGroupResponse> {
    return this.classic.joinGroup(req, ctx, this.consumer.groups.has(req.groupId));
  }

  syncGroup(req: SyncGroupRequest, apiVersion: number): OpResult<SyncGroupResponse> {
    return this.classic.syncGroup(req, apiVersion);
  }

  heartbeat(req: HeartbeatRequest): OpResult<number> {
    return this.classic.heartbeat(req);
  }

  leaveGroup(groupId: string, leaving: readonly LeaveGroupRequestMemberIdentity[]): OpResult<{ errorCode: number; members: LeaveGroupResponseMemberResponse[] }> {
    return this.classic.leaveGroup(groupId, leaving);
  }

  // ---- timers ---------------------------------------------------------------------------------

  /** Both protocols' session and rebalance timeouts, and offset expiry. Run periodically. */
  tick(now: number): CoordinatorRecord[] {
    const records = this.classic.tick(now);
    for (const record of this.consumer.tick(now, this.topics)) records.push(record);
    if (now - this.lastOffsetExpiry >= this.config.offsetsRetentionCheckIntervalMs) {
      this.lastOffsetExpiry = now;
      for (const record of this.expireOffsets(now)) records.push(record);
    }
    return records;
  }

  /**
   * Offsets of groups without members for offsets.retention.minutes expire, each once its own
   * commit is that old (Kafka's OffsetExpirationCondition for groups using Kafka for offsets).
   */
  private expireOffsets(now: number): CoordinatorRecord[] {
    const retention = this.config.offsetsRetentionMs;
    const emptyFor = new Map<string, number>();
    for (const g of this.classicGroups.values()) if (g.state === 'Empty') emptyFor.set(g.groupId, now - g.stateTimestamp);
    for (const g of this.consumer.groups.values()) if (g.members.size === 0) emptyFor.set(g.groupId, now - g.emptySince);
    const records: CoordinatorRecord[] = [];
    for (const [groupId, age] of emptyFor) {
      if (age < retention) continue;
      const before = records.length;
      for (const o of this.offsets.all(groupId)) {
        if (now - Number(o.commitTimestamp) >= retention) records.push({ type: 'offset', group: groupId, topic: o.topic, partition: o.partition, value: null });
      }
      if (records.length > before) this.log(`group ${groupId}: expiring ${records.length - before} committed offset(s)`);
    }
    return records;
  }

  // ---- offsets --------------------------------------------------------------------------------

  commitOffsets(req: OffsetCommitRequest, apiVersion: number, topicExists: (topic: string, partition: number) => boolean): OpResult<CommitPartitionResult[]> {
    const all = (errorCode: number): OpResult<CommitPartitionResult[]> => ({
      records: [],
      response: req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode }))),
    });
    const generation = apiVersion >= 1 ? req.generationIdOrMemberEpoch : -1;
    const code = this.consumer.groups.has(req.groupId)
      ? this.consumer.validateCommit(req.groupId, req.memberId, generation)
      : this.classic.validateCommit(req.groupId, req.memberId, req.groupInstanceId, generation);
    if (code !== ErrorCode.NONE) return all(code);
    const now = BigInt(Date.now());
    const records: CoordinatorRecord[] = [];
    const results: CommitPartitionResult[] = [];
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const metadata = p.committedMetadata ?? '';
        let errorCode: number = ErrorCode.NONE;
        if (!topicExists(t.name, p.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (Buffer.byteLength(metadata) > this.config.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        results.push({ topic: t.name, partition: p.partitionIndex, errorCode });
        if (errorCode !== ErrorCode.NONE) continue;
        records.push({
          type: 'offset',
          group: req.groupId,
          topic: t.name,
          partition: p.partitionIndex,
          value: {
            offset: p.committedOffset,
            leaderEpoch: apiVersion >= 6 ? p.committedLeaderEpoch : -1,
            metadata,
            commitTimestamp: apiVersion === 1 && p.commitTimestamp >= 0n ? p.commitTimestamp : now,
            expireTimestamp: -1n,
          },
        });
      }
    }
    return { records, response: results, oneBatchOr: ErrorCode.INVALID_COMMIT_OFFSET_SIZE };
  }

  // ---- admin ----------------------------------------------------------------------------------

  describeGroup(groupId: string): DescribeGroupsResponseDescribedGroup {
    const group = this.classicGroups.get(groupId);
    if (group === undefined) {
      return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
    }
    const stable = group.state === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable && group.protocolName !== null ? group.metadataFor(m, group.protocolName) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
      authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
    };
  }

  listGroups(states: readonly string[]): ListGroupsResponseListedGroup[] {
    const wanted = new Set(states.map((s) => s.toLowerCase()));
    const out: ListGroupsResponseListedGroup[] = [];
    for (const g of this.classicGroups.values()) {
      if (g.state === 'Dead') continue;
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    for (const g of this.consumer.groups.values()) {
      if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: 'consumer', groupState: g.state, groupType: 'consumer' });
    }
    return out;
  }

  /** DeleteGroups: only groups without members; writes tombstones for the group and its offsets. */
  deleteGroup(groupId: string): OpResult<number> {
    const consumerGroup = this.consumer.groups.get(groupId);
    if (consumerGroup !== undefined) {
      if (consumerGroup.members.size > 0) return { records: [], response: ErrorCode.NON_EMPTY_GROUP };
      const records: CoordinatorRecord[] = this.offsets.all(groupId).map((o) => ({ type: 'offset' as const, group: groupId, topic: o.topic, partition: o.partition, value: null }));
      for (const record of this.consumer.deleteRecords(consumerGroup)) records.push(record);
      this.consumer.groups.delete(groupId);
      return { records, response: ErrorCode.NONE };
    }
    const group = this.classicGroups.get(groupId);
    if (group === undefined || group.state === 'Dead') return { records: [], response: ErrorCode.GROUP_ID_NOT_FOUND };
    if (group.state !== 'Empty') return { records: [], response: ErrorCode.NON_EMPTY_GROUP };
    const records: CoordinatorRecord[] = this.offsets.all(groupId).map((o) => ({ type: 'offset' as const, group: groupId, topic: o.topic, partition: o.partition, value: null }));
    records.push({ type: 'group', group: groupId, value: null });
    group.transition('Dead');
    return {
      records,
      response: ErrorCode.NONE,
      afterWrite: (ok) => {
        if (ok) this.classicGroups.delete(groupId);
        else group.transition('Empty');
      },
    };
  }

  /** OffsetDelete: refused for topics the group's members are subscribed to. */
  deleteOffsets(groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>, subscribedTopics: (protocolMetadata: Buffer) => string[]): OpResult<{ errorCode: number; results: CommitPartitionResult[] }> {
    const consumerGroup = this.consumer.groups.get(groupId);
    const group = this.classicGroups.get(groupId);
    if (consumerGroup === undefined && (group === undefined || group.state === 'Dead')) return { records: [], response: { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, results: [] } };
    const subscribed = new Set<string>();
    if (consumerGroup !== undefined) {
      for (const t of consumerGroup.subscribedTopicNames(() => this.topics.allNames())) subscribed.add(t);
    } else if (group !== undefined && group.state !== 'Empty' && group.protocolType === 'consumer' && group.protocolName !== null) {
      for (const m of group.members.values()) for (const topic of subscribedTopics(group.metadataFor(m, group.protocolName))) subscribed.add(topic);
    } else if (group !== undefined && group.state !== 'Empty' && group.protocolType !== 'consumer') {
      return { records: [], response: { errorCode: ErrorCode.NON_EMPTY_GROUP, results: [] } };
    }
    const records: CoordinatorRecord[] = [];
    const results: CommitPartitionResult[] = [];
    for (const p of partitions) {
      if (subscribed.has(p.topic)) {
        results.push({ ...p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
        continue;
      }
      if (this.offsets.get(groupId, p.topic, p.partition) !== undefined) records.push({ type: 'offset', group: groupId, topic: p.topic, partition: p.partition, value: null });
      results.push({ ...p, errorCode: ErrorCode.NONE });
    }
    return { records, response: { errorCode: ErrorCode.NONE, results } };
  }
}
