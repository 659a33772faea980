/**
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup of a shard: the classic rebalance protocol
 * (Kafka's GroupMetadataManager for classic groups), with its join and sync phases, static
 * members (KIP-345), member ids handed out first (KIP-394), and the session and rebalance
 * timeouts. The in-flight joins and syncs are memory; only a group's generation, protocol, leader
 * and members' assignments are written (GroupMetadataValue), and those apply once replayed.
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { GroupMetadataValue } from '../../protocol/group-coordinator/index.js';
import type {
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequestMemberIdentity,
  LeaveGroupResponseMemberResponse,
  SyncGroupRequest,
  SyncGroupResponse,
} from '../../protocol/messages/index.js';
import { ClassicGroup, type ClassicMember } from './classic-group.js';
import type { CoordinatorRecord } from './coordinator-records.js';
import type { MemberContext, OpResult } from './group-ops.js';

export interface ClassicGroupConfig {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  maxGroupSize: number;
}

function joinError(errorCode: number, memberId = ''): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function syncError(errorCode: number): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

export class ClassicGroupOps {
  readonly groups = new Map<string, ClassicGroup>();

  constructor(
    private readonly config: ClassicGroupConfig,
    private readonly log: (msg: string) => void,
  ) {}

  // ---- replay ---------------------------------------------------------------------------------

  /**
   * Applies a group record read back at load, or just written: written records change nothing
   * here (the operation already did) except that a deleted group's tombstone removes it.
   */
  replay(rec: Extract<CoordinatorRecord, { type: 'group' }>, loading: boolean): void {
    if (rec.value === null) {
      if (loading || this.groups.get(rec.group)?.state === 'Dead') this.groups.delete(rec.group);
    } else if (loading) this.groups.set(rec.group, groupFromRecord(rec.group, rec.value, this.config));
  }

  // ---- join, sync, heartbeat, leave -----------------------------------------------------------

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

  /** `isConsumerGroup`: the group id belongs to a consumer group (KIP-848), which classic members cannot join. */
  joinGroup(req: JoinGroupRequest, ctx: MemberContext, isConsumerGroup: boolean): OpResult<JoinGroupResponse> {
    const now = Date.now();
    if (req.groupId === '') return { records: [], response: joinError(ErrorCode.INVALID_GROUP_ID) };
    if (req.sessionTimeoutMs < this.config.minSessionTimeoutMs || req.sessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      return { records: [], response: joinError(ErrorCode.INVALID_SESSION_TIMEOUT) };
    }
    if (isConsumerGroup) return { records: [], response: joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL) };
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      if (req.memberId !== '') return { records: [], response: joinError(ErrorCode.UNKNOWN_MEMBER_ID) };
      group = new ClassicGroup(req.groupId);
      this.groups.set(req.groupId, group);
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
    const group = this.groups.get(req.groupId);
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
    const group = this.groups.get(req.groupId);
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
    const group = this.groups.get(groupId);
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

  // ---- timers ---------------------------------------------------------------------------------

  /** Session timeouts, join and sync timeouts, expired pending member ids. Run periodically. */
  tick(now: number): CoordinatorRecord[] {
    const records: CoordinatorRecord[] = [];
    for (const group of this.groups.values()) {
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
    return records;
  }

  // ---- offsets --------------------------------------------------------------------------------

  /**
   * OffsetCommit to a classic group: from a member of the current generation, or without a
   * generation while the group is empty. Offsets for an unknown group id create it empty (a group
   * holding only offsets), and a member's commit counts as a heartbeat.
   */
  validateCommit(groupId: string, memberId: string, groupInstanceId: string | null, generation: number): number {
    const group = this.groups.get(groupId);
    if (group === undefined) {
      if (generation >= 0) return ErrorCode.ILLEGAL_GENERATION;
      this.groups.set(groupId, new ClassicGroup(groupId));
      return ErrorCode.NONE;
    }
    if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Offsets stored by a client that does not use group membership (admin tools, assign()).
    if (generation < 0 && group.state === 'Empty') return ErrorCode.NONE;
    const staticError = this.staticMemberError(group, memberId, groupInstanceId);
    if (staticError !== ErrorCode.NONE) return staticError;
    const member = group.members.get(memberId);
    if (member === undefined) return group.state === 'Empty' && generation >= 0 ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== group.generation) return ErrorCode.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    member.heartbeatDeadline = Date.now() + member.sessionTimeoutMs;
    return ErrorCode.NONE;
  }

  // ---- records --------------------------------------------------------------------------------

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
function groupFromRecord(groupId: string, v: GroupMetadataValue, config: ClassicGroupConfig): ClassicGroup {
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
