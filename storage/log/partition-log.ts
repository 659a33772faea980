/**
 * The log of one partition: an ordered list of segments in one directory (Kafka's UnifiedLog and
 * LocalLog). Appends take batches that were already validated, assign their offsets in place and
 * queue them; one writer per partition drains the queue in order with writev, grouping consecutive
 * appends into one system call. Offsets are assigned synchronously, so the order of `append` calls
 * is the order in the log.
 *
 * The high watermark is the end of the last completed write: a single node is its own ISR, so
 * anything written (to the OS page cache at least) is committed. Producers with acks=all also wait
 * for an fsync, grouped across partitions by the Flusher.
 *
 * Files in the partition directory besides the segments (see segment.ts and checkpoints.ts):
 *   `partition.metadata`        the topic id (written by the LogManager)
 *   `offsets.checkpoint`        log start offset, recovery point, high watermark, cleaner offset
 *   `leader-epoch-checkpoint`   epoch → start offset (Kafka's format)
 *   `<offset>.snapshot`         idempotent producer state as of that offset (see producer-state.ts),
 *                               written at each segment roll and at close
 *   `.clean-shutdown`           present only while the log is closed cleanly
 * Transient: `*.tmp` (atomic writes), `*.deleted` (segments waiting for file.delete.delay.ms),
 * `*.cleaned` and `*.swap` (compaction output, see cleaner.ts), all resolved at open.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { readRecords, setBaseOffset, setLogAppendTime, setPartitionLeaderEpoch, type BatchInfo } from '../../protocol/records/index.js';
import { isOutOfSpace, type FileSystem } from '../fs/file-system.js';
import { RepeatLimiter } from '../repeat-limiter.js';
import { offsetAfterBatches } from './batch-walk.js';
import {
  CheckpointWriter,
  EPOCH_CHECKPOINT,
  formatEpochCheckpoint,
  formatOffsetCheckpoint,
  OFFSETS_CHECKPOINT,
  parseEpochCheckpoint,
  parseOffsetCheckpoint,
  type EpochEntry,
} from './checkpoints.js';
import type { Flusher } from './flusher.js';
import type { LogConfig } from './log-config.js';
import { ProducerStateManager } from './producer-state.js';
import { corruptResult, lookupTimeIndex, OFFSET_INDEX_ENTRY, Segment, segmentFileName, type ReadEndListener, type ReadOptions, type ReadResult, type SegmentDeps, type SegmentIndexFiles } from './segment.js';

export type { ReadOptions, ReadResult } from './segment.js';

const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
const SNAPSHOT_SUFFIX = '.snapshot';
/** Producer snapshots kept (the newest ones). */
const SNAPSHOTS_KEPT = 2;
/** Most buffers one writev takes (Linux IOV_MAX is 1024). */
const MAX_IOV = 512;
/** Most bytes one grouped write carries. */
const MAX_WRITE_GROUP_BYTES = 8 * 1024 * 1024;
/** Appends queued but not yet written; beyond this, appends are refused rather than buffered without bound. */
const MAX_QUEUED_BYTES = 256 * 1024 * 1024;
/** Read positions remembered for consumers reading on (one per consumer and partition is enough). */
const READ_HINTS = 16;
/** Sealed segments whose index files stay cached. */
const INDEX_CACHE_SEGMENTS = 8;
/** Bounds of the probe write that checks whether space is back after a failed write. */
const MIN_PROBE_BYTES = 4096;
const MAX_PROBE_BYTES = 1024 * 1024;

export interface AppendOptions {
  leaderEpoch: number;
  /** Set for LogAppendTime topics: every batch gets this as its max timestamp. */
  logAppendTime?: number | undefined;
  /** Resolve `durable` only after an fsync (acks=all). */
  requireDurable: boolean;
}

/**
 * What an append did: refused (`error`), recognised as a retry of an idempotent producer's batch
 * already in the log (`duplicate`, answered with the offsets it got then), or queued (`appended`).
 */
export type AppendOutcome =
  | { kind: 'error'; errorCode: number; errorMessage?: string }
  | { kind: 'duplicate'; duplicate: true; baseOffset: number; lastOffset: number }
  | { kind: 'appended'; baseOffset: number; lastOffset: number; logStartOffset: number; written: Promise<void>; durable: Promise<void> };

export interface TimestampOffset {
  offset: number;
  timestamp: number;
}

interface WriteTask {
  kind: 'write';
  segment: Segment;
  position: number;
  data: Buffer;
  records: number;
  endOffset: number;
  requireDurable: boolean;
  written: Deferred;
  durable: Deferred;
}

