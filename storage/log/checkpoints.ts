/**
 * The small state files of a partition directory, each replaced atomically (temp file, fsync,
 * rename, fsync of the directory) so a crash leaves either the old or the new version.
 *
 * `offsets.checkpoint` (text, one `name value` pair per line after a version line):
 *
 *     0
 *     log-start-offset 120
 *     recovery-point 4711
 *     high-watermark 4711
 *     cleaner-offset 3000
 *
 *   log-start-offset  first readable offset (DeleteRecords, retention)
 *   recovery-point    every batch below it was fsynced and its segment sealed; recovery after an
 *                     unclean stop re-validates only what lies at or above it
 *   high-watermark    the committed end at the last checkpoint; a log that recovers shorter than it
 *                     lost acknowledged data, which is logged loudly
 *   cleaner-offset    first offset the compactor has not cleaned yet (compacted topics)
 *
 * `leader-epoch-checkpoint` (Kafka's format): `0`, the entry count, then `<epoch> <start offset>`
 * per line.
 */
import type { FileSystem } from '../fs/file-system.js';

export const OFFSETS_CHECKPOINT = 'offsets.checkpoint';
export const EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';

export interface OffsetCheckpoint {
  logStartOffset: number;
  recoveryPoint: number;
  highWatermark: number;
  cleanerOffset: number;
}

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

const KEYS: ReadonlyArray<[keyof OffsetCheckpoint, string]> = [
  ['logStartOffset', 'log-start-offset'],
  ['recoveryPoint', 'recovery-point'],
  ['highWatermark', 'high-watermark'],
  ['cleanerOffset', 'cleaner-offset'],
];

export function emptyCheckpoint(): OffsetCheckpoint {
  return { logStartOffset: 0, recoveryPoint: 0, highWatermark: 0, cleanerOffset: 0 };
}

export function formatOffsetCheckpoint(c: OffsetCheckpoint): Buffer {
  return Buffer.from(`0\n${KEYS.map(([k, name]) => `${name} ${c[k]}\n`).join('')}`);
}

/** Parses an offsets checkpoint; null when it is missing or unreadable (then nothing is trusted). */
export function parseOffsetCheckpoint(data: Buffer | null): OffsetCheckpoint | null {
  if (data === null) return null;
  const lines = data.toString('utf8').split('\n');
  if (lines[0] !== '0') return null;
  const out = emptyCheckpoint();
  const seen = new Set<string>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const [name, value] = line.split(' ');
    const entry = KEYS.find(([, n]) => n === name);
    const n = Number(value);
    if (entry === undefined || !Number.isSafeInteger(n) || n < 0) return null;
    out[entry[0]] = n;
    seen.add(entry[0]);
  }
  return seen.size === KEYS.length ? out : null;
}

export function formatEpochCheckpoint(entries: readonly EpochEntry[]): Buffer {
  return Buffer.from(`0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join('')}`);
}

/** Parses a leader-epoch checkpoint; entries that do not parse end the list. */
export function parseEpochCheckpoint(data: Buffer | null): EpochEntry[] {
  if (data === null) return [];
  const lines = data.toString('utf8').split('\n');
  if (lines[0] !== '0') return [];
  const count = Number(lines[1]);
  const out: EpochEntry[] = [];
  for (let i = 0; i < count; i++) {
    const [epoch, start] = (lines[i + 2] ?? '').split(' ').map(Number);
    if (!Number.isInteger(epoch) || !Number.isInteger(start)) break;
    out.push({ epoch: epoch!, startOffset: start! });
  }
  return out;
}

/**
 * Writes checkpoint files one at a time per file name: concurrent atomic writes of one file would
 * share its temp file.
 */
export class CheckpointWriter {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly fs: FileSystem,
    private readonly sync: () => boolean,
  ) {}

  write(path: string, data: Buffer): Promise<void> {
    const prev = this.chains.get(path) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.fs.writeFileAtomic(path, data, this.sync()));
    this.chains.set(path, next);
    void next.finally(() => {
      if (this.chains.get(path) === next) this.chains.delete(path);
    }).catch(() => undefined);
    return next;
  }

  /** Resolves once every write started so far has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()].map((p) => p.catch(() => undefined)));
  }
}
