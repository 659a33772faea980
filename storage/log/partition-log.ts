/**
 * The log of one partition: an ordered list of segments in one directory (Kafka's UnifiedLog and
 * LocalLog). Appends take batches that were already validated, assign their offsets in place and
 * queue them; one writer per partition drains the queue in order with writev, grouping consecutive
 * appends into one system call. Offsets are assigned synchronously, so the order of `append` calls
 * is the order in the log.
 *
 * The high watermark is the end of the last completed write: a single node is its own ISR, so
 * anything on disk (in the OS page cache at least) is committed. Producers with acks=all also wait
 * for an fsync, grouped across partitions by the Flusher.
 *
 * Files in the partition directory besides the segments:
 *   `partition.metadata`        the topic id, so a directory is never mistaken for a re-created topic's
 *   `log-start-offset`          the log start offset after DeleteRecords (written atomically)
 *   `leader-epoch-checkpoint`   "0\n<n>\n<epoch> <start offset>\n..." (Kafka's format)
 *   `producer-state.snapshot`   idempotent producer state at the last clean close
 *   `.clean-shutdown`           present only while the log is closed cleanly; without it the active
 *                               segment is re-scanned (CRC-checked) and a torn tail truncated
 */
import { crc32c } from '../../protocol/records/crc.js';
import {
  LOG_OVERHEAD,
  readBatchInfo,
  readRecords,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  type BatchInfo,
} from '../../protocol/records/index.js';
import type { FileSystem } from '../fs/file-system.js';
import type { Flusher } from './flusher.js';
import type { LogConfig } from './log-config.js';
import { ProducerStateManager } from './producer-state.js';
import { lookupOffsetIndex, lookupTimeIndex, OFFSET_INDEX_ENTRY, Segment, TIME_INDEX_ENTRY, WALK_HEADER } from './segment.js';

const KAFKA_STORAGE_ERROR = 56;
const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
const LOG_START_FILE = 'log-start-offset';
const EPOCH_FILE = 'leader-epoch-checkpoint';
const PRODUCER_SNAPSHOT_FILE = 'producer-state.snapshot';
/** Most buffers one writev takes (Linux IOV_MAX is 1024). */
const MAX_IOV = 512;
/** Most bytes one grouped write carries. */
const MAX_WRITE_GROUP_BYTES = 8 * 1024 * 1024;
/** Chunk read while walking batch headers to find an offset's position. */
const WALK_CHUNK = 16 * 1024;
/** Appends queued but not yet written; beyond this, appends are refused rather than buffered without bound. */
const MAX_QUEUED_BYTES = 256 * 1024 * 1024;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
const MAGIC_OFFSET = 16;

export interface AppendOptions {
  leaderEpoch: number;
  /** Set for LogAppendTime topics: every batch gets this as its max timestamp. */
  logAppendTime?: number | undefined;
  /** Resolve `durable` only after an fsync (acks=all). */
  requireDurable: boolean;
}

export type AppendOutcome =
  | { errorCode: number; errorMessage?: string }
  | { duplicate: true; baseOffset: number; lastOffset: number }
  | { baseOffset: number; lastOffset: number; logStartOffset: number; written: Promise<void>; durable: Promise<void> };

export interface ReadOptions {
  /** Return the first batch whole even when it is larger than maxBytes (KIP-74). */
  minOneBatch: boolean;
  /** Batches at or beyond this offset are not returned (high watermark or last stable offset). */
  upperBound: number;
}

export interface ReadResult {
  records: Buffer[];
}

export interface TimestampOffset {
  offset: number;
  timestamp: number;
}

interface EpochEntry {
  epoch: number;
  startOffset: number;
}

interface WriteTask {
  kind: 'write';
  segment: Segment;
  position: number;
  data: Buffer;
  endOffset: number;
  requireDurable: boolean;
  written: Deferred;
  durable: Deferred;
}

interface SealTask {
  kind: 'seal';
  segment: Segment;
}

type Task = WriteTask | SealTask;

class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    // Callers may only await one of written/durable; an unobserved rejection must not crash the process.
    this.promise.catch(() => undefined);
  }
}

export interface PartitionLogDeps {
  fs: FileSystem;
  flusher: Flusher;
  log: (msg: string) => void;
}

