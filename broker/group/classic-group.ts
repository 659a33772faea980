/**
 * A group of the classic rebalance protocol (JoinGroup/SyncGroup/Heartbeat), with Kafka's state
 * machine:
 *
 *   Empty ──join──► PreparingRebalance ──all joined / timeout──► CompletingRebalance
 *     ▲                   ▲                                             │ leader's SyncGroup
 *     └──last member out──┴────────────member change / join────────── Stable ◄┘
 *
 * (Dead is a group being deleted.) The broker is assignor-agnostic: it picks a protocol all
 * members support, hands the leader every member's metadata, and hands each member what the
 * leader assigned it. Only the persisted part (generation, protocol, leader, members and their
 * assignments) is written to `__consumer_offsets`; pending joins and syncs live in memory.
 */
import type { JoinGroupResponse, SyncGroupResponse } from '../../protocol/messages/index.js';

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface ClassicMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  assignment: Buffer;
  /** Answer to the member's pending JoinGroup, if it is waiting for the join phase to end. */
  joinWaiter: ((r: JoinGroupResponse) => void) | null;
  /** Answer to the member's pending SyncGroup, if it is waiting for the leader's assignment. */
  syncWaiter: ((r: SyncGroupResponse) => void) | null;
  /** Session expiry (ms since epoch). */
  heartbeatDeadline: number;
  /** Joined the current rebalance for the first time (KIP-394 bookkeeping). */
  isNew: boolean;
}

export class ClassicGroup {
  state: ClassicGroupState = 'Empty';
  generation = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, ClassicMember>();
  /** Member ids handed out with MEMBER_ID_REQUIRED and not joined yet (KIP-394), with their expiry. */
  readonly pendingMembers = new Map<string, number>();
  /** groupInstanceId → memberId of static members (KIP-345). */
  readonly staticMembers = new Map<string, string>();
  /** When the group entered its current state (offset retention of empty groups counts from here). */
  stateTimestamp = Date.now();
  /** PreparingRebalance: when the join phase ends at the latest; initial-delay end for a new group. */
  joinDeadline = 0;
  initialDelayEnd = 0;
  /** CompletingRebalance: when members that have not synced are removed. */
  syncDeadline = 0;
  /** Members that must send SyncGroup in this generation. */
  readonly pendingSync = new Set<string>();

  constructor(readonly groupId: string) {}

  transition(state: ClassicGroupState): void {
    this.state = state;
    this.stateTimestamp = Date.now();
  }

  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  /** Protocols every member supports. */
  candidateProtocols(): string[] {
    let candidates: string[] | null = null;
    for (const m of this.members.values()) {
      const names = m.protocols.map((p) => p.name);
      candidates = candidates === null ? names : candidates.filter((c) => names.includes(c));
    }
    return candidates ?? [];
  }

  /** Whether a joining member's protocols fit the group (same type, one protocol in common). */
  supportsProtocols(protocolType: string, protocols: ReadonlyArray<{ name: string }>): boolean {
    if (this.isEmpty) return protocolType !== '' && protocols.length > 0;
    if (protocolType !== this.protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.includes(p.name));
  }

  /** Kafka's selectProtocol: each member votes for its most preferred common protocol; most votes wins. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => candidates.includes(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best = candidates[0]!;
    for (const [name, n] of votes) if (n > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  metadataFor(m: ClassicMember, protocol: string): Buffer {
    return m.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0);
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Every member has rejoined and no member id handed out with MEMBER_ID_REQUIRED is still pending. */
  allMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.joinWaiter === null) return false;
    return this.pendingMembers.size === 0;
  }

  addMember(m: ClassicMember): void {
    this.members.set(m.memberId, m);
    if (m.groupInstanceId !== null) this.staticMembers.set(m.groupInstanceId, m.memberId);
    this.pendingMembers.delete(m.memberId);
    if (this.protocolType === null || this.members.size === 1) this.protocolType = m.protocolType;
    if (this.leaderId === null) this.leaderId = m.memberId;
  }

  removeMember(memberId: string): ClassicMember | undefined {
    const m = this.members.get(memberId);
    if (m === undefined) return undefined;
    this.members.delete(memberId);
    if (m.groupInstanceId !== null && this.staticMembers.get(m.groupInstanceId) === memberId) this.staticMembers.delete(m.groupInstanceId);
    this.pendingSync.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return m;
  }
}
