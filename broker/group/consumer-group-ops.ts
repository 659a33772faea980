/**
 * ConsumerGroupHeartbeat and the other consumer-protocol operations of a shard (KIP-848). Every
 * change is a ConsumerGroup* record; records are applied to the in-memory group as they are
 * produced (so the next request sees them) and again when read back at load, which is harmless
 * because each record carries absolute state.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../protocol/error-codes.js';
import type {
  ConsumerGroupDescribeResponseAssignment,
  ConsumerGroupDescribeResponseDescribedGroup,
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/index.js';
import { ASSIGNORS, assign, type TopicAssignment } from './assignors.js';
import {
  ConsumerGroup,
  fromTopicPartitions,
  MemberState,
  reconcile,
  sameAssignment,
  toTopicPartitions,
  type ConsumerMember,
} from './consumer-group.js';
import type { CoordinatorRecord } from './coordinator-records.js';
import type { MemberContext, OpResult, TopicResolver } from './group-ops.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';

export interface ConsumerGroupConfig {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
}

/** Kafka's error answers carry the response defaults: no member id, epoch 0. */
export function heartbeatError(errorCode: number, errorMessage: string | null = null): ConsumerGroupHeartbeatResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

function newMemberId(): string {
  return randomBytes(16).toString('base64url');
}

function memberRecord(group: ConsumerGroup, m: ConsumerMember): CoordinatorRecord {
  return {
    type: 'consumerMember',
    group: group.groupId,
    memberId: m.memberId,
    value: {
      instanceId: m.instanceId,
      rackId: m.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      subscribedTopicNames: m.subscribedTopicNames,
      subscribedTopicRegex: m.subscribedTopicRegex,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      serverAssignor: m.serverAssignor,
      classicMemberMetadata: null,
    },
  };
}

function currentAssignmentRecord(group: ConsumerGroup, m: Pick<ConsumerMember, 'memberId' | 'memberEpoch' | 'previousMemberEpoch' | 'state' | 'assigned' | 'pendingRevocation'>): CoordinatorRecord {
  return {
    type: 'currentAssignment',
    group: group.groupId,
    memberId: m.memberId,
    value: {
      memberEpoch: m.memberEpoch,
      previousMemberEpoch: m.previousMemberEpoch,
      state: m.state,
      assignedPartitions: toTopicPartitions(m.assigned),
      partitionsPendingRevocation: toTopicPartitions(m.pendingRevocation),
    },
  };
}

/** Records removing a member entirely. */
function removalRecords(group: ConsumerGroup, memberId: string): CoordinatorRecord[] {
  return [
    { type: 'currentAssignment', group: group.groupId, memberId, value: null },
    { type: 'targetAssignmentMember', group: group.groupId, memberId, value: null },
    { type: 'consumerMember', group: group.groupId, memberId, value: null },
  ];
}

export class ConsumerGroupOps {
  readonly groups = new Map<string, ConsumerGroup>();

  constructor(
    private readonly config: ConsumerGroupConfig,
    private readonly log: (msg: string) => void,
  ) {}

  // ---- replay ---------------------------------------------------------------------------------

  private member(group: ConsumerGroup, memberId: string): ConsumerMember {
    let m = group.members.get(memberId);
    if (m === undefined) {
      m = {
        memberId,
        instanceId: null,
        rackId: null,
        clientId: '',
        clientHost: '',
        subscribedTopicNames: [],
        subscribedTopicRegex: null,
        serverAssignor: null,
        rebalanceTimeoutMs: 0,
        memberEpoch: 0,
        previousMemberEpoch: -1,
        state: MemberState.STABLE,
        assigned: new Map(),
        pendingRevocation: new Map(),
        heartbeatDeadline: Date.now() + this.config.sessionTimeoutMs,
        revocationDeadline: 0,
      };
      group.members.set(memberId, m);
    }
    return m;
  }

