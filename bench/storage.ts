/**
 * `make bench-storage`: the storage engine measured directly (no network), on the real
 * NodeFileSystem in a temporary directory under os.tmpdir() that is removed afterwards. Medians of
 * several runs; MB is 2^20 bytes of record batches.
 *
 *   1. append, fsync off: 16 KiB batches of 1 KiB records over 4 partitions, every append of a
 *      run issued at once (copies of the batch made before timing), `written` awaited at the end;
 *   2. append with acks=all group commit: fsync on, requireDurable, 64 appends in flight over 4
 *      partitions sharing one Flusher, each waiting for `durable`;
 *   3. append with one fsync per batch: one append at a time, `durable` awaited before the next;
 *   4. fetch from a cold start: a log of SAMSA_BENCH_FETCH_MB (512) MB written, closed, page cache
 *      dropped (root only), reopened and read sequentially 1 MiB at a time;
 *   5. start-up: 1,000 partitions holding SAMSA_BENCH_STARTUP_GB (5) GB, opened by a fresh child
 *      process (storage-startup-child.ts) through the LogManager; open time, first read of each
 *      partition, resident memory after a forced GC.
 *
 * Env: SAMSA_BENCH_FETCH_MB, SAMSA_BENCH_STARTUP_GB, SAMSA_BENCH_APPEND_MB (bytes per run of row 1,
 * default 256), SAMSA_BENCH_KEEP=1 keeps the temporary directory.
 */
import { execSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildBatch, CompressionType, LOG_OVERHEAD, scanBatches, type BatchInfo } from '../protocol/records/index.js';
import { NodeFileSystem, type FileSystem, type StorageFile } from '../storage/fs/file-system.js';
import { LogManager } from '../storage/log-manager.js';
import { Flusher } from '../storage/log/flusher.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../storage/log/log-config.js';
import { PartitionLog, type AppendOutcome } from '../storage/log/partition-log.js';
import type { BenchRow } from './protocol.js';
import type { StartupChildResult } from './storage-startup-child.js';

const RUNS = 5;
const MB = 1 << 20;
const GB = 1 << 30;
const PARTITIONS = 4;
const IN_FLIGHT = 64;
const TIMED_RUN_MS = 1500;
const STARTUP_PARTITIONS = 1000;
const STARTUP_RUNS = 3;
const STARTUP_TOPIC = 'bench-startup';
/** A fixed topic id: 22 base64url characters, as the controller assigns. */
const TOPIC_ID = 'U2Ftc2FCZW5jaFRvcGljMQ';

const envNumber = (name: string, dflt: number): number => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number`);
  return n;
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

v8.setFlagsFromString('--expose-gc');
const forceGc = vm.runInNewContext('gc') as () => void;

/** Process CPU (user + system) since `from`, as % of one core over `ms`. */
const cpuPct = (from: NodeJS.CpuUsage, ms: number): number => {
  const u = process.cpuUsage(from);
  return ((u.user + u.system) / 1000 / ms) * 100;
};

const mib = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
const notes: string[] = [];
/** V8 heap a reopened log holds per MB of its (active) segment, measured in row 4. */
let indexHeapKbPerMb = NaN;
const say = (msg: string): void => console.log(`# ${msg}`);

/** The real NodeFileSystem, counting fdatasync calls on segment files (not the atomic state-file writes). */
class CountingFileSystem extends NodeFileSystem {
  datasyncs = 0;
  override async openFile(path: string): Promise<StorageFile> {
    const f = await super.openFile(path);
    const datasync = f.datasync.bind(f);
    f.datasync = () => {
      this.datasyncs++;
      return datasync();
    };
    return f;
  }
}

/** 16 KiB batch of 16 records of 1 KiB (1,000-byte value + 14-byte key + record framing). */
function makeBatchTemplate(): { buf: Buffer; infos: BatchInfo[]; records: number } {
  const records = [];
  const now = Date.now();
  for (let i = 0; i < 16; i++) {
    const value = Buffer.allocUnsafe(1000);
    for (let j = 0; j < value.length; j++) value[j] = (i * 31 + j * 7) & 0xff;
    records.push({ key: Buffer.from(`key-${String(i).padStart(10, '0')}`), value, timestamp: now + i });
  }
  const buf = buildBatch({ baseOffset: 0, records, compression: CompressionType.None });
  return { buf, infos: scanBatches(buf), records: 16 };
}

