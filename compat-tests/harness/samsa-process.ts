/**
 * Runs a real `bin/samsa start` process for compat tests: a free port, a temporary data dir,
 * readiness from the `samsa ready on host:port` line, and stop/restart that keep the data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root (the nearest directory up with a package.json), found here rather than
 * taken from protocol's test helpers: the harness and the benches build on it, and protocol's
 * tests are no dependency of theirs.
 */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const repoRoot = findRepoRoot();

/** A loopback port nothing listens on right now (the broker binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
export const samsaBin = join(repoRoot, 'bin', 'samsa');

export interface SamsaOptions {
  /** server.properties settings, by Kafka's name. */
  overrides?: Record<string, string>;
  /** Reuse a data dir (for restarts); a fresh temp dir otherwise. */
  dataDir?: string;
  /** Fixed port; 0 (default) picks a free one. */
  port?: number;
  /** Extra CLI arguments. */
  args?: string[];
}

export class SamsaProcess {
  port = 0;
  host = '127.0.0.1';
  /** Everything the process wrote to stderr (its log). */
  stderr = '';
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);

  private constructor(
    readonly dataDir: string,
    private readonly opts: SamsaOptions,
  ) {}

  static async start(opts: SamsaOptions = {}): Promise<SamsaProcess> {
    const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'samsa-compat-'));
    const p = new SamsaProcess(dataDir, opts);
    await p.launch(opts.port ?? 0);
    return p;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** The broker's process id while it runs (to read its resident set from /proc), else null. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Whether the process has exited (a crash, or after stop). */
  get hasExited(): boolean {
    return this.child === null || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private launch(port: number): Promise<void> {
    const args = ['start', '--port', String(port), '--data-dir', this.dataDir];
    for (const [k, v] of Object.entries(this.opts.overrides ?? {})) args.push('--override', `${k}=${v}`);
    args.push(...(this.opts.args ?? []));
    const child = spawn(samsaBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
      if (this.stderr.length > 1_000_000) this.stderr = this.stderr.slice(-500_000);
    });
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`samsa did not become ready in 30 s:\n${this.stderr}`)), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const m = /samsa ready on (\S+):(\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          this.host = m[1]!;
          this.port = Number(m[2]);
          resolve();
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`samsa exited with ${code} before it was ready:\n${this.stderr}`));
      });
    });
  }

  /** Sends `signal` and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child === null) return null;
    this.child.kill(signal);
    const code = await this.exited;
    this.child = null;
    return code;
  }

  /** Stops (SIGTERM, or SIGKILL for a crash) and starts again on the same port and data dir. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const port = this.port;
    await this.stop(signal);
    await this.launch(port);
  }

  /** Stops the process and removes its data dir. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
