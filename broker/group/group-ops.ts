/**
 * The types every group operation shares, whichever protocol it serves (classic-group-ops.ts,
 * consumer-group-ops.ts) and the shard that dispatches to them (group-shard.ts). They live apart
 * so the operations need not import the shard that owns them.
 */
import type { CoordinatorRecord } from './coordinator-records.js';

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

/** Who sent a member's request: kept with the member and shown by the describe APIs. */
export interface MemberContext {
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

/** How the coordinator sees topics: by name (subscriptions) and by id (assignments). */
export interface TopicResolver {
  byName(name: string): { id: string; partitions: number } | undefined;
  nameOf(id: string): string | undefined;
  allNames(): Iterable<string>;
}