/** `n` batches back to back in one buffer (a big sequential append), with their infos. */
function makeChunk(batch: Buffer, n: number): { buf: Buffer; infos: BatchInfo[] } {
  const buf = Buffer.concat(Array.from({ length: n }, () => batch));
  return { buf, infos: scanBatches(buf) };
}

function mustAppend(out: AppendOutcome): { written: Promise<void>; durable: Promise<void> } {
  if (out.kind === 'error') throw new Error(`append failed: ${out.errorCode} ${out.errorMessage ?? ''}`);
  if (out.kind === 'duplicate') throw new Error('append reported a duplicate');
  return out;
}

function logConfig(fsyncEnabled: boolean): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, fsyncEnabled };
}

function dropCaches(): boolean {
  try {
    execSync('sync; echo 3 > /proc/sys/vm/drop_caches', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function sh(cmd: string): string {
  try {
    return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

/** Next offset after the last whole batch in `buf`. */
function nextOffsetAfter(buf: Buffer): number {
  let pos = 0;
  let next = -1;
  while (pos + 27 <= buf.length) {
    next = Number(buf.readBigInt64BE(pos)) + buf.readInt32BE(pos + 23) + 1;
    pos += buf.readInt32BE(pos + 8) + LOG_OVERHEAD;
  }
  return next;
}

// ---- rows -----------------------------------------------------------------------------------

async function openLogs(root: string, label: string, n: number, fsyncEnabled: boolean, fs: FileSystem, flusher: Flusher): Promise<PartitionLog[]> {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      PartitionLog.open(join(root, `${label}-${i}`), `${label}-${i}`, logConfig(fsyncEnabled), { fs, flusher, log: (m) => say(`log: ${m}`) }),
    ),
  );
}

/** Plain node fs: pwrite of `batch` at the end of a fresh file + fdatasync, for `ms`; syncs per second. */
async function rawFsync(root: string, batch: Buffer, ms: number): Promise<number> {
  const path = join(root, 'raw-fsync');
  const fh = await open(path, 'w');
  let n = 0;
  let pos = 0;
  const t0 = performance.now();
  while (performance.now() < t0 + ms) {
    await fh.write(batch, 0, batch.length, pos);
    await fh.datasync();
    n++;
    pos += batch.length;
  }
  const secs = (performance.now() - t0) / 1000;
  await fh.close();
  rmSync(path);
  return n / secs;
}

async function appendNoFsync(root: string, tpl: { buf: Buffer; infos: BatchInfo[]; records: number }): Promise<BenchRow[]> {
  const runBytes = envNumber('SAMSA_BENCH_APPEND_MB', 256) * MB;
  const count = Math.ceil(runBytes / tpl.buf.length);
  const bytes = count * tpl.buf.length;
  const big = Buffer.alloc(8 * MB, 0x5a);
  const rates: number[] = [];
  const cpu: number[] = [];
  const raw: number[] = [];
  // Run 0 is a discarded warm-up. Every run writes fresh files and deletes them afterwards, so the
  // runs reuse the same page-cache memory (on this VM, page cache in never-touched memory is far
  // slower); the Samsa and plain-fs runs alternate so both see the same conditions.
  for (let run = 0; run <= RUNS; run++) {
    const dir = join(root, `nosync-run${run}`);
    const logs = await openLogs(dir, 'nosync', PARTITIONS, false, new NodeFileSystem(), new Flusher(false));
    const copies = Array.from({ length: count }, () => Buffer.from(tpl.buf)); // not timed
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const written: Promise<void>[] = [];
    for (let i = 0; i < count; i++) written.push(mustAppend(logs[i % PARTITIONS]!.append(copies[i]!, tpl.infos, { leaderEpoch: 0, requireDurable: false })).written);
    await Promise.all(written);
    const ms = performance.now() - t0;
    const c = cpuPct(c0, ms);
    for (const l of logs) await l.close();
    rmSync(dir, { recursive: true, force: true });

    // The same bytes with plain node fs: 4 files, 8 MiB positional writes, no Samsa.
    const fhs = await Promise.all(Array.from({ length: PARTITIONS }, (_, i) => open(join(root, `raw-write-${i}`), 'w')));
    const r0 = performance.now();
    await Promise.all(
      fhs.map(async (fh) => {
        for (let pos = 0; pos < bytes / PARTITIONS; pos += big.length) await fh.write(big, 0, big.length, pos);
      }),
    );
    const rawMs = performance.now() - r0;
    for (const fh of fhs) await fh.close();
    for (let i = 0; i < PARTITIONS; i++) rmSync(join(root, `raw-write-${i}`));
    if (run === 0) continue;
    rates.push(bytes / MB / (ms / 1000));
    cpu.push(c);
    raw.push((Math.ceil(bytes / PARTITIONS / big.length) * big.length * PARTITIONS) / MB / (rawMs / 1000));
  }
  const mbs = median(rates);
  notes.push(
    `row 1: ${RUNS} runs (+1 warm-up) of ${count} appends (${mib(bytes)}) over ${PARTITIONS} fresh partition logs, all issued before the first write completes; ` +
      `batch copies made before timing. Writes land in the page cache (no fsync). Spread of runs: ${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)} MB/s (Samsa), ${Math.min(...raw).toFixed(0)}-${Math.max(...raw).toFixed(0)} MB/s (plain fs).`,
  );
  return [
    { name: `1. append, fsync off (${PARTITIONS} partitions, all in flight)`, value: mbs, unit: 'MB/s' },
    { name: '   the same as records', value: (mbs * MB * tpl.records) / tpl.buf.length, unit: 'records/s' },
    { name: '   process CPU (user+sys) during the run', value: median(cpu), unit: '% of a core' },
    { name: '   baseline: same bytes, 4 files, node fs 8 MiB writes', value: median(raw), unit: 'MB/s' },
  ];
}

async function appendGroupCommit(root: string, tpl: { buf: Buffer; infos: BatchInfo[]; records: number }): Promise<BenchRow[]> {
  const fs = new CountingFileSystem();
  const flusher = new Flusher(true);
  const logs = await openLogs(root, 'acksall', PARTITIONS, true, fs, flusher);
  const rates: number[] = [];
  const roundsPerSec: number[] = [];
  const syncsPerSec: number[] = [];
  const perRound: number[] = [];
  const lat: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let appends = 0;
    const rounds0 = flusher.rounds;
    const syncs0 = fs.datasyncs;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + TIMED_RUN_MS;
    const worker = async (w: number): Promise<void> => {
      const log = logs[w % PARTITIONS]!;
      // Reused only after `durable`: by then the write is done, and append rewrites just the base offset.
      const buf = Buffer.from(tpl.buf);
      while (performance.now() < deadline) {
        const t = performance.now();
        await mustAppend(log.append(buf, tpl.infos, { leaderEpoch: 0, requireDurable: true })).durable;
        lat.push(performance.now() - t);
        appends++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
    const secs = (performance.now() - t0) / 1000;
    cpu.push(cpuPct(c0, secs * 1000));
    const rounds = flusher.rounds - rounds0;
    rates.push((appends * tpl.buf.length) / MB / secs);
    roundsPerSec.push(rounds / secs);
    syncsPerSec.push((fs.datasyncs - syncs0) / secs);
    perRound.push(appends / rounds);
  }
  for (const l of logs) await l.close();
  const mbs = median(rates);
  notes.push(`row 2: ${RUNS} runs of ${TIMED_RUN_MS} ms; ${IN_FLIGHT} concurrent producers (16 per partition), each appending and awaiting \`durable\`; fdatasyncs counted by a thin wrapper around NodeFileSystem.`);
  return [
    { name: `2. append acks=all group commit (${IN_FLIGHT} in flight, ${PARTITIONS} parts)`, value: mbs, unit: 'MB/s' },
    { name: '   the same as records', value: (mbs * MB * tpl.records) / tpl.buf.length, unit: 'records/s' },
    { name: '   Flusher rounds', value: median(roundsPerSec), unit: 'rounds/s' },
    { name: '   fdatasync calls on segment files', value: median(syncsPerSec), unit: 'fsyncs/s' },
    { name: '   appends per Flusher round', value: median(perRound), unit: 'appends' },
    { name: '   append -> durable latency, median', value: median(lat), unit: 'ms' },
    { name: '   process CPU (user+sys) during the run', value: median(cpu), unit: '% of a core' },
  ];
}

async function appendFsyncEach(root: string, tpl: { buf: Buffer; infos: BatchInfo[]; records: number }): Promise<BenchRow[]> {
  const flusher = new Flusher(true);
  const [log] = await openLogs(root, 'syncEach', 1, true, new NodeFileSystem(), flusher);
  const rates: number[] = [];
  const perSec: number[] = [];
  const buf = Buffer.from(tpl.buf);
  const cpu: number[] = [];
  const raw: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // Alternating with a plain-fs run, so both see the same (noisy, on this VM) disk.
    raw.push(await rawFsync(root, tpl.buf, 1000));
    let appends = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + TIMED_RUN_MS;
    while (performance.now() < deadline) {
      await mustAppend(log!.append(buf, tpl.infos, { leaderEpoch: 0, requireDurable: true })).durable;
      appends++;
    }
    const secs = (performance.now() - t0) / 1000;
    cpu.push(cpuPct(c0, secs * 1000));
    rates.push((appends * tpl.buf.length) / MB / secs);
    perSec.push(appends / secs);
  }
  await log!.close();
  return [
    { name: '3. append, one at a time, fsync each (1 partition)', value: median(rates), unit: 'MB/s' },
    { name: '   the same as appends (= fsyncs)', value: median(perSec), unit: 'appends/s' },
    { name: '   baseline: node fs pwrite 16 KiB + fdatasync, no Samsa', value: median(raw), unit: 'syncs/s' },
    { name: '   process CPU (user+sys) during the run', value: median(cpu), unit: '% of a core' },
  ];
}

async function fetchCold(root: string, chunk: { buf: Buffer; infos: BatchInfo[] }, recordsPerByte: number): Promise<BenchRow[]> {
  const totalMb = envNumber('SAMSA_BENCH_FETCH_MB', 512);
  const chunks = Math.max(1, Math.round((totalMb * MB) / chunk.buf.length));
  const dir = join(root, 'fetch-0');
  const deps = { fs: new NodeFileSystem(), flusher: new Flusher(false), log: (m: string) => say(`log: ${m}`) };
  let log: PartitionLog | null = await PartitionLog.open(dir, 'fetch-0', logConfig(false), deps);
  const w0 = performance.now();
  for (let i = 0; i < chunks; i += 16) {
    const written: Promise<void>[] = [];
    for (let j = i; j < Math.min(chunks, i + 16); j++) written.push(mustAppend(log!.append(Buffer.from(chunk.buf), chunk.infos, { leaderEpoch: 0, requireDurable: false })).written);
    await Promise.all(written);
  }
  await log.close();
  log = null;
  const total = chunks * chunk.buf.length;
  say(`fetch log: wrote ${mib(total)} in ${((performance.now() - w0) / 1000).toFixed(1)} s (fsync off)`);

  const run = async (cold: boolean): Promise<{ mbs: number; openMs: number; wasCold: boolean; heapKb: number }> => {
    const wasCold = cold && dropCaches();
    forceGc();
    const heap0 = process.memoryUsage().heapUsed;
    const o0 = performance.now();
    const opened = await PartitionLog.open(dir, 'fetch-0', logConfig(false), deps);
    const openMs = performance.now() - o0;
    forceGc();
    const heapKb = (process.memoryUsage().heapUsed - heap0) / 1024;
    log = opened;
    const end = log.highWatermark;
    let offset = log.logStartOffset;
    let bytes = 0;
    const t0 = performance.now();
    while (offset < end) {
      const r = await log.read(offset, MB, { minOneBatch: true, upperBound: end });
      const buf = r.records[0];
      if (buf === undefined) throw new Error(`read at ${offset} returned nothing (end ${end})`);
      bytes += buf.length;
      offset = nextOffsetAfter(buf);
    }
    const secs = (performance.now() - t0) / 1000;
    await log.close();
    log = null;
    if (bytes !== total) throw new Error(`read ${bytes} bytes, wrote ${total}`);
    return { mbs: bytes / MB / secs, openMs, wasCold, heapKb };
  };
  // The same file read with plain node fs, 1 MiB preads, cold, for comparison.
  const rawRead = async (): Promise<number> => {
    dropCaches();
    const fh = await open(join(dir, '00000000000000000000.log'), 'r');
    const buf = Buffer.allocUnsafe(MB);
    let pos = 0;
    const t0 = performance.now();
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, MB, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
    }
    const secs = (performance.now() - t0) / 1000;
    await fh.close();
    return pos / MB / secs;
  };
  // Cold Samsa and plain-fs runs alternate: cold reads on this VM vary a lot from run to run.
  const coldRuns: Array<{ mbs: number; openMs: number; wasCold: boolean; heapKb: number }> = [];
  const rawRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    coldRuns.push(await run(true));
    rawRuns.push(await rawRead());
  }
  const warmRuns: Array<{ mbs: number; openMs: number; wasCold: boolean; heapKb: number }> = [];
  for (let i = 0; i < 3; i++) warmRuns.push(await run(false));
  const cold = coldRuns.every((r) => r.wasCold);
  notes.push(
    cold
      ? `row 4: page cache dropped before each of the 3 cold runs (sync; echo 3 > /proc/sys/vm/drop_caches): the reads hit the disk. Spread: ${Math.min(...coldRuns.map((r) => r.mbs)).toFixed(0)}-${Math.max(...coldRuns.map((r) => r.mbs)).toFixed(0)} MB/s (Samsa), ${Math.min(...rawRuns).toFixed(0)}-${Math.max(...rawRuns).toFixed(0)} MB/s (plain fs).`
      : `row 4: could NOT drop the page cache (not root?): the "cold" reads were served from memory, not the disk.`,
  );
  indexHeapKbPerMb = median(coldRuns.map((r) => r.heapKb)) / (total / MB);
  const coldMbs = median(coldRuns.map((r) => r.mbs));
  const warmMbs = median(warmRuns.map((r) => r.mbs));
  return [
    { name: `4. fetch ${mib(total)} sequentially, 1 MiB reads, ${cold ? 'cold cache' : 'NOT cold'}`, value: coldMbs, unit: 'MB/s' },
    { name: '   the same as records', value: coldMbs * MB * recordsPerByte, unit: 'records/s' },
    { name: `   reopen of the ${mib(total)} log (clean shutdown, cold)`, value: median(coldRuns.map((r) => r.openMs)), unit: 'ms' },
    { name: '   V8 heap held by the reopened log (after gc)', value: median(coldRuns.map((r) => r.heapKb)), unit: 'KB' },
    { name: `   baseline: cold read of the .log, node fs 1 MiB, no Samsa`, value: median(rawRuns), unit: 'MB/s' },
    { name: '   fetch again with a warm page cache', value: warmMbs, unit: 'MB/s' },
  ];
}

/** Generates the 1,000-partition data dir through the LogManager with the fsync-off path. */
async function generateStartupData(dataDir: string, totalBytes: number, chunk: { buf: Buffer; infos: BatchInfo[] }): Promise<number> {
  const perPartition = Math.max(1, Math.round(totalBytes / STARTUP_PARTITIONS / chunk.buf.length));
  const t0 = performance.now();
  const manager = await LogManager.open(dataDir, { fsyncEnabled: false, logger: (m) => say(`log: ${m}`) });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < STARTUP_PARTITIONS) {
      const p = next++;
      const log = await manager.getOrCreate(STARTUP_TOPIC, p, TOPIC_ID, logConfig(false));
      const written: Promise<void>[] = [];
      for (let i = 0; i < perPartition; i++) written.push(mustAppend(log.append(Buffer.from(chunk.buf), chunk.infos, { leaderEpoch: 0, requireDurable: false })).written);
      await Promise.all(written);
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
  await manager.closeAll();
  const genSecs = (performance.now() - t0) / 1000;
  const s0 = performance.now();
  execSync('sync');
  const written = perPartition * chunk.buf.length * STARTUP_PARTITIONS;
  say(
    `start-up data: ${STARTUP_PARTITIONS} partitions x ${perPartition} appends of ${mib(chunk.buf.length)} = ${(written / GB).toFixed(2)} GB ` +
      `generated in ${genSecs.toFixed(1)} s (fsync off, ${(written / MB / genSecs).toFixed(0)} MB/s incl. batch copies); sync to disk took ${((performance.now() - s0) / 1000).toFixed(1)} s`,
  );
  return written;
}

function runChild(dataDir: string, fsync: boolean): Promise<StartupChildResult & { wallMs: number }> {
  const child = fileURLToPath(new URL('./storage-startup-child.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, ['--expose-gc', child, dataDir, fsync ? '1' : '0', String(STARTUP_PARTITIONS), STARTUP_TOPIC, TOPIC_ID], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`start-up child exited with ${code}`));
      try {
        resolve({ ...(JSON.parse(out.trim().split('\n').pop()!) as StartupChildResult), wallMs: performance.now() - t0 });
      } catch (e) {
        reject(e);
      }
    });
  });
}

