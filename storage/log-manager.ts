/**
 * All partition logs of one data directory (Kafka's LogManager). Each partition lives in
 * `<dataDir>/<topic>-<partition>`; the topic id recorded in its `partition.metadata` tells a
 * directory left by a deleted topic from the live topic of the same name. Logs open on first use;
 * a single Flusher groups the fsyncs of all of them.
 */
import { NodeFileSystem, type FileSystem } from './fs/file-system.js';
import { Flusher } from './log/flusher.js';
import type { LogConfig } from './log/log-config.js';
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

/** Splits `<topic>-<partition>` at the last '-' (topic names may contain '-'). */
export function parsePartitionDir(name: string): { topic: string; partition: number } | null {
  const i = name.lastIndexOf('-');
  if (i <= 0) return null;
  const partition = Number(name.slice(i + 1));
  if (!Number.isInteger(partition) || partition < 0 || String(partition) !== name.slice(i + 1)) return null;
  return { topic: name.slice(0, i), partition };
}

export class LogManager {
  private readonly logs = new Map<string, Promise<PartitionLog>>();
  /** Topics whose directories are being moved aside: their new logs open after that. */
  private readonly deleting = new Map<string, Promise<void>>();
  private deletions = 0;
  readonly flusher: Flusher;

  private constructor(
    readonly dataDir: string,
    readonly fs: FileSystem,
    private readonly opts: LogManagerOptions,
  ) {
    this.flusher = new Flusher(opts.fsyncEnabled);
  }

  static async open(dataDir: string, opts: LogManagerOptions): Promise<LogManager> {
    const fs = opts.fs ?? new NodeFileSystem();
    await fs.mkdirp(dataDir);
    // Directories of deleted topics whose removal a stop interrupted.
    for (const name of await fs.readdir(dataDir)) if (name.endsWith(DELETED_SUFFIX)) await fs.remove(`${dataDir}/${name}`);
    return new LogManager(dataDir, fs, opts);
  }

  /** Partition directories on disk (for removing those of topics deleted while the broker was down). */
  async partitionDirs(): Promise<Array<{ dir: string; topic: string; partition: number }>> {
    const out: Array<{ dir: string; topic: string; partition: number }> = [];
    for (const name of await this.fs.readdir(this.dataDir)) {
      if (name.startsWith('__cluster_metadata')) continue;
      const parsed = parsePartitionDir(name);
      if (parsed !== null) out.push({ dir: name, ...parsed });
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
      log.catch(() => this.logs.delete(key));
    }
    return log;
  }

  private async openLog(key: string, topicId: string, config: LogConfig): Promise<PartitionLog> {
    const dir = `${this.dataDir}/${key}`;
    const meta = await this.fs.readFile(`${dir}/${PARTITION_METADATA}`);
    const recorded = meta === null ? null : /topic_id: *(\S+)/.exec(meta.toString('utf8'))?.[1];
    if (recorded !== null && recorded !== undefined && recorded !== topicId) {
      this.opts.logger(`${key}: directory belongs to an earlier topic ${recorded}; removing it`);
      await this.fs.remove(dir);
    }
    const logConfig = { ...config, fsyncEnabled: config.fsyncEnabled && this.opts.fsyncEnabled };
    // Opening creates the directory.
    const log = await PartitionLog.open(dir, key, logConfig, { fs: this.fs, flusher: this.flusher, log: this.opts.logger });
    if (recorded !== topicId) {
      try {
        await this.fs.writeFileAtomic(`${dir}/${PARTITION_METADATA}`, Buffer.from(`version: 0\ntopic_id: ${topicId}\n`), logConfig.fsyncEnabled);
        await this.fs.syncDir(this.dataDir);
      } catch (e) {
        // The log is usable without it (a directory without one is taken as the live topic's);
        // the next open writes it. A full disk must not make the partition unreadable.
        this.opts.logger(`${key}: writing ${PARTITION_METADATA} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return log;
  }

  /** Removes a partition directory that no open log uses. */
  async removeDir(dir: string): Promise<void> {
    if (this.logs.has(dir)) throw new Error(`${dir} is in use`);
    await this.fs.remove(`${this.dataDir}/${dir}`);
  }

  /**
   * Closes every partition log of `topic` and moves its directories aside (renamed
   * `<dir>.<n>-delete`, as Kafka does), so a topic re-created with the same name starts empty at
   * once; the renamed directories are removed in the background.
   */
  deleteTopic(topic: string): Promise<void> {
    const previous = this.deleting.get(topic) ?? Promise.resolve();
    const done = previous.then(async () => {
      const closing: Array<Promise<void>> = [];
      for (const [key, log] of [...this.logs]) {
        if (parsePartitionDir(key)?.topic !== topic) continue;
        this.logs.delete(key);
        closing.push(log.then((l) => l.abandon()).catch(() => undefined));
      }
      await Promise.all(closing);
      const moved: string[] = [];
      for (const d of await this.partitionDirs()) {
        if (d.topic !== topic) continue;
        const aside = `${this.dataDir}/${deletedDirName(d.topic, d.partition, this.deletions++)}`;
        await this.fs.rename(`${this.dataDir}/${d.dir}`, aside);
        moved.push(aside);
      }
      if (moved.length > 0) await this.fs.syncDir(this.dataDir);
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
    const logs = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(logs.map(async (l) => (await l.catch(() => null))?.close()));
  }
}
