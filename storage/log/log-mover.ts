/**
 * Copies a live partition log into a future replica directory in another log directory
 * (AlterReplicaLogDirs; Kafka's future log, `<topic>-<partition>.<uniqueId>-future`, filled by its
 * ReplicaAlterLogDirsThread). Kafka fetches batches from the current log into the future one; a
 * single process can copy the files themselves, which keeps segment boundaries, indexes and
 * producer snapshots as they are and costs no re-validation.
 *
 * Two phases:
 * - `catchUp` runs while appends continue: sealed segments are copied with their index files, the
 *   active segment up to its written size, again and again until what is left is small.
 * - `finish` runs once the source log was closed for the move (PartitionLog.closeForMove: no more
 *   appends, the active segment rolled and sealed): it copies the tail and every other file of
 *   the directory, drops copies of segments the source no longer has (DeleteRecords during the
 *   copy), syncs everything in one round and writes the `.clean-shutdown` marker last. The
 *   directory is then a complete, cleanly closed log; the LogManager renames it into place.
 *
 * Segment data is read through the source segments' open handles, so a segment that retention or
 * DeleteRecords renames away meanwhile is still read whole. Memory is one chunk buffer.
 */
import type { FileSystem, StorageFile } from '../fs/file-system.js';
import type { PartitionLog } from './partition-log.js';
import type { Segment } from './segment.js';

/** Bytes moved per read/write. */
const COPY_CHUNK = 1024 * 1024;
/** `catchUp` stops once the active segment has at most this many bytes left to copy. */
const TAIL_BYTES = 1024 * 1024;
/** Rounds of `catchUp` at most (appends faster than the copy would otherwise never let it end). */
const MAX_ROUNDS = 50;
const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';