export class PartitionLog {
  private readonly segments: Segment[] = [];
  private readonly producers = new ProducerStateManager();
  private epochs: EpochEntry[] = [];
  private readonly queue: Task[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | null = null;
  private failure: unknown = null;
  private closed = false;
  /** Checkpoint writes run one after another: they share a temp file name. */
  private epochWrites: Promise<void> = Promise.resolve();
  /** Index files of inactive segments, most recently used last. */
  private readonly indexCache = new Map<Segment, { offsets: Buffer; times: Buffer }>();

  logStartOffset = 0;
  /** Offset the next appended record gets. */
  logEndOffset = 0;
  /** End of the last completed write: everything below is readable. */
  highWatermark = 0;

  private constructor(
    readonly dir: string,
    readonly name: string,
    public config: LogConfig,
    private readonly deps: PartitionLogDeps,
  ) {}

  /** Opens (or creates) the log in `dir`, recovering the active segment after an unclean shutdown. */
  static async open(dir: string, name: string, config: LogConfig, deps: PartitionLogDeps): Promise<PartitionLog> {
    const log = new PartitionLog(dir, name, config, deps);
    await log.load();
    return log;
  }

  get lastStableOffset(): number {
    return this.highWatermark;
  }

  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  // ---- append ---------------------------------------------------------------------------------

  /**
   * Assigns offsets to `batches` (already validated views into `records`) and queues the write.
   * Retries of an idempotent producer's last batches are recognised and answered as duplicates.
   */
  append(records: Buffer, batches: readonly BatchInfo[], opts: AppendOptions): AppendOutcome {
    if (this.closed) return { errorCode: KAFKA_STORAGE_ERROR, errorMessage: `log ${this.name} is closed` };
    if (this.failure !== null) return { errorCode: KAFKA_STORAGE_ERROR, errorMessage: `log ${this.name} failed: ${String(this.failure)}` };
    if (this.queuedBytes + records.length > MAX_QUEUED_BYTES) {
      return { errorCode: KAFKA_STORAGE_ERROR, errorMessage: `log ${this.name} has too many writes queued` };
    }
    for (const b of batches) {
      if (b.producerId < 0) continue;
      const check = this.producers.check(b);
      if (check.kind === 'duplicate') return { duplicate: true, baseOffset: check.firstOffset, lastOffset: check.lastOffset };
      if (check.kind === 'error') return { errorCode: check.errorCode, errorMessage: check.message };
    }

    this.maybeRoll(records.length);
    const segment = this.active;
    const baseOffset = this.logEndOffset;
    let next = baseOffset;
    const position = segment.size;
    for (const b of batches) {
      setBaseOffset(records, b.position, next);
      setPartitionLeaderEpoch(records, b.position, opts.leaderEpoch);
      let maxTimestamp = b.maxTimestamp;
      if (opts.logAppendTime !== undefined) {
        setLogAppendTime(records, b.position, opts.logAppendTime);
        maxTimestamp = opts.logAppendTime;
      }
      const last = next + b.lastOffsetDelta;
      segment.indexBatch(position + b.position, next, last, maxTimestamp, b.size, this.config.indexIntervalBytes);
      if (b.producerId >= 0) this.producers.update(b, next, last);
      next = last + 1;
    }
    if (segment.firstAppendAt < 0) segment.firstAppendAt = Date.now();
    segment.size += records.length;
    this.logEndOffset = next;
    this.noteEpoch(opts.leaderEpoch, baseOffset);

    const task: WriteTask = {
      kind: 'write',
      segment,
      position,
      data: records,
      endOffset: next,
      requireDurable: opts.requireDurable && this.config.fsyncEnabled,
      written: new Deferred(),
      durable: new Deferred(),
    };
    this.enqueue(task);
    return { baseOffset, lastOffset: next - 1, logStartOffset: this.logStartOffset, written: task.written.promise, durable: task.durable.promise };
  }

  private maybeRoll(incoming: number): void {
    const seg = this.active;
    if (seg.size === 0) return;
    const full = seg.size + incoming > this.config.segmentBytes;
    const old = seg.firstAppendAt >= 0 && Date.now() - seg.firstAppendAt >= this.config.segmentMs;
    const indexFull = (seg.offsetIndex.length / 2 + 1) * OFFSET_INDEX_ENTRY > this.config.segmentIndexBytes;
    if (full || old || indexFull) this.roll();
  }

  private roll(): void {
    const old = this.active;
    this.segments.push(new Segment(this.logEndOffset, this.dir, this.deps.fs));
    this.enqueue({ kind: 'seal', segment: old });
  }

  private noteEpoch(epoch: number, startOffset: number): void {
    const last = this.epochs[this.epochs.length - 1];
    if (epoch < 0 || (last !== undefined && last.epoch >= epoch)) return;
    this.epochs.push({ epoch, startOffset });
    this.epochWrites = this.epochWrites
      .then(() => this.writeEpochCheckpoint())
      .catch((e: unknown) => this.deps.log(`${this.name}: writing the leader epoch checkpoint failed: ${String(e)}`));
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (task.kind === 'write') this.queuedBytes += task.data.length;
    this.writing ??= this.drain().finally(() => (this.writing = null));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const first = this.queue[0]!;
      if (first.kind === 'seal') {
        this.queue.shift();
        try {
          await this.seal(first.segment);
        } catch (e) {
          this.fail(e);
        }
        continue;
      }
      // Group consecutive writes to the same segment into one writev.
      const group: WriteTask[] = [];
      let bytes = 0;
      while (group.length < MAX_IOV && bytes < MAX_WRITE_GROUP_BYTES) {
        const t = this.queue[0];
        if (t === undefined || t.kind !== 'write' || t.segment !== first.segment) break;
        group.push(t);
        bytes += t.data.length;
        this.queue.shift();
      }
      try {
        if (this.failure !== null) throw this.failure;
        const file = await first.segment.open();
        await file.writev(
          group.map((t) => t.data),
          first.position,
        );
        const last = group[group.length - 1]!;
        first.segment.writtenSize = last.position + last.data.length;
        this.highWatermark = last.endOffset;
        this.queuedBytes -= bytes;
        const durable = group.filter((t) => t.requireDurable);
        for (const t of group) {
          t.written.resolve();
          if (!t.requireDurable) t.durable.resolve();
        }
        if (durable.length > 0) {
          // Not awaited: the next group is written while this one syncs; the flusher groups the syncs.
          this.deps.flusher.sync(file).then(
            () => durable.forEach((t) => t.durable.resolve()),
            (e: unknown) => durable.forEach((t) => t.durable.reject(e)),
          );
        }
      } catch (e) {
        this.queuedBytes -= bytes;
        this.fail(e);
        for (const t of group) {
          t.written.reject(e);
          t.durable.reject(e);
        }
      }
    }
  }

