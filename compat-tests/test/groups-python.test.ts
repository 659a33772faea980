/**
 * Consumer groups from Python clients against a real `bin/samsa start` process: kafka-python and
 * confluent-kafka (librdkafka) consumers that subscribe() through the classic group protocol,
 * consume, commit, resume from committed offsets and split partitions between two members. The
 * script (compat-tests/python/group_suite.py) exits non-zero naming the step that failed.
 *
 * The broker runs with group.initial.rebalance.delay.ms=0 so the first rebalance of each group
 * does not wait the default 3 s. Both modules are Debian packages: the script runs under
 * /usr/bin/python3, and a missing interpreter or module fails the test (run `make system-deps`).
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SamsaProcess, repoRoot } from '../harness/samsa-process.js';

const PYTHON = '/usr/bin/python3';
const TIMEOUT_MS = 180_000;

interface RunResult {
  code: number | null;
  output: string;
}

/** Checks that /usr/bin/python3 exists and can import every module; returns a failure message or null. */
function missingModules(modules: string[]): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found; run \`make system-deps\``;
  for (const module of modules) {
    const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) return `${PYTHON} cannot import ${module}; run \`make system-deps\`\n${r.stderr ?? ''}`;
  }
  return null;
}

/** Runs `script` with the bootstrap address and topic prefix; kills it after TIMEOUT_MS. */
function runScript(script: string, bootstrap: string, prefix: string): Promise<RunResult> {
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
    }, TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\nspawn failed: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) output += `\nkilled after ${TIMEOUT_MS / 1000} s`;
      resolve({ code, output });
    });
  });
}

const samsa = await SamsaProcess.start({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
t.teardown(() => samsa.close());

t.test('kafka-python and confluent-kafka consumer groups: subscribe, commit, resume, split', { timeout: TIMEOUT_MS + 10_000 }, async (t) => {
  const missing = missingModules(['kafka', 'confluent_kafka']);
  if (missing !== null) {
    t.fail(missing);
    return;
  }
  const script = join(repoRoot, 'compat-tests', 'python', 'group_suite.py');
  const { code, output } = await runScript(script, samsa.bootstrap, 'py-groups');
  const brokerLog = code === 0 ? '' : `\n--- broker log (tail) ---\n${samsa.stderr.slice(-4000)}`;
  t.equal(code, 0, `group_suite.py output:\n${output}${brokerLog}`);
});
