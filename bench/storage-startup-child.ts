/**
 * Child process of `make bench-storage` (see storage.ts): a fresh Node process that opens a
 * LogManager on `<dataDir>`, opens every partition log of `<topic>` (getOrCreate for each, all at
 * once), reads the first 1 MiB of each partition, closes them all, and prints one JSON line with
 * the timings and memory. Run with --expose-gc so the RSS is measured after a full collection.
 *
 *   node --expose-gc dist/bench/storage-startup-child.js <dataDir> <fsync 0|1> <partitions> <topic> <topicId>
 */
import { performance } from 'node:perf_hooks';
import { LogManager } from '../storage/log-manager.js';
import { DEFAULT_LOG_CONFIG } from '../storage/log/log-config.js';
import type { PartitionLog } from '../storage/log/partition-log.js';

export interface StartupChildResult {
  /** performance.now() when the bench code started running (node boot + module loading). */
  bootMs: number;
  /** LogManager.open + getOrCreate for every partition, all awaited. */
  openMs: number;
  /** Sequential first read (1 MiB from the log start) of every partition. */
  firstReadTotalMs: number;
  firstReadP50Ms: number;
  firstReadP99Ms: number;
  firstReadBytes: number;
  closeMs: number;
  rssAfterOpen: number;
  heapUsedAfterOpen: number;
  rssAfterReads: number;
  heapUsedAfterReads: number;
  externalAfterReads: number;
  logMessages: number;
  firstLogMessage: string | null;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with --expose-gc');
  g();
  g();
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

async function main(): Promise<void> {
  const [dataDir, fsyncArg, partitionsArg, topic, topicId] = process.argv.slice(2);
  if (dataDir === undefined || topicId === undefined || topic === undefined) throw new Error('usage: <dataDir> <fsync 0|1> <partitions> <topic> <topicId>');
  const fsyncEnabled = fsyncArg === '1';
  const partitions = Number(partitionsArg);
  const messages: string[] = [];
  const config = { ...DEFAULT_LOG_CONFIG, fsyncEnabled };

  const bootMs = performance.now();
  const t0 = performance.now();
  const manager = await LogManager.open(dataDir, { fsyncEnabled, logger: (m) => messages.push(m) });
  const logs: PartitionLog[] = await Promise.all(Array.from({ length: partitions }, (_, p) => manager.getOrCreate(topic, p, topicId, config)));
  const openMs = performance.now() - t0;
  gc();
  const afterOpen = process.memoryUsage();

  const lat: number[] = [];
  let bytes = 0;
  const r0 = performance.now();
  for (const log of logs) {
    const t = performance.now();
    const r = await log.read(log.logStartOffset, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
    lat.push(performance.now() - t);
    for (const b of r.records) bytes += b.length;
  }
  const firstReadTotalMs = performance.now() - r0;
  gc();
  const afterReads = process.memoryUsage();

  const c0 = performance.now();
  await manager.closeAll();
  const closeMs = performance.now() - c0;

  const result: StartupChildResult = {
    bootMs,
    openMs,
    firstReadTotalMs,
    firstReadP50Ms: pct(lat, 0.5),
    firstReadP99Ms: pct(lat, 0.99),
    firstReadBytes: bytes,
    closeMs,
    rssAfterOpen: afterOpen.rss,
    heapUsedAfterOpen: afterOpen.heapUsed,
    rssAfterReads: afterReads.rss,
    heapUsedAfterReads: afterReads.heapUsed,
    externalAfterReads: afterReads.external,
    logMessages: messages.length,
    firstLogMessage: messages[0] ?? null,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