  replay(rec: CoordinatorRecord): void {
    if (rec.type === 'offset' || rec.type === 'group') return;
    let group = this.groups.get(rec.group);
    if (rec.type === 'consumerGroup' && rec.value === null) {
      this.groups.delete(rec.group);
      return;
    }
    if (group === undefined) {
      if (rec.value === null) return;
      group = new ConsumerGroup(rec.group);
      this.groups.set(rec.group, group);
    }
    switch (rec.type) {
      case 'consumerGroup':
        group.groupEpoch = rec.value!.epoch;
        break;
      case 'consumerMember': {
        if (rec.value === null) {
          group.members.delete(rec.memberId);
          if (group.members.size === 0) group.emptySince = Date.now();
          break;
        }
        const m = this.member(group, rec.memberId);
        const v = rec.value;
        m.instanceId = v.instanceId;
        m.rackId = v.rackId;
        m.clientId = v.clientId;
        m.clientHost = v.clientHost;
        m.subscribedTopicNames = v.subscribedTopicNames;
        m.subscribedTopicRegex = v.subscribedTopicRegex;
        m.rebalanceTimeoutMs = v.rebalanceTimeoutMs;
        m.serverAssignor = v.serverAssignor;
        break;
      }
      case 'targetAssignmentMember':
        if (rec.value === null) group.target.delete(rec.memberId);
        else group.target.set(rec.memberId, fromTopicPartitions(rec.value.topicPartitions));
        break;
      case 'targetAssignmentMetadata':
        if (rec.value !== null) group.assignmentEpoch = rec.value.assignmentEpoch;
        break;
      case 'currentAssignment': {
        if (rec.value === null || !group.members.has(rec.memberId)) break;
        const m = group.members.get(rec.memberId)!;
        m.memberEpoch = rec.value.memberEpoch;
        m.previousMemberEpoch = rec.value.previousMemberEpoch;
        m.state = rec.value.state;
        m.assigned = fromTopicPartitions(rec.value.assignedPartitions);
        m.pendingRevocation = fromTopicPartitions(rec.value.partitionsPendingRevocation);
        break;
      }
    }
  }

  /** Applies records now (the next request must see them) and returns them for writing. */
  private apply(records: CoordinatorRecord[]): CoordinatorRecord[] {
    for (const r of records) this.replay(r);
    return records;
  }

  // ---- heartbeat ------------------------------------------------------------------------------