async function startup(root: string, startupBytes: number, chunk: { buf: Buffer; infos: BatchInfo[] }): Promise<BenchRow[]> {
  const dataDir = join(root, 'startup-data');
  const written = await generateStartupData(dataDir, startupBytes, chunk);
  const results: Array<StartupChildResult & { wallMs: number }> = [];
  let cold = true;
  for (let i = 0; i < STARTUP_RUNS; i++) {
    cold = dropCaches() && cold;
    const r = await runChild(dataDir, true);
    if (r.logMessages > 0) say(`start-up child logged ${r.logMessages} message(s), first: ${r.firstLogMessage}`);
    results.push(r);
  }
  // One more run with fsync disabled, to separate the fsyncs start-up does from the rest.
  if (!dropCaches()) cold = false;
  const nofsync = await runChild(dataDir, false);
  const m = (f: (r: StartupChildResult & { wallMs: number }) => number): number => median(results.map(f));
  const openMs = m((r) => r.openMs);
  const rss = m((r) => r.rssAfterReads) / MB;
  const rssOpen = m((r) => r.rssAfterOpen) / MB;
  const gb = (written / GB).toFixed(2);
  notes.push(
    `row 5: ${STARTUP_RUNS} child processes (fsync on, the broker default)${cold ? ', page cache dropped before each' : ', page cache NOT dropped (not root?): warm'}; ` +
      `open = LogManager.open + getOrCreate of all ${STARTUP_PARTITIONS} partitions concurrently; first reads are sequential, 1 MiB each from the log start; RSS after global.gc().`,
  );
  notes.push(
    `row 5 goal (start-up < 1 s and RSS < 150 MB with ${gb} GB): open ${openMs.toFixed(0)} ms -> ${openMs < 1000 ? 'MET' : 'NOT MET'}; ` +
      `process start to all logs open ${m((r) => r.bootMs + r.openMs).toFixed(0)} ms -> ${m((r) => r.bootMs + r.openMs) < 1000 ? 'MET' : 'NOT MET'}; ` +
      `RSS ${rssOpen.toFixed(0)} MB after open, ${rss.toFixed(0)} MB after first reads -> ${Math.max(rss, rssOpen) < 150 ? 'MET' : 'NOT MET'} (at this data size only).`,
  );
  if (Number.isFinite(indexHeapKbPerMb)) {
    notes.push(
      `row 4 -> 5: a reopened log keeps its active segment's offset/time index in the V8 heap, ${indexHeapKbPerMb.toFixed(2)} KB per MB of active segment with these 16 KiB batches; ` +
        `${STARTUP_PARTITIONS} partitions with full 1 GiB active segments (segment.bytes default) would hold ~${((indexHeapKbPerMb * 1024 * STARTUP_PARTITIONS) / 1024 / 1024).toFixed(1)} GB of heap, so RSS does grow with data size.`,
    );
  }
  return [
    { name: `5. start-up: open ${STARTUP_PARTITIONS} partitions, ${gb} GB, ${cold ? 'cold' : 'warm'}`, value: openMs, unit: 'ms' },
    { name: '   node boot + module load before that', value: m((r) => r.bootMs), unit: 'ms' },
    { name: '   the same open with fsync disabled (1 run)', value: nofsync.openMs, unit: 'ms' },
    { name: `   first read of each partition, total (sequential)`, value: m((r) => r.firstReadTotalMs), unit: 'ms' },
    { name: '   first read of one partition, median', value: m((r) => r.firstReadP50Ms), unit: 'ms' },
    { name: '   first read of one partition, p99', value: m((r) => r.firstReadP99Ms), unit: 'ms' },
    { name: '   RSS after open (after gc)', value: rssOpen, unit: 'MB' },
    { name: '   RSS after the first reads (after gc)', value: rss, unit: 'MB' },
    { name: '   V8 heap used after the first reads', value: m((r) => r.heapUsedAfterReads) / MB, unit: 'MB' },
    { name: '   closeAll of the 1,000 logs (fsync on)', value: m((r) => r.closeMs), unit: 'ms' },
    { name: '   whole child process, spawn to exit', value: m((r) => r.wallMs), unit: 'ms' },
  ];
}

