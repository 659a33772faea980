/**
 * A `bin/samsa start` process for the benchmarks: a free port picked beforehand (so Metadata can
 * be polled from the moment of spawn), a fresh temporary data dir, the log (stderr) kept, and
 * the pid for /proc metrics. bin/samsa runs the broker in its own process, so the child's pid is
 * the broker's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, repoRoot } from '../../compat-tests/harness/samsa-process.js';
import { timeToFirstMetadata } from './process-metrics.js';

export { freePort };

export class BenchBroker {
  /** Everything the broker wrote to stderr. */
  log = '';
  host = '127.0.0.1';
  exitCode: number | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
    /** Spawn to the first successful Metadata response, ms. */
    readonly startToMetadataMs: number,
    /** Spawn to the `samsa ready on` line, ms. */
    readonly startToReadyMs: number,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** Starts a broker; `overrides` are server.properties settings by Kafka name. */
  static async start(overrides: Record<string, string> = {}): Promise<BenchBroker> {
    const dataDir = mkdtempSync(join(tmpdir(), 'samsa-bench-'));
    const port = await freePort();
    const args = ['start', '--port', String(port), '--data-dir', dataDir];
    for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    const spawnedAt = performance.now();
    const child = spawn(join(repoRoot, 'bin', 'samsa'), args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString('utf8');
      if (log.length > 4_000_000) log = log.slice(-2_000_000);
    });
    let host = '127.0.0.1';
    const ready = new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const m = /samsa ready on (\S+):(\d+)/.exec(out);
        if (m) {
          host = m[1] === '0.0.0.0' || m[1] === '::' ? '127.0.0.1' : m[1]!;
          resolve(performance.now() - spawnedAt);
        }
      });
      child.once('exit', (code) => reject(new Error(`samsa exited with ${code} before it was ready:\n${log}`)));
    });
    ready.catch(() => undefined);
    try {
      const [metadataMs, readyMs] = await Promise.all([
        Promise.race([timeToFirstMetadata('127.0.0.1', port, spawnedAt), ready.then(() => new Promise<number>(() => undefined))]),
        ready,
      ]);
      const broker = new BenchBroker(child, port, dataDir, metadataMs, readyMs);
      broker.host = host;
      child.stderr!.removeAllListeners('data');
      broker.log = log;
      child.stderr!.on('data', (d: Buffer) => {
        broker.log += d.toString('utf8');
        if (broker.log.length > 4_000_000) broker.log = broker.log.slice(-2_000_000);
      });
      child.once('exit', (code) => (broker.exitCode = code));
      return broker;
    } catch (e) {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Lines of the log at WARN or ERROR level. */
  problems(): string[] {
    return this.log.split('\n').filter((l) => / (WARN|ERROR) /.test(l));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, wait (SIGKILL after 30 s), remove the data dir. */
  async close(): Promise<void> {
    if (this.alive) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    // Write out what the file system still owes (block frees of gigabytes of deleted segments),
    // so the next broker's start-up is not measured against that background work.
    spawnSync('sync', { stdio: 'ignore' });
  }
}
