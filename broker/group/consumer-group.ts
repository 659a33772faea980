/**
 * A group of the consumer rebalance protocol (KIP-848): members send ConsumerGroupHeartbeat with
 * their subscription; the coordinator computes a target assignment with a server-side assignor
 * and walks each member towards it, epoch by epoch (Kafka's GroupMetadataManager and
 * CurrentAssignmentBuilder):
 *
 *   - the group epoch goes up when membership, subscriptions or subscribed topics change;
 *   - the target assignment is recomputed for that epoch (assignment epoch);
 *   - a member that must give up partitions first gets an assignment without them (state
 *     UNREVOKED_PARTITIONS, epoch unchanged) and moves on once its heartbeat no longer owns them;
 *   - it then takes the target's new partitions that nobody else still owns; those still owned
 *     elsewhere follow later (UNRELEASED_PARTITIONS); with all of them it is STABLE at the new
 *     epoch.
 *
 * Everything here is persisted with ConsumerGroup* records and rebuilt by replaying them.
 */
import type { AssignorName, TopicAssignment } from './assignors.js';

export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2 } as const;

export interface ConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** A regex subscription (v1+), matched against topic names when assigning. */
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  rebalanceTimeoutMs: number;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: number;
  assigned: TopicAssignment;
  pendingRevocation: TopicAssignment;
  /** In memory: session expiry and, while revoking, the deadline for it. */
  heartbeatDeadline: number;
  revocationDeadline: number;
}

export class ConsumerGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerMember>();
  /** memberId → target assignment (at assignmentEpoch). */
  readonly target = new Map<string, TopicAssignment>();
  /** Partition counts of the subscribed topics when the target was computed. */
  subscriptionSnapshot = '';
  /** When the group last lost its last member (offset expiry counts from here); in memory only. */
  emptySince = Date.now();

  constructor(readonly groupId: string) {}

  /** The server assignor the members asked for (the first that named one), else `uniform`. */
  get assignor(): AssignorName {
    for (const m of this.members.values()) if (m.serverAssignor !== null) return m.serverAssignor as AssignorName;
    return 'uniform';
  }

  /** Kafka's ConsumerGroupState names. */
  get state(): 'Empty' | 'Assigning' | 'Reconciling' | 'Stable' {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.state !== MemberState.STABLE || m.memberEpoch !== this.assignmentEpoch) return 'Reconciling';
    return 'Stable';
  }

  /** Which member owns (or is still revoking) each partition, `topicId:partition` → memberId. */
  owners(except?: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of this.members.values()) {
      if (m.memberId === except) continue;
      for (const a of [m.assigned, m.pendingRevocation]) for (const [t, ps] of a) for (const p of ps) out.set(`${t}:${p}`, m.memberId);
    }
    return out;
  }

  /** Topics a member subscribes to, by name or through its regex. */
  memberTopics(m: ConsumerMember, allTopics: () => Iterable<string>): string[] {
    if (m.subscribedTopicRegex === null || m.subscribedTopicRegex === '') return m.subscribedTopicNames;
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${m.subscribedTopicRegex})$`);
    } catch {
      return m.subscribedTopicNames;
    }
    const out = new Set(m.subscribedTopicNames);
    for (const t of allTopics()) if (!t.startsWith('__') && re.test(t)) out.add(t);
    return [...out];
  }

  subscribedTopicNames(allTopics: () => Iterable<string> = () => []): Set<string> {
    const out = new Set<string>();
    for (const m of this.members.values()) for (const t of this.memberTopics(m, allTopics)) out.add(t);
    return out;
  }
}

export function cloneAssignment(a: TopicAssignment): TopicAssignment {
  return new Map([...a].map(([t, ps]) => [t, new Set(ps)]));
}

export function sameAssignment(a: TopicAssignment, b: TopicAssignment): boolean {
  const norm = (x: TopicAssignment): string =>
    [...x]
      .filter(([, ps]) => ps.size > 0)
      .map(([t, ps]) => `${t}:${[...ps].sort((p, q) => p - q).join(',')}`)
      .sort()
      .join(';');
  return norm(a) === norm(b);
}

export function toTopicPartitions(a: TopicAssignment): Array<{ topicId: string; partitions: number[] }> {
  return [...a].filter(([, ps]) => ps.size > 0).map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));
}

export function fromTopicPartitions(list: ReadonlyArray<{ topicId: string; partitions: readonly number[] }>): TopicAssignment {
  return new Map(list.map((tp) => [tp.topicId, new Set(tp.partitions)]));
}

/**
 * One reconciliation step for a member (Kafka's CurrentAssignmentBuilder): returns its next
 * epoch, state, assigned and pending-revocation partitions. `owned` is what the member reported
 * owning in its heartbeat (null when unchanged).
 */
export function reconcile(
  member: ConsumerMember,
  target: TopicAssignment,
  targetEpoch: number,
  ownedByOthers: ReadonlyMap<string, string>,
  owned: TopicAssignment | null,
): Pick<ConsumerMember, 'memberEpoch' | 'previousMemberEpoch' | 'state' | 'assigned' | 'pendingRevocation'> {
  // Still revoking: wait until the member's heartbeat shows it no longer owns those partitions.
  if (member.state === MemberState.UNREVOKED_PARTITIONS) {
    let stillOwned = owned === null;
    if (owned !== null) for (const [t, ps] of member.pendingRevocation) for (const p of ps) if (owned.get(t)?.has(p)) stillOwned = true;
    if (stillOwned) return { ...member };
  }
  const keep: TopicAssignment = new Map();
  const revoke: TopicAssignment = new Map();
  for (const [t, ps] of member.assigned) {
    for (const p of ps) {
      const dest = target.get(t)?.has(p) ? keep : revoke;
      let set = dest.get(t);
      if (set === undefined) dest.set(t, (set = new Set()));
      set.add(p);
    }
  }
  if (revoke.size > 0) {
    return { memberEpoch: member.memberEpoch, previousMemberEpoch: member.previousMemberEpoch, state: MemberState.UNREVOKED_PARTITIONS, assigned: keep, pendingRevocation: revoke };
  }
  // Take the target's partitions that no other member still holds.
  let unreleased = false;
  const next = cloneAssignment(keep);
  for (const [t, ps] of target) {
    for (const p of ps) {
      if (next.get(t)?.has(p)) continue;
      const holder = ownedByOthers.get(`${t}:${p}`);
      if (holder !== undefined && holder !== member.memberId) {
        unreleased = true;
        continue;
      }
      let set = next.get(t);
      if (set === undefined) next.set(t, (set = new Set()));
      set.add(p);
    }
  }
  const previous = member.memberEpoch === targetEpoch ? member.previousMemberEpoch : member.memberEpoch;
  return { memberEpoch: targetEpoch, previousMemberEpoch: previous, state: unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE, assigned: next, pendingRevocation: new Map() };
}
