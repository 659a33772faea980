/**
 * The partitions this broker leads and their logs (Kafka's ReplicaManager and Partition). Follows
 * the metadata image: partitions of new topics get a log, deleted topics lose theirs. Every
 * request that touches a partition's log goes through here (appends, fetches with their delayed
 * fetches, offset lookups, record deletion, log directories), so that finding the partition and
 * checking its leader epoch and storage is done in one place and answered with Kafka's error codes.
 *
 * Every partition is led by this node today (a one-broker cluster); leadership and replication
 * come with a multi-node cluster.
 */
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { QuorumController } from '../controller/quorum-controller.js';
import type { ImageChanges, MetadataImage, TopicImage } from '../controller/image.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { FileSystem } from '../storage/fs/file-system.js';
import { DuplicateLogDirError, LogManager } from '../storage/log-manager.js';
import { LogCleaner } from '../storage/log/cleaner.js';
import type { PartitionLog } from '../storage/log/partition-log.js';
import type { ServerConfig } from '../config/server-config.js';
import { effectiveTopicConfig, type TopicSettings } from './topic-settings.js';
import type { Logger } from './logger.js';
import { StartupError } from './startup-error.js';
import { prepareBatches, type RecordError } from './produce/prepare-batches.js';
import { DelayedFetchPurgatory } from './fetch/delayed-fetch.js';
import { MaintenanceQueue } from './maintenance-queue.js';

/**
 * Who is appending (Kafka's AppendOrigin); it decides which checks an append gets. Clients may not
 * write internal topics and are held to their Produce version's record formats; the broker's own
 * coordinators, and replication from a leader, are not.
 */
export const AppendOrigin = {
  Client: 'client',
  Coordinator: 'coordinator',
  Replication: 'replication',
} as const;
export type AppendOrigin = (typeof AppendOrigin)[keyof typeof AppendOrigin];

interface CommonAppendOptions {
  acks: number;
  transactionalId: string | null;
}

/** A client's Produce: its request version decides which record formats and codecs it may send. */
export interface ClientAppendOptions extends CommonAppendOptions {
  origin: typeof AppendOrigin.Client;
  produceVersion: number;
}

export interface BrokerAppendOptions extends CommonAppendOptions {
  origin: typeof AppendOrigin.Coordinator | typeof AppendOrigin.Replication;
}

export type AppendOptions = ClientAppendOptions | BrokerAppendOptions;

/** Topics only the broker writes (Kafka's Topic.isInternal). */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

export interface AppendResult {
  errorCode: number;
  errorMessage: string | null;
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
  recordErrors: RecordError[];
}

function failure(errorCode: number, errorMessage: string | null = null, recordErrors: RecordError[] = []): AppendResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTime: -1, logStartOffset: -1, recordErrors };
}

/**
 * A partition's log could not be opened or created (a full or failing disk): Kafka answers
 * KAFKA_STORAGE_ERROR for a partition whose log directory is offline. The next use tries again.
 */
