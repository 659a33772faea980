/**
 * All partition logs of the broker's log directories (Kafka's LogManager). Each partition lives in
 * `<logDir>/<topic>-<partition>` in one of them; the topic id recorded in its `partition.metadata`
 * tells a directory left by a deleted topic from the live topic of the same name. A new partition
 * goes to the directory holding the fewest partitions (Kafka's LogManager.nextLogDirs). Logs open
 * on first use; a single Flusher groups the fsyncs of all of them.
 *
 * Moving a partition to another log directory (AlterReplicaLogDirs) copies it into a future
 * replica, `<logDir>/<topic>-<partition>.<uniqueId>-future` (log-mover.ts), while it keeps taking
 * appends; then appends wait while the tail is copied and the copy takes the log's place. As in
 * Kafka's replaceCurrentWithFutureLog, the current directory is renamed
 * `<topic>-<partition>.<uniqueId>-delete` and the future one renamed to the current name; the
 * first rename is the commit point, so at start-up a future directory is completed only when no
 * current directory of its partition is left (the move had committed), and discarded otherwise
 * (the copy was interrupted; Kafka's equivalent is a future log the controller never recorded).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { NodeFileSystem, type FileSystem } from './fs/file-system.js';
import { Flusher } from './log/flusher.js';
import type { LogConfig } from './log/log-config.js';
import { FutureLogCopy, MoveCancelledError } from './log/log-mover.js';
import { PartitionLog } from './log/partition-log.js';

export interface LogManagerOptions {
  fsyncEnabled: boolean;
  logger: (msg: string) => void;
  fs?: FileSystem;
}

const PARTITION_METADATA = 'partition.metadata';
/** Suffix of a deleted partition directory waiting to be removed. */
const DELETED_SUFFIX = '-delete';
/** Longest file name most file systems take (NAME_MAX). */
const MAX_FILE_NAME = 255;

/**
 * `<topic>-<partition>.<n>-delete`, with the topic name cut so the whole stays within 255 bytes:
 * a legal topic name may be 249 characters, and the suffix would otherwise push the rename past
 * the file system's limit (Kafka's UnifiedLog.logDirNameWithSuffixCappedLength does the same).
 */
export function deletedDirName(topic: string, partition: number, n: number): string {
  const suffix = `-${partition}.${n}${DELETED_SUFFIX}`;
  return `${topic.slice(0, Math.max(0, MAX_FILE_NAME - suffix.length))}${suffix}`;
}
/** Suffix of a future replica directory (a partition being moved into this log directory). */
const FUTURE_SUFFIX = '-future';
const METADATA_LOG_PREFIX = '__cluster_metadata';

/** Splits `<topic>-<partition>` at the last '-' (topic names may contain '-'). */
export function parsePartitionDir(name: string): { topic: string; partition: number } | null {
  const i = name.lastIndexOf('-');
  if (i <= 0) return null;
  const partition = Number(name.slice(i + 1));
  if (!Number.isInteger(partition) || partition < 0 || String(partition) !== name.slice(i + 1)) return null;
  return { topic: name.slice(0, i), partition };
}

/** `<topic>-<partition>` of a future replica directory `<topic>-<partition>.<uniqueId>-future`, or null. */
export function parseFutureDir(name: string): string | null {
  const m = /^(.+)\.[0-9a-f]{32}-future$/.exec(name);
  return m !== null && parsePartitionDir(m[1]!) !== null ? m[1]! : null;
}

/** A partition directory found on disk. */
export interface PartitionDir {
  logDir: string;
  /** The directory's name, `<topic>-<partition>`. */
  dir: string;
  topic: string;
  partition: number;
}

/** A partition being copied into another log directory (DescribeLogDirs shows it there). */
export interface FutureReplica {
  logDir: string;
  /** Bytes copied so far. */
  size: number;
  /** Offset after the last batch copied. */
  endOffset: number;
}

/** Thrown at start-up when a partition has a current directory in two log directories. */
export class DuplicateLogDirError extends Error {}

class LogMove {
  copy: FutureLogCopy | null = null;
  /** Once the source stopped taking appends, the move can no longer be cancelled. */
  switching = false;
  cancelled = false;
  done: Promise<void> = Promise.resolve();
  /** Wakes the move while it waits for a copy slot. */
  wake: () => void = () => undefined;
  constructor(
    readonly key: string,
    readonly targetDir: string,
  ) {}