  /** After a failed write the log's offsets no longer match its file: refuse further appends. */
  private fail(e: unknown): void {
    if (this.failure === null) this.deps.log(`${this.name}: write failed, the log is now read-only: ${e instanceof Error ? e.message : String(e)}`);
    this.failure ??= e;
  }

  /** Makes a rolled segment permanent: data synced, index files written. */
  private async seal(seg: Segment): Promise<void> {
    const file = await seg.open();
    if (this.config.fsyncEnabled) await file.datasync();
    await this.writeIndexFiles(seg);
    seg.offsetIndex = [];
    seg.timeIndex = [];
  }

  private async writeIndexFiles(seg: Segment): Promise<void> {
    const sync = this.config.fsyncEnabled;
    await this.deps.fs.writeFileAtomic(seg.indexPath(), seg.offsetIndexBytes(), sync);
    await this.deps.fs.writeFileAtomic(seg.timeIndexPath(), seg.timeIndexBytes(), sync);
  }

  /** Resolves once every queued write has completed. */
  async flushWrites(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  // ---- read -----------------------------------------------------------------------------------

  /** Index of the segment holding `offset`: the last one whose base offset is <= offset. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private async indexesOf(seg: Segment): Promise<{ offsets: Buffer | number[]; times: Buffer | number[] }> {
    if (seg === this.active || seg.offsetIndex.length > 0) return { offsets: seg.offsetIndex, times: seg.timeIndex };
    let cached = this.indexCache.get(seg);
    if (cached !== undefined) {
      this.indexCache.delete(seg);
      this.indexCache.set(seg, cached);
      return cached;
    }
    const offsets = (await this.deps.fs.readFile(seg.indexPath())) ?? Buffer.alloc(0);
    const times = (await this.deps.fs.readFile(seg.timeIndexPath())) ?? Buffer.alloc(0);
    cached = { offsets, times };
    this.indexCache.set(seg, cached);
    if (this.indexCache.size > 8) this.indexCache.delete(this.indexCache.keys().next().value!);
    return cached;
  }

  /**
   * Position of the first batch in `seg` whose last offset is >= `offset`, with that batch's
   * size; null when the segment holds no such batch below its written size.
   */
  private async locate(seg: Segment, offset: number): Promise<{ position: number; size: number; baseOffset: number } | null> {
    const { offsets } = await this.indexesOf(seg);
    let pos = lookupOffsetIndex(offsets, seg.baseOffset, offset);
    const file = await seg.open();
    const limit = seg.writtenSize;
    let chunk = Buffer.alloc(0);
    let chunkPos = pos;
    while (pos + WALK_HEADER <= limit) {
      if (pos + WALK_HEADER > chunkPos + chunk.length) {
        const len = Math.min(WALK_CHUNK, limit - pos);
        chunk = Buffer.allocUnsafe(len);
        const n = await file.read(chunk, 0, len, pos);
        chunk = chunk.subarray(0, n);
        chunkPos = pos;
        if (n < WALK_HEADER) return null;
      }
      const at = pos - chunkPos;
      const base = Number(chunk.readBigInt64BE(at));
      const size = chunk.readInt32BE(at + 8) + LOG_OVERHEAD;
      const lastOffset = base + chunk.readInt32BE(at + 23);
      if (lastOffset >= offset) return pos + size <= limit ? { position: pos, size, baseOffset: base } : null;
      pos += size;
    }
    return null;
  }

  /**
   * Reads whole batches starting with the one that holds `offset`, up to `maxBytes` (or the first
   * batch whole when `minOneBatch`), never past `upperBound` nor past a write still in flight.
   */
  async read(offset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    if (offset >= opts.upperBound || offset < this.logStartOffset) return { records: [] };
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const found = await this.locate(seg, offset);
      if (found === null) continue;
      if (found.baseOffset >= opts.upperBound) return { records: [] };
      const file = await seg.open();
      const want = Math.min(seg.writtenSize - found.position, Math.max(maxBytes, opts.minOneBatch ? found.size : 0));
      if (want < found.size) return { records: [] };
      const buf = Buffer.allocUnsafe(want);
      const n = await file.read(buf, 0, want, found.position);
      // Trim to whole batches below the upper bound.
      let end = 0;
      while (end + WALK_HEADER <= n) {
        const base = Number(buf.readBigInt64BE(end));
        const size = buf.readInt32BE(end + 8) + LOG_OVERHEAD;
        if (base >= opts.upperBound || end + size > n) break;
        end += size;
      }
      return { records: end > 0 ? [buf.subarray(0, end)] : [] };
    }
    return { records: [] };
  }

