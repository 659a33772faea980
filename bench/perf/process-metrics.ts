/**
 * Metrics of the broker process, read from Linux's /proc (each function returns NaN elsewhere):
 *
 *   - CPU seconds (user + system, fields 14 and 15 of /proc/<pid>/stat, in clock ticks of
 *     sysconf(_SC_CLK_TCK), 100 on Linux), sampled before and after a phase;
 *   - memory: VmRSS (sampled every 50 ms during a run, keeping the maximum overall and per phase) and VmHWM (the
 *     kernel's own peak resident set) from /proc/<pid>/status;
 *   - start-up: the time from spawn to the first successful Metadata response, polled with a raw
 *     TCP Metadata v1 request (any topics: null) from right after spawn.
 *
 *   node dist/bench/perf/process-metrics.js --pid PID [--interval-ms 1000]   prints CPU and RSS
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fmt, intFlag, isMain, MB, parseFlags, sleep } from './common.js';
import { metadataOnce } from './metadata-probe.js';

export { metadataOnce };

let clockTicks: number | null = null;

/** sysconf(_SC_CLK_TCK), via `getconf`; 100 (Linux's fixed USER_HZ) if that is unavailable. */
export function clkTck(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state), so field 14 (utime) is fields[11] and 15 (stime) fields[12].
    return (Number(fields[11]) + Number(fields[12])) / clkTck();
  } catch {
    return NaN;
  }
}

export interface MemoryStatus {
  /** Current resident set, bytes. */
  rss: number;
  /** Peak resident set ("high water mark"), bytes. */
  hwm: number;
}

export function memoryStatus(pid: number): MemoryStatus {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : NaN;
    };
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** Samples VmRSS on a timer and keeps the maximum. */
export class RssSampler {
  max = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly pid: number,
    readonly intervalMs = 50,
  ) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Maximum since the last resetPhase(). */
  phaseMax = 0;

  sample(): void {
    const { rss } = memoryStatus(this.pid);
    if (rss > this.max) this.max = rss;
    if (rss > this.phaseMax) this.phaseMax = rss;
  }

  resetPhase(): void {
    this.phaseMax = 0;
    this.sample();
  }

  stop(): number {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    return this.max;
  }
}

/**
 * Polls `host:port` with Metadata requests until one succeeds; returns the milliseconds since
 * `since` (a performance.now() value, taken at spawn).
 */
export async function timeToFirstMetadata(host: string, port: number, since: number, timeoutMs = 30_000): Promise<number> {
  for (;;) {
    if (await metadataOnce(host, port, 1000)) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`no Metadata response from ${host}:${port} within ${timeoutMs} ms`);
    await sleep(2);
  }
}

const USAGE = `usage: process-metrics --pid PID [--interval-ms 1000]`;

if (isMain(import.meta.url)) {
  const f = parseFlags(process.argv.slice(2), { pid: true, 'interval-ms': true }, USAGE);
  const pid = intFlag(f, 'pid', 0);
  if (pid <= 0) {
    console.error(USAGE);
    process.exit(2);
  }
  const interval = intFlag(f, 'interval-ms', 1000);
  let last = cpuSeconds(pid);
  for (;;) {
    await sleep(interval);
    const cpu = cpuSeconds(pid);
    if (Number.isNaN(cpu)) break;
    const m = memoryStatus(pid);
    console.log(`cpu ${fmt(cpu, 2)} s (+${fmt(cpu - last, 2)}), rss ${fmt(m.rss / MB, 1)} MB, peak ${fmt(m.hwm / MB, 1)} MB`);
    last = cpu;
  }
}