  heartbeat(req: ConsumerGroupHeartbeatRequest, ctx: MemberContext, topics: TopicResolver, classicGroupHasMembers: boolean): OpResult<ConsumerGroupHeartbeatResponse> {
    const now = Date.now();
    const fail = (code: number, msg: string | null = null): OpResult<ConsumerGroupHeartbeatResponse> => ({ records: [], response: heartbeatError(code, msg) });
    if (req.groupId === '') return fail(ErrorCode.INVALID_REQUEST, 'GroupId can not be empty.');
    if (req.memberEpoch > 0 && req.memberId === '') return fail(ErrorCode.INVALID_REQUEST, 'MemberId can not be empty.');
    if (req.serverAssignor !== null && !(ASSIGNORS as readonly string[]).includes(req.serverAssignor)) {
      return fail(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${ASSIGNORS.join(', ')}.`);
    }
    if (classicGroupHasMembers) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a consumer group.`);

    let group = this.groups.get(req.groupId);
    // Only a join (epoch 0) creates the group; anything else for an unknown group is
    // GROUP_ID_NOT_FOUND (Kafka's GroupMetadataManager.consumerGroup).
    if (group === undefined && req.memberEpoch !== 0) return fail(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${req.groupId} not found.`);
    // Leaving: -1 for good, -2 for a static member that will be back.
    if (req.memberEpoch < 0) {
      const m = group?.members.get(req.memberId);
      if (group === undefined || m === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      const records = this.apply([...removalRecords(group, m.memberId), { type: 'consumerGroup', group: group.groupId, value: { epoch: group.groupEpoch + 1 } }]);
      this.log(`consumer group ${group.groupId}: member ${m.memberId} left (epoch ${group.groupEpoch})`);
      for (const record of this.maybeReassign(group, topics)) records.push(record);
      return { records, response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, memberId: req.memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null } };
    }

    const records: CoordinatorRecord[] = [];
    let member: ConsumerMember;
    let joining = false;
    if (req.memberEpoch === 0) {
      if (req.rebalanceTimeoutMs === -1) return fail(ErrorCode.INVALID_REQUEST, 'RebalanceTimeoutMs must be provided in first request.');
      if ((req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0) && (req.subscribedTopicRegex ?? '') === '') {
        return fail(ErrorCode.INVALID_REQUEST, 'SubscribedTopicNames or SubscribedTopicRegex must be set in first request.');
      }
      if (req.topicPartitions === null || req.topicPartitions.length > 0) return fail(ErrorCode.INVALID_REQUEST, 'TopicPartitions must be empty when (re-)joining.');
      if (group === undefined) {
        group = new ConsumerGroup(req.groupId);
        this.groups.set(req.groupId, group);
      }
      const memberId = req.memberId === '' ? newMemberId() : req.memberId;
      if (req.instanceId !== null) {
        const holder = [...group.members.values()].find((m) => m.instanceId === req.instanceId && m.memberId !== memberId);
        if (holder !== undefined) {
          // A static member coming back replaces its previous incarnation.
          for (const record of this.apply(removalRecords(group, holder.memberId))) records.push(record);
        }
      }
      const existing = group.members.get(memberId);
      if (existing !== undefined) {
        for (const record of this.apply([{ type: 'currentAssignment', group: group.groupId, memberId, value: null }])) records.push(record);
      }
      member = this.member(group, memberId);
      member.memberEpoch = 0;
      member.previousMemberEpoch = -1;
      member.state = MemberState.STABLE;
      member.assigned = new Map();
      member.pendingRevocation = new Map();
      joining = true;
    } else {
      const m = group?.members.get(req.memberId);
      if (group === undefined || m === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${req.memberId} is not a member of group ${req.groupId}.`);
      member = m;
      if (req.memberEpoch !== member.memberEpoch) {
        const owned = req.topicPartitions === null ? null : fromTopicPartitions(req.topicPartitions);
        const lostResponse = req.memberEpoch === member.previousMemberEpoch && owned !== null && [...owned].every(([t, ps]) => [...ps].every((p) => member.assigned.get(t)?.has(p)));
        if (!lostResponse) return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The member epoch ${req.memberEpoch} is fenced; the current epoch is ${member.memberEpoch}.`);
      }
    }
    member.heartbeatDeadline = now + this.config.sessionTimeoutMs;

    // Subscription and member metadata.
    const fingerprint = (): string => JSON.stringify([member.subscribedTopicNames, member.subscribedTopicRegex, member.serverAssignor, member.rebalanceTimeoutMs, member.instanceId, member.rackId, member.clientId]);
    const before = fingerprint();
    if (req.subscribedTopicNames !== null) member.subscribedTopicNames = [...req.subscribedTopicNames].sort();
    if (req.subscribedTopicRegex !== null) member.subscribedTopicRegex = req.subscribedTopicRegex === '' ? null : req.subscribedTopicRegex;
    if (req.serverAssignor !== null) member.serverAssignor = req.serverAssignor;
    if (req.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.instanceId !== null) member.instanceId = req.instanceId;
    if (req.rackId !== null) member.rackId = req.rackId;
    member.clientId = ctx.clientId;
    member.clientHost = ctx.clientHost;
    const metadataChanged = joining || before !== fingerprint();
    if (metadataChanged) {
      records.push(memberRecord(group, member));
      for (const record of this.apply([{ type: 'consumerGroup', group: group.groupId, value: { epoch: group.groupEpoch + 1 } }])) records.push(record);
      if (joining) this.log(`consumer group ${group.groupId}: member ${member.memberId} joined (group epoch ${group.groupEpoch})`);
    }
    for (const record of this.maybeReassign(group, topics)) records.push(record);

    // Reconcile this member towards its target.
    const owned = req.topicPartitions === null ? null : fromTopicPartitions(req.topicPartitions);
    const target = group.target.get(member.memberId) ?? new Map<string, Set<number>>();
    const next = reconcile(member, target, group.assignmentEpoch, group.owners(member.memberId), owned);
    const assignmentChanged = !sameAssignment(next.assigned, member.assigned) || !sameAssignment(next.pendingRevocation, member.pendingRevocation);
    if (joining || assignmentChanged || next.memberEpoch !== member.memberEpoch || next.state !== member.state) {
      if (next.state === MemberState.UNREVOKED_PARTITIONS && member.state !== MemberState.UNREVOKED_PARTITIONS) member.revocationDeadline = now + member.rebalanceTimeoutMs;
      for (const record of this.apply([currentAssignmentRecord(group, { memberId: member.memberId, ...next })])) records.push(record);
    }
    const sendAssignment = joining || assignmentChanged || (owned !== null && !sameAssignment(owned, member.assigned));
    return {
      records,
      response: {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        memberId: member.memberId,
        memberEpoch: member.memberEpoch,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        assignment: sendAssignment ? { topicPartitions: toTopicPartitions(member.assigned) } : null,
      },
    };
  }

  /**
   * Recomputes the target assignment when the group epoch moved past it, or the subscribed
   * topics' partitions changed (which bumps the group epoch first).
   */
  private maybeReassign(group: ConsumerGroup, topics: TopicResolver): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    const partitionCounts = new Map<string, number>();
    const snapshot: string[] = [];
    for (const name of [...group.subscribedTopicNames(() => topics.allNames())].sort()) {
      const t = topics.byName(name);
      if (t === undefined) continue;
      partitionCounts.set(t.id, t.partitions);
      snapshot.push(`${name}:${t.id}:${t.partitions}`);
    }
    const key = snapshot.join(',');
    if (key !== group.subscriptionSnapshot && group.members.size > 0 && group.groupEpoch === group.assignmentEpoch) {
      for (const record of this.apply([{ type: 'consumerGroup', group: group.groupId, value: { epoch: group.groupEpoch + 1 } }])) records.push(record);
    }
    group.subscriptionSnapshot = key;
    if (group.groupEpoch <= group.assignmentEpoch) return records;
    const assignor = group.assignor;
    const byName = (n: string): string | undefined => topics.byName(n)?.id;
    const result = assign(assignor, {
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        topics: new Set(group.memberTopics(m, () => topics.allNames()).map(byName).filter((id): id is string => id !== undefined)),
        current: group.target.get(m.memberId) ?? new Map(),
      })),
      partitionCounts,
    });
    const changes: CoordinatorRecord[] = [];
    for (const [memberId, a] of result) {
      if (!sameAssignment(a, group.target.get(memberId) ?? new Map())) {
        changes.push({ type: 'targetAssignmentMember', group: group.groupId, memberId, value: { topicPartitions: toTopicPartitions(a) } });
      }
    }
    changes.push({ type: 'targetAssignmentMetadata', group: group.groupId, value: { assignmentEpoch: group.groupEpoch } });
    this.log(`consumer group ${group.groupId}: target assignment for epoch ${group.groupEpoch} (${assignor}) over ${group.members.size} member(s)`);
    return [...records, ...this.apply(changes)];
  }

  /** Session and revocation timeouts: such members are removed, and the group rebalances. */
  tick(now: number, topics: TopicResolver): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const group of this.groups.values()) {
      let removed = false;
      for (const m of [...group.members.values()]) {
        const expired = m.heartbeatDeadline <= now;
        const stuck = m.state === MemberState.UNREVOKED_PARTITIONS && m.revocationDeadline > 0 && m.revocationDeadline <= now;
        if (!expired && !stuck) continue;
        this.log(`consumer group ${group.groupId}: member ${m.memberId} ${expired ? 'session expired' : 'did not revoke its partitions in time'}`);
        for (const record of this.apply(removalRecords(group, m.memberId))) records.push(record);
        removed = true;
      }
      if (removed) {
        for (const record of this.apply([{ type: 'consumerGroup', group: group.groupId, value: { epoch: group.groupEpoch + 1 } }])) records.push(record);
        for (const record of this.maybeReassign(group, topics)) records.push(record);
      }
    }
    return records;
  }

  // ---- admin ----------------------------------------------------------------------------------

  describe(groupId: string, topics: TopicResolver): ConsumerGroupDescribeResponseDescribedGroup {
    const group = this.groups.get(groupId);
    // An unknown group: the error and otherwise the response defaults (empty state, epochs 0), as Kafka.
    if (group === undefined) {
      return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
    }
    const describeAssignment = (a: TopicAssignment): ConsumerGroupDescribeResponseAssignment => ({
      topicPartitions: toTopicPartitions(a).map((tp) => ({ topicId: tp.topicId, topicName: topics.nameOf(tp.topicId) ?? '', partitions: tp.partitions })),
    });
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      groupId,
      groupState: group.state,
      groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch,
      assignorName: group.assignor,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        instanceId: m.instanceId,
        rackId: m.rackId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        subscribedTopicNames: m.subscribedTopicNames,
        subscribedTopicRegex: m.subscribedTopicRegex,
        assignment: describeAssignment(m.assigned),
        targetAssignment: describeAssignment(group.target.get(m.memberId) ?? new Map()),
      })),
      authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
    };
  }

  /** Records deleting an empty consumer group (its offsets are deleted by the caller). */
  deleteRecords(group: ConsumerGroup): CoordinatorRecord[] {
    return [
      { type: 'targetAssignmentMetadata', group: group.groupId, value: null },
      { type: 'consumerGroup', group: group.groupId, value: null },
    ];
  }

  /** OffsetCommit from a member of a consumer group: its member epoch must be current. */
  validateCommit(groupId: string, memberId: string, memberEpoch: number): number {
    const group = this.groups.get(groupId);
    if (group === undefined) return ErrorCode.NONE;
    if (memberEpoch < 0 && memberId === '') return group.members.size === 0 ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    const m = group.members.get(memberId);
    if (m === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch !== m.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    return ErrorCode.NONE;
  }
}
