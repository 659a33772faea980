/**
 * Log compaction for `cleanup.policy=compact` (Kafka's LogCleaner): keeps the latest record per
 * key in the sealed segments, leaving offsets unchanged.
 *
 * One pass over a log:
 *   1. The cleanable range is the sealed segments old enough for `min.compaction.lag.ms`. The
 *      part from the cleaner offset on is "dirty"; nothing happens until dirty bytes make up
 *      `min.cleanable.dirty.ratio` of the range.
 *   2. The dirty part is read once to map every key to its latest offset. The map is bounded
 *      (MAX_MAP_KEYS); when full, this pass stops at the segment where it filled.
 *   3. The range is rewritten segment group by segment group (groups fit `segment.bytes`): a record
 *      stays if its key's latest offset is its own, or its key is not in the map. Tombstones (null
 *      values) go once their timestamp is older than `delete.retention.ms`. A batch whose records
 *      all stay is copied byte for byte; otherwise its survivors are re-encoded with the batch's own
 *      codec, producer fields and offsets.
 *   4. Each group's output is written as `<base>.log.cleaned`, fsynced, renamed `<base>.log.swap`,
 *      swapped into the log in memory (reads and appends never wait), the old files renamed
 *      `.deleted`, and the swap file renamed to `<base>.log`. A crash at any step is finished or
 *      undone at open (see PartitionLog.load).
 *
 * Compaction never moves the log start offset. As in Kafka's LogCleaner, the output of a group
 * keeps the base offset of its first segment, even when no record survives: an empty segment then
 * holds the first group's place (it joins the next group on a later pass). An emptied group later
 * in the log is simply removed, leaving an offset gap as compaction does inside segments, so empty
 * segments do not pile up.
 *
 * Every batch read is checked against its CRC: a corrupt batch is never copied or re-encoded with
 * a fresh CRC. A log found corrupt is left alone until restart (Kafka marks it uncleanable).
 * Appends go to the active segment, which is never cleaned, so they never wait for the cleaner.
 */
import {
  batchBaseOffset,
  batchLastOffset,
  batchMaxTimestamp,
  batchSize,
  buildBatch,
  readRecords,
  scanBatches,
  setLogAppendTime,
  type BatchInfo,
  type Record,
} from '../../protocol/records/index.js';
import type { FileSystem, StorageFile } from '../fs/file-system.js';
import type { PartitionLog } from './partition-log.js';
import type { Segment } from './segment.js';

/** Keys remembered per pass (Kafka sizes this by log.cleaner.dedupe.buffer.size). */
const MAX_MAP_KEYS = 1_000_000;
const READ_CHUNK = 1024 * 1024;

export interface CleanStats {
  segmentsBefore: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  cleanedUpTo: number;
}

export interface CleanerDeps {
  fs: FileSystem;
  log: (msg: string) => void;
  maxMapKeys?: number;
}

