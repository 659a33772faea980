/**
 * Server-side assignors of the consumer group protocol (KIP-848): `uniform` (the default) and
 * `range`. Both are sticky where they can be: a member keeps partitions it already had in the
 * target assignment as long as that stays balanced, so a membership change moves few partitions.
 */

/** topicId → partition ids. */
export type TopicAssignment = Map<string, Set<number>>;

export interface AssignorMember {
  memberId: string;
  /** Topic ids the member subscribes to (existing topics only). */
  topics: ReadonlySet<string>;
  /** The member's current target, for stickiness. */
  current: TopicAssignment;
}

export interface AssignorInput {
  members: readonly AssignorMember[];
  /** Partition count of every subscribed topic. */
  partitionCounts: ReadonlyMap<string, number>;
}

export const ASSIGNORS = ['uniform', 'range'] as const;
export type AssignorName = (typeof ASSIGNORS)[number];

function emptyAssignment(members: readonly AssignorMember[]): Map<string, TopicAssignment> {
  return new Map(members.map((m) => [m.memberId, new Map()]));
}

function add(a: TopicAssignment, topicId: string, partition: number): void {
  let set = a.get(topicId);
  if (set === undefined) a.set(topicId, (set = new Set()));
  set.add(partition);
}

function count(a: TopicAssignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

/**
 * Uniform: every partition of every subscribed topic goes to one of the members subscribed to it,
 * balancing the number of partitions per member; members keep what they had up to their share.
 */
export function uniformAssign(input: AssignorInput): Map<string, TopicAssignment> {
  const members = [...input.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  const out = emptyAssignment(members);
  if (members.length === 0) return out;
  const all: Array<[string, number]> = [];
  for (const [topicId, n] of [...input.partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!members.some((m) => m.topics.has(topicId))) continue;
    for (let p = 0; p < n; p++) all.push([topicId, p]);
  }
  // Each member's share of the partitions it can take (homogeneous subscriptions make this exact).
  const quota = new Map<string, number>();
  const base = Math.floor(all.length / members.length);
  let extra = all.length % members.length;
  for (const m of members) quota.set(m.memberId, base + (extra-- > 0 ? 1 : 0));
  const taken = new Set<string>();
  // 1. Stickiness: keep current partitions up to the quota.
  for (const m of members) {
    const mine = out.get(m.memberId)!;
    for (const [topicId, parts] of m.current) {
      if (!m.topics.has(topicId)) continue;
      const n = input.partitionCounts.get(topicId) ?? 0;
      for (const p of [...parts].sort((a, b) => a - b)) {
        const key = `${topicId}:${p}`;
        if (p >= n || taken.has(key) || count(mine) >= quota.get(m.memberId)!) continue;
        add(mine, topicId, p);
        taken.add(key);
      }
    }
  }
  // 2. The rest go to the subscribed member with the fewest partitions.
  for (const [topicId, p] of all) {
    const key = `${topicId}:${p}`;
    if (taken.has(key)) continue;
    let best: AssignorMember | null = null;
    for (const m of members) {
      if (!m.topics.has(topicId)) continue;
      if (best === null || count(out.get(m.memberId)!) < count(out.get(best.memberId)!)) best = m;
    }
    if (best === null) continue;
    add(out.get(best.memberId)!, topicId, p);
    taken.add(key);
  }
  return out;
}

/** Range: per topic, the subscribed members (by id) get consecutive ranges of partitions. */
export function rangeAssign(input: AssignorInput): Map<string, TopicAssignment> {
  const members = [...input.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  const out = emptyAssignment(members);
  for (const [topicId, n] of input.partitionCounts) {
    const subscribed = members.filter((m) => m.topics.has(topicId));
    if (subscribed.length === 0) continue;
    const per = Math.floor(n / subscribed.length);
    let extra = n % subscribed.length;
    let next = 0;
    for (const m of subscribed) {
      const take = per + (extra-- > 0 ? 1 : 0);
      for (let i = 0; i < take; i++) add(out.get(m.memberId)!, topicId, next++);
    }
  }
  return out;
}

export function assign(name: AssignorName, input: AssignorInput): Map<string, TopicAssignment> {
  return name === 'range' ? rangeAssign(input) : uniformAssign(input);
}