  /** Reads the whole batch holding `offset`, with its header facts. */
  private async readBatchAt(seg: Segment, offset: number): Promise<{ buf: Buffer; info: BatchInfo } | null> {
    const found = await this.locate(seg, offset);
    if (found === null) return null;
    const buf = Buffer.allocUnsafe(found.size);
    await (await seg.open()).read(buf, 0, found.size, found.position);
    return { buf, info: readBatchInfo(buf, 0) };
  }

  /** First record whose timestamp is >= `timestamp` (ListOffsets by time), or null. */
  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | null> {
    for (const seg of this.segments) {
      if (seg.maxTimestamp < timestamp || seg.nextOffset <= this.logStartOffset) continue;
      const { times } = await this.indexesOf(seg);
      let offset = Math.max(seg.baseOffset + lookupTimeIndex(times, timestamp), this.logStartOffset);
      while (offset < seg.nextOffset && offset < this.highWatermark) {
        const batch = await this.readBatchAt(seg, offset);
        if (batch === null) break;
        const { buf, info } = batch;
        if (info.maxTimestamp >= timestamp) {
          if (info.timestampType === 1) return { offset: Math.max(info.baseOffset, this.logStartOffset), timestamp: info.maxTimestamp };
          for (const r of readRecords(buf, info)) {
            if (r.timestamp >= timestamp && r.offset >= this.logStartOffset) return { offset: r.offset, timestamp: r.timestamp };
          }
        }
        offset = info.baseOffset + info.lastOffsetDelta + 1;
      }
    }
    return null;
  }

