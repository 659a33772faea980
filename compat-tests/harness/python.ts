/**
 * Runs the Python client suites (compat-tests/python). kafka-python and confluent-kafka are Debian
 * packages, so the scripts run under /usr/bin/python3 (a pyenv python on PATH would not have
 * them); a missing interpreter or module is reported so the test fails with what to install.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './samsa-process.js';

export const PYTHON = '/usr/bin/python3';

export interface PythonResult {
  code: number | null;
  output: string;
}

/** Why /usr/bin/python3 cannot run the suites (a missing interpreter or module), or null. */
export function missingPythonModules(modules: readonly string[]): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found; run \`make system-deps\``;
  for (const module of modules) {
    const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) return `${PYTHON} cannot import ${module}; run \`make system-deps\`\n${r.stderr ?? ''}`;
  }
  return null;
}

/** Runs compat-tests/python/`file` with the bootstrap address and a topic prefix; kills it after `timeoutMs`. */
export function runPythonSuite(file: string, bootstrap: string, prefix: string, timeoutMs: number): Promise<PythonResult> {
  const script = join(repoRoot, 'compat-tests', 'python', file);
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [script, bootstrap, prefix], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    let output = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\nspawn failed: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) output += `\nkilled after ${timeoutMs / 1000} s`;
      resolve({ code, output });
    });
  });
}
