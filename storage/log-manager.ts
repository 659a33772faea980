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
      log = this.openLog(key, topicId, config);
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
    await this.fs.mkdirp(dir);
    if (recorded !== topicId) {
      await this.fs.syncDir(this.dataDir);
      await this.fs.writeFileAtomic(`${dir}/${PARTITION_METADATA}`, Buffer.from(`version: 0\ntopic_id: ${topicId}\n`), config.fsyncEnabled);
    }
    return PartitionLog.open(dir, key, { ...config, fsyncEnabled: config.fsyncEnabled && this.opts.fsyncEnabled }, {
      fs: this.fs,
      flusher: this.flusher,
      log: this.opts.logger,
    });
  }

  /** Removes a partition directory that no open log uses. */
  async removeDir(dir: string): Promise<void> {
    if (this.logs.has(dir)) throw new Error(`${dir} is in use`);
    await this.fs.remove(`${this.dataDir}/${dir}`);
  }

  /** Closes and removes every partition log of `topic`, open or not. */
  async deleteTopic(topic: string): Promise<void> {
    for (const [key, log] of [...this.logs]) {
      if (parsePartitionDir(key)?.topic !== topic) continue;
      this.logs.delete(key);
      await (await log.catch(() => null))?.abandon();
    }
    for (const d of await this.partitionDirs()) if (d.topic === topic) await this.fs.remove(`${this.dataDir}/${d.dir}`);
  }

  async closeAll(): Promise<void> {
    const logs = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(logs.map(async (l) => (await l.catch(() => null))?.close()));
  }
}