export class LogUnavailableError extends Error {
  readonly errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
  constructor(partition: string, cause: unknown) {
    super(`the log of ${partition} could not be opened: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** KAFKA_STORAGE_ERROR for a partition whose log could not be opened; other errors are rethrown. */
export function storageErrorCode(e: unknown): number {
  if (e instanceof LogUnavailableError) return e.errorCode;
  throw e;
}

/**
 * KIP-320: a request naming a leader epoch (>= 0) older than the partition's is fenced; a newer
 * one means this broker has not caught up with the metadata yet. -1 means "not checked".
 */
export function leaderEpochError(requested: number, current: number): number {
  if (requested < 0 || requested === current) return ErrorCode.NONE;
  return requested < current ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}

/** One partition of a Fetch, as the request (or its fetch session) names it. */
export interface FetchPartitionRequest {
  /** '' when the request named a topic id this broker does not know (UNKNOWN_TOPIC_ID). */
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly maxBytes: number;
  readonly currentLeaderEpoch: number;
}

/** What a Fetch read of one partition found (Kafka's FetchPartitionData). */
export interface FetchPartitionData {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** Whole batches, in buffers from the fetch's `allocate`; null when nothing was read. */
  records: Buffer[] | null;
  bytes: number;
}

export interface FetchParams {
  /** The response's byte budget (KIP-74): the first partition with data still returns a whole batch. */
  maxBytes: number;
  minBytes: number;
  maxWaitMs: number;
  /** read_committed reads up to the last stable offset, read_uncommitted up to the high watermark. */
  readCommitted: boolean;
  allocate: (size: number) => Buffer;
  /** Answers a long poll at once (the broker shutting down). */
  abort: AbortSignal;
}

/** ListOffsets' special timestamps. */
const LATEST_TIMESTAMP = -1n;
const EARLIEST_TIMESTAMP = -2n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL_TIMESTAMP = -4n;
const LATEST_TIERED_TIMESTAMP = -5n;

/** A ListOffsets answer for one partition; offset and timestamp -1 when there is none. */
export interface OffsetForTimestamp {
  errorCode: number;
  offset: number;
  timestamp: number;
  /** The partition's leader epoch at the time of the lookup, -1 on error. */
  leaderEpoch: number;
}

export interface EpochEndOffset {
  errorCode: number;
  leaderEpoch: number;
  endOffset: bigint;
}

export interface DeleteRecordsResult {
  errorCode: number;
  /** The new log start offset, -1 on error. */
  lowWatermark: bigint;
}

/** A partition's log in one log directory, as DescribeLogDirs reports it. */
export interface LogDirPartition {
  partitionIndex: number;
  partitionSize: bigint;
  offsetLag: bigint;
  /** The copy an AlterReplicaLogDirs move is making, not the log in use. */
  isFutureKey: boolean;
}

export interface LogDirDescription {
  errorCode: number;
  /** Absolute path. */
  logDir: string;
  topics: Array<{ name: string; partitions: LogDirPartition[] }>;
  /** The file system's, -1 when unknown. */
  totalBytes: bigint;
  usableBytes: bigint;
}

/** One partition led by this broker. */
export class Partition {
  private log: PartitionLog | null = null;
  private opening: Promise<PartitionLog> | null = null;
  /** Set while the log is being moved to another log directory: retention and compaction leave it alone. */
  moving = false;
  private readonly watchers = new Set<() => void>();
  /** Bytes appended since start: delayed fetches compare it to decide whether min_bytes is met. */
  appendedBytes = 0;

  constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly index: number,
    public leaderEpoch: number,
    public settings: TopicSettings,
    private readonly logs: LogManager,
    private readonly logger: Logger,
  ) {}

  /** The open log, or null while it is still being opened. */
  get openLog(): PartitionLog | null {
    return this.log;
  }

  /**
   * The log, opened on first use. A failed open rejects with LogUnavailableError and is tried
   * again by the next call (opening needs no free space for an existing log, only for a new one).
   */
  getLog(): PartitionLog | Promise<PartitionLog> {
    if (this.log !== null) return this.log;
    this.opening ??= this.adopt(this.logs.getOrCreate(this.topic, this.index, this.topicId, this.settings.log));
    return this.opening;
  }

  private adopt(log: Promise<PartitionLog>): Promise<PartitionLog> {
    const opening: Promise<PartitionLog> = log.then(
      (l) => {
        if (this.opening === opening) this.log = l;
        return l;
      },
      (e: unknown) => {
        if (this.opening === opening) this.opening = null;
        const err = new LogUnavailableError(`${this.topic}-${this.index}`, e);
        this.logger.throttled('error', `open:${this.topic}-${this.index}`, err.message);
        throw err;
      },
    );
    return opening;
  }

  /**
   * The log stopped taking appends to be replaced by `next` (a move to another log directory):
   * every use from now on waits for it. Settings changed meanwhile are applied to it.
   */
  switchLog(next: Promise<PartitionLog>): void {
    this.log = null;
    this.opening = this.adopt(
      next.then((l) => {
        l.updateConfig({ ...this.settings.log, fsyncEnabled: this.settings.log.fsyncEnabled && l.config.fsyncEnabled });
        return l;
      }),
    );
    this.opening.catch(() => undefined);
  }

  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  notifyAppend(bytes: number): void {
    this.appendedBytes += bytes;
    for (const w of [...this.watchers]) w();
  }
}

export class ReplicaManager {
  private readonly topics = new Map<string, Partition[]>();
  private unsubscribe: (() => void) | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Retention, compaction and scheduled flushes run one at a time, in this queue. */
  private readonly maintenance: MaintenanceQueue;
  private closed = false;
  private readonly cleaner: LogCleaner;
  /** Fetches waiting for appends (this broker's own: brokers in one process do not share it). */
  readonly delayedFetches = new DelayedFetchPurgatory();

  private constructor(
    private readonly config: ServerConfig,
    readonly logs: LogManager,
    private readonly logger: Logger,
  ) {
    this.cleaner = new LogCleaner({ fs: logs.fs, log: (msg) => logger.info(msg) });
    this.maintenance = new MaintenanceQueue((e) => logger.error(`log maintenance failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  }

  /** `fs` replaces the disk under the partition logs (tests run the broker on an in-memory file system). */
  static async open(config: ServerConfig, controller: QuorumController, logger: Logger, fs?: FileSystem): Promise<ReplicaManager> {
    let logs: LogManager;
    try {
      logs = await LogManager.open(config.logDirs, { fsyncEnabled: config.fsyncEnabled, logger: (msg) => logger.info(msg), ...(fs === undefined ? {} : { fs }) });
    } catch (e) {
      if (e instanceof DuplicateLogDirError) throw new StartupError(`log.dirs: ${e.message}`);
      throw e;
    }
    const rm = new ReplicaManager(config, logs, logger);
    const image = controller.image();
    for (const t of image.topics.values()) rm.addTopic(t, image);
    rm.unsubscribe = controller.onImage((img, changes) => rm.applyChanges(img, changes));
    await rm.removeOrphanDirs(image);
    rm.startMaintenance();
    return rm;
  }

  private startMaintenance(): void {
    const every = (kind: string, ms: number, task: () => Promise<void>): void => {
      if (!Number.isFinite(ms)) return;
      const timer = setInterval(() => this.schedule(kind, task), Math.max(1, Math.min(ms, 0x7fffffff)));
      timer.unref();
      this.timers.push(timer);
    };
    every('retention', this.config.logRetentionCheckIntervalMs, () => this.runRetention());
    if (this.config.logCleanerEnable) every('cleaner', Math.max(this.config.logCleanerBackoffMs, 100), () => this.runCleaner());
    every('flush', this.config.logFlushSchedulerIntervalMs === Infinity ? 1000 : this.config.logFlushSchedulerIntervalMs, () => this.runScheduledFlushes());
  }

  /** Queues a maintenance task unless one of its kind is already waiting. */
  private schedule(kind: string, task: () => Promise<void>): void {
    if (this.closed) return;
    this.maintenance.schedule(kind, task);
  }

  private *allPartitions(): Iterable<Partition> {
    for (const parts of this.topics.values()) yield* parts;
  }

  /** False once the partition's topic was deleted (or re-created) since `p` was taken. */
  private isCurrent(p: Partition): boolean {
    return this.topics.get(p.topic)?.[p.index] === p;
  }

  /** Removes partition directories of topics deleted while the broker was down. */
  private async removeOrphanDirs(image: MetadataImage): Promise<void> {
    for (const d of await this.logs.partitionDirs()) {
      const t = image.topics.get(d.topic);
      if (t !== undefined && d.partition < t.partitions.length) continue;
      this.logger.info(`removing ${d.logDir}/${d.dir}: its topic no longer exists`);
      await this.logs.removeDir(d);
    }
  }

  /** Deletes segments past retention (opening logs not used since start, so every partition is covered). */
  async runRetention(): Promise<void> {
    const now = Date.now();
    for (const p of [...this.allPartitions()]) {
      if (this.closed) return;
      if (!this.isCurrent(p) || p.moving) continue;
      try {
        const log = await p.getLog();
        await log.applyRetention(now);
        await log.writeOffsetCheckpoint();
      } catch (e) {
        // One partition on a full or failing disk must not stop retention of the others.
        this.logger.throttled('warn', `retention:${p.topic}-${p.index}`, `retention of ${p.topic}-${p.index} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  async runCleaner(): Promise<void> {
    for (const p of [...this.allPartitions()]) {
      if (this.closed) return;
      if (!p.settings.compacted || !this.isCurrent(p) || p.moving) continue;
      const log = await p.getLog();
      await this.cleaner.clean(log, Date.now());
    }
  }

  private async runScheduledFlushes(): Promise<void> {
    const now = Date.now();
    for (const p of this.allPartitions()) {
      const log = p.openLog;
      if (log !== null && log.config.flushMs !== Infinity) await log.flushIfDue(now);
    }
  }

  private addTopic(t: TopicImage, image: MetadataImage): void {
    const settings = effectiveTopicConfig(this.config, image.configs.get(`topic:${t.name}`));
    const existing = this.topics.get(t.name) ?? [];
    const parts = t.partitions.map((p) => {
      const old = existing[p.partition];
      if (old !== undefined && old.topicId === t.id) {
        old.leaderEpoch = p.leaderEpoch;
        old.settings = settings;
        return old;
      }
      return new Partition(t.name, t.id, p.partition, p.leaderEpoch, settings, this.logs, this.logger);
    });
    this.topics.set(t.name, parts);
  }

  private applyChanges(image: MetadataImage, changes: ImageChanges): void {
    for (const name of changes.deletedTopics) {
      this.topics.delete(name);
      this.logs.deleteTopic(name).catch((e: unknown) => this.logger.error(`deleting logs of topic ${name}: ${String(e)}`));
    }
    for (const name of [...changes.createdTopics, ...changes.changedTopics]) {
      const t = image.topics.get(name);
      if (t) this.addTopic(t, image);
    }
    for (const name of changes.changedConfigs) {
      const t = image.topics.get(name);
      if (!t) continue;
      const settings = effectiveTopicConfig(this.config, image.configs.get(`topic:${name}`));
      for (const p of this.topics.get(name) ?? []) {
        p.settings = settings;
        p.openLog?.updateConfig(settings.log);
      }
    }
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.topics.get(topic)?.[index];
  }

  partitionsOf(topic: string): readonly Partition[] {
    return this.topics.get(topic) ?? [];
  }

  /**
   * Validates and appends one partition's records. Offsets are assigned before this returns when
   * the log is open (always, after the first use), so appends keep the order they were called in.
   */
  appendRecords(topic: string, index: number, records: Buffer, opts: AppendOptions): Promise<AppendResult> {
    const partition = this.partition(topic, index);
    if (partition === undefined) return Promise.resolve(failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    if (opts.origin === AppendOrigin.Client && INTERNAL_TOPICS.has(topic)) return Promise.resolve(failure(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`));
    const log = partition.getLog();
    if (log instanceof Promise) {
      return log.then(
        (l) => this.appendToLog(partition, l, records, opts),
        (e: unknown) => failure(storageErrorCode(e), e instanceof Error ? e.message : null),
      );
    }
    return this.appendToLog(partition, log, records, opts);
  }

  private async appendToLog(partition: Partition, log: PartitionLog, records: Buffer, opts: AppendOptions): Promise<AppendResult> {
    // A log that ran out of space takes appends again once there is space (else append refuses).
    if (log.failed) {
      await log.recoverIfFailed();
      // Replaced meanwhile (moved to another log directory): append to the log that serves now.
      if (partition.openLog !== log && this.isCurrent(partition)) return this.appendRecords(partition.topic, partition.index, records, opts);
    }
    const produceVersion = opts.origin === AppendOrigin.Client ? opts.produceVersion : null;
    const prepared = prepareBatches(records, produceVersion, partition.settings, `${partition.topic}-${partition.index}`);
    if (prepared.errorCode !== ErrorCode.NONE) return failure(prepared.errorCode, prepared.errorMessage, prepared.recordErrors);
    const logAppendTime = partition.settings.logAppendTime ? Date.now() : undefined;
    const outcome = log.append(prepared.records, prepared.batches, {
      leaderEpoch: partition.leaderEpoch,
      logAppendTime,
      requireDurable: opts.acks === -1,
    });
    if (outcome.kind === 'error') return failure(outcome.errorCode, outcome.errorMessage ?? null);
    if (outcome.kind === 'duplicate') {
      return { errorCode: ErrorCode.NONE, errorMessage: null, baseOffset: outcome.baseOffset, logAppendTime: -1, logStartOffset: log.logStartOffset, recordErrors: [] };
    }
    try {
      await outcome.written;
      partition.notifyAppend(prepared.records.length);
      if (opts.acks === -1) await outcome.durable;
    } catch (e) {
      this.logger.throttled('error', `append:${partition.topic}-${partition.index}`, `append to ${partition.topic}-${partition.index} failed: ${e instanceof Error ? e.message : String(e)}`);
      return failure(ErrorCode.KAFKA_STORAGE_ERROR, 'the log could not be written');
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      baseOffset: outcome.baseOffset,
      logAppendTime: logAppendTime ?? -1,
      logStartOffset: outcome.logStartOffset,
      recordErrors: [],
    };
  }

  /**
   * The partition and its log for a request naming them, or the error code to answer instead:
   * UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH for a stale or future
   * `currentLeaderEpoch` (KIP-320; -1 is not checked), KAFKA_STORAGE_ERROR for a log that could
   * not be opened. Reads need no free space: a log that opens answers even on a full disk.
   * Leadership needs no check yet (this node leads every partition); NOT_LEADER_OR_FOLLOWER
   * belongs here once partitions are replicated.
   */
  private async leaderLog(topic: string, index: number, currentLeaderEpoch = -1): Promise<{ partition: Partition; log: PartitionLog } | { errorCode: number }> {
    const partition = this.partition(topic, index);
    if (partition === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
    const epochError = leaderEpochError(currentLeaderEpoch, partition.leaderEpoch);
    if (epochError !== ErrorCode.NONE) return { errorCode: epochError };
    try {
      return { partition, log: await partition.getLog() };
    } catch (e) {
      return { errorCode: storageErrorCode(e) };
    }
  }

  /**
   * Fetch (Kafka's ReplicaManager.fetchMessages): reads every partition, in order, within the
   * response's byte budget; when that finds fewer than `minBytes` and no partition failed, waits
   * for appends (the delayed fetch) up to `maxWaitMs` and reads again. One result per partition,
   * in the order given.
   */
  async fetchMessages(partitions: readonly FetchPartitionRequest[], params: FetchParams): Promise<FetchPartitionData[]> {
    let result = await this.readFromLog(partitions, params);
    if (result.bytes < params.minBytes && !result.failed && params.maxWaitMs > 0) {
      await this.delayedFetches.waitForAppends(result.watched, params.minBytes - result.bytes, params.maxWaitMs, params.abort);
      result = await this.readFromLog(partitions, params);
    }
    return result.reads;
  }

  private async readFromLog(
    wanted: readonly FetchPartitionRequest[],
    params: FetchParams,
  ): Promise<{ reads: FetchPartitionData[]; bytes: number; watched: Partition[]; failed: boolean }> {
    const reads: FetchPartitionData[] = [];
    const watched: Partition[] = [];
    let budget = params.maxBytes;
    let total = 0;
    let failed = false;
    for (const fp of wanted) {
      const read: FetchPartitionData = { errorCode: ErrorCode.NONE, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, records: null, bytes: 0 };
      reads.push(read);
      const found = fp.topic === '' ? { errorCode: ErrorCode.UNKNOWN_TOPIC_ID } : await this.leaderLog(fp.topic, fp.partition, fp.currentLeaderEpoch);
      if ('errorCode' in found) {
        read.errorCode = found.errorCode;
        failed = true;
        continue;
      }
      const log = found.log;
      watched.push(found.partition);
      read.highWatermark = BigInt(log.highWatermark);
      read.lastStableOffset = BigInt(log.lastStableOffset);
      read.logStartOffset = BigInt(log.logStartOffset);
      const offset = Number(fp.fetchOffset);
      if (offset < log.logStartOffset || offset > log.logEndOffset) {
        read.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
        failed = true;
        continue;
      }
      const upper = params.readCommitted ? log.lastStableOffset : log.highWatermark;
      if (offset >= upper || budget <= 0 || fp.maxBytes <= 0) continue;
      const result = await log.read(offset, Math.min(fp.maxBytes, budget), { minOneBatch: total === 0, upperBound: upper, allocate: params.allocate });
      if (result.errorCode !== undefined) {
        // The batch at this offset is corrupt on disk (the log reported the range); later offsets stay readable.
        read.errorCode = result.errorCode;
        failed = true;
        continue;
      }
      let bytes = 0;
      for (const b of result.records) bytes += b.length;
      if (bytes > 0) {
        read.records = result.records;
        read.bytes = bytes;
        total += bytes;
        budget -= bytes;
      }
    }
    return { reads, bytes: total, watched, failed };
  }

  /**
   * ListOffsets for one partition (Kafka's ReplicaManager.fetchOffsetForTimestamp). Special
   * timestamps: -1 latest (high watermark, or last stable offset for read_committed), -2 earliest
   * (log start offset), -3 the record with the largest timestamp (KIP-734), -4 earliest local (no
   * tiered storage, so the log start offset), -5 latest tiered (nothing is tiered, so offset -1).
   * Any other timestamp finds the first offset whose record timestamp is at or after it, or offset
   * -1 when there is none; another negative one is UNSUPPORTED_VERSION, as in Kafka 4.1.
   */
  async fetchOffsetForTimestamp(topic: string, index: number, timestamp: bigint, readCommitted: boolean, currentLeaderEpoch: number): Promise<OffsetForTimestamp> {
    const fail = (errorCode: number): OffsetForTimestamp => ({ errorCode, offset: -1, timestamp: -1, leaderEpoch: -1 });
    const found = await this.leaderLog(topic, index, currentLeaderEpoch);
    if ('errorCode' in found) return fail(found.errorCode);
    const { partition, log } = found;
    const leaderEpoch = partition.leaderEpoch;
    let offset = -1;
    let ts = -1;
    switch (timestamp) {
      case LATEST_TIMESTAMP:
        offset = readCommitted ? log.lastStableOffset : log.highWatermark;
        break;
      case EARLIEST_TIMESTAMP:
      case EARLIEST_LOCAL_TIMESTAMP:
        offset = log.logStartOffset;
        break;
      case LATEST_TIERED_TIMESTAMP:
        break;
      case MAX_TIMESTAMP: {
        const max = await log.maxTimestampOffset();
        if (max !== null) ({ offset, timestamp: ts } = max);
        break;
      }
      default: {
        if (timestamp < 0n) return fail(ErrorCode.UNSUPPORTED_VERSION);
        const at = await log.offsetForTimestamp(Number(timestamp));
        if (at !== null && at.offset < log.highWatermark) ({ offset, timestamp: ts } = at);
      }
    }
    return { errorCode: ErrorCode.NONE, offset, timestamp: ts, leaderEpoch };
  }

  /**
   * OffsetForLeaderEpoch for one partition (Kafka's Partition.lastOffsetForLeaderEpoch): the end
   * offset of `leaderEpoch` from the log's leader-epoch history; an epoch newer than any known
   * gets (-1, -1), as in Kafka.
   */
  async lastOffsetForLeaderEpoch(topic: string, index: number, currentLeaderEpoch: number, leaderEpoch: number): Promise<EpochEndOffset> {
    const found = await this.leaderLog(topic, index, currentLeaderEpoch);
    if ('errorCode' in found) return { errorCode: found.errorCode, leaderEpoch: -1, endOffset: -1n };
    const end = found.log.endOffsetForEpoch(leaderEpoch);
    return { errorCode: ErrorCode.NONE, leaderEpoch: end.epoch, endOffset: BigInt(end.endOffset) };
  }

  /**
   * DeleteRecords for one partition (Kafka's ReplicaManager.deleteRecords): advances the log
   * start offset to `offset`, -1 meaning the high watermark; an offset above the high watermark
   * is OFFSET_OUT_OF_RANGE. The low watermark answered is the new log start offset.
   */
  async deleteRecords(topic: string, index: number, offset: bigint): Promise<DeleteRecordsResult> {
    const found = await this.leaderLog(topic, index);
    if ('errorCode' in found) return { errorCode: found.errorCode, lowWatermark: -1n };
    const log = found.log;
    const target = offset === -1n ? log.highWatermark : Number(offset);
    if (target < 0 || target > log.highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n };
    try {
      await log.deleteRecordsBefore(target);
    } catch (e) {
      this.logger.throttled('error', `delete-records:${topic}-${index}`, `DeleteRecords on ${topic}-${index}: ${String(e)}`);
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1n };
    }
    return { errorCode: ErrorCode.NONE, lowWatermark: BigInt(log.logStartOffset) };
  }

  /**
   * DescribeLogDirs (Kafka's ReplicaManager.describeLogDirs): every log directory, as an absolute
   * path, with the `wanted` partitions it holds: the size of each log (all segments), its offset
   * lag (0 for a current log: a single node is its own ISR) and the file system's total and
   * usable bytes. A partition being moved is listed in its target directory too, as a future
   * replica with the bytes copied so far and its lag behind the current log's end. Partitions this
   * broker does not host, and logs that cannot be opened (size unknown), are left out.
   */
  async describeLogDirs(wanted: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<LogDirDescription[]> {
    const logDirs = this.logs.dataDirs;
    // Per log directory: topic → partitions, in the order asked.
    const byDir = new Map<string, Map<string, LogDirPartition[]>>(logDirs.map((d) => [d, new Map()]));
    const add = (dir: string, topic: string, entry: LogDirPartition): void => {
      const topics = byDir.get(dir);
      if (topics === undefined) return;
      let list = topics.get(topic);
      if (list === undefined) topics.set(topic, (list = []));
      list.push(entry);
    };
    for (const t of wanted) {
      for (const index of t.partitions) {
        const found = await this.leaderLog(t.topic, index);
        if ('errorCode' in found) continue;
        const log = found.log;
        const key = `${t.topic}-${index}`;
        const dir = this.logs.logDirOf(key);
        if (dir !== undefined) add(dir, t.topic, { partitionIndex: index, partitionSize: BigInt(log.sizeInBytes), offsetLag: 0n, isFutureKey: false });
        const future = this.logs.futureOf(key);
        if (future !== undefined) {
          const lag = Math.max(0, log.logEndOffset - future.endOffset);
          add(future.logDir, t.topic, { partitionIndex: index, partitionSize: BigInt(future.size), offsetLag: BigInt(lag), isFutureKey: true });
        }
      }
    }
    const results: LogDirDescription[] = [];
    for (const d of logDirs) {
      const dir = resolve(d);
      let totalBytes = -1n;
      let usableBytes = -1n;
      try {
        const s = await statfs(dir, { bigint: true });
        totalBytes = s.blocks * s.bsize;
        usableBytes = s.bavail * s.bsize;
      } catch {
        // Left at -1 ("unknown"), which v4 clients accept.
      }
      const topics = [...byDir.get(d)!].map(([name, partitions]) => ({ name, partitions }));
      results.push({ errorCode: ErrorCode.NONE, logDir: dir, topics, totalBytes, usableBytes });
    }
    return results;
  }

  /**
   * AlterReplicaLogDirs for one partition (Kafka's ReplicaManager.alterReplicaLogDirs): an unknown
   * log directory is LOG_DIR_NOT_FOUND, a partition this broker does not have
   * UNKNOWN_TOPIC_OR_PARTITION. The partition's own directory is a no-op that cancels a move in
   * progress, as in Kafka; otherwise a move starts (a move elsewhere in progress is replaced) and
   * runs in the background, and the answer does not wait for it.
   */
  async alterLogDir(topic: string, index: number, path: string): Promise<number> {
    const target = this.logs.logDirNamed(path);
    if (target === undefined) return ErrorCode.LOG_DIR_NOT_FOUND;
    const partition = this.partition(topic, index);
    if (partition === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    try {
      await partition.getLog();
    } catch (e) {
      return storageErrorCode(e);
    }
    if (this.closed || !this.isCurrent(partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const key = `${topic}-${index}`;
    if (this.logs.moveTarget(key) === target) return ErrorCode.NONE;
    if (this.logs.logDirOf(key) === target) {
      await this.logs.cancelMove(key);
      return ErrorCode.NONE;
    }
    partition.moving = true;
    // A compaction or retention pass already running on this partition finishes first.
    const moved = this.logs.moveLog(topic, index, target, (next) => partition.switchLog(next), this.maintenance.idle);
    void (async () => {
      try {
        await moved;
      } catch (e) {
        this.logger.error(`moving ${key} to ${target} failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        if (this.logs.moveTarget(key) === undefined) partition.moving = false;
      }
    })();
    return ErrorCode.NONE;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.maintenance.idle;
    this.unsubscribe?.();
    await this.logs.closeAll();
  }
}
