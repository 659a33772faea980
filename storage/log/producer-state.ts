/**
 * Idempotent producer state of one partition (Kafka's ProducerStateManager): for each producer id
 * its epoch and the sequence ranges of its last five batches, so a retried batch is recognised and
 * answered with its original offsets, and gaps or stale epochs are refused.
 *
 * Snapshot file `producer-state.snapshot` (written atomically at clean shutdown): JSON
 * `{ "offset": <log end offset>, "producers": [[id, epoch, [[firstSeq, lastSeq, firstOffset, lastOffset], ...]], ...] }`.
 * It is read once at open and written once at close, never on the append path.
 */
import type { BatchInfo } from '../../protocol/records/index.js';

/** Batches remembered per producer: Kafka's max.in.flight.requests.per.connection limit for idempotence. */
const RETAINED_BATCHES = 5;
const INVALID_PRODUCER_EPOCH = 47;
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;

interface BatchSeq {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchSeq[];
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; firstOffset: number; lastOffset: number } | { kind: 'error'; errorCode: number; message: string };

function lastSeqOf(b: BatchInfo): number {
  // Sequences wrap from Int32.MAX to 0 (DefaultRecordBatch.incrementSequence).
  return (b.baseSequence + b.lastOffsetDelta) % 0x80000000;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  /** Decides what to do with a batch of an idempotent producer (producerId >= 0). */
  check(b: BatchInfo): SequenceCheck {
    const entry = this.producers.get(b.producerId);
    if (entry === undefined) return { kind: 'append' };
    if (b.producerEpoch < entry.epoch) {
      return { kind: 'error', errorCode: INVALID_PRODUCER_EPOCH, message: `producer ${b.producerId} epoch ${b.producerEpoch} is older than ${entry.epoch}` };
    }
    if (b.producerEpoch > entry.epoch) {
      if (b.baseSequence !== 0) {
        return { kind: 'error', errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER, message: `producer ${b.producerId} new epoch ${b.producerEpoch} must start at sequence 0, got ${b.baseSequence}` };
      }
      return { kind: 'append' };
    }
    const last = lastSeqOf(b);
    for (const seen of entry.batches) {
      if (seen.firstSeq === b.baseSequence && seen.lastSeq === last) return { kind: 'duplicate', firstOffset: seen.firstOffset, lastOffset: seen.lastOffset };
    }
    const latest = entry.batches[entry.batches.length - 1];
    if (latest !== undefined) {
      const expected = latest.lastSeq === 0x7fffffff ? 0 : latest.lastSeq + 1;
      if (b.baseSequence !== expected) {
        return { kind: 'error', errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER, message: `producer ${b.producerId} sent sequence ${b.baseSequence}, expected ${expected}` };
      }
    }
    return { kind: 'append' };
  }

  /** Records an appended batch of an idempotent producer. */
  update(b: BatchInfo, firstOffset: number, lastOffset: number): void {
    let entry = this.producers.get(b.producerId);
    if (entry === undefined || b.producerEpoch > entry.epoch) {
      entry = { epoch: b.producerEpoch, batches: [] };
      this.producers.set(b.producerId, entry);
    }
    entry.batches.push({ firstSeq: b.baseSequence, lastSeq: lastSeqOf(b), firstOffset, lastOffset });
    if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
  }

  toSnapshot(offset: number): Buffer {
    const producers = [...this.producers.entries()].map(([id, e]) => [id, e.epoch, e.batches.map((s) => [s.firstSeq, s.lastSeq, s.firstOffset, s.lastOffset])]);
    return Buffer.from(JSON.stringify({ offset, producers }));
  }

  /** Loads a snapshot; returns the log end offset it was taken at, or -1 when it is unreadable. */
  loadSnapshot(data: Buffer): number {
    try {
      const parsed = JSON.parse(data.toString('utf8')) as { offset: number; producers: Array<[number, number, number[][]]> };
      for (const [id, epoch, batches] of parsed.producers) {
        this.producers.set(id, { epoch, batches: batches.map(([firstSeq, lastSeq, firstOffset, lastOffset]) => ({ firstSeq: firstSeq!, lastSeq: lastSeq!, firstOffset: firstOffset!, lastOffset: lastOffset! })) });
      }
      return parsed.offset;
    } catch {
      this.producers.clear();
      return -1;
    }
  }
}
