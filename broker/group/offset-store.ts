/**
 * Committed offsets of the groups of one `__consumer_offsets` partition. Changed only by
 * replaying OffsetCommit records (a commit, or a tombstone deleting one).
 */
import type { OffsetCommitValue } from '../../protocol/group-coordinator/index.js';

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, CommittedOffset & { topic: string; partition: number }>>();

  replay(group: string, topic: string, partition: number, value: OffsetCommitValue | null): void {
    const key = tpKey(topic, partition);
    if (value === null) {
      const offsets = this.byGroup.get(group);
      offsets?.delete(key);
      if (offsets?.size === 0) this.byGroup.delete(group);
      return;
    }
    let offsets = this.byGroup.get(group);
    if (offsets === undefined) this.byGroup.set(group, (offsets = new Map()));
    offsets.set(key, { topic, partition, offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata, commitTimestamp: value.commitTimestamp });
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(group)?.get(tpKey(topic, partition));
  }

  hasOffsets(group: string): boolean {
    return (this.byGroup.get(group)?.size ?? 0) > 0;
  }

  /** Every committed offset of a group, as (topic, partition, offset). */
  all(group: string): Array<CommittedOffset & { topic: string; partition: number }> {
    return [...(this.byGroup.get(group)?.values() ?? [])];
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }

  topicsOf(group: string): Set<string> {
    return new Set(this.all(group).map((o) => o.topic));
  }
}
