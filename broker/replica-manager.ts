/**
 * The partitions this broker leads and their logs. Follows the metadata image: partitions of new
 * topics get a log, deleted topics lose theirs. Produce appends and fetch reads go through here;
 * delayed fetches watch partitions for appends.
 *
 * Every partition is led by this node today (a one-broker cluster); leadership and replication
 * come with a multi-node cluster.
 */
import type { QuorumController } from '../controller/quorum-controller.js';
import type { ImageChanges, MetadataImage, TopicImage } from '../controller/image.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { FileSystem } from '../storage/fs/file-system.js';
import { DuplicateLogDirError, LogManager } from '../storage/log-manager.js';
import { LogCleaner } from '../storage/log/cleaner.js';
import type { PartitionLog } from '../storage/log/partition-log.js';
import type { ServerConfig } from './config/server-config.js';
import { effectiveTopicConfig, type TopicSettings } from './topic-settings.js';
import type { Logger } from './logger.js';
import { StartupError } from './startup-error.js';
import { prepareBatches, type RecordError } from './produce/prepare-batches.js';

export interface AppendOptions {
  acks: number;
  produceVersion: number;
  transactionalId: string | null;
  /** The broker's own writes (coordinators) may append to internal topics; clients may not. */
  internal?: boolean;
}

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
  /** Retention, compaction and scheduled flushes run one at a time, in this chain. */
  private maintenance: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly cleaner: LogCleaner;

  private constructor(
    private readonly config: ServerConfig,
    readonly logs: LogManager,
    private readonly logger: Logger,
  ) {
    this.cleaner = new LogCleaner({ fs: logs.fs, log: (msg) => logger.info(msg) });
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
    const every = (ms: number, task: () => Promise<void>): void => {
      if (!Number.isFinite(ms)) return;
      const timer = setInterval(() => this.schedule(task), Math.max(1, Math.min(ms, 0x7fffffff)));
      timer.unref();
      this.timers.push(timer);
    };
    every(this.config.logRetentionCheckIntervalMs, () => this.runRetention());
    if (this.config.logCleanerEnable) every(Math.max(this.config.logCleanerBackoffMs, 100), () => this.runCleaner());
    every(this.config.logFlushSchedulerIntervalMs === Infinity ? 1000 : this.config.logFlushSchedulerIntervalMs, () => this.runScheduledFlushes());
  }

  /** Queues a maintenance task unless one of its kind is already waiting. */
  private schedule(task: () => Promise<void>): void {
    if (this.closed) return;
    this.maintenance = this.maintenance.then(task).catch((e: unknown) => this.logger.error(`log maintenance failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
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
    if (opts.internal !== true && INTERNAL_TOPICS.has(topic)) return Promise.resolve(failure(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`));
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
    const prepared = prepareBatches(records, opts.produceVersion, partition.settings, `${partition.topic}-${partition.index}`);
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
    const moved = this.logs.moveLog(topic, index, target, (next) => partition.switchLog(next), this.maintenance);
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
    await this.maintenance;
    this.unsubscribe?.();
    await this.logs.closeAll();
  }
}