interface SealTask {
  kind: 'seal';
  segment: Segment;
  /** Producer state at the roll, written as `<next base>.snapshot`. */
  snapshot: Buffer;
  snapshotOffset: number;
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

export function snapshotFileName(offset: number): string {
  return segmentFileName(offset, SNAPSHOT_SUFFIX);
}

export class PartitionLog {
  private segments: Segment[] = [];
  private producers = new ProducerStateManager();
  private epochs: EpochEntry[] = [];
  private readonly queue: Task[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | null = null;
  private failure: unknown = null;
  /** Whether the failure was a write refused for lack of space, which recoverIfFailed can undo. */
  private failureRecoverable = false;
  /** Bytes of the write that failed (the probe for free space writes as many, within bounds). */
  private failedWriteBytes = 0;
  private recovering: Promise<boolean> | null = null;
  /** Files that only speed things up (indexes, checkpoints, snapshots) and could not be written. */
  private readonly degradedLog = new RepeatLimiter();
  private closed = false;
  private readonly checkpoints: CheckpointWriter;
  /** Index files of sealed segments, most recently used last. */
  private readonly indexCache = new Map<Segment, { offsets: Buffer; times: Buffer }>();
  /** Records written since the last fsync, and when the oldest of them was written (flush.messages, flush.ms). */
  private unflushedRecords = 0;
  private unflushedSince = -1;
  /** The offsets checkpoint as last written or read: periodic checkpoints skip unchanged content. */
  private lastOffsetCheckpoint: Buffer | null = null;
  /** Whether open or later work changed any file (close then rewrites indexes and checkpoints). */
  private changedSinceOpen = false;
  /** The log end offset right after open. */
  private openedAtEnd = -1;
  /** Where reads ended, offset → position: the next read of a consumer starts there (bounded LRU). */
  private readonly readHints = new Map<number, { segment: Segment; position: number }>();
  /** Remembers where a read ended (made once: reads pass it to the segment). */
  private readonly rememberReadEnd: ReadEndListener = (offset, segment, position) => {
    this.readHints.delete(offset);
    this.readHints.set(offset, { segment, position });
    if (this.readHints.size > READ_HINTS) this.readHints.delete(this.readHints.keys().next().value!);
  };
  /** What this log's segments share (file system, where they report). */
  private readonly segmentDeps: SegmentDeps;
  /** Segments removed from the log whose files are not deleted yet. */
  private readonly pendingDeletes = new Set<{ timer: NodeJS.Timeout; run: () => Promise<void> }>();

  logStartOffset = 0;
  /** Offset the next appended record gets. */
  logEndOffset = 0;
  /** End of the last completed write: everything below is readable. */
  highWatermark = 0;
  /** Every batch below this offset is on stable storage. */
  recoveryPoint = 0;
  /** First offset the compactor has not cleaned. */
  cleanerOffset = 0;

  private constructor(
    readonly dir: string,
    readonly name: string,
    public config: LogConfig,
    private readonly deps: PartitionLogDeps,
  ) {
    this.checkpoints = new CheckpointWriter(deps.fs, () => this.config.fsyncEnabled);
    this.segmentDeps = {
      fs: deps.fs,
      log: (msg) => deps.log(`${name}: ${msg}`),
      followingBaseOffset: (seg) => this.segments[this.segments.indexOf(seg) + 1]?.baseOffset,
    };
  }

  /** Opens (or creates) the log in `dir`, recovering it after an unclean shutdown. */
  static async open(dir: string, name: string, config: LogConfig, deps: PartitionLogDeps): Promise<PartitionLog> {
    const log = new PartitionLog(dir, name, config, deps);
    try {
      await log.load();
    } catch (e) {
      // Nothing else will close the files recovery opened.
      for (const s of log.segments) await s.close().catch(() => undefined);
      throw e;
    }
    log.openedAtEnd = log.logEndOffset;
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

  /** The segments, oldest first (read-only view for the cleaner, retention and tests). */
  get segmentList(): readonly Segment[] {
    return this.segments;
  }

  get activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
  }

  /** A segment in this log's directory that is not in its list yet (the compactor's output). */
  newSegment(baseOffset: number): Segment {
    return new Segment(baseOffset, this.dir, this.segmentDeps);
  }

  // ---- append ---------------------------------------------------------------------------------

  /**
   * Assigns offsets to `batches` (already validated views into `records`) and queues the write.
   * Retries of an idempotent producer's last batches are recognised and answered as duplicates.
   */
  append(records: Buffer, batches: readonly BatchInfo[], opts: AppendOptions): AppendOutcome {
    if (this.closed) return { kind: 'error', errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `log ${this.name} is closed` };
    if (this.failure !== null) {
      const why = this.failureRecoverable ? 'has no space left' : 'is read-only after a failed write';
      return { kind: 'error', errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `log ${this.name} ${why}: ${errorText(this.failure)}` };
    }
    if (this.queuedBytes + records.length > MAX_QUEUED_BYTES) {
      return { kind: 'error', errorCode: ErrorCode.KAFKA_STORAGE_ERROR, errorMessage: `log ${this.name} has too many writes queued` };
    }
    for (const b of batches) {
      if (b.producerId < 0) continue;
      const check = this.producers.check(b);
      if (check.kind === 'duplicate') return { kind: 'duplicate', duplicate: true, baseOffset: check.firstOffset, lastOffset: check.lastOffset };
      if (check.kind === 'error') return { kind: 'error', errorCode: check.errorCode, errorMessage: check.message };
    }

    this.maybeRoll(records.length);
    const segment = this.activeSegment;
    const baseOffset = this.logEndOffset;
    let next = baseOffset;
    let count = 0;
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
      count += b.recordCount;
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
      records: count,
      endOffset: next,
      requireDurable: opts.requireDurable && this.config.fsyncEnabled,
      written: new Deferred(),
      durable: new Deferred(),
    };
    this.enqueue(task);
    return { kind: 'appended', baseOffset, lastOffset: next - 1, logStartOffset: this.logStartOffset, written: task.written.promise, durable: task.durable.promise };
  }

  private maybeRoll(incoming: number): void {
    const seg = this.activeSegment;
    if (seg.size === 0) return;
    const full = seg.size + incoming > this.config.segmentBytes;
    const old = seg.firstAppendAt >= 0 && Date.now() - seg.firstAppendAt >= this.config.segmentMs;
    const indexFull = (seg.offsetIndex.length / 2 + 1) * OFFSET_INDEX_ENTRY > this.config.segmentIndexBytes;
    if (full || old || indexFull) this.roll();
  }

