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
 *
 * A Segment does the work on its own bytes, as Kafka's LogSegment: finding the batch that holds an
 * offset (index lookup, then a walk of batch headers), reading whole batches from a position,
 * recovery (checking every batch, truncating a torn tail, rebuilding the indexes), truncation to an
 * offset, and setting aside corrupt ranges found on the way (see batch-validation.ts). The list of
 * segments, rolling, retention and everything about the log as a whole stay in PartitionLog.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  BASE_OFFSET_OFFSET,
  BATCH_OVERHEAD,
  BATCH_WALK_HEADER,
  batchBaseOffset,
  batchLastOffsetDelta,
  batchMagic,
  batchMaxTimestamp,
  batchSize,
  CURRENT_MAGIC,
  MAX_TIMESTAMP_OFFSET,
  readInt53,
} from '../../protocol/records/batch-header.js';
import { readBatchInfo, type BatchInfo } from '../../protocol/records/batch.js';
import type { FileSystem, StorageFile } from '../fs/file-system.js';
import { offsetAfterBatches } from './batch-walk.js';
import { batchProblem, nextIntactBatch, ValidatedRanges, type CorruptRange } from './batch-validation.js';

export const OFFSET_INDEX_ENTRY = 8;
export const TIME_INDEX_ENTRY = 12;
/** Chunk read while walking batch headers to find an offset's position. */
const WALK_CHUNK = 16 * 1024;
/** Chunk read while re-validating a segment at open. */
const RECOVERY_CHUNK = 1024 * 1024;
/** Header bytes through the max timestamp: what rebuilding the indexes needs of each batch. */
const INDEX_HEADER = MAX_TIMESTAMP_OFFSET + 8;
const EMPTY = Buffer.alloc(0);

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

/** What the segments of one log share. */
export interface SegmentDeps {
  fs: FileSystem;
  /** Reports corrupt ranges set aside and torn tails truncated (the log adds its name). */
  log: (msg: string) => void;
  /** Base offset of the segment after `segment` in its log, if any: where offsets go on after a corrupt range at its end. */
  followingBaseOffset?: (segment: Segment) => number | undefined;
}

export interface ReadOptions {
  /** Return the first batch whole even when it is larger than maxBytes (KIP-74). */
  minOneBatch: boolean;
  /** Batches at or beyond this offset are not returned (high watermark or last stable offset). */
  upperBound: number;
  /**
   * Makes the buffers data is read into (at least the size asked; the result's records are views
   * of them). The caller owns them afterwards, including any not used in the result.
   */
  allocate?: (size: number) => Buffer;
}

export interface ReadResult {
  records: Buffer[];
  /**
   * CORRUPT_MESSAGE when the batch holding the offset asked is corrupt on disk (it is never
   * served); reads from `corruptEnd`, the first offset after the corrupt range, go on.
   */
  errorCode?: number;
  corruptEnd?: number;
}

/** Where a batch sits in its segment (Kafka's LogOffsetPosition). */
export interface BatchPosition {
  position: number;
  size: number;
  baseOffset: number;
}

/** A segment's index files as read from disk. */
export interface SegmentIndexFiles {
  offsets: Buffer;
  times: Buffer;
}

