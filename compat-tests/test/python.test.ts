/**
 * Python clients against a real `bin/samsa start` process: kafka-python and confluent-kafka
 * (librdkafka), each driven by a script under compat-tests/python that does admin (create, list,
 * describe configs, delete), keyed produce with headers and timestamps, and read-back with a
 * manually assigned consumer. The scripts exit non-zero naming the step that failed.
 *
 * Both modules are Debian packages, so the scripts run under /usr/bin/python3 (a pyenv python on
 * PATH would not have them). A missing interpreter or module fails the test: run `make system-deps`.
 */
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SamsaProcess, repoRoot } from '../harness/samsa-process.js';

const PYTHON = '/usr/bin/python3';
const TIMEOUT_MS = 120_000;

interface RunResult {
  code: number | null;
  output: string;
}

/** Checks that /usr/bin/python3 exists and can import `module`; returns a failure message or null. */
function missingModule(module: string): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found; run \`make system-deps\``;
  const r = spawnSync(PYTHON, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return `${PYTHON} cannot import ${module}; run \`make system-deps\`\n${r.stderr ?? ''}`;
  return null;
}

/** Runs `script` with the bootstrap address and topic prefix; kills it after 120 s. */
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

const samsa = await SamsaProcess.start();
t.teardown(() => samsa.close());

async function suite(t: Test, module: string, file: string, prefix: string): Promise<void> {
  const missing = missingModule(module);
  if (missing !== null) {
    t.fail(missing);
    return;
  }
  const script = join(repoRoot, 'compat-tests', 'python', file);
  const { code, output } = await runScript(script, samsa.bootstrap, prefix);
  const brokerLog = code === 0 ? '' : `\n--- broker log (tail) ---\n${samsa.stderr.slice(-4000)}`;
  t.equal(code, 0, `${file} output:\n${output}${brokerLog}`);
}

t.test('kafka-python admin, produce and manual-assign consume', async (t) => {
  await suite(t, 'kafka', 'kafka_python_suite.py', 'py-kafka-python');
});

t.test('confluent-kafka admin, idempotent produce, compression and manual-assign consume', async (t) => {
  await suite(t, 'confluent_kafka', 'confluent_suite.py', 'py-confluent');
});
