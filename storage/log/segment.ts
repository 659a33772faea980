/**
 * One log segment: `<20-digit base offset>.log` holding record batches exactly as appended (base
 * offsets assigned), with two sparse indexes beside it:
 *
 *   `.index`      8-byte entries: int32 offset relative to the base, int32 position in `.log`;
 *                 one entry each `index.interval.bytes` of batches (Kafka's OffsetIndex).
 *   `.timeindex`  12-byte entries: int64 max timestamp so far, int32 relative offset of the batch
 *                 that carries it; one entry whenever the max timestamp grows past an index
 *                 interval (Kafka's TimeIndex).
 *
 * The active segment keeps its index entries in memory and writes the index files when it rolls
 * or the log closes; a crash loses them, and recovery rebuilds them from the `.log`. Inactive
 * segments read their index files on demand (a small cache lives in PartitionLog), so memory does
 * not grow with the log.
 */
import type { FileSystem, StorageFile } from '../fs/file-system.js';
import { ValidatedRanges, type CorruptRange } from './batch-validation.js';

export const OFFSET_INDEX_ENTRY = 8;
export const TIME_INDEX_ENTRY = 12;
/** Bytes of a batch header needed to walk batches: base offset, length, ..., last offset delta. */
export const WALK_HEADER = 27;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

export class Segment {
  /** Position where the next append goes (includes writes still in flight). */
  size = 0;
  /** Bytes whose write completed: reads never go past this. */
  writtenSize = 0;
  /** Offset after the last batch appended. */
  nextOffset: number;
  maxTimestamp = -1;
  /** Base offset of the batch holding maxTimestamp. */
  maxTimestampBatchOffset = -1;
  /** When the segment got its first batch (for segment.ms). */
  firstAppendAt = -1;

  /** Active segment only: index entries in memory, flat pairs. */
  offsetIndex: number[] = [];
  timeIndex: number[] = [];
  bytesSinceIndexEntry = 0;

  /** Byte ranges whose batches passed their CRC check (see batch-validation.ts). */
  readonly validated = new ValidatedRanges();
  /** Ranges found corrupt: never served; reads of their offsets get CORRUPT_MESSAGE. */
  corrupt: CorruptRange[] = [];

  private file: StorageFile | null = null;
  private opening: Promise<StorageFile> | null = null;

  constructor(
    readonly baseOffset: number,
    readonly dir: string,
    private readonly fs: FileSystem,
  ) {
    this.nextOffset = baseOffset;
  }

  /** The `.log` file, opened (and created) on first use so a new segment costs nothing until written. */
  open(): StorageFile | Promise<StorageFile> {
    if (this.file !== null) return this.file;
    // A failed open is not remembered: the next call tries again (space or permissions may be back).
    this.opening ??= this.fs.openFile(this.path).then(
      (f) => (this.file = f),
      (e: unknown) => {
        this.opening = null;
        throw e;
      },
    );
    return this.opening;
  }

  /** Uses an already open file (the compactor's output, opened under its temporary name). */
  adopt(file: StorageFile): void {
    this.file = file;
    this.opening = null;
  }

  /** The open file, if any. */
  get openFile(): StorageFile | null {
    return this.file;
  }

  async close(): Promise<void> {
    if (this.opening !== null) await this.opening.catch(() => undefined);
    const f = this.file;
    this.file = null;
    this.opening = null;
    if (f !== null) await f.close();
  }

  get path(): string {
    return `${this.dir}/${segmentFileName(this.baseOffset, '.log')}`;
  }

  indexPath(): string {
    return `${this.dir}/${segmentFileName(this.baseOffset, '.index')}`;
  }

  timeIndexPath(): string {
    return `${this.dir}/${segmentFileName(this.baseOffset, '.timeindex')}`;
  }

  /** Records a batch appended at `position` in the in-memory indexes. */
  indexBatch(position: number, baseOffset: number, lastOffset: number, maxTimestamp: number, size: number, intervalBytes: number): void {
    if (this.offsetIndex.length === 0 || this.bytesSinceIndexEntry >= intervalBytes) {
      this.offsetIndex.push(baseOffset - this.baseOffset, position);
      if (maxTimestamp > this.maxTimestamp) this.timeIndex.push(maxTimestamp, baseOffset - this.baseOffset);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.maxTimestampBatchOffset = baseOffset;
    }
    this.nextOffset = lastOffset + 1;
  }

  offsetIndexBytes(): Buffer {
    const b = Buffer.allocUnsafe((this.offsetIndex.length / 2) * OFFSET_INDEX_ENTRY);
    for (let i = 0; i < this.offsetIndex.length; i += 2) {
      b.writeInt32BE(this.offsetIndex[i]!, i * 4);
      b.writeInt32BE(this.offsetIndex[i + 1]!, i * 4 + 4);
    }
    return b;
  }

  timeIndexBytes(): Buffer {
    // The last entry always records the segment's max timestamp, so it can be read back cheaply.
    const entries = [...this.timeIndex];
    if (this.maxTimestamp >= 0 && (entries.length === 0 || entries[entries.length - 2] !== this.maxTimestamp)) {
      entries.push(this.maxTimestamp, this.maxTimestampBatchOffset - this.baseOffset);
    }
    const b = Buffer.allocUnsafe((entries.length / 2) * TIME_INDEX_ENTRY);
    for (let i = 0; i < entries.length; i += 2) {
      b.writeBigInt64BE(BigInt(entries[i]!), i * 6);
      b.writeInt32BE(entries[i + 1]!, i * 6 + 8);
    }
    return b;
  }
}

/** Largest index entry whose relative offset is <= target; returns the file position, or 0. */
export function lookupOffsetIndex(index: Buffer | number[], baseOffset: number, target: number): number {
  const rel = target - baseOffset;
  if (Array.isArray(index)) {
    let lo = 0;
    let hi = index.length / 2 - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (index[mid * 2]! <= rel) {
        found = index[mid * 2 + 1]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
  let lo = 0;
  let hi = Math.floor(index.length / OFFSET_INDEX_ENTRY) - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (index.readInt32BE(mid * OFFSET_INDEX_ENTRY) <= rel) {
      found = index.readInt32BE(mid * OFFSET_INDEX_ENTRY + 4);
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Relative offset of the last time index entry with timestamp < target (where to start scanning), or 0. */
export function lookupTimeIndex(index: Buffer | number[], target: number): number {
  let found = 0;
  if (Array.isArray(index)) {
    for (let i = 0; i < index.length; i += 2) {
      if (index[i]! < target) found = index[i + 1]!;
      else break;
    }
    return found;
  }
  for (let i = 0; i + TIME_INDEX_ENTRY <= index.length; i += TIME_INDEX_ENTRY) {
    if (Number(index.readBigInt64BE(i)) < target) found = index.readInt32BE(i + 8);
    else break;
  }
  return found;
}
