/**
 * The groups of one `__consumer_offsets` partition (Kafka's GroupMetadataManager and
 * OffsetMetadataManager for one CoordinatorShard). Each operation checks a request against the
 * current state and returns the records to write plus the response; the runtime writes the
 * records, replays them here, and only then answers. Persisted state (offsets, group metadata)
 * changes only in `replay`; the classic protocol's in-flight joins and syncs are memory.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { GroupMetadataValue } from '../../protocol/group-coordinator/index.js';
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
import { ClassicGroup, type ClassicMember } from './classic-group.js';
import { ConsumerGroupOps, type ConsumerGroupConfig, type TopicResolver } from './consumer-group-ops.js';
import type { CoordinatorRecord } from './coordinator-records.js';
import { OffsetStore } from './offset-store.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';

export interface GroupConfig {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetMetadataMaxBytes: number;
  consumer: ConsumerGroupConfig;
}

/** What an operation wants written, what to answer, and what to do once the write is durable. */
export interface OpResult<T> {
  records: CoordinatorRecord[];
  response: T | Promise<T>;
  /** Runs after the records were written (ok) or could not be (not ok), before the response is sent. */
  afterWrite?: (ok: boolean) => void;
  /**
   * The records must be written as one batch; when they exceed max.message.bytes nothing is
   * written and the operation fails with this code (Kafka's GroupMetadataManager.storeOffsets
   * answers INVALID_COMMIT_OFFSET_SIZE). Only for operations that apply nothing before the write.
   */
  oneBatchOr?: number;
}

export interface MemberContext {
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface CommitPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

function joinError(errorCode: number, memberId = ''): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export class GroupShard {
  readonly classicGroups = new Map<string, ClassicGroup>();
  readonly offsets = new OffsetStore();
  readonly consumer: ConsumerGroupOps;
  private lastOffsetExpiry = 0;

  constructor(
    readonly partition: number,
    private readonly config: GroupConfig,
    private readonly log: (msg: string) => void,
    readonly topics: TopicResolver,
  ) {
    this.consumer = new ConsumerGroupOps(config.consumer, log);
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
        if (rec.value === null) {
          if (loading || this.classicGroups.get(rec.group)?.state === 'Dead') this.classicGroups.delete(rec.group);
        } else if (loading) this.classicGroups.set(rec.group, groupFromRecord(rec.group, rec.value, this.config));
        break;
      default:
        // Consumer-group records were applied when produced (see consumer-group-ops.ts).
        if (loading) this.consumer.replay(rec);
        break;
    }
  }

  // ---- classic protocol -----------------------------------------------------------------------

  /**
   * Kafka checks a static member's instance id before its member id: a member id replaced by a
   * newer incarnation of the instance is fenced, not unknown.
   */
  private staticMemberError(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId === null) return ErrorCode.NONE;
    const current = group.staticMembers.get(groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    return current === memberId ? ErrorCode.NONE : ErrorCode.FENCED_INSTANCE_ID;
  }