  /** The record with the largest timestamp (ListOffsets MAX_TIMESTAMP, KIP-734), or null when empty. */
  async maxTimestampOffset(): Promise<TimestampOffset | null> {
    let best: Segment | null = null;
    for (const seg of this.segments) if (seg.maxTimestamp >= 0 && (best === null || seg.maxTimestamp > best.maxTimestamp)) best = seg;
    if (best === null) return null;
    const batch = await this.readBatchAt(best, best.maxTimestampBatchOffset);
    if (batch === null) return null;
    const { buf, info } = batch;
    if (info.timestampType === 1) return { offset: info.baseOffset + info.lastOffsetDelta, timestamp: info.maxTimestamp };
    let found: TimestampOffset | null = null;
    for (const r of readRecords(buf, info)) if (found === null || r.timestamp > found.timestamp) found = { offset: r.offset, timestamp: r.timestamp };
    return found;
  }

  /**
   * Kafka's LeaderEpochFileCache.endOffsetFor: the end offset of `requestedEpoch` (the start of the
   * next higher epoch, or the log end for the latest), and the largest epoch <= requestedEpoch.
   */
  endOffsetForEpoch(requestedEpoch: number): { epoch: number; endOffset: number } {
    const latest = this.epochs[this.epochs.length - 1];
    if (requestedEpoch < 0 || latest === undefined) return { epoch: -1, endOffset: -1 };
    if (latest.epoch === requestedEpoch) return { epoch: requestedEpoch, endOffset: this.logEndOffset };
    const higher = this.epochs.find((e) => e.epoch > requestedEpoch);
    if (higher === undefined) return { epoch: -1, endOffset: -1 };
    let floor: EpochEntry | undefined;
    for (const e of this.epochs) if (e.epoch <= requestedEpoch) floor = e;
    return { epoch: floor?.epoch ?? requestedEpoch, endOffset: higher.startOffset };
  }

  /** Moves the log start offset forward (DeleteRecords); durable before it resolves. */
  async deleteRecordsBefore(offset: number): Promise<void> {
    if (offset <= this.logStartOffset) return;
    this.logStartOffset = Math.min(offset, this.highWatermark);
    await this.deps.fs.writeFileAtomic(`${this.dir}/${LOG_START_FILE}`, Buffer.from(`${this.logStartOffset}\n`), this.config.fsyncEnabled);
  }

  // ---- open, recovery, close ------------------------------------------------------------------

  private async load(): Promise<void> {
    const fs = this.deps.fs;
    await fs.mkdirp(this.dir);
    const files = await fs.readdir(this.dir);
    const clean = files.includes(CLEAN_SHUTDOWN_FILE);
    if (clean) await fs.remove(`${this.dir}/${CLEAN_SHUTDOWN_FILE}`);
    for (const f of files) if (f.endsWith('.tmp')) await fs.remove(`${this.dir}/${f}`);
    const bases = files
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    if (bases.length === 0) bases.push(0);
    for (const base of bases) this.segments.push(new Segment(base, this.dir, fs));

    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const isActive = i === this.segments.length - 1;
      const next = this.segments[i + 1];
      const size = await (await seg.open()).size();
      seg.size = seg.writtenSize = size;
      if (!isActive && next !== undefined && (await this.loadIndexFiles(seg, next.baseOffset))) continue;
      if (isActive && clean && size > 0 && (await this.loadIndexFiles(seg, -1))) {
        const { offsets, times } = await this.indexesOf(seg);
        this.indexCache.delete(seg);
        seg.offsetIndex = bufferToPairs(offsets as Buffer, OFFSET_INDEX_ENTRY);
        seg.timeIndex = timeIndexToPairs(times as Buffer);
        continue;
      }
      await this.recoverSegment(seg, !isActive);
    }
    this.logEndOffset = this.active.nextOffset;
    this.highWatermark = this.logEndOffset;