function format(rows: BenchRow[]): string {
  const digits = (r: BenchRow): number => (r.unit === 'MB/s' || r.unit === 'ms' || r.unit === 'MB' || r.value < 100 ? 1 : 0);
  return rows.map((r) => `${r.name.padEnd(58)} ${r.value.toFixed(digits(r)).padStart(14)} ${r.unit}`).join('\n');
}

async function main(): Promise<void> {
  const tmp = os.tmpdir();
  const fsType = sh(`stat -f -c %T ${JSON.stringify(tmp)}`);
  const device = sh(`df -P ${JSON.stringify(tmp)} | tail -1 | awk '{print $1}'`);
  const st = statfsSync(tmp);
  const freeBytes = st.bavail * st.bsize;
  const fetchBytes = envNumber('SAMSA_BENCH_FETCH_MB', 512) * MB;
  const appendBytes = envNumber('SAMSA_BENCH_APPEND_MB', 256) * MB * RUNS + 256 * MB; // row 1 plus rows 2-3 (generous)
  let startupBytes = envNumber('SAMSA_BENCH_STARTUP_GB', 5) * GB;
  const needed = 2 * (startupBytes + fetchBytes + appendBytes);
  console.log(`storage benchmark: medians of ${RUNS} runs unless stated; MB = 2^20 bytes of record batches`);
  console.log(`machine: node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${(os.totalmem() / GB).toFixed(1)} GB RAM, ${os.platform()} ${os.release()}, load average ${os.loadavg()[0]!.toFixed(2)} at start (other processes share the machine when it is above ~0.5)`);
  console.log(
    `tmpdir: ${tmp} on ${device}, stat -f type ${fsType} (${/tmpfs|ramfs|overlay/.test(fsType) ? 'fsync may NOT reach a disk' : 'a disk file system: fsync reaches the (virtual) disk'}), ${(freeBytes / GB).toFixed(1)} GB free`,
  );
  if (freeBytes < needed) {
    const room = freeBytes / 2 - fetchBytes - appendBytes;
    if (room < 0.1 * GB) throw new Error(`only ${(freeBytes / GB).toFixed(1)} GB free in ${tmp}: not enough for this benchmark`);
    startupBytes = Math.floor((room / GB) * 10) / 10 * GB;
    console.log(`NOTE: not enough free disk for 2x headroom; start-up data SCALED DOWN to ${(startupBytes / GB).toFixed(1)} GB (SAMSA_BENCH_STARTUP_GB asked for ${envNumber('SAMSA_BENCH_STARTUP_GB', 5)})`);
  }

  const root = mkdtempSync(join(tmp, 'samsa-bench-storage-'));
  const cleanup = (): void => {
    if (process.env.SAMSA_BENCH_KEEP === '1') console.log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const t0 = performance.now();
  try {
    const tpl = makeBatchTemplate();
    const chunk = makeChunk(tpl.buf, 64);
    say(`batch: ${tpl.buf.length} bytes, ${tpl.records} records; sequential-append chunk: 64 batches = ${chunk.buf.length} bytes`);
    const rows: BenchRow[] = [];
    // Each row starts with no dirty pages left by the one before (writeback would skew fsyncs).
    const settle = (): void => void execSync('sync');
    rows.push(...(await appendNoFsync(root, tpl)));
    settle();
    rows.push(...(await appendGroupCommit(root, tpl)));
    settle();
    rows.push(...(await appendFsyncEach(root, tpl)));
    settle();
    rows.push(...(await fetchCold(root, chunk, tpl.records / tpl.buf.length)));
    settle();
    rows.push(...(await startup(root, startupBytes, chunk)));
    console.log(format(rows));
    for (const n of notes) console.log(`- ${n}`);
    console.log(`total time ${((performance.now() - t0) / 1000).toFixed(0)} s; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} at the end (1, 5, 15 min; this process adds up to ~1.5)`);
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  });
}