  /** Starts a new active segment at the log end; the old one is sealed once its writes are done. */
  private roll(): void {
    this.changedSinceOpen = true;
    const old = this.activeSegment;
    const next = this.newSegment(this.logEndOffset);
    // Everything in it will have been checked at produce time.
    next.validated.addAll();
    this.segments.push(next);
    this.enqueue({ kind: 'seal', segment: old, snapshot: this.producers.toSnapshot(this.logEndOffset), snapshotOffset: this.logEndOffset });
  }

  private noteEpoch(epoch: number, startOffset: number): void {
    const last = this.epochs[this.epochs.length - 1];
    if (epoch < 0 || (last !== undefined && last.epoch >= epoch)) return;
    this.epochs.push({ epoch, startOffset });
    this.writeEpochCheckpoint().catch((e: unknown) => this.deps.log(`${this.name}: writing the leader epoch checkpoint failed: ${String(e)}`));
  }

  private enqueue(task: Task): void {
    this.queue.push(task);
    if (task.kind === 'write') this.queuedBytes += task.data.length;
    this.startWriter();
  }

  private startWriter(): void {
    this.writing ??= this.drain().finally(() => {
      this.writing = null;
      // A task queued after drain saw an empty queue, but before this ran (an append made in the
      // continuation of a write it completed), found the writer still set: start it again.
      if (this.queue.length > 0) this.startWriter();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const first = this.queue[0]!;
      if (first.kind === 'seal') {
        this.queue.shift();
        // After a failed write the rolled segment is not complete: recovery makes it active again.
        if (this.failure !== null) continue;
        try {
          await this.seal(first);
        } catch (e) {
          this.fail(e, false);
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
        let records = 0;
        for (const t of group) records += t.records;
        if (this.unflushedSince < 0) this.unflushedSince = Date.now();
        this.unflushedRecords += records;
        const durable = group.filter((t) => t.requireDurable);
        for (const t of group) {
          t.written.resolve();
          if (!t.requireDurable) t.durable.resolve();
        }
        if (durable.length > 0 || this.unflushedRecords >= this.config.flushMessages) {
          // Not awaited: the next group is written while this one syncs; the flusher groups the syncs.
          this.syncActive(last.endOffset).then(
            () => durable.forEach((t) => t.durable.resolve()),
            (e: unknown) => durable.forEach((t) => t.durable.reject(e)),
          );
        }
      } catch (e) {
        this.queuedBytes -= bytes;
        const firstFailure = this.failure === null;
        this.fail(e, isOutOfSpace(e));
        if (firstFailure) {
          this.failedWriteBytes = bytes;
          // Cut off what part of the group did land: those bytes were never acknowledged and must
          // not reappear after a restart (truncating needs no space).
          const seg = first.segment;
          await seg.openFile?.truncate(seg.writtenSize).catch(() => undefined);
        }
        for (const t of group) {
          t.written.reject(e);
          t.durable.reject(e);
        }
      }
    }
  }

  /** fsyncs the segment holding `upTo` (group commit); the recovery point follows. */
  private async syncActive(upTo: number): Promise<void> {
    if (!this.config.fsyncEnabled) return;
    const seg = this.segments[this.segmentIndexFor(upTo - 1)]!;
    this.unflushedRecords = 0;
    this.unflushedSince = -1;
    try {
      await this.deps.flusher.sync(await seg.open());
    } catch (e) {
      // A failed fsync leaves the page cache in an unknown state: nothing more may be acknowledged,
      // not even once space is back.
      this.fail(e, false);
      throw e;
    }
    if (upTo > this.recoveryPoint) this.recoveryPoint = upTo;
  }

  /** Flushes if `flush.ms` has passed since the oldest unflushed write (called by the LogManager's scheduler). */
  async flushIfDue(now: number): Promise<void> {
    if (this.unflushedSince < 0 || now - this.unflushedSince < this.config.flushMs || this.closed) return;
    await this.flushWrites();
    await this.syncActive(this.highWatermark);
  }

  /**
   * After a failed write or sync the log's file no longer matches its offsets: refuse further
   * appends. A write refused for lack of space (`recoverable`) is undone by recoverIfFailed once
   * space is back; any other failure lasts until the log is reopened.
   */
  private fail(e: unknown, recoverable: boolean): void {
    if (this.failure === null) {
      this.failure = e;
      this.failureRecoverable = recoverable;
      const what = recoverable ? 'appends are refused until space is free again' : 'the log is now read-only';
      this.deps.log(`${this.name}: write failed, ${what}: ${errorText(e)}`);
    } else if (!recoverable) {
      this.failureRecoverable = false;
    }
  }

  /** Whether appends are refused after a failed write or sync. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /**
   * After a write failed for lack of space: once there is space again, cuts the active segment
   * back to the end of its last completed write, re-validates it, rebuilds what the failed appends
   * had changed in memory (offsets, indexes, producer state), and takes appends again. Resolves
   * whether the log takes appends. One attempt runs at a time; while the disk is still full an
   * attempt costs one refused probe write.
   */
  recoverIfFailed(): Promise<boolean> {
    if (this.failure === null) return Promise.resolve(true);
    if (this.closed || !this.failureRecoverable) return Promise.resolve(false);
    this.recovering ??= this.recover()
      .catch((e: unknown) => {
        this.degraded('recovery', `recovering after a failed write failed: ${errorText(e)}`);
        return false;
      })
      .finally(() => (this.recovering = null));
    return this.recovering;
  }

  private async recover(): Promise<boolean> {
    await this.flushWrites();
    const failure = this.failure;
    if (failure === null) return true;
    if (this.closed || !this.failureRecoverable) return false;
    const fs = this.deps.fs;
    const end = this.highWatermark;
    // Segments begun by appends that were never written hold nothing that was acknowledged.
    while (this.segments.length > 1 && this.activeSegment.baseOffset > end) {
      const seg = this.segments.pop()!;
      this.indexCache.delete(seg);
      await seg.close();
      for (const p of [seg.path, seg.indexPath(), seg.timeIndexPath()]) await fs.remove(p);
    }
    const active = this.activeSegment;
    const file = await active.open();
    const good = active.writtenSize;
    // Is there room again? Write as many bytes as the failed write needed where it failed, then
    // cut them off. While the disk is full this is all an attempt costs.
    try {
      await file.writev([Buffer.alloc(Math.min(MAX_PROBE_BYTES, Math.max(MIN_PROBE_BYTES, this.failedWriteBytes)))], good);
    } catch (e) {
      await file.truncate(good);
      if (isOutOfSpace(e)) return false;
      throw e;
    }
    await file.truncate(good);
    // Re-validate the active segment as recovery at open does: this rebuilds its in-memory
    // indexes, next offset and max timestamp without the batches that were never written.
    active.size = good;
    const intact = await active.recover(this.config.indexIntervalBytes, this.config.fsyncEnabled);
    this.logEndOffset = active.nextOffset;
    if (!intact || this.logEndOffset < end) {
      this.deps.log(`${this.name}: after the failed write the log ends at ${this.logEndOffset}, below the high watermark ${end}: written records were lost`);
    }
    this.highWatermark = Math.min(end, this.logEndOffset);
    this.recoveryPoint = Math.min(this.recoveryPoint, this.logEndOffset);
    this.cleanerOffset = Math.min(this.cleanerOffset, this.logEndOffset);
    this.readHints.clear();
    const epochs = this.epochs.filter((e) => e.startOffset < this.logEndOffset);
    if (epochs.length !== this.epochs.length) {
      this.epochs = epochs;
      await this.writeEpochCheckpoint().catch((e: unknown) => this.degraded('epoch checkpoint', `writing the leader epoch checkpoint failed: ${errorText(e)}`));
    }
    // The idempotent producer state counted the failed batches too: rebuild it as of the log end.
    this.producers = new ProducerStateManager();
    await this.loadProducerState(await fs.readdir(this.dir));
    // Sealed segments whose index files could not be written: try again.
    for (const seg of this.segments) if (seg !== active && seg.offsetIndex.length > 0) await this.persistIndexes(seg);
    this.failure = null;
    this.failureRecoverable = false;
    this.failedWriteBytes = 0;
    this.deps.log(`${this.name}: space is available again; appends resume at offset ${this.logEndOffset}`);
    return true;
  }

  /**
   * Logs a write that only speeds things up (index files, checkpoints, snapshots) and failed,
   * usually for lack of space: the log keeps working without it. One line per kind per interval.
   */
  private degraded(kind: string, msg: string): void {
    const suppressed = this.degradedLog.admit(kind);
    if (suppressed !== null) this.deps.log(`${this.name}: ${RepeatLimiter.describe(msg, suppressed)}`);
  }

  /**
   * Makes a rolled segment permanent: data synced, index files written, producer snapshot taken.
   * Only a failed sync fails the log; the files after it can be rebuilt from the segment, so
   * failing to write them (a full disk) is logged and the log goes on.
   */
  private async seal(task: SealTask): Promise<void> {
    const seg = task.segment;
    const file = await seg.open();
    if (this.config.fsyncEnabled) await file.datasync();
    await this.persistIndexes(seg);
    try {
      await this.deps.fs.writeFileAtomic(`${this.dir}/${snapshotFileName(task.snapshotOffset)}`, task.snapshot, this.config.fsyncEnabled);
      await this.pruneSnapshots();
    } catch (e) {
      // Recovery replays from an older snapshot instead.
      this.degraded('snapshot', `writing the producer snapshot at ${task.snapshotOffset} failed: ${errorText(e)}`);
    }
    if (task.snapshotOffset > this.recoveryPoint) this.recoveryPoint = task.snapshotOffset;
    await this.writeOffsetCheckpoint().catch((e: unknown) => this.degraded('offsets checkpoint', `writing the offsets checkpoint failed: ${errorText(e)}`));
  }

  /**
   * Writes a sealed segment's index files and lets go of its in-memory entries. When they cannot
   * be written, the entries stay in memory (reads use them) and the files are removed, so that a
   * stale or partial index is never trusted later: the next open rebuilds them. Returns whether
   * the files were written.
   */
  private async persistIndexes(seg: Segment): Promise<boolean> {
    try {
      await seg.writeIndexFiles(this.config.fsyncEnabled);
    } catch (e) {
      this.degraded('index', `writing the index files of segment ${seg.baseOffset} failed, keeping them in memory: ${errorText(e)}`);
      await this.deps.fs.remove(seg.indexPath()).catch(() => undefined);
      await this.deps.fs.remove(seg.timeIndexPath()).catch(() => undefined);
      return false;
    }
    seg.offsetIndex = [];
    seg.timeIndex = [];
    return true;
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
    if (seg === this.activeSegment || seg.offsetIndex.length > 0) return { offsets: seg.offsetIndex, times: seg.timeIndex };
    let cached = this.indexCache.get(seg);
    if (cached !== undefined) {
      this.indexCache.delete(seg);
      this.indexCache.set(seg, cached);
      return cached;
    }
    const offsets = (await this.deps.fs.readFile(seg.indexPath())) ?? Buffer.alloc(0);
    const times = (await this.deps.fs.readFile(seg.timeIndexPath())) ?? Buffer.alloc(0);
    cached = { offsets, times };
    this.cacheIndexes(seg, cached);
    return cached;
  }

  private cacheIndexes(seg: Segment, entry: SegmentIndexFiles): void {
    this.indexCache.set(seg, entry);
    if (this.indexCache.size > INDEX_CACHE_SEGMENTS) this.indexCache.delete(this.indexCache.keys().next().value!);
  }

  /**
   * Reads whole batches starting with the one that holds `offset`, up to `maxBytes` (or the first
   * batch whole when `minOneBatch`), never past `upperBound` nor past a write still in flight.
   */
  async read(offset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    if (offset >= opts.upperBound || offset < this.logStartOffset) return { records: [] };
    // A consumer usually reads on from where its last read ended: no index lookup, no header walk.
    const hint = this.readHints.get(offset);
    if (hint !== undefined && this.segments.includes(hint.segment) && hint.position < hint.segment.writtenSize) {
      const out = await hint.segment.read(hint.position, offset, maxBytes, opts, true, this.rememberReadEnd);
      if (out !== null) return out;
    }
    const segments = this.segments;
    for (let i = this.segmentIndexFor(offset); i < segments.length; i++) {
      const seg = segments[i]!;
      const found = await seg.translateOffset(offset, (await this.indexesOf(seg)).offsets);
      if (found === null) continue;
      if ('corrupt' in found) return corruptResult(found.corrupt);
      if (found.baseOffset >= opts.upperBound) return { records: [] };
      return (await seg.read(found.position, offset, maxBytes, opts, false, this.rememberReadEnd)) ?? { records: [] };
    }
    return { records: [] };
  }

  /** Reads the whole batch holding `offset` in `seg`; null when there is none or it is corrupt. */
  private async readBatchAt(seg: Segment, offset: number): Promise<{ buf: Buffer; info: BatchInfo } | null> {
    return seg.readBatchAt(offset, (await this.indexesOf(seg)).offsets);
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

  // ---- deletion: DeleteRecords, retention, compaction swaps -----------------------------------

  /** Moves the log start offset forward (DeleteRecords); durable before it resolves. */
  async deleteRecordsBefore(offset: number): Promise<void> {
    if (offset <= this.logStartOffset) return;
    // A closed log's checkpoint would not reach the log that replaced it (a move): the caller retries.
    if (this.closed) throw new Error(`log ${this.name} is closed`);
    this.changedSinceOpen = true;
    this.logStartOffset = Math.min(offset, this.highWatermark);
    await this.writeOffsetCheckpoint();
    await this.deleteSegmentsBelowStart();
  }

  /** Removes sealed segments wholly below the log start offset. */
  private async deleteSegmentsBelowStart(): Promise<number> {
    let n = 0;
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.logStartOffset && this.segments[0] !== this.activeSegment) {
      await this.removeSegment(this.segments[0]!, 'below the log start offset');
      n++;
    }
    return n;
  }

  /**
   * Applies retention (`retention.ms`, `retention.bytes`) when the cleanup policy includes
   * delete: whole sealed segments go, oldest first, and the log start offset advances. An active
   * segment that is entirely past retention is rolled first so it can go too, as Kafka does.
   * Returns the number of segments deleted.
   */
  async applyRetention(now: number): Promise<number> {
    if (this.closed || this.failure !== null) return 0;
    let deleted = await this.deleteSegmentsBelowStart();
    if (!this.config.cleanupPolicy.includes('delete')) return deleted;
    const { retentionMs, retentionBytes } = this.config;
    const expired = (s: Segment): boolean => retentionMs >= 0 && retentionMs !== Infinity && s.maxTimestamp >= 0 && now - s.maxTimestamp > retentionMs;
    const active = this.activeSegment;
    if (active.size > 0 && expired(active) && this.segments.every(expired)) {
      this.roll();
      await this.flushWrites();
    }
    let size = this.sizeInBytes;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const bySize = retentionBytes >= 0 && retentionBytes !== Infinity && size - oldest.size >= retentionBytes;
      if (!expired(oldest) && !bySize) break;
      await this.removeSegment(oldest, bySize && !expired(oldest) ? `retention.bytes ${retentionBytes}` : `retention.ms ${retentionMs}`);
      size -= oldest.size;
      deleted++;
    }
    return deleted;
  }

  /** Takes the oldest segment out of the log, advances the log start offset, deletes the files later. */
  private async removeSegment(seg: Segment, reason: string): Promise<void> {
    if (this.segments[0] !== seg) throw new Error('only the oldest segment can be removed');
    this.changedSinceOpen = true;
    this.segments = this.segments.slice(1);
    this.indexCache.delete(seg);
    const newStart = this.segments[0]!.baseOffset;
    if (newStart > this.logStartOffset) this.logStartOffset = newStart;
    this.deps.log(`${this.name}: deleting segment ${seg.baseOffset} (offsets ${seg.baseOffset}..${seg.nextOffset - 1}, ${seg.size} bytes): ${reason}`);
    await this.writeOffsetCheckpoint();
    await this.scheduleFileDeletion([seg]);
    await this.pruneSnapshots();
  }

  /**
   * Replaces the sealed segments `old` (consecutive, oldest first) by `replacement`, a segment the
   * compactor wrote with the same offsets, or by nothing when compaction left none of their records
   * (never for the first segment: its base offset anchors the log start offset). Synchronous in
   * memory, so an append or read sees either the old or the new list.
   */
  async replaceSegments(old: readonly Segment[], replacement: Segment | null): Promise<void> {
    const start = this.segments.indexOf(old[0]!);
    if (start < 0 || old.some((s, i) => this.segments[start + i] !== s) || old.includes(this.activeSegment) || (replacement === null && start === 0)) {
      throw new Error('segments to replace are no longer in the log');
    }
    this.changedSinceOpen = true;
    const added = replacement === null ? [] : [replacement];
    this.segments = [...this.segments.slice(0, start), ...added, ...this.segments.slice(start + old.length)];
    for (const s of old) this.indexCache.delete(s);
    await this.scheduleFileDeletion(old);
  }

  /** Records that the compactor cleaned everything below `offset`. */
  async markCleaned(offset: number): Promise<void> {
    if (offset <= this.cleanerOffset) return;
    this.changedSinceOpen = true;
    this.cleanerOffset = offset;
    await this.writeOffsetCheckpoint();
  }

  /**
   * Renames a removed segment's files to `.deleted` at once (so a restart does not bring it back)
   * and deletes them after file.delete.delay.ms, when no read can still be using them (their
   * handles stay open until then).
   */
  private async scheduleFileDeletion(segments: readonly Segment[]): Promise<void> {
    const fs = this.deps.fs;
    const paths: string[] = [];
    for (const seg of segments) {
      // Open before renaming: a read still holding this segment must not recreate the file.
      await seg.open();
      for (const p of [seg.path, seg.indexPath(), seg.timeIndexPath()]) {
        if (await fs.exists(p)) {
          await fs.rename(p, `${p}.deleted`);
          paths.push(`${p}.deleted`);
        }
      }
    }
    if (paths.length > 0) await fs.syncDir(this.dir);
    const run = async (): Promise<void> => {
      for (const s of segments) await s.close().catch(() => undefined);
      for (const p of paths) await fs.remove(p).catch(() => undefined);
    };
    const entry = { timer: setTimeout(() => void run().finally(() => this.pendingDeletes.delete(entry)), Math.min(this.config.fileDeleteDelayMs, 0x7fffffff)), run };
    entry.timer.unref();
    this.pendingDeletes.add(entry);
  }

  // ---- open, recovery, close ------------------------------------------------------------------

  private async load(): Promise<void> {
    const fs = this.deps.fs;
    await fs.mkdirp(this.dir);
    let files = await fs.readdir(this.dir);
    const clean = files.includes(CLEAN_SHUTDOWN_FILE);
    if (clean) await fs.remove(`${this.dir}/${CLEAN_SHUTDOWN_FILE}`);
    let leftovers = false;
    for (const f of files) {
      if (f.endsWith('.tmp') || f.endsWith('.deleted') || f.endsWith('.cleaned')) {
        await fs.remove(`${this.dir}/${f}`);
        leftovers = true;
      }
    }
    if (files.some((f) => f.endsWith('.swap'))) {
      await this.completeSwaps(files);
      leftovers = true;
    }
    if (leftovers) files = await fs.readdir(this.dir);
    if (await this.removeOrphanIndexes(files)) {
      leftovers = true;
      files = await fs.readdir(this.dir);
    }

    const checkpointBytes = await fs.readFile(`${this.dir}/${OFFSETS_CHECKPOINT}`);
    const checkpoint = parseOffsetCheckpoint(checkpointBytes);
    this.lastOffsetCheckpoint = checkpoint === null ? null : checkpointBytes;
    const bases = files
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    if (bases.length === 0) bases.push(checkpoint?.logStartOffset ?? 0);
    this.segments = bases.map((base) => this.newSegment(base));

    // Without a clean shutdown, everything from the segment holding the recovery point on is
    // re-validated. The last segment always is, even after a clean shutdown (Kafka trusts it): its
    // bytes may have changed on disk since, and its cost is bounded by segment.bytes. Other
    // segments are checked when first read (see batch-validation.ts).
    const recoveryPoint = clean ? Infinity : (checkpoint?.recoveryPoint ?? 0);
    const firstToRecover = clean ? this.segments.length - 1 : this.segmentIndexFor(recoveryPoint);
    for (let i = 0; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const isActive = i === this.segments.length - 1;
      const size = await (await seg.open()).size();
      seg.size = seg.writtenSize = size;
      const next = this.segments[i + 1];
      if (i < firstToRecover) {
        const indexes = await seg.loadIndexFiles(next?.baseOffset ?? -1);
        if (indexes !== null) {
          if (isActive) seg.holdIndexesInMemory(indexes);
          else this.cacheIndexes(seg, indexes);
          continue;
        }
      }
      // Segments below the recovery point were durable: bad bytes there are corruption, not a torn write.
      const ok = await this.recoverSegment(seg, !isActive, i < firstToRecover ? (next?.baseOffset ?? Infinity) : null);
      if (!ok) {
        // A corrupt batch: the log ends here. Later segments hold offsets that can no longer follow on.
        const dropped = this.segments.slice(i + 1);
        if (dropped.length > 0) {
          const last = dropped[dropped.length - 1]!;
          this.deps.log(`${this.name}: dropping ${dropped.length} later segment(s), offsets ${dropped[0]!.baseOffset} to at least ${last.baseOffset}`);
          for (const d of dropped) {
            await d.close();
            for (const p of [d.path, d.indexPath(), d.timeIndexPath()]) await fs.remove(p);
          }
        }
        this.segments = this.segments.slice(0, i + 1);
        if (!isActive) seg.holdIndexesInMemory(undefined);
        break;
      }
    }
    // The last segment was just checked, and whatever is appended to it is checked at produce time.
    this.activeSegment.validated.addAll();
    this.logEndOffset = this.activeSegment.nextOffset;
    this.highWatermark = this.logEndOffset;
    this.recoveryPoint = this.logEndOffset;

    const firstBase = this.segments[0]!.baseOffset;
    this.logStartOffset = Math.min(Math.max(firstBase, checkpoint?.logStartOffset ?? 0), this.logEndOffset);
    this.cleanerOffset = Math.min(Math.max(checkpoint?.cleanerOffset ?? 0, this.logStartOffset), this.logEndOffset);
    if (checkpoint !== null && checkpoint.highWatermark > this.logEndOffset) {
      this.deps.log(`${this.name}: recovered log ends at ${this.logEndOffset}, below the checkpointed high watermark ${checkpoint.highWatermark}: committed records were lost`);
    }

    this.epochs = parseEpochCheckpoint(await fs.readFile(`${this.dir}/${EPOCH_CHECKPOINT}`)).filter((e) => e.startOffset < this.logEndOffset);
    await this.loadProducerState(files);
    // A log that opened exactly as it was closed needs no writes (start-up cost with many logs).
    const unchanged = clean && !leftovers && checkpointBytes !== null && checkpointBytes.equals(this.offsetCheckpointBytes());
    if (!unchanged) {
      // A full disk must not keep the log from opening: reads need no checkpoint, and the next
      // checkpoint (roll, retention, close) tries again.
      await this.writeOffsetCheckpoint().catch((e: unknown) => this.degraded('offsets checkpoint', `writing the offsets checkpoint failed: ${errorText(e)}`));
      this.changedSinceOpen = true;
    }
    // The clean-shutdown marker's removal must be durable before anything is appended.
    if (clean || leftovers || !unchanged) await fs.syncDir(this.dir);
  }

  /**
   * A crash during a compaction swap: a `.swap` file is a complete, synced replacement for the
   * segments it overlaps (see cleaner.ts). Finish the swap as Kafka's LogLoader does: remove the
   * segments from its base offset up to its last batch, rename it in. An empty swap (compaction
   * kept none of the first segment's records) is renamed in too, as an empty segment: its base
   * offset is the log start offset, and the old segments it replaces may already be gone.
   */
  private async completeSwaps(files: readonly string[]): Promise<void> {
    const fs = this.deps.fs;
    for (const f of files.filter((x) => /^\d{20}\.log\.swap$/.test(x))) {
      const base = Number(f.slice(0, 20));
      const swapPath = `${this.dir}/${f}`;
      const swap = await fs.openFile(swapPath);
      let after: number | null | undefined;
      try {
        after = await offsetAfterBatches(swap, 0, await swap.size());
      } finally {
        await swap.close();
      }
      const seg = this.newSegment(base);
      if (after === null) {
        // Not a complete swap file: the old segments are still the truth.
        await fs.remove(swapPath);
        continue;
      }
      const end = after ?? base + 1;
      for (const g of files) {
        const m = /^(\d{20})\.(log|index|timeindex)$/.exec(g);
        if (m && Number(m[1]) >= base && Number(m[1]) < end) await fs.remove(`${this.dir}/${g}`);
      }
      await fs.rename(swapPath, seg.path);
      this.deps.log(`${this.name}: completed an interrupted compaction of offsets ${base}..${after === undefined ? '(emptied)' : end - 1}`);
    }
    await fs.syncDir(this.dir);
  }

  /**
   * Index files without their `.log` (a crash while a segment's files were being renamed away)
   * are removed, as Kafka's LogLoader removes orphaned index files. Returns whether any were.
   */
  private async removeOrphanIndexes(files: readonly string[]): Promise<boolean> {
    let removed = false;
    const names = new Set(files);
    for (const f of files) {
      const m = /^(\d{20})\.(index|timeindex)$/.exec(f);
      if (m === null || names.has(`${m[1]}.log`)) continue;
      this.deps.log(`${this.name}: removing ${f}, an index file without its segment`);
      await this.deps.fs.remove(`${this.dir}/${f}`);
      removed = true;
    }
    return removed;
  }

  /**
   * Recovers a segment (see Segment.recover) and, when it is sealed and intact, writes its index
   * files. Opening must not depend on free space: without index files the entries stay in memory.
   */
  private async recoverSegment(seg: Segment, sealed: boolean, quarantineUntil: number | null = null): Promise<boolean> {
    const intact = await seg.recover(this.config.indexIntervalBytes, this.config.fsyncEnabled, quarantineUntil);
    if (sealed && intact) await this.persistIndexes(seg);
    return intact;
  }

  /**
   * Idempotent producer state: the newest snapshot at or below the log end, then every batch after
   * it replayed from the log (Kafka's ProducerStateManager recovery).
   */
  private async loadProducerState(files: readonly string[]): Promise<void> {
    const fs = this.deps.fs;
    const offsets = files
      .filter((f) => /^\d{20}\.snapshot$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => b - a);
    let from = this.logStartOffset;
    for (const offset of offsets) {
      if (offset > this.logEndOffset) {
        await fs.remove(`${this.dir}/${snapshotFileName(offset)}`);
        continue;
      }
      const data = await fs.readFile(`${this.dir}/${snapshotFileName(offset)}`);
      if (data !== null && this.producers.loadSnapshot(data) === offset) {
        from = offset;
        break;
      }
    }
    let offset = Math.max(from, this.logStartOffset);
    while (offset < this.logEndOffset) {
      const seg = this.segments[this.segmentIndexFor(offset)]!;
      const batch = await this.readBatchAt(seg, offset);
      if (batch === null) {
        const nextSeg = this.segments[this.segmentIndexFor(offset) + 1];
        if (nextSeg === undefined) break;
        offset = nextSeg.baseOffset;
        continue;
      }
      const { info } = batch;
      if (info.producerId >= 0) this.producers.update(info, info.baseOffset, info.baseOffset + info.lastOffsetDelta);
      offset = info.baseOffset + info.lastOffsetDelta + 1;
    }
  }

  /** Keeps the newest snapshots; those below the log start offset are useless. */
  private async pruneSnapshots(): Promise<void> {
    const offsets = (await this.deps.fs.readdir(this.dir))
      .filter((f) => /^\d{20}\.snapshot$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => b - a);
    for (const [i, offset] of offsets.entries()) {
      if (i >= SNAPSHOTS_KEPT || (offset < this.logStartOffset && i > 0)) await this.deps.fs.remove(`${this.dir}/${snapshotFileName(offset)}`);
    }
  }

  private writeEpochCheckpoint(): Promise<void> {
    return this.checkpoints.write(`${this.dir}/${EPOCH_CHECKPOINT}`, formatEpochCheckpoint(this.epochs));
  }

  private offsetCheckpointBytes(): Buffer {
    return formatOffsetCheckpoint({ logStartOffset: this.logStartOffset, recoveryPoint: this.recoveryPoint, highWatermark: this.highWatermark, cleanerOffset: this.cleanerOffset });
  }

  /** Writes log start offset, recovery point, high watermark and cleaner offset, unless they are what was last written. */
  writeOffsetCheckpoint(): Promise<void> {
    const bytes = this.offsetCheckpointBytes();
    if (this.lastOffsetCheckpoint?.equals(bytes)) return Promise.resolve();
    this.lastOffsetCheckpoint = bytes;
    return this.checkpoints.write(`${this.dir}/${OFFSETS_CHECKPOINT}`, bytes).catch((e: unknown) => {
      this.lastOffsetCheckpoint = null;
      throw e;
    });
  }

  /** Finishes queued writes, syncs, writes the index files and snapshots, and marks the log clean. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flushWrites();
      await this.recovering;
      await this.closeCleanly();
    } catch (e) {
      // Without the marker the next open re-validates the log from the recovery point.
      this.deps.log(`${this.name}: closing without a clean shutdown, the next open recovers the log: ${errorText(e)}`);
    } finally {
      await this.checkpoints.idle();
      for (const d of this.pendingDeletes) {
        clearTimeout(d.timer);
        await d.run();
      }
      this.pendingDeletes.clear();
      for (const s of this.segments) await s.close().catch(() => undefined);
      this.indexCache.clear();
    }
  }

  /** Everything a clean shutdown writes, the clean-shutdown marker last; throws when any of it fails. */
  private async closeCleanly(): Promise<void> {
    const fs = this.deps.fs;
    const active = this.activeSegment;
    if (this.failure !== null) return;
    if (!this.changedSinceOpen && this.logEndOffset === this.openedAtEnd) {
      // Nothing changed since a clean open: every file is as it was; only the marker goes back.
      await fs.writeFileAtomic(`${this.dir}/${CLEAN_SHUTDOWN_FILE}`, Buffer.alloc(0), this.config.fsyncEnabled);
      return;
    }
    const file = active.openFile;
    if (file !== null && this.config.fsyncEnabled) await file.datasync();
    // Sealed segments whose index files could not be written earlier.
    for (const seg of this.segments) {
      if (seg !== active && seg.offsetIndex.length > 0 && !(await this.persistIndexes(seg))) throw new Error(`the index files of segment ${seg.baseOffset} could not be written`);
    }
    await active.writeIndexFiles(this.config.fsyncEnabled);
    await fs.writeFileAtomic(`${this.dir}/${snapshotFileName(this.logEndOffset)}`, this.producers.toSnapshot(this.logEndOffset), this.config.fsyncEnabled);
    await this.pruneSnapshots();
    this.recoveryPoint = this.logEndOffset;
    await this.writeEpochCheckpoint();
    await this.writeOffsetCheckpoint();
    await this.checkpoints.idle();
    await fs.writeFileAtomic(`${this.dir}/${CLEAN_SHUTDOWN_FILE}`, Buffer.alloc(0), this.config.fsyncEnabled);
  }

  /**
   * The log is being moved to another log directory (log-mover.ts): refuses appends from the
   * moment of the call and rolls the active segment. Once the roll's seal is done, every file of
   * the directory is complete and durable (segments, their index files, the producer snapshot and
   * the offsets checkpoint at the log end, so the recovery point is the log end and opening a copy
   * re-validates only the empty active segment); nothing else is written, which keeps the pause
   * short. Segment files stay open so that reads in progress finish; `releaseAfterMove` closes
   * them. Throws when the log failed, so that the move is abandoned and the log reopened.
   */
  async closeForMove(): Promise<void> {
    if (this.closed) throw new Error(`log ${this.name} is closed`);
    if (this.failure === null && this.activeSegment.size > 0) this.roll();
    this.closed = true;
    await this.flushWrites();
    await this.recovering;
    if (this.failure !== null) throw new Error(`log ${this.name} failed: ${errorText(this.failure)}`);
    if (this.recoveryPoint < this.logEndOffset) throw new Error(`log ${this.name}: the last segment was not sealed`);
    await this.writeOffsetCheckpoint();
    await this.checkpoints.idle();
  }

  /** After a move: closes the files (the directory was renamed away and is being deleted). */
  async releaseAfterMove(): Promise<void> {
    this.closed = true;
    await this.checkpoints.idle();
    for (const d of this.pendingDeletes) clearTimeout(d.timer);
    this.pendingDeletes.clear();
    for (const s of this.segments) await s.close().catch(() => undefined);
    this.indexCache.clear();
  }

  /** Closes without the clean-shutdown work (the directory is about to be deleted). */
  async abandon(): Promise<void> {
    this.closed = true;
    await this.flushWrites().catch(() => undefined);
    await this.recovering;
    await this.checkpoints.idle();
    for (const d of this.pendingDeletes) clearTimeout(d.timer);
    this.pendingDeletes.clear();
    for (const s of this.segments) await s.close().catch(() => undefined);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