  cancel(): void {
    this.cancelled = true;
    // Past the switch the copy must complete: the source no longer takes appends.
    if (!this.switching) this.copy?.cancel();
    this.wake();
  }
}

export class LogManager {
  private readonly logs = new Map<string, Promise<PartitionLog>>();
  /** The log directory of each partition known to be on disk or opened since. */
  private readonly placement = new Map<string, string>();
  /** Topics whose directories are being moved aside: their new logs open after that. */
  private readonly deleting = new Map<string, Promise<void>>();
  private readonly moves = new Map<string, LogMove>();
  /** Old directories of moved partitions, removed after file.delete.delay.ms (reads in progress finish). */
  private readonly retired = new Set<{ timer: NodeJS.Timeout; run: () => Promise<void> }>();
  private deletions = 0;
  /** Moves copying now; at most one per log directory (Kafka's default num.replica.alter.log.dirs.threads). */
  private copying = 0;
  private readonly slotWaiters = new Set<() => void>();
  readonly flusher: Flusher;

  private constructor(
    readonly dataDirs: readonly string[],
    readonly fs: FileSystem,
    private readonly opts: LogManagerOptions,
  ) {
    this.flusher = new Flusher(opts.fsyncEnabled);
  }

  /** The first log directory. */
  get dataDir(): string {
    return this.dataDirs[0]!;
  }

  /**
   * Opens the log directories: removes directories of deleted partitions whose removal a stop
   * interrupted, completes or discards future replicas (see above), and records where each
   * partition lives. Throws DuplicateLogDirError when a partition has a current directory in two
   * log directories (Kafka refuses to start then too: which one is right cannot be known).
   */
  static async open(dataDirs: string | readonly string[], opts: LogManagerOptions): Promise<LogManager> {
    const dirs = typeof dataDirs === 'string' ? [dataDirs] : [...dataDirs];
    if (dirs.length === 0) throw new Error('no log directory');
    const fs = opts.fs ?? new NodeFileSystem();
    const manager = new LogManager(dirs, fs, opts);
    const futures: Array<{ logDir: string; name: string; key: string }> = [];
    for (const logDir of dirs) {
      await fs.mkdirp(logDir);
      for (const name of await fs.readdir(logDir)) {
        if (name.endsWith(DELETED_SUFFIX)) {
          await fs.remove(`${logDir}/${name}`);
          continue;
        }
        const future = parseFutureDir(name);
        if (future !== null) {
          futures.push({ logDir, name, key: future });
          continue;
        }
        if (name.startsWith(METADATA_LOG_PREFIX) || parsePartitionDir(name) === null) continue;
        const other = manager.placement.get(name);
        if (other !== undefined) {
          throw new DuplicateLogDirError(
            `partition ${name} has a directory in both ${other} and ${logDir}; remove the one that is out of date (the broker cannot tell which)`,
          );
        }
        manager.placement.set(name, logDir);
      }
    }
    for (const f of futures) {
      const path = `${f.logDir}/${f.name}`;
      if (manager.placement.has(f.key)) {
        opts.logger(`${f.key}: discarding ${path}: its move from ${manager.placement.get(f.key)} was interrupted before it completed`);
        await fs.remove(path);
        continue;
      }
      opts.logger(`${f.key}: completing its move to ${f.logDir} (interrupted after the old directory was set aside)`);
      await fs.rename(path, `${f.logDir}/${f.key}`);
      await fs.syncDir(f.logDir);
      manager.placement.set(f.key, f.logDir);
    }
    return manager;
  }

  /** The configured log directory `path` names (compared as absolute paths), or undefined. */
  logDirNamed(path: string): string | undefined {
    const wanted = resolve(path);
    return this.dataDirs.find((d) => resolve(d) === wanted);
  }

  /** The log directory holding the partition `<topic>-<partition>`, when it is on disk or open. */
  logDirOf(key: string): string | undefined {
    return this.placement.get(key);
  }

  /** The partition's future replica while a move copies it, or undefined. */
  futureOf(key: string): FutureReplica | undefined {
    const move = this.moves.get(key);
    // Once the copy took the partition's place it is the current replica, not a future one.
    if (move === undefined || this.placement.get(key) === move.targetDir) return undefined;
    return { logDir: move.targetDir, size: move.copy?.copiedBytes ?? 0, endOffset: move.copy?.copiedEndOffset ?? 0 };
  }