    const start = await fs.readFile(`${this.dir}/${LOG_START_FILE}`);
    const firstBase = this.segments[0]!.baseOffset;
    this.logStartOffset = Math.max(firstBase, start !== null ? Number(start.toString('utf8').trim()) || 0 : 0);
    if (this.logStartOffset > this.logEndOffset) this.logStartOffset = this.logEndOffset;

    this.epochs = parseEpochCheckpoint(await fs.readFile(`${this.dir}/${EPOCH_FILE}`)).filter((e) => e.startOffset < this.logEndOffset || this.logEndOffset === 0);
    if (this.logEndOffset === 0) this.epochs = [];

    const snapshot = await fs.readFile(`${this.dir}/${PRODUCER_SNAPSHOT_FILE}`);
    const snapshotOffset = snapshot !== null ? this.producers.loadSnapshot(snapshot) : -1;
    if (snapshotOffset !== this.logEndOffset) await this.rebuildProducerState(Math.max(snapshotOffset, this.active.baseOffset));
  }

  /**
   * Reads a sealed segment's index files; false when they are missing or unusable, so the segment
   * is scanned instead. `nextBase` is the following segment's base offset (-1 for the active one).
   */
  private async loadIndexFiles(seg: Segment, nextBase: number): Promise<boolean> {
    const offsets = await this.deps.fs.readFile(seg.indexPath());
    const times = await this.deps.fs.readFile(seg.timeIndexPath());
    if (offsets === null || times === null || offsets.length % OFFSET_INDEX_ENTRY !== 0 || times.length % TIME_INDEX_ENTRY !== 0) return false;
    if (seg.size > 0 && offsets.length === 0) return false;
    if (nextBase >= 0) seg.nextOffset = nextBase;
    else {
      // The active segment's end: walk from the last indexed batch.
      const lastPos = offsets.length > 0 ? offsets.readInt32BE(offsets.length - 4) : 0;
      const end = await this.walkToEnd(seg, lastPos);
      if (end === null) return false;
      seg.nextOffset = end;
    }
    if (times.length > 0) {
      const at = times.length - TIME_INDEX_ENTRY;
      seg.maxTimestamp = Number(times.readBigInt64BE(at));
      seg.maxTimestampBatchOffset = seg.baseOffset + times.readInt32BE(at + 8);
    }
    this.indexCache.set(seg, { offsets, times });
    return true;
  }

  /** Next offset after the last batch from `position` on, or null when the walk hits a bad header. */
  private async walkToEnd(seg: Segment, position: number): Promise<number | null> {
    const file = await seg.open();
    const header = Buffer.allocUnsafe(WALK_HEADER);
    let pos = position;
    let next = seg.baseOffset;
    while (pos < seg.size) {
      if ((await file.read(header, 0, WALK_HEADER, pos)) < WALK_HEADER) return null;
      const size = header.readInt32BE(8) + LOG_OVERHEAD;
      if (size < WALK_HEADER || pos + size > seg.size) return null;
      next = Number(header.readBigInt64BE(0)) + header.readInt32BE(23) + 1;
      pos += size;
    }
    return next;
  }

  /**
   * Scans a segment batch by batch, checking each CRC, and rebuilds its indexes. Everything from
   * the first invalid or partial batch on is a torn write and is truncated away.
   */
  private async recoverSegment(seg: Segment, sealed: boolean): Promise<void> {
    const file = await seg.open();
    seg.offsetIndex = [];
    seg.timeIndex = [];
    seg.bytesSinceIndexEntry = 0;
    let pos = 0;
    const header = Buffer.allocUnsafe(WALK_HEADER);
    let reason: string | null = null;
    while (pos < seg.size) {
      if ((await file.read(header, 0, WALK_HEADER, pos)) < WALK_HEADER) {
        reason = 'a partial batch header';
        break;
      }
      const size = header.readInt32BE(8) + LOG_OVERHEAD;
      if (header[MAGIC_OFFSET] !== 2 || size < 61 || pos + size > seg.size) {
        reason = `an invalid or partial batch at byte ${pos}`;
        break;
      }
      const batch = Buffer.allocUnsafe(size);
      await file.read(batch, 0, size, pos);
      if (batch.readUInt32BE(CRC_OFFSET) !== crc32c(batch, ATTRIBUTES_OFFSET, size)) {
        reason = `a CRC mismatch at byte ${pos}`;
        break;
      }
      const info = readBatchInfo(batch, 0);
      if (info.baseOffset < seg.nextOffset) {
        reason = `offset ${info.baseOffset} going backwards at byte ${pos}`;
        break;
      }
      seg.indexBatch(pos, info.baseOffset, info.baseOffset + info.lastOffsetDelta, info.maxTimestamp, size, this.config.indexIntervalBytes);
      pos += size;
    }
    if (reason !== null) {
      this.deps.log(`${this.name}: segment ${seg.baseOffset} ends in ${reason}; truncating ${seg.size - pos} bytes`);
      await file.truncate(pos);
      seg.size = seg.writtenSize = pos;
    }
    if (sealed) {
      await this.writeIndexFiles(seg);
      seg.offsetIndex = [];
      seg.timeIndex = [];
    }
  }

  /** Replays idempotent producers' batches from `fromOffset` (the snapshot's offset or the active segment). */
  private async rebuildProducerState(fromOffset: number): Promise<void> {
    let offset = fromOffset;
    while (offset < this.logEndOffset) {
      const seg = this.segments[this.segmentIndexFor(offset)]!;
      const batch = await this.readBatchAt(seg, offset);
      if (batch === null) break;
      const { info } = batch;
      if (info.producerId >= 0) this.producers.update(info, info.baseOffset, info.baseOffset + info.lastOffsetDelta);
      offset = info.baseOffset + info.lastOffsetDelta + 1;
    }
  }

  private async writeEpochCheckpoint(): Promise<void> {
    const text = `0\n${this.epochs.length}\n${this.epochs.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`;
    await this.deps.fs.writeFileAtomic(`${this.dir}/${EPOCH_FILE}`, Buffer.from(text), this.config.fsyncEnabled);
  }

  /** Finishes queued writes, syncs, writes the index files and snapshots, and marks the log clean. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushWrites();
    await this.epochWrites;
    const fs = this.deps.fs;
    const active = this.active;
    if (this.failure === null) {
      const file = active.openFile;
      if (file !== null && this.config.fsyncEnabled) await file.datasync();
      await this.writeIndexFiles(active);
      await fs.writeFileAtomic(`${this.dir}/${PRODUCER_SNAPSHOT_FILE}`, this.producers.toSnapshot(this.logEndOffset), this.config.fsyncEnabled);
      await this.writeEpochCheckpoint();
      await fs.writeFileAtomic(`${this.dir}/${CLEAN_SHUTDOWN_FILE}`, Buffer.alloc(0), this.config.fsyncEnabled);
    }
    for (const s of this.segments) await s.close();
    this.indexCache.clear();
  }

  /** Closes without the clean-shutdown work (the directory is about to be deleted). */
  async abandon(): Promise<void> {
    this.closed = true;
    await this.flushWrites().catch(() => undefined);
    for (const s of this.segments) await s.close();
  }
}

function bufferToPairs(buf: Buffer, entry: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + entry <= buf.length; i += entry) out.push(buf.readInt32BE(i), buf.readInt32BE(i + 4));
  return out;
}

function timeIndexToPairs(buf: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i + TIME_INDEX_ENTRY <= buf.length; i += TIME_INDEX_ENTRY) out.push(Number(buf.readBigInt64BE(i)), buf.readInt32BE(i + 8));
  return out;
}

function parseEpochCheckpoint(data: Buffer | null): EpochEntry[] {
  if (data === null) return [];
  const lines = data.toString('utf8').split('\n');
  const count = Number(lines[1]);
  const out: EpochEntry[] = [];
  for (let i = 0; i < count; i++) {
    const [epoch, start] = (lines[i + 2] ?? '').split(' ').map(Number);
    if (Number.isInteger(epoch) && Number.isInteger(start)) out.push({ epoch: epoch!, startOffset: start! });
  }
  return out;
}
