/**
 * A PartitionLog of one partition on the in-memory file system, with small segments and a dense
 * index so a few batches roll and index them, and the log's messages collected for assertions.
 */
import { MemoryFileSystem } from '../../fs/memory-file-system.js';
import { Flusher } from '../../log/flusher.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../log/log-config.js';
import { PartitionLog } from '../../log/partition-log.js';

export const DIR = '/data/topic-0';

function config(over: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, segmentBytes: 4096, indexIntervalBytes: 256, ...over };
}

export interface Env {
  fs: MemoryFileSystem;
  messages: string[];
  open(over?: Partial<LogConfig>): Promise<PartitionLog>;
}

export function env(): Env {
  const fs = new MemoryFileSystem();
  const messages: string[] = [];
  return {
    fs,
    messages,
    open: (over = {}) => PartitionLog.open(DIR, 'topic-0', config(over), { fs, flusher: new Flusher(true), log: (m) => messages.push(m) }),
  };
}
