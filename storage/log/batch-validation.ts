/**
 * CRC checks of batches read back from disk. A clean shutdown skips recovery (as in Kafka), so a
 * byte flipped on disk afterwards would be served to consumers. Instead a batch's CRC-32C is
 * checked the first time a read takes it from disk; the byte ranges already checked are remembered
 * per segment (`ValidatedRanges`), so each byte is checked once however often it is fetched.
 * Batches appended by this process were checked at produce time: their segments count as checked
 * throughout.
 */
import {
  BATCH_OVERHEAD,
  BATCH_WALK_HEADER,
  batchBaseOffset,
  batchCrc,
  batchMagic,
  batchSize,
  computeBatchCrc,
  CURRENT_MAGIC,
} from '../../protocol/records/batch-header.js';
import type { StorageFile } from '../fs/file-system.js';

/** Separate checked ranges kept per segment (one per consumer reading from its own position is plenty). */
const MAX_RANGES = 16;
const RESYNC_CHUNK = 64 * 1024;

/** Byte ranges of a segment whose batches passed their checks: sorted, disjoint, at most MAX_RANGES. */
export class ValidatedRanges {
  private starts: number[] = [];
  private ends: number[] = [];

  /** Everything, including whatever is appended later (the segment is written by this process). */
  addAll(): void {
    this.starts = [0];
    this.ends = [Infinity];
  }

  /** End of the checked range holding `position`, or `position` itself when none does. */
  checkedFrom(position: number): number {
    const starts = this.starts;
    for (let i = 0; i < starts.length; i++) {
      if (starts[i]! > position) break;
      if (this.ends[i]! > position) return this.ends[i]!;
    }
    return position;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    const starts: number[] = [];
    const ends: number[] = [];
    let s = start;
    let e = end;
    let placed = false;
    for (let i = 0; i < this.starts.length; i++) {
      const a = this.starts[i]!;
      const b = this.ends[i]!;
      if (b < s) {
        starts.push(a);
        ends.push(b);
      } else if (a > e) {
        if (!placed) {
          starts.push(s);
          ends.push(e);
          placed = true;
        }
        starts.push(a);
        ends.push(b);
      } else {
        s = Math.min(s, a);
        e = Math.max(e, b);
      }
    }
    if (!placed) {
      starts.push(s);
      ends.push(e);
    }
    if (starts.length > MAX_RANGES) {
      // Forget the shortest range: at worst it is checked again.
      let shortest = 0;
      for (let i = 1; i < starts.length; i++) if (ends[i]! - starts[i]! < ends[shortest]! - starts[shortest]!) shortest = i;
      starts.splice(shortest, 1);
      ends.splice(shortest, 1);
    }
    this.starts = starts;
    this.ends = ends;
  }
}

/** Why the batch at `at` of `buf` (whose header says `size` bytes, all in `buf`) is invalid, or null. */
export function batchProblem(buf: Buffer, at: number, size: number): string | null {
  // The smallest batch is a header without records.
  if (size < BATCH_OVERHEAD) return `a batch size of ${size} bytes`;
  if (batchMagic(buf, at) !== CURRENT_MAGIC) return `magic byte ${batchMagic(buf, at)}`;
  if (batchCrc(buf, at) !== computeBatchCrc(buf, at, size)) return 'a CRC mismatch';
  return null;
}

/**
 * A range of a segment found corrupt: bytes [start, end) are not served, `nextOffset` is the base
 * offset of the first good batch after it (or the end of the segment's offsets).
 */
export interface CorruptRange {
  start: number;
  end: number;
  nextOffset: number;
}

/**
 * The first intact batch after the corrupt one at `start` whose header claims `claimedSize`
 * bytes, below `limit`; null when there is none. Tries where the claimed size ends first (the
 * length is usually intact), then every byte from `start + 1`: a header with the magic byte and a
 * plausible size whose CRC-32C matches. Costs a scan of the range once, when corruption is found.
 */
export async function nextIntactBatch(file: StorageFile, start: number, claimedSize: number, limit: number): Promise<{ position: number; baseOffset: number } | null> {
  const intactAt = async (pos: number): Promise<{ position: number; baseOffset: number } | null> => {
    const header = Buffer.allocUnsafe(BATCH_WALK_HEADER);
    if ((await file.read(header, 0, BATCH_WALK_HEADER, pos)) < BATCH_WALK_HEADER || batchMagic(header, 0) !== CURRENT_MAGIC) return null;
    const size = batchSize(header, 0);
    if (size < BATCH_OVERHEAD || pos + size > limit) return null;
    const batch = Buffer.allocUnsafe(size);
    await file.read(batch, 0, size, pos);
    return batchProblem(batch, 0, size) === null ? { position: pos, baseOffset: batchBaseOffset(batch, 0) } : null;
  };
  if (claimedSize >= BATCH_OVERHEAD && start + claimedSize + BATCH_OVERHEAD <= limit) {
    const found = await intactAt(start + claimedSize);
    if (found !== null) return found;
  }
  for (let chunkPos = start + 1; chunkPos + BATCH_OVERHEAD <= limit; chunkPos += RESYNC_CHUNK) {
    const len = Math.min(RESYNC_CHUNK + BATCH_WALK_HEADER, limit - chunkPos);
    const chunk = Buffer.allocUnsafe(len);
    const n = await file.read(chunk, 0, len, chunkPos);
    for (let i = 0; i < RESYNC_CHUNK && i + BATCH_WALK_HEADER <= n; i++) {
      if (batchMagic(chunk, i) !== CURRENT_MAGIC) continue;
      const size = batchSize(chunk, i);
      if (size < BATCH_OVERHEAD || chunkPos + i + size > limit) continue;
      const found = await intactAt(chunkPos + i);
      if (found !== null) return found;
    }
  }
  return null;
}