/** The copy was cancelled (another AlterReplicaLogDirs, a deleted topic, shutdown). */
export class MoveCancelledError extends Error {
  constructor(name: string) {
    super(`the move of ${name} was cancelled`);
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Files a log directory holds only transiently (see PartitionLog), never copied. */
function isTransient(name: string): boolean {
  return name.endsWith('.tmp') || name.endsWith('.deleted') || name.endsWith('.cleaned') || name.endsWith('.swap');
}

function isSegmentFile(name: string): boolean {
  return /^\d{20}\.(log|index|timeindex)$/.test(name);
}

export class FutureLogCopy {
  /** Bytes of each source segment copied so far (by object: compaction replaces segments). */
  private readonly copied = new Map<Segment, number>();
  private readonly indexesCopied = new Set<Segment>();
  private readonly files = new Map<Segment, StorageFile>();
  /** Allocated when copying starts (queued moves hold none). */
  private buffer: Buffer | null = null;
  private cancelled = false;
  /** Bytes the future replica holds (DescribeLogDirs' size of the future replica). */
  copiedBytes = 0;
  /** Offset after the last batch copied (DescribeLogDirs' offset lag is the source's end minus this). */
  copiedEndOffset = 0;

  constructor(
    private readonly source: PartitionLog,
    readonly dir: string,
    private readonly fs: FileSystem,
    private readonly sync: boolean,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }

  private check(): void {
    if (this.cancelled) throw new MoveCancelledError(this.source.name);
  }

  /** Copies while appends continue, until the active segment's uncopied tail is small. */
  async catchUp(): Promise<void> {
    await this.fs.mkdirp(this.dir);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      await this.copySegments(false);
      const active = this.source.activeSegment;
      if (active.writtenSize - (this.copied.get(active) ?? 0) <= TAIL_BYTES) break;
    }
    // Synced now, while appends continue: `finish` then only syncs the tail, keeping the pause short.
    if (this.sync) for (const file of this.files.values()) await file.datasync();
  }

  /** After `source.closeForMove()`: copies the rest and makes the directory durable. */
  async finish(): Promise<void> {
    await this.copySegments(true);
    const live = new Set(this.source.segmentList.map((s) => baseName(s.path).slice(0, 20)));
    for (const name of await this.fs.readdir(this.dir)) {
      // Segments DeleteRecords removed from the source while they were being copied.
      if (isSegmentFile(name) && !live.has(name.slice(0, 20))) await this.fs.remove(`${this.dir}/${name}`);
    }
    // The small files (checkpoints, snapshots, partition.metadata) are written in place: the
    // directory is not trusted before its rename, so nothing needs to be atomic, only durable.
    const written: StorageFile[] = [...this.files.values()];
    this.files.clear();
    for (const name of await this.fs.readdir(this.source.dir)) {
      if (isSegmentFile(name) || isTransient(name) || name === CLEAN_SHUTDOWN_FILE) continue;
      const data = await this.fs.readFile(`${this.source.dir}/${name}`);
      if (data === null) continue;
      const file = await this.fs.openFile(`${this.dir}/${name}`);
      written.push(file);
      await file.truncate(0);
      await file.writev([data], 0);
    }
    try {
      // One round of syncs for all of them.
      if (this.sync) await Promise.all(written.map((f) => f.datasync()));
    } finally {
      for (const f of written) await f.close().catch(() => undefined);
    }
    if (this.sync) await this.fs.syncDir(this.dir);
    // Last, once everything else is durable: the copy is a complete log closed at its end (the
    // source's recovery point is its end, see PartitionLog.closeForMove), so it opens without
    // recovery.
    await this.fs.writeFileAtomic(`${this.dir}/${CLEAN_SHUTDOWN_FILE}`, Buffer.alloc(0), this.sync);
  }

  /** Closes the copy's files (the directory is removed by the caller after a failure). */
  async close(): Promise<void> {
    for (const file of this.files.values()) await file.close().catch(() => undefined);
    this.files.clear();
    this.buffer = null;
  }

  /**
   * One pass over the source's segments: the bytes written since the last pass, and the index
   * files of sealed segments (`final`: all of them, the source being closed and complete).
   */
  private async copySegments(final: boolean): Promise<void> {
    const segments = [...this.source.segmentList];
    let bytes = 0;
    for (const seg of segments) {
      this.check();
      const active = this.source.activeSegment;
      // Complete: rolled, its queued writes done and its index files written by the seal (a
      // segment whose index files could not be written keeps them in memory until the close).
      const complete = final || (seg !== active && seg.writtenSize === seg.size && seg.offsetIndex.length === 0);
      // Captured together, with no await between: the high watermark is the end of the written bytes.
      const limit = seg.writtenSize;
      const endOffset = complete ? seg.nextOffset : seg === active ? this.source.highWatermark : -1;
      await this.copyRange(seg, limit);
      bytes += limit;
      if (endOffset > this.copiedEndOffset) this.copiedEndOffset = endOffset;
      if (complete && !this.indexesCopied.has(seg)) {
        // A missing index file is rebuilt when the copy opens.
        for (const path of [seg.indexPath(), seg.timeIndexPath()]) {
          const data = await this.fs.readFile(path);
          if (data !== null) await this.fs.writeFileAtomic(`${this.dir}/${baseName(path)}`, data, this.sync);
        }
        this.indexesCopied.add(seg);
        if (!final) await this.closeSegmentCopy(seg);
      }
    }
    this.copiedBytes = bytes;
  }

  private async closeSegmentCopy(seg: Segment): Promise<void> {
    const file = this.files.get(seg);
    if (file === undefined) return;
    this.files.delete(seg);
    if (this.sync) await file.datasync();
    await file.close();
  }

  private async copyRange(seg: Segment, limit: number): Promise<void> {
    let pos = this.copied.get(seg);
    if (pos !== undefined && pos >= limit) return;
    let out = this.files.get(seg);
    if (out === undefined) {
      out = await this.fs.openFile(`${this.dir}/${baseName(seg.path)}`);
      this.files.set(seg, out);
      if (pos === undefined) {
        // A segment first seen now; a file of that name from an earlier one (replaced by
        // compaction) must not leave bytes past the new content.
        await out.truncate(0);
        pos = 0;
      }
    }
    pos ??= 0;
    if (pos >= limit) return;
    const source = await seg.open();
    this.buffer ??= Buffer.allocUnsafe(COPY_CHUNK);
    const buffer = this.buffer;
    while (pos < limit) {
      this.check();
      const n = await source.read(buffer, 0, Math.min(COPY_CHUNK, limit - pos), pos);
      if (n <= 0) throw new Error(`${seg.path}: ended at ${pos}, before its written size ${limit}`);
      await out.writev([buffer.subarray(0, n)], pos);
      pos += n;
      this.copied.set(seg, pos);
    }
    this.copied.set(seg, pos);
  }
}