  /** Partition directories on disk in every log directory (for removing those of topics deleted while the broker was down). */
  async partitionDirs(): Promise<PartitionDir[]> {
    const out: PartitionDir[] = [];
    for (const logDir of this.dataDirs) {
      for (const name of await this.fs.readdir(logDir)) {
        if (name.startsWith(METADATA_LOG_PREFIX)) continue;
        const parsed = parsePartitionDir(name);
        if (parsed !== null) out.push({ logDir, dir: name, ...parsed });
      }
    }
    return out;
  }

  getOrCreate(topic: string, partition: number, topicId: string, config: LogConfig): Promise<PartitionLog> {
    const key = `${topic}-${partition}`;
    let log = this.logs.get(key);
    if (log === undefined) {
      // A topic of the same name deleted just before must be out of the way first.
      const deleting = this.deleting.get(topic);
      log = deleting === undefined ? this.openLog(key, topicId, config) : deleting.then(() => this.openLog(key, topicId, config));
      this.logs.set(key, log);
      log.catch(() => {
        if (this.logs.get(key) === log) this.logs.delete(key);
      });
    }
    return log;
  }

  /** Kafka's nextLogDirs: the log directory holding the fewest partitions (futures included), the first on a tie. */
  private chooseLogDir(): string {
    const counts = new Map<string, number>(this.dataDirs.map((d) => [d, 0]));
    for (const d of this.placement.values()) counts.set(d, (counts.get(d) ?? 0) + 1);
    for (const m of this.moves.values()) counts.set(m.targetDir, (counts.get(m.targetDir) ?? 0) + 1);
    let best = this.dataDirs[0]!;
    for (const d of this.dataDirs) if (counts.get(d)! < counts.get(best)!) best = d;
    return best;
  }

  private logConfig(config: LogConfig): LogConfig {
    return { ...config, fsyncEnabled: config.fsyncEnabled && this.opts.fsyncEnabled };
  }