/** A batch of a segment failed its checks (CRC-32C, sizes) while the cleaner read it. */
class CorruptSegmentError extends Error {
  constructor(seg: Segment, position: number, cause: unknown) {
    super(`segment ${seg.baseOffset} is corrupt near byte ${position}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** Validated batch headers of `chunk` (read at `pos` of `seg`); a corrupt batch throws CorruptSegmentError. */
function scanChunk(seg: Segment, pos: number, chunk: Buffer, allowPartialTail: boolean): BatchInfo[] {
  try {
    return scanBatches(chunk, { allowPartialTail });
  } catch (e) {
    throw new CorruptSegmentError(seg, pos, e);
  }
}

/** Calls `fn` for every batch of a segment in order (reading it in chunks, checking CRCs). */
async function forEachBatch(seg: Segment, fn: (buf: Buffer, info: BatchInfo) => void | Promise<void>): Promise<void> {
  const file = await seg.open();
  let pos = 0;
  while (pos < seg.writtenSize) {
    const len = Math.min(READ_CHUNK, seg.writtenSize - pos);
    let chunk = Buffer.allocUnsafe(len);
    await file.read(chunk, 0, len, pos);
    let batches = scanChunk(seg, pos, chunk, true);
    if (batches.length === 0) {
      // One batch larger than the chunk: read exactly it.
      const size = batchSize(chunk, 0);
      if (pos + size > seg.writtenSize) throw new CorruptSegmentError(seg, pos, `a batch of ${size} bytes runs past the segment end`);
      chunk = Buffer.allocUnsafe(size);
      await file.read(chunk, 0, size, pos);
      batches = scanChunk(seg, pos, chunk, false);
    }
    let consumed = 0;
    for (const b of batches) {
      await fn(chunk, b);
      consumed = b.position + b.size;
    }
    pos += consumed;
  }
}

function keyOf(r: Record): string | null {
  return r.key === null ? null : r.key.toString('latin1');
}

export class LogCleaner {
  /** Logs found corrupt: not cleaned again until restart (Kafka's uncleanable partitions). */
  private readonly uncleanable = new WeakSet<PartitionLog>();

  constructor(private readonly deps: CleanerDeps) {}

  /** Cleans `log` once if it is compacted and dirty enough; null when there was nothing to do. */
  async clean(log: PartitionLog, now: number): Promise<CleanStats | null> {
    if (!log.config.cleanupPolicy.includes('compact') || this.uncleanable.has(log)) return null;
    try {
      return await this.cleanOnce(log, now);
    } catch (e) {
      if (!(e instanceof CorruptSegmentError)) throw e;
      // One corrupt log must not stop the cleaning of the others (they run in one loop).
      this.uncleanable.add(log);
      this.deps.log(`${log.name}: not compacting this log until restart: ${e.message}`);
      return null;
    }
  }

  private async cleanOnce(log: PartitionLog, now: number): Promise<CleanStats | null> {
    const config = log.config;
    const all = log.segmentList;
    const range: Segment[] = [];
    for (const s of all.slice(0, -1)) {
      if (s.maxTimestamp >= 0 && now - s.maxTimestamp < config.minCompactionLagMs) break;
      range.push(s);
    }
    if (range.length === 0) return null;
    const firstDirty = Math.max(log.cleanerOffset, log.logStartOffset);
    let total = 0;
    let dirty = 0;
    for (const s of range) {
      total += s.size;
      if (s.nextOffset > firstDirty) dirty += s.size;
    }
    if (dirty === 0 || dirty / total < config.minCleanableDirtyRatio) return null;

    // 2. Latest offset of every key in the dirty part.
    const latest = new Map<string, number>();
    const maxKeys = this.deps.maxMapKeys ?? MAX_MAP_KEYS;
    let end = range[0]!.baseOffset;
    for (const s of range) {
      if (s.nextOffset <= firstDirty) {
        end = s.nextOffset;
        continue;
      }
      if (latest.size >= maxKeys) break;
      await forEachBatch(s, (buf, info) => {
        if (info.isControl) return;
        for (const r of readRecords(buf, info)) {
          const k = keyOf(r);
          if (k !== null && r.offset >= firstDirty) latest.set(k, r.offset);
        }
      });
      end = s.nextOffset;
    }
    const cleanable = range.filter((s) => s.nextOffset <= end);
    if (cleanable.length === 0) return null;

    // 3-4. Rewrite group by group.
    const stats: CleanStats = { segmentsBefore: cleanable.length, segmentsAfter: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, cleanedUpTo: end };
    const groups: Segment[][] = [];
    let current: Segment[] = [];
    let currentBytes = 0;
    for (const s of cleanable) {
      // Index entries hold offsets relative to the base as int32.
      const spanOk = current.length === 0 || s.nextOffset - current[0]!.baseOffset < 0x7fffffff;
      if (current.length > 0 && (currentBytes + s.size > config.segmentBytes || !spanOk)) {
        groups.push(current);
        current = [];
        currentBytes = 0;
      }
      current.push(s);
      currentBytes += s.size;
    }
    if (current.length > 0) groups.push(current);

    let removed = false;
    for (const group of groups) {
      stats.bytesBefore += group.reduce((n, s) => n + s.size, 0);
      const replacement = await this.rewrite(log, group, latest, now, stats);
      if (replacement === null) return stats.segmentsAfter > 0 || removed ? stats : null;
      if (replacement === 'removed') {
        removed = true;
        continue;
      }
      stats.bytesAfter += replacement.size;
      stats.segmentsAfter++;
    }
    await log.markCleaned(end);
    this.deps.log(
      `${log.name}: compacted offsets ${cleanable[0]!.baseOffset}..${end - 1}: ${stats.segmentsBefore} segment(s) of ${stats.bytesBefore} bytes into ${stats.segmentsAfter} of ${stats.bytesAfter} bytes, ${stats.recordsRemoved} record(s) removed`,
    );
    return stats;
  }

  /**
   * Writes the survivors of `group` into one new segment and swaps it in; 'removed' when none
   * survived and the group was not the log's first; null if the log moved on meanwhile.
   */
  private async rewrite(log: PartitionLog, group: readonly Segment[], latest: ReadonlyMap<string, number>, now: number, stats: CleanStats): Promise<Segment | 'removed' | null> {
    const fs = this.deps.fs;
    const config = log.config;
    const replacement = log.newSegment(group[0]!.baseOffset);
    const cleanedPath = `${replacement.path}.cleaned`;
    const swapPath = `${replacement.path}.swap`;
    await fs.remove(cleanedPath);
    const out: StorageFile = await fs.openFile(cleanedPath);
    let committed = false;
    try {
      for (const seg of group) {
        await forEachBatch(seg, async (buf, info) => {
          const kept = this.survivors(buf, info, latest, now, config.deleteRetentionMs);
          let bytes: Buffer;
          if (kept === 'all') bytes = buf.subarray(info.position, info.position + info.size);
          else {
            stats.recordsRemoved += info.recordCount - kept.length;
            if (kept.length === 0) return;
            const base = kept[0]!.offset;
            bytes = buildBatch({
              baseOffset: base,
              records: kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offset - base })),
              compression: info.compression,
              producerId: info.producerId,
              producerEpoch: info.producerEpoch,
              baseSequence: info.baseSequence < 0 ? -1 : (info.baseSequence + (base - info.baseOffset)) % 0x80000000,
              isTransactional: info.isTransactional,
              partitionLeaderEpoch: info.partitionLeaderEpoch,
              logAppendTime: info.timestampType === 1,
            });
            if (info.timestampType === 1) setLogAppendTime(bytes, 0, info.maxTimestamp);
          }
          const position = replacement.size;
          await out.writev([bytes], position);
          replacement.indexBatch(position, batchBaseOffset(bytes, 0), batchLastOffset(bytes, 0), batchMaxTimestamp(bytes, 0), bytes.length, config.indexIntervalBytes);
          replacement.size += bytes.length;
        });
      }
      replacement.nextOffset = group[group.length - 1]!.nextOffset;
      replacement.writtenSize = replacement.size;
      // Every batch was CRC-checked on the way in (or built here): reads need not check again.
      replacement.validated.addAll();
      if (replacement.size === 0 && log.segmentList[0] !== group[0]) {
        await out.close();
        await fs.remove(cleanedPath);
        if (!group.every((s) => log.segmentList.includes(s))) return null;
        committed = true;
        await log.replaceSegments(group, null);
        return 'removed';
      }
      if (config.fsyncEnabled) await out.datasync();
      await fs.rename(cleanedPath, swapPath);
      await fs.syncDir(log.dir);
      replacement.adopt(out);
      if (!group.every((s) => log.segmentList.includes(s))) {
        await fs.remove(swapPath);
        await out.close();
        return null;
      }
      await log.replaceSegments(group, replacement);
      committed = true;
      await fs.rename(swapPath, replacement.path);
      await replacement.writeIndexFiles(config.fsyncEnabled);
      await fs.syncDir(log.dir);
      replacement.offsetIndex = [];
      replacement.timeIndex = [];
      return replacement;
    } catch (e) {
      if (!committed) {
        await out.close().catch(() => undefined);
        await fs.remove(cleanedPath).catch(() => undefined);
        await fs.remove(swapPath).catch(() => undefined);
      }
      throw e;
    }
  }

  /** The records of a batch that stay, or 'all' when nothing changes. */
  private survivors(buf: Buffer, info: BatchInfo, latest: ReadonlyMap<string, number>, now: number, deleteRetentionMs: number): Record[] | 'all' {
    if (info.isControl) return 'all';
    const records = readRecords(buf, info);
    const kept = records.filter((r) => {
      const k = keyOf(r);
      if (k === null) return true;
      const last = latest.get(k);
      if (last !== undefined && last !== r.offset) return false;
      return !(r.value === null && now - r.timestamp > deleteRetentionMs);
    });
    return kept.length === records.length ? 'all' : kept;
  }
}
