/**
 * Hands out producer ids for idempotent and transactional producers. Ids come from the controller
 * in blocks (Kafka's AllocateProducerIds / ProducerIdsRecord, KIP-730), so they are unique across
 * restarts and across brokers; within a block they are handed out from memory.
 */
import type { QuorumController } from '../controller/quorum-controller.js';

const BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private next = 0n;
  private end = 0n;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly controller: QuorumController,
    private readonly brokerId: number,
  ) {}

  async allocate(): Promise<bigint> {
    while (this.next >= this.end) {
      this.pending ??= this.controller.allocateProducerIds(this.brokerId, BLOCK_SIZE).then(
        (block) => {
          this.next = block.firstProducerId;
          this.end = block.firstProducerId + BigInt(block.size);
          this.pending = null;
        },
        (e: unknown) => {
          this.pending = null;
          throw e;
        },
      );
      await this.pending;
    }
    return this.next++;
  }
}