  joinGroup(req: JoinGroupRequest, ctx: MemberContext): OpResult<JoinGroupResponse> {
    const now = Date.now();
    if (req.groupId === '') return { records: [], response: joinError(ErrorCode.INVALID_GROUP_ID) };
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return { records: [], response: joinError(ErrorCode.INVALID_SESSION_TIMEOUT) };
    }
    if (this.consumer.groups.has(req.groupId)) return { records: [], response: joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL) };
    let group = this.classicGroups.get(req.groupId);
    if (group === undefined) {
      if (req.memberId !== '') return { records: [], response: joinError(ErrorCode.UNKNOWN_MEMBER_ID) };
      group = new ClassicGroup(req.groupId);
      this.classicGroups.set(req.groupId, group);
    }
    if (group.state === 'Dead') return { records: [], response: joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE) };
    // Kafka's ClassicGroup echoes the member id in this refusal.
    if (!group.supportsProtocols(req.protocolType, req.protocols)) return { records: [], response: joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId) };
    const rebalanceTimeoutMs = ctx.apiVersion >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    const protocols = req.protocols.map((p) => ({ name: p.name, metadata: p.metadata }));

    // Static members (KIP-345).
    if (req.groupInstanceId !== null) {
      const existingId = group.staticMembers.get(req.groupInstanceId);
      if (existingId !== undefined && req.memberId !== '' && req.memberId !== existingId) {
        return { records: [], response: joinError(ErrorCode.FENCED_INSTANCE_ID) };
      }
      if (existingId !== undefined && req.memberId === '') return this.replaceStaticMember(group, existingId, req, ctx, rebalanceTimeoutMs, protocols, now);
      if (existingId === undefined && req.memberId !== '') return { records: [], response: joinError(ErrorCode.UNKNOWN_MEMBER_ID) };
      if (existingId === undefined) {
        if (group.members.size >= this.config.maxGroupSize) return { records: [], response: joinError(ErrorCode.GROUP_MAX_SIZE_REACHED) };
        const member = this.newMember(`${ctx.clientId}-${randomUUID()}`, req, ctx, rebalanceTimeoutMs, protocols, now);
        return this.addMemberAndRebalance(group, member, now);
      }
    }

    if (req.memberId === '') {
      if (group.members.size + group.pendingMembers.size >= this.config.maxGroupSize) return { records: [], response: joinError(ErrorCode.GROUP_MAX_SIZE_REACHED) };
      const memberId = `${ctx.clientId}-${randomUUID()}`;
      if (ctx.apiVersion >= 4) {
        // KIP-394: hand out the id first; the member joins with it.
        group.pendingMembers.set(memberId, now + req.sessionTimeoutMs);
        return { records: [], response: joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId) };
      }
      return this.addMemberAndRebalance(group, this.newMember(memberId, req, ctx, rebalanceTimeoutMs, protocols, now), now);
    }

    if (group.pendingMembers.has(req.memberId)) {
      return this.addMemberAndRebalance(group, this.newMember(req.memberId, req, ctx, rebalanceTimeoutMs, protocols, now), now);
    }
    const member = group.members.get(req.memberId);
    if (member === undefined) return { records: [], response: joinError(ErrorCode.UNKNOWN_MEMBER_ID) };
    if (member.groupInstanceId !== req.groupInstanceId) return { records: [], response: joinError(ErrorCode.FENCED_INSTANCE_ID) };

    // A known member joining again.
    const response = this.waitForJoin(member);
    const changed = !sameProtocols(member.protocols, protocols);
    member.protocols = protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.clientId = ctx.clientId;
    member.clientHost = ctx.clientHost;
    member.heartbeatDeadline = now + req.sessionTimeoutMs;
    switch (group.state) {
      case 'PreparingRebalance':
        break;
      case 'CompletingRebalance':
        if (!changed) {
          // A member that missed the JoinGroup response: answer again with the current generation.
          this.answerJoin(group, member);
          return { records: [], response };
        }
        this.prepareRebalance(group, `member ${member.memberId} changed its protocols`, now);
        break;
      case 'Stable':
        if (member.memberId === group.leaderId || changed) this.prepareRebalance(group, `member ${member.memberId} rejoined`, now);
        else {
          this.answerJoin(group, member);
          return { records: [], response };
        }
        break;
      case 'Empty':
        this.prepareRebalance(group, 'a member joined', now);
        break;
      default:
        break;
    }
    return { records: this.maybeCompleteJoin(group, now), response };
  }

  private newMember(memberId: string, req: JoinGroupRequest, ctx: MemberContext, rebalanceTimeoutMs: number, protocols: ClassicMember['protocols'], now: number): ClassicMember {
    return {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols,
      assignment: Buffer.alloc(0),
      joinWaiter: null,
      syncWaiter: null,
      heartbeatDeadline: now + req.sessionTimeoutMs,
      isNew: true,
    };
  }

  private waitForJoin(member: ClassicMember): Promise<JoinGroupResponse> {
    // A newer JoinGroup from the same member supersedes an older one still waiting.
    member.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    return new Promise((resolve) => {
      member.joinWaiter = resolve;
    });
  }

  private addMemberAndRebalance(group: ClassicGroup, member: ClassicMember, now: number): OpResult<JoinGroupResponse> {
    const response = this.waitForJoin(member);
    group.addMember(member);
    if (group.state === 'Empty' || group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group, `member ${member.memberId} joined`, now);
    return { records: this.maybeCompleteJoin(group, now), response };
  }

  /** KIP-345: a static member restarting takes over its old member id's place. */
  private replaceStaticMember(
    group: ClassicGroup,
    oldId: string,
    req: JoinGroupRequest,
    ctx: MemberContext,
    rebalanceTimeoutMs: number,
    protocols: ClassicMember['protocols'],
    now: number,
  ): OpResult<JoinGroupResponse> {
    const old = group.members.get(oldId)!;
    const member = this.newMember(`${ctx.clientId}-${randomUUID()}`, req, ctx, rebalanceTimeoutMs, protocols, now);
    member.assignment = old.assignment;
    member.isNew = false;
    // The old instance is fenced: its pending requests fail.
    old.joinWaiter?.(joinError(ErrorCode.FENCED_INSTANCE_ID, oldId));
    old.syncWaiter?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    const wasLeader = group.leaderId === oldId;
    group.members.delete(oldId);
    group.pendingSync.delete(oldId);
    group.members.set(member.memberId, member);
    group.staticMembers.set(req.groupInstanceId!, member.memberId);
    if (wasLeader) group.leaderId = member.memberId;
    const changed = !sameProtocols(old.protocols, protocols);
    if (group.state === 'Stable' && !changed) {
      // Same subscription: no rebalance. The member gets its old assignment through SyncGroup.
      const response = this.waitForJoin(member);
      const persisted = this.groupRecord(group);
      return {
        records: [persisted],
        response,
        afterWrite: (ok) => {
          if (!ok) {
            member.joinWaiter?.(joinError(ErrorCode.UNKNOWN_SERVER_ERROR, member.memberId));
            member.joinWaiter = null;
            return;
          }
          if (wasLeader && ctx.apiVersion < 9) {
            // Before KIP-814 a replaced leader must not run the assignment again: it is told the
            // old leader id and no members, and takes its old assignment in SyncGroup.
            const waiter = member.joinWaiter;
            member.joinWaiter = null;
            waiter?.({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, generationId: group.generation, protocolType: group.protocolType, protocolName: group.protocolName, leader: oldId, skipAssignment: false, memberId: member.memberId, members: [] });
            return;
          }
          this.answerJoin(group, member, wasLeader);
        },
      };
    }
    const response = this.waitForJoin(member);
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group, `static member ${req.groupInstanceId} rejoined`, now);
    return { records: this.maybeCompleteJoin(group, now), response };
  }

  private answerJoin(group: ClassicGroup, member: ClassicMember, skipAssignment = false): void {
    const waiter = member.joinWaiter;
    if (waiter === null) return;
    member.joinWaiter = null;
    const isLeader = member.memberId === group.leaderId;
    waiter({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      generationId: group.generation,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: isLeader && skipAssignment,
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: group.metadataFor(m, group.protocolName!) }))
        : [],
    });
  }

  private prepareRebalance(group: ClassicGroup, reason: string, now: number): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        m.syncWaiter = null;
      }
    }
    const wasEmpty = group.state === 'Empty';
    group.transition('PreparingRebalance');
    group.pendingSync.clear();
    const rebalanceTimeout = group.maxRebalanceTimeoutMs();
    group.joinDeadline = now + rebalanceTimeout;
    // A new group waits a little for more members before the first rebalance (KIP-134).
    group.initialDelayEnd = wasEmpty && this.config.initialRebalanceDelayMs > 0 ? now + Math.min(this.config.initialRebalanceDelayMs, rebalanceTimeout) : 0;
    this.log(`group ${group.groupId}: preparing to rebalance (generation ${group.generation}): ${reason}`);
  }

  /** Ends the join phase when every member is in (or `force` on timeout); returns records to write. */
  private maybeCompleteJoin(group: ClassicGroup, now: number, force = false): CoordinatorRecord[] {
    if (group.state !== 'PreparingRebalance') return [];
    if (!force) {
      if (!group.allMembersJoined()) return [];
      if (group.initialDelayEnd > now) return [];
    }
    // Members that did not rejoin in time are out (static members keep their place until their session ends).
    for (const m of [...group.members.values()]) {
      if (m.joinWaiter === null && m.groupInstanceId === null) group.removeMember(m.memberId);
    }
    group.pendingMembers.clear();
    group.generation++;
    if (group.isEmpty) {
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty');
      this.log(`group ${group.groupId}: generation ${group.generation} is empty`);
      return [this.groupRecord(group)];
    }
    const joined = [...group.members.values()].filter((m) => m.joinWaiter !== null);
    if (group.leaderId === null || group.members.get(group.leaderId)?.joinWaiter === null) group.leaderId = (joined[0] ?? group.members.values().next().value!).memberId;
    group.protocolName = group.selectProtocol();
    group.transition('CompletingRebalance');
    group.syncDeadline = now + group.maxRebalanceTimeoutMs();
    for (const m of group.members.values()) {
      m.isNew = false;
      group.pendingSync.add(m.memberId);
      m.heartbeatDeadline = now + m.sessionTimeoutMs;
    }
    this.log(`group ${group.groupId}: generation ${group.generation} with ${group.members.size} member(s), protocol ${group.protocolName}, leader ${group.leaderId}`);
    for (const m of group.members.values()) this.answerJoin(group, m);
    return [];
  }

  syncGroup(req: SyncGroupRequest, apiVersion: number): OpResult<SyncGroupResponse> {
    const group = this.classicGroups.get(req.groupId);
    if (group === undefined || group.state === 'Dead') return { records: [], response: syncError(ErrorCode.UNKNOWN_MEMBER_ID) };
    const staticError = this.staticMemberError(group, req.memberId, req.groupInstanceId);
    if (staticError !== ErrorCode.NONE) return { records: [], response: syncError(staticError) };
    const member = group.members.get(req.memberId);
    if (member === undefined) return { records: [], response: syncError(ErrorCode.UNKNOWN_MEMBER_ID) };
    if (req.generationId !== group.generation) return { records: [], response: syncError(ErrorCode.ILLEGAL_GENERATION) };
    if (apiVersion >= 5 && ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName))) {
      return { records: [], response: syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL) };
    }
    member.heartbeatDeadline = Date.now() + member.sessionTimeoutMs;
    const ok = (assignment: Buffer): SyncGroupResponse => ({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment });
    switch (group.state) {
      case 'PreparingRebalance':
        return { records: [], response: syncError(ErrorCode.REBALANCE_IN_PROGRESS) };
      case 'Stable':
        group.pendingSync.delete(member.memberId);
        return { records: [], response: ok(member.assignment) };
      case 'CompletingRebalance': {
        group.pendingSync.delete(member.memberId);
        member.syncWaiter?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
        const response = new Promise<SyncGroupResponse>((resolve) => {
          member.syncWaiter = resolve;
        });
        if (member.memberId !== group.leaderId) return { records: [], response };
        const assigned = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
        const generation = group.generation;
        const next = new Map<string, Buffer>();
        for (const m of group.members.values()) next.set(m.memberId, assigned.get(m.memberId) ?? Buffer.alloc(0));
        return {
          records: [this.groupRecord(group, next)],
          response,
          afterWrite: (written) => {
            // The group may have moved on while the write was in flight.
            if (group.state !== 'CompletingRebalance' || group.generation !== generation) return;
            if (!written) {
              for (const m of group.members.values()) {
                m.syncWaiter?.(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
                m.syncWaiter = null;
              }
              this.prepareRebalance(group, 'storing the assignment failed', Date.now());
              return;
            }
            for (const m of group.members.values()) m.assignment = next.get(m.memberId) ?? Buffer.alloc(0);
            group.transition('Stable');
            for (const m of group.members.values()) {
              m.syncWaiter?.(ok(m.assignment));
              m.syncWaiter = null;
            }
          },
        };
      }
      default:
        return { records: [], response: syncError(ErrorCode.UNKNOWN_MEMBER_ID) };
    }
  }

  heartbeat(req: HeartbeatRequest): OpResult<number> {
    const group = this.classicGroups.get(req.groupId);
    if (group === undefined) return { records: [], response: ErrorCode.UNKNOWN_MEMBER_ID };
    if (group.state === 'Dead') return { records: [], response: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const staticError = this.staticMemberError(group, req.memberId, req.groupInstanceId);
    if (staticError !== ErrorCode.NONE) return { records: [], response: staticError };
    const member = group.members.get(req.memberId);
    if (member === undefined) return { records: [], response: ErrorCode.UNKNOWN_MEMBER_ID };
    if (req.generationId !== group.generation) return { records: [], response: ErrorCode.ILLEGAL_GENERATION };
    member.heartbeatDeadline = Date.now() + member.sessionTimeoutMs;
    if (group.state === 'PreparingRebalance') return { records: [], response: ErrorCode.REBALANCE_IN_PROGRESS };
    return { records: [], response: ErrorCode.NONE };
  }

  leaveGroup(groupId: string, leaving: readonly LeaveGroupRequestMemberIdentity[]): OpResult<{ errorCode: number; members: LeaveGroupResponseMemberResponse[] }> {
    const group = this.classicGroups.get(groupId);
    if (group === undefined || group.state === 'Dead') {
      return { records: [], response: { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: leaving.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) } };
    }
    const now = Date.now();
    const results: LeaveGroupResponseMemberResponse[] = [];
    let removed = 0;
    for (const l of leaving) {
      let memberId = l.memberId;
      if (l.groupInstanceId !== null) {
        const staticId = group.staticMembers.get(l.groupInstanceId);
        if (staticId === undefined) {
          results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
          continue;
        }
        if (l.memberId !== '' && l.memberId !== staticId) {
          results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.FENCED_INSTANCE_ID });
          continue;
        }
        memberId = staticId;
      }
      if (group.pendingMembers.delete(memberId)) {
        results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.NONE });
        continue;
      }
      const m = group.removeMember(memberId);
      if (m === undefined) {
        results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
        continue;
      }
      m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.memberId));
      m.syncWaiter?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      removed++;
      results.push({ memberId: l.memberId, groupInstanceId: l.groupInstanceId, errorCode: ErrorCode.NONE });
    }
    const records = removed > 0 ? this.membersChanged(group, 'members left', now) : this.maybeCompleteJoin(group, now);
    const topError = leaving.length === 1 && results[0]!.errorCode !== ErrorCode.NONE ? results[0]!.errorCode : ErrorCode.NONE;
    return { records, response: { errorCode: topError, members: results } };
  }

  /** After members left or expired: rebalance, finish a join phase, or become empty. */
  private membersChanged(group: ClassicGroup, reason: string, now: number): CoordinatorRecord[] {
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(group, reason, now);
        return this.maybeCompleteJoin(group, now);
      case 'PreparingRebalance':
        return this.maybeCompleteJoin(group, now);
      default:
        return [];
    }
  }

  /** Session timeouts, join and sync timeouts, expired pending member ids. Run periodically. */
  tick(now: number): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const group of this.classicGroups.values()) {
      for (const [id, expiry] of group.pendingMembers) if (expiry <= now) group.pendingMembers.delete(id);
      let expired = 0;
      for (const m of [...group.members.values()]) {
        const waiting = m.joinWaiter !== null || m.syncWaiter !== null;
        if (!waiting && m.heartbeatDeadline <= now) {
          this.log(`group ${group.groupId}: member ${m.memberId} session expired`);
          group.removeMember(m.memberId);
          expired++;
        }
      }
      if (expired > 0) {
        for (const record of this.membersChanged(group, 'member sessions expired', now)) records.push(record);
      }
      if (group.state === 'PreparingRebalance') {
        for (const record of this.maybeCompleteJoin(group, now, group.joinDeadline <= now)) records.push(record);
      } else if (group.state === 'CompletingRebalance' && group.syncDeadline <= now && group.pendingSync.size > 0) {
        const leaderPending = group.leaderId !== null && group.pendingSync.has(group.leaderId);
        for (const id of [...group.pendingSync]) {
          const m = group.removeMember(id);
          m?.syncWaiter?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        }
        for (const record of this.membersChanged(group, leaderPending ? 'the leader did not send its assignment in time' : 'members did not sync in time', now)) records.push(record);
      }
    }
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
    let group = this.classicGroups.get(req.groupId);
    const generation = apiVersion >= 1 ? req.generationIdOrMemberEpoch : -1;
    if (this.consumer.groups.has(req.groupId)) {
      const code = this.consumer.validateCommit(req.groupId, req.memberId, generation);
      if (code !== ErrorCode.NONE) return all(code);
    } else if (group === undefined) {
      if (generation >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = new ClassicGroup(req.groupId);
      this.classicGroups.set(req.groupId, group);
    } else if (group.state === 'Dead') return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    else if (generation < 0 && group.state === 'Empty') {
      // Offsets stored by a client that does not use group membership (admin tools, assign()).
    } else {
      const staticError = this.staticMemberError(group, req.memberId, req.groupInstanceId);
      if (staticError !== ErrorCode.NONE) return all(staticError);
      const member = group.members.get(req.memberId);
      if (member === undefined) return all(group.state === 'Empty' && generation >= 0 ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.UNKNOWN_MEMBER_ID);
      if (generation !== group.generation) return all(ErrorCode.ILLEGAL_GENERATION);
      if (group.state === 'CompletingRebalance') return all(ErrorCode.REBALANCE_IN_PROGRESS);
      member.heartbeatDeadline = Date.now() + member.sessionTimeoutMs;
    }
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

  /** The persisted form of a classic group (GroupMetadataValue). */
  private groupRecord(group: ClassicGroup, assignments?: ReadonlyMap<string, Buffer>): CoordinatorRecord {
    const protocol = group.protocolName;
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generation,
      protocol,
      leader: group.leaderId,
      currentStateTimestamp: BigInt(Date.now()),
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: protocol === null ? Buffer.alloc(0) : group.metadataFor(m, protocol),
        assignment: assignments?.get(m.memberId) ?? m.assignment,
      })),
    };
    return { type: 'group', group: group.groupId, value };
  }
}