  private async openLog(key: string, topicId: string, config: LogConfig): Promise<PartitionLog> {
    let logDir = this.placement.get(key);
    if (logDir === undefined) {
      logDir = this.chooseLogDir();
      this.placement.set(key, logDir);
    }
    const dir = `${logDir}/${key}`;
    const meta = await this.fs.readFile(`${dir}/${PARTITION_METADATA}`);
    const recorded = meta === null ? null : /topic_id: *(\S+)/.exec(meta.toString('utf8'))?.[1];
    if (recorded !== null && recorded !== undefined && recorded !== topicId) {
      this.opts.logger(`${key}: directory belongs to an earlier topic ${recorded}; removing it`);
      await this.fs.remove(dir);
    }
    const logConfig = this.logConfig(config);
    // Opening creates the directory.
    const log = await PartitionLog.open(dir, key, logConfig, { fs: this.fs, flusher: this.flusher, log: this.opts.logger });
    if (recorded !== topicId) {
      try {
        await this.fs.writeFileAtomic(`${dir}/${PARTITION_METADATA}`, Buffer.from(`version: 0\ntopic_id: ${topicId}\n`), logConfig.fsyncEnabled);
        await this.fs.syncDir(logDir);
      } catch (e) {
        // The log is usable without it (a directory without one is taken as the live topic's);
        // the next open writes it. A full disk must not make the partition unreadable.
        this.opts.logger(`${key}: writing ${PARTITION_METADATA} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return log;
  }

  /** Removes a partition directory that no open log uses. */
  async removeDir(d: PartitionDir): Promise<void> {
    if (this.logs.has(d.dir)) throw new Error(`${d.dir} is in use`);
    if (this.placement.get(d.dir) === d.logDir) this.placement.delete(d.dir);
    await this.fs.remove(`${d.logDir}/${d.dir}`);
  }

  /**
   * Moves the open log of `<topic>-<partition>` to `targetDir` (one of the log directories),
   * copying it while it takes appends (log-mover.ts). When the copy has caught up, the log stops
   * taking appends and `onSwitch` is called at once with the log that will serve the partition
   * (the moved one, or the old one reopened if the last step fails): appends wait for it. Resolves
   * whether the partition was moved. A move of the same partition in progress is cancelled first;
   * the copy starts once `after` has settled too.
   */
  moveLog(topic: string, partition: number, targetDir: string, onSwitch: (next: Promise<PartitionLog>) => void, after?: Promise<unknown>): Promise<boolean> {
    const key = `${topic}-${partition}`;
    const previous = this.moves.get(key);
    previous?.cancel();
    const move = new LogMove(key, targetDir);
    this.moves.set(key, move);
    const run = async (): Promise<boolean> => {
      await previous?.done;
      await after?.catch(() => undefined);
      try {
        return await this.runMove(move, onSwitch);
      } finally {
        if (this.moves.get(key) === move) this.moves.delete(key);
      }
    };
    const result = run();
    move.done = result.then(() => undefined, () => undefined);
    return result;
  }

  /** Cancels the partition's move unless it is already switching; resolves once it has ended. */
  async cancelMove(key: string): Promise<void> {
    const move = this.moves.get(key);
    if (move === undefined) return;
    move.cancel();
    await move.done;
  }

  /** The target of the partition's move in progress, or undefined. */
  moveTarget(key: string): string | undefined {
    return this.moves.get(key)?.targetDir;
  }

  /** Waits for a copy slot (each copy holds a buffer and disk bandwidth); false when cancelled meanwhile. */
  private async takeCopySlot(move: LogMove): Promise<boolean> {
    while (this.copying >= this.dataDirs.length && !move.cancelled) {
      await new Promise<void>((wake) => {
        move.wake = wake;
        this.slotWaiters.add(wake);
      });
      this.slotWaiters.delete(move.wake);
    }
    if (move.cancelled) return false;
    this.copying++;
    return true;
  }

  private releaseCopySlot(): void {
    this.copying--;
    for (const wake of this.slotWaiters) wake();
  }

  private async runMove(move: LogMove, onSwitch: (next: Promise<PartitionLog>) => void): Promise<boolean> {
    if (!(await this.takeCopySlot(move))) return false;
    try {
      return await this.copyAndSwitch(move, onSwitch);
    } finally {
      this.releaseCopySlot();
    }
  }

  private async copyAndSwitch(move: LogMove, onSwitch: (next: Promise<PartitionLog>) => void): Promise<boolean> {
    const { key, targetDir } = move;
    const opened = this.logs.get(key);
    if (move.cancelled || opened === undefined) return false;
    const source = await opened;
    const sourceDir = this.placement.get(key);
    if (move.cancelled || sourceDir === undefined || sourceDir === targetDir || this.logs.get(key) !== opened) return false;
    const id = randomUUID().replace(/-/g, '');
    const futurePath = `${targetDir}/${key}.${id}${FUTURE_SUFFIX}`;
    const copy = new FutureLogCopy(source, futurePath, this.fs, source.config.fsyncEnabled);
    move.copy = copy;
    const discardCopy = async (): Promise<void> => {
      await copy.close();
      await this.fs.remove(futurePath).catch((e: unknown) => this.opts.logger(`${key}: removing ${futurePath}: ${String(e)}`));
    };
    this.opts.logger(`${key}: moving from ${sourceDir} to ${targetDir}`);
    try {
      await copy.catchUp();
    } catch (e) {
      await discardCopy();
      if (e instanceof MoveCancelledError) {
        this.opts.logger(`${key}: move to ${targetDir} cancelled`);
        return false;
      }
      throw e;
    }
    if (move.cancelled || this.logs.get(key) !== opened) {
      await discardCopy();
      return false;
    }
    move.switching = true;
    let moved = false;
    // No await between closing the source to appends and handing out the log that replaces it.
    const next = (async (): Promise<PartitionLog> => {
      const closing = source.closeForMove();
      const deletePath = `${sourceDir}/${key}.${id}${DELETED_SUFFIX}`;
      let committed = false;
      try {
        await closing;
        await copy.finish();
        if (this.opts.fsyncEnabled) await this.fs.syncDir(targetDir);
        // The commit point: from here a restart completes the move (see the top of this file).
        await this.fs.rename(`${sourceDir}/${key}`, deletePath);
        committed = true;
        await this.fs.syncDir(sourceDir);
        await this.fs.rename(futurePath, `${targetDir}/${key}`);
        await this.fs.syncDir(targetDir);
        this.placement.set(key, targetDir);
        const log = await PartitionLog.open(`${targetDir}/${key}`, key, this.logConfig(source.config), { fs: this.fs, flusher: this.flusher, log: this.opts.logger });
        moved = true;
        this.retire(source, deletePath);
        return log;
      } catch (e) {
        this.opts.logger(`${key}: moving to ${targetDir} failed, staying in ${sourceDir}: ${e instanceof Error ? e.message : String(e)}`);
        await closing.catch(() => undefined);
        await copy.close();
        if (committed) {
          // Put the old directory back before the copy is discarded.
          if (await this.fs.exists(`${targetDir}/${key}`)) await this.fs.rename(`${targetDir}/${key}`, futurePath);
          await this.fs.rename(deletePath, `${sourceDir}/${key}`);
          await this.fs.syncDir(sourceDir);
          this.placement.set(key, sourceDir);
        }
        await this.fs.remove(futurePath).catch(() => undefined);
        await source.releaseAfterMove();
        return PartitionLog.open(`${sourceDir}/${key}`, key, source.config, { fs: this.fs, flusher: this.flusher, log: this.opts.logger });
      }
    })();
    this.logs.set(key, next);
    next.catch(() => {
      if (this.logs.get(key) === next) this.logs.delete(key);
    });
    const pausedAt = Date.now();
    onSwitch(next);
    await next.catch(() => undefined);
    if (moved) this.opts.logger(`${key}: moved from ${sourceDir} to ${targetDir} (appends waited ${Date.now() - pausedAt} ms)`);
    return moved;
  }

  /** Closes a moved log's old files and removes its directory once reads in progress are done. */
  private retire(log: PartitionLog, path: string): void {
    const run = async (): Promise<void> => {
      await log.releaseAfterMove();
      await this.fs.remove(path).catch((e: unknown) => this.opts.logger(`removing ${path}: ${String(e)}`));
    };
    const entry = {
      timer: setTimeout(() => void run().finally(() => this.retired.delete(entry)), Math.min(log.config.fileDeleteDelayMs, 0x7fffffff)),
      run,
    };
    entry.timer.unref();
    this.retired.add(entry);
  }

  /**
   * Closes every partition log of `topic` and moves its directories aside (renamed
   * `<dir>.<n>-delete`, as Kafka does), so a topic re-created with the same name starts empty at
   * once; the renamed directories are removed in the background. Moves of its partitions are
   * cancelled (or, past their last step, finished) first.
   */
  deleteTopic(topic: string): Promise<void> {
    const previous = this.deleting.get(topic) ?? Promise.resolve();
    const done = previous.then(async () => {
      for (const key of [...this.moves.keys()]) if (parsePartitionDir(key)?.topic === topic) await this.cancelMove(key);
      const closing: Array<Promise<void>> = [];
      for (const [key, log] of [...this.logs]) {
        if (parsePartitionDir(key)?.topic !== topic) continue;
        this.logs.delete(key);
        closing.push(log.then((l) => l.abandon()).catch(() => undefined));
      }
      await Promise.all(closing);
      const moved: string[] = [];
      const dirs = new Set<string>();
      for (const d of await this.partitionDirs()) {
        if (d.topic !== topic) continue;
        const aside = `${d.logDir}/${deletedDirName(d.topic, d.partition, this.deletions++)}`;
        await this.fs.rename(`${d.logDir}/${d.dir}`, aside);
        this.placement.delete(d.dir);
        moved.push(aside);
        dirs.add(d.logDir);
      }
      for (const d of dirs) await this.fs.syncDir(d);
      void Promise.all(moved.map((p) => this.fs.remove(p))).catch((e: unknown) => this.opts.logger(`removing deleted partitions of ${topic}: ${String(e)}`));
    });
    this.deleting.set(topic, done);
    // The caller sees a failure through `done`; this bookkeeping chain must not become an
    // unhandled rejection, which would end the process.
    void done
      .finally(() => {
        if (this.deleting.get(topic) === done) this.deleting.delete(topic);
      })
      .catch(() => undefined);
    return done;
  }

  async closeAll(): Promise<void> {
    for (const key of [...this.moves.keys()]) await this.cancelMove(key);
    for (const r of this.retired) {
      clearTimeout(r.timer);
      await r.run();
    }
    this.retired.clear();
    const logs = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(logs.map(async (l) => (await l.catch(() => null))?.close()));
  }
}
