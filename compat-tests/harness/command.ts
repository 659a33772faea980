/**
 * Runs command-line tools for tests: a command to completion, and kcat (a Debian package), with
 * the shapes of kcat's record lines and metadata JSON.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoRoot } from './samsa-process.js';

export const KCAT = '/usr/bin/kcat';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Killed (SIGKILL) and rejected past this; default 60 s. */
  timeoutMs?: number;
  /** Called with the child's pid once it is spawned. */
  onSpawn?: (pid: number) => void;
  /** How a timeout names the command (default: the command line, which may be long). */
  label?: string;
}

/** Runs a command to completion in the repository, feeding `input` to stdin. */
export function run(cmd: string, args: string[], input = '', opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.label ?? `${cmd} ${args.join(' ')}`} did not finish in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading everything
    child.stdin.end(input);
  });
}

/**
 * Runs one of the set-up scripts that fetch what a suite needs (reference Kafka jars, the Python
 * venv, the Go program): the result, or the one-line reason it could not run at all (not
 * spawnable, or past `timeoutMs`).
 */
export async function runSetupScript(script: string, timeoutMs: number): Promise<RunResult | string> {
  try {
    return await run('bash', [script], '', { timeoutMs, label: script });
  } catch (e) {
    return `cannot run ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
  }
}

/**
 * The reason a set-up script gives for being unavailable: its last stderr line starting with
 * `<prefix>: unavailable`, else its last stderr line, else how it ended.
 */
export function unavailableReason(prefix: string, r: RunResult, name: string): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim().length > 0).reverse();
  const reason = lines.find((l) => l.startsWith(`${prefix}: unavailable`)) ?? lines[0];
  return reason ?? `${prefix}: unavailable: ${name} ended with ${r.signal ?? `exit code ${r.code}`}`;
}

/** Runs kcat; rejects with what to install when it is missing. */
export function kcat(args: string[], input = ''): Promise<RunResult> {
  if (!existsSync(KCAT)) return Promise.reject(new Error(`kcat not found at ${KCAT}: install the system packages with \`make system-deps\``));
  return run(KCAT, args, input);
}

/** kcat's `-f` format for consumed records: one line each, partition|offset|key|value|headers|timestamp. */
export const KCAT_RECORD_FORMAT = '%p|%o|%k|%s|%h|%T\n';

export interface KcatRecord {
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: string;
  timestamp: number;
}

/** The records of kcat output written with KCAT_RECORD_FORMAT, in output order. */
export function parseKcatRecords(stdout: string): KcatRecord[] {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [p, o, k, s, h, ts] = l.split('|');
      return { partition: Number(p), offset: Number(o), key: k!, value: s!, headers: h!, timestamp: Number(ts) };
    });
}

/** What `kcat -L -J` prints. */
export interface KcatMetadata {
  brokers: { id: number; name: string }[];
  topics: { topic: string; error?: string; partitions: { partition: number; leader: number; error?: string; replicas: { id: number }[]; isrs: { id: number }[] }[] }[];
}