/** Told where a read ended: the offset after its last batch and the position after it in `segment`. */
export type ReadEndListener = (nextOffset: number, segment: Segment, position: number) => void;

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
    private readonly deps: SegmentDeps,
  ) {
    this.nextOffset = baseOffset;
  }

  /** The `.log` file, opened (and created) on first use so a new segment costs nothing until written. */
  open(): StorageFile | Promise<StorageFile> {
    if (this.file !== null) return this.file;
    // A failed open is not remembered: the next call tries again (space or permissions may be back).
    this.opening ??= this.deps.fs.openFile(this.path).then(
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

  /** Writes the index files from the in-memory entries. */
  async writeIndexFiles(fsync: boolean): Promise<void> {
    await this.deps.fs.writeFileAtomic(this.indexPath(), this.offsetIndexBytes(), fsync);
    await this.deps.fs.writeFileAtomic(this.timeIndexPath(), this.timeIndexBytes(), fsync);
  }

  /**
   * Reads a sealed segment's index files and takes its next offset and max timestamp from them;
   * null when they are missing or fail sanity checks, so the segment is scanned instead.
   * `nextBase` is the following segment's base offset (-1 for the last one).
   */
  async loadIndexFiles(nextBase: number): Promise<SegmentIndexFiles | null> {
    const offsets = await this.deps.fs.readFile(this.indexPath());
    const times = await this.deps.fs.readFile(this.timeIndexPath());
    if (offsets === null || times === null || offsets.length % OFFSET_INDEX_ENTRY !== 0 || times.length % TIME_INDEX_ENTRY !== 0) return null;
    if (this.size > 0 && offsets.length === 0) return null;
    let lastRel = -1;
    let lastPos = -1;
    for (let i = 0; i < offsets.length; i += OFFSET_INDEX_ENTRY) {
      const rel = offsets.readInt32BE(i);
      const pos = offsets.readInt32BE(i + 4);
      if (rel <= lastRel || pos <= lastPos || pos >= this.size) return null;
      lastRel = rel;
      lastPos = pos;
    }
    const end = await offsetAfterBatches(await this.open(), lastPos < 0 ? 0 : lastPos, this.size);
    if (end === null || (nextBase >= 0 && end !== undefined && end > nextBase)) return null;
    this.nextOffset = end ?? this.baseOffset;
    if (times.length > 0) {
      const at = times.length - TIME_INDEX_ENTRY;
      this.maxTimestamp = Number(times.readBigInt64BE(at));
      this.maxTimestampBatchOffset = this.baseOffset + times.readInt32BE(at + 8);
    }
    return { offsets, times };
  }

  /** Keeps the index entries in memory (the active segment: appends add to them), from its index files when given. */
  holdIndexesInMemory(files: SegmentIndexFiles | undefined): void {
    this.offsetIndex = files ? offsetIndexToPairs(files.offsets) : [];
    this.timeIndex = files ? timeIndexToPairs(files.times) : [];
    this.bytesSinceIndexEntry = 0;
  }

  /** Forgets the indexes and what they told (next offset, max timestamp), before they are rebuilt. */
  private resetIndexes(): void {
    this.offsetIndex = [];
    this.timeIndex = [];
    this.bytesSinceIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.maxTimestampBatchOffset = -1;
  }

  // ---- lookup and read ------------------------------------------------------------------------

  /**
   * Kafka's LogSegment.translateOffset: where the first batch whose last offset is >= `offset`
   * starts, with its size and base offset; null when the segment holds no such batch below its
   * written size; the corrupt range when that batch lies in one. `offsetIndex` is this segment's
   * offset index (in memory or as read from its file). Walking past a corrupt range continues
   * after it.
   */
  async translateOffset(offset: number, offsetIndex: Buffer | number[]): Promise<BatchPosition | { corrupt: CorruptRange } | null> {
    let pos = lookupOffsetIndex(offsetIndex, this.baseOffset, offset);
    const file = await this.open();
    const limit = this.writtenSize;
    let chunk = EMPTY;
    let chunkPos = pos;
    while (pos + BATCH_WALK_HEADER <= limit) {
      const corrupt = this.corrupt.length === 0 ? undefined : this.corrupt.find((c) => c.start === pos);
      if (corrupt !== undefined) {
        if (offset < corrupt.nextOffset) return { corrupt };
        pos = corrupt.end;
        chunk = EMPTY;
        continue;
      }
      if (pos + BATCH_WALK_HEADER > chunkPos + chunk.length) {
        const len = Math.min(WALK_CHUNK, limit - pos);
        chunk = Buffer.allocUnsafe(len);
        const n = await file.read(chunk, 0, len, pos);
        chunk = chunk.subarray(0, n);
        chunkPos = pos;
        if (n < BATCH_WALK_HEADER) return null;
      }
      const at = pos - chunkPos;
      const size = batchSize(chunk, at);
      if (size < BATCH_OVERHEAD || pos + size > limit) {
        // A batch never runs past the written size: this header is damaged.
        if (this.validated.checkedFrom(pos) > pos) return null;
        await this.quarantine(pos, size, `a batch size of ${size} bytes`);
        continue;
      }
      const base = batchBaseOffset(chunk, at);
      if (base + batchLastOffsetDelta(chunk, at) >= offset) return { position: pos, size, baseOffset: base };
      pos += size;
    }
    return null;
  }

  /**
   * Reads whole batches from `position`, where the first batch with offsets at or after `offset`
   * starts (compaction leaves gaps, so it may start later), up to `maxBytes` (or the first batch
   * whole when `minOneBatch`), never past `upperBound` nor past a write still in flight. Batches
   * read from disk for the first time are CRC-checked; a corrupt one ends the read (or is the
   * answer, when first). For a remembered position (`hinted`) the batch must hold `offset`
   * itself; null when it does not, or when no batch starts at `position`.
   */
  async read(position: number, offset: number, maxBytes: number, opts: ReadOptions, hinted: boolean, onEnd?: ReadEndListener): Promise<ReadResult | null> {
    if (this.corrupt.length > 0) {
      const corrupt = this.corrupt.find((c) => c.start === position);
      if (corrupt !== undefined) return corruptResult(corrupt);
    }
    const file = await this.open();
    const available = this.writtenSize - position;
    let want = Math.min(available, Math.max(maxBytes, BATCH_WALK_HEADER));
    const allocate = opts.allocate ?? Buffer.allocUnsafe;
    let buf = allocate(want);
    let n = await file.read(buf, 0, want, position);
    if (n < BATCH_WALK_HEADER) return null;
    const firstBase = batchBaseOffset(buf, 0);
    const firstSize = batchSize(buf, 0);
    const firstLast = firstBase + batchLastOffsetDelta(buf, 0);
    // Batches before this position were CRC-checked already (batch-validation.ts).
    const checkedTo = this.validated.checkedFrom(position);
    if (checkedTo === position && (firstSize < BATCH_OVERHEAD || firstSize > available)) {
      return corruptResult(await this.quarantine(position, firstSize, `a batch size of ${firstSize} bytes`));
    }
    if (firstLast < offset || firstSize < BATCH_WALK_HEADER || (hinted && firstBase > offset)) return null;
    if (firstBase >= opts.upperBound) return { records: [] };
    if (firstSize > n) {
      // The first batch alone is larger than maxBytes (KIP-74): return it whole when allowed.
      if (!opts.minOneBatch || firstSize > available) return { records: [] };
      want = firstSize;
      buf = allocate(want);
      n = await file.read(buf, 0, want, position);
    }
    // Trim to whole batches below the upper bound, checking those read from disk for the first time.
    let end = 0;
    let next = offset;
    let problem: string | null = null;
    while (end + BATCH_WALK_HEADER <= n) {
      const base = batchBaseOffset(buf, end);
      const size = batchSize(buf, end);
      const unchecked = position + end >= checkedTo;
      if (size < BATCH_OVERHEAD) {
        if (unchecked) problem = `a batch size of ${size} bytes`;
        break;
      }
      if (base >= opts.upperBound || end + size > n) break;
      if (unchecked && (problem = batchProblem(buf, end, size)) !== null) break;
      next = base + batchLastOffsetDelta(buf, end) + 1;
      end += size;
    }
    if (problem !== null) {
      const corrupt = await this.quarantine(position + end, batchSize(buf, end), problem);
      if (end === 0) return corruptResult(corrupt);
    }
    if (end === 0) return { records: [] };
    if (position + end > checkedTo) this.validated.add(position, position + end);
    onEnd?.(next, this, position + end);
    return { records: [buf.subarray(0, end)] };
  }

  /** Reads the whole batch holding `offset`, with its header facts; null when there is none or it is corrupt. */
  async readBatchAt(offset: number, offsetIndex: Buffer | number[]): Promise<{ buf: Buffer; info: BatchInfo } | null> {
    const found = await this.translateOffset(offset, offsetIndex);
    if (found === null || 'corrupt' in found) return null;
    const buf = Buffer.allocUnsafe(found.size);
    await (await this.open()).read(buf, 0, found.size, found.position);
    if (this.validated.checkedFrom(found.position) === found.position) {
      const problem = batchProblem(buf, 0, found.size);
      if (problem !== null) {
        await this.quarantine(found.position, found.size, problem);
        return null;
      }
      this.validated.add(found.position, found.position + found.size);
    }
    return { buf, info: readBatchInfo(buf, 0) };
  }

  /**
   * Kafka has no such check: it serves whatever a segment holds after a clean shutdown. Here a
   * corrupt batch found by a read is set aside (logged once) and its offsets answered with
   * CORRUPT_MESSAGE, while the batches after it stay readable: `end` is the next intact batch.
   * `following` is the offset after this segment when the caller knows it (recovery).
   */
  async quarantine(start: number, claimedSize: number, reason: string, following?: number): Promise<CorruptRange> {
    const known = this.corrupt.find((c) => c.start === start);
    if (known !== undefined) return known;
    const limit = this.writtenSize;
    const intact = await nextIntactBatch(await this.open(), start, claimedSize, limit);
    const after = following ?? this.deps.followingBaseOffset?.(this);
    const range: CorruptRange = { start, end: intact?.position ?? limit, nextOffset: intact?.baseOffset ?? after ?? this.nextOffset };
    const again = this.corrupt.find((c) => c.start === start);
    if (again !== undefined) return again;
    this.corrupt.push(range);
    this.deps.log(
      `segment ${this.baseOffset} has ${reason} at byte ${start}: bytes ${start}..${range.end - 1} are not served, reads of the offsets they hold (below ${range.nextOffset}) get CORRUPT_MESSAGE`,
    );
    return range;
  }

  // ---- recovery and truncation ----------------------------------------------------------------

  /**
   * Scans the segment batch by batch — size, magic, CRC, offsets increasing — and rebuilds its
   * in-memory indexes, next offset and max timestamp. With `quarantineUntil` null (a segment past
   * the recovery point: a torn write is expected there) everything from the first invalid or
   * partial batch on is truncated away, logged with the offsets dropped, and false returned.
   * Otherwise the segment was made durable (below the recovery point, or a sealed segment after a
   * clean shutdown), so bad bytes are corruption rather than a torn write: each bad range is set
   * aside as a read finding it would (see quarantine), and the scan goes on after it;
   * `quarantineUntil` is the offset that follows the segment.
   */
  async recover(indexIntervalBytes: number, fsync: boolean, quarantineUntil: number | null = null): Promise<boolean> {
    const file = await this.open();
    this.resetIndexes();
    let pos = 0;
    let checkedFrom = 0;
    // Read in chunks: a start-up re-validates a whole active segment, possibly of many small batches.
    let chunk = EMPTY;
    let chunkPos = 0;
    let reason: string | null = null;
    let claimedSize = 0;
    while (pos < this.size) {
      reason = null;
      if (pos + BATCH_WALK_HEADER > chunkPos + chunk.length) {
        chunkPos = pos;
        chunk = Buffer.allocUnsafe(Math.min(RECOVERY_CHUNK, this.size - pos));
        chunk = chunk.subarray(0, await file.read(chunk, 0, chunk.length, pos));
      }
      let baseOffset: number | null = null;
      let maxTimestamp: number | null = null;
      let lastOffsetDelta = 0;
      if (pos + BATCH_WALK_HEADER > chunkPos + chunk.length) reason = 'a partial batch header';
      else {
        claimedSize = batchSize(chunk, pos - chunkPos);
        const size = claimedSize;
        if (batchMagic(chunk, pos - chunkPos) !== CURRENT_MAGIC || size < BATCH_OVERHEAD || pos + size > this.size) reason = `an invalid or partial batch at byte ${pos}`;
        else {
          if (pos + size > chunkPos + chunk.length) {
            chunkPos = pos;
            chunk = Buffer.allocUnsafe(Math.max(size, Math.min(RECOVERY_CHUNK, this.size - pos)));
            chunk = chunk.subarray(0, await file.read(chunk, 0, chunk.length, pos));
          }
          const at = pos - chunkPos;
          // The header's size and magic passed above, so batchProblem can only find the CRC wrong.
          const problem = at + size > chunk.length ? 'a CRC mismatch' : batchProblem(chunk, at, size);
          if (problem !== null) reason = `${problem} at byte ${pos}`;
          else {
            // Only the fields the index needs, without BigInts: a whole segment may hold millions of batches.
            baseOffset = readInt53(chunk, at + BASE_OFFSET_OFFSET);
            lastOffsetDelta = batchLastOffsetDelta(chunk, at);
            maxTimestamp = readInt53(chunk, at + MAX_TIMESTAMP_OFFSET);
            if (baseOffset === null || maxTimestamp === null) reason = `an unreadable batch header at byte ${pos}`;
            else if (baseOffset < this.nextOffset || lastOffsetDelta < 0) reason = `offset ${baseOffset} out of order at byte ${pos}`;
          }
        }
      }
      if (reason === null && baseOffset !== null && maxTimestamp !== null) {
        this.indexBatch(pos, baseOffset, baseOffset + lastOffsetDelta, maxTimestamp, claimedSize, indexIntervalBytes);
        pos += claimedSize;
        continue;
      }
      if (quarantineUntil === null) break;
      this.validated.add(checkedFrom, pos);
      const range = await this.quarantine(pos, claimedSize, reason ?? 'a bad batch', quarantineUntil);
      pos = checkedFrom = range.end;
      chunk = EMPTY;
      reason = null;
    }
    if (reason !== null) {
      this.deps.log(`segment ${this.baseOffset} has ${reason}; truncating the log at offset ${this.nextOffset} (dropping ${this.size - pos} bytes of this segment)`);
      await this.truncateAt(pos, fsync);
    }
    this.validated.add(checkedFrom, pos);
    return reason === null;
  }

  /**
   * Kafka's LogSegment.truncateTo: removes the batch holding `offset` and every batch after it,
   * then rebuilds the in-memory indexes, next offset and max timestamp from the batch headers
   * that stay. Returns the bytes removed: 0 when no batch holds `offset` or a later one. Call it
   * with no write in flight; a sealed segment's index files are stale afterwards, so the caller
   * writes them again (or keeps the segment active).
   */
  async truncateTo(offset: number, offsetIndex: Buffer | number[], indexIntervalBytes: number, fsync: boolean): Promise<number> {
    const found = await this.translateOffset(offset, offsetIndex);
    if (found === null) return 0;
    const position = 'corrupt' in found ? found.corrupt.start : found.position;
    const removed = this.size - position;
    await this.truncateAt(position, fsync);
    await this.rebuildIndexes(indexIntervalBytes);
    return removed;
  }

  /** Cuts the file at `position` (a batch boundary); corrupt ranges from there on are gone with it. */
  private async truncateAt(position: number, fsync: boolean): Promise<void> {
    const file = await this.open();
    await file.truncate(position);
    if (fsync) await file.datasync();
    this.size = this.writtenSize = position;
    if (this.corrupt.some((c) => c.start >= position)) this.corrupt = this.corrupt.filter((c) => c.start < position);
  }

  /** Rebuilds the in-memory indexes from the batch headers (batches already checked: no CRC work). */
  private async rebuildIndexes(indexIntervalBytes: number): Promise<void> {
    this.resetIndexes();
    const file = await this.open();
    let chunk = EMPTY;
    let chunkPos = 0;
    let pos = 0;
    while (pos < this.size) {
      const corrupt = this.corrupt.length === 0 ? undefined : this.corrupt.find((c) => c.start === pos);
      if (corrupt !== undefined) {
        pos = corrupt.end;
        continue;
      }
      if (pos + INDEX_HEADER > chunkPos + chunk.length) {
        const len = Math.min(Math.max(WALK_CHUNK, INDEX_HEADER), this.size - pos);
        chunk = Buffer.allocUnsafe(len);
        chunk = chunk.subarray(0, await file.read(chunk, 0, len, pos));
        chunkPos = pos;
        if (chunk.length < INDEX_HEADER) break;
      }
      const at = pos - chunkPos;
      const size = batchSize(chunk, at);
      if (size < BATCH_OVERHEAD) break;
      const base = batchBaseOffset(chunk, at);
      this.indexBatch(pos, base, base + batchLastOffsetDelta(chunk, at), batchMaxTimestamp(chunk, at), size, indexIntervalBytes);
      pos += size;
    }
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

/** The answer to a read of offsets in a corrupt range. */
export function corruptResult(range: CorruptRange): ReadResult {
  return { records: [], errorCode: ErrorCode.CORRUPT_MESSAGE, corruptEnd: range.nextOffset };
}

function offsetIndexToPairs(buf: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + OFFSET_INDEX_ENTRY <= buf.length; i += OFFSET_INDEX_ENTRY) out.push(buf.readInt32BE(i), buf.readInt32BE(i + 4));
  return out;
}

function timeIndexToPairs(buf: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + TIME_INDEX_ENTRY <= buf.length; i += TIME_INDEX_ENTRY) out.push(Number(buf.readBigInt64BE(i)), buf.readInt32BE(i + 8));
  return out;
}