function sameProtocols(a: ClassicMember['protocols'], b: ClassicMember['protocols']): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}

/**
 * A classic group read back at load. Members are restored with a fresh session, so they keep
 * their assignment if they heartbeat in time and are expired otherwise.
 */
function groupFromRecord(groupId: string, v: GroupMetadataValue, config: GroupConfig): ClassicGroup {
  const g = new ClassicGroup(groupId);
  const now = Date.now();
  g.generation = v.generation;
  g.protocolType = v.protocolType === '' ? null : v.protocolType;
  g.protocolName = v.protocol;
  g.leaderId = v.leader;
  for (const m of v.members) {
    g.members.set(m.memberId, {
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeout < 0 ? m.sessionTimeout : m.rebalanceTimeout,
      sessionTimeoutMs: m.sessionTimeout,
      protocolType: v.protocolType,
      protocols: v.protocol === null ? [] : [{ name: v.protocol, metadata: m.subscription }],
      assignment: m.assignment,
      joinWaiter: null,
      syncWaiter: null,
      heartbeatDeadline: now + Math.min(m.sessionTimeout, config.maxSessionTimeoutMs),
      isNew: false,
    });
    if (m.groupInstanceId !== null) g.staticMembers.set(m.groupInstanceId, m.memberId);
  }
  g.state = g.members.size > 0 ? 'Stable' : 'Empty';
  g.stateTimestamp = v.currentStateTimestamp > 0n ? Number(v.currentStateTimestamp) : now;
  return g;
}
