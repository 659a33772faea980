/**
 * Runs the Python client suites (compat-tests/python) in the virtualenv that
 * compat-tests/python/venv.sh builds from PyPI (the pinned clients of requirements.txt), always
 * with the venv's own interpreter by absolute path, so another python3 first on PATH (pyenv) makes
 * no difference. When the venv cannot be had (no python3-venv, PyPI unreachable),
 * `pythonClients()` says why in one line, and the tests skip with that reason.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Test } from 'tap';
import { runSetupScript, unavailableReason } from './command.js';
import { ReferenceKafka } from './reference-kafka.js';
import { repoRoot, SamsaProcess } from './samsa-process.js';
import type { BrokerKind } from './target-broker.js';

const VENV_SCRIPT = join(repoRoot, 'compat-tests', 'python', 'venv.sh');
/** A cold venv downloads three clients and their codecs; pip's timeouts bound an unreachable registry. */
const VENV_TIMEOUT_MS = 10 * 60_000;

export interface PythonResult {
  code: number | null;
  output: string;
}

export interface PythonClients {
  /** The venv's interpreter, absolute. */
  python: string;
}

let clients: Promise<PythonClients | string> | null = null;

/** Runs venv.sh once per process: the venv's interpreter, or the one-line reason it is unavailable. */
export function pythonClients(): Promise<PythonClients | string> {
  clients ??= (async () => {
    const r = await runSetupScript(VENV_SCRIPT, VENV_TIMEOUT_MS);
    if (typeof r === 'string') return `python-clients: unavailable: ${r}`;
    const python = /^PYTHON=(.+)$/m.exec(r.stdout)?.[1];
    if (r.code === 0 && python !== undefined) return { python };
    return unavailableReason('python-clients', r, 'venv.sh');
  })();
  return clients;
}


export interface SuiteRun {
  python: string;
  /** A file under compat-tests/python. */
  file: string;
  bootstrap: string;
  /** Topic and group names start with it. */
  prefix: string;
  broker: BrokerKind;
  /** Killed after this long. */
  timeoutMs: number;
}

/** Runs compat-tests/python/`file` with the bootstrap address and a topic prefix; kills it after `timeoutMs`. */
export function runPythonSuite(run: SuiteRun): Promise<PythonResult> {
  const script = join(repoRoot, 'compat-tests', 'python', run.file);
  return new Promise((resolve) => {
    const child = spawn(run.python, [script, run.bootstrap, run.prefix], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // No bytecode files next to the suites in the work tree.
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', SAMSA_COMPAT_BROKER: run.broker },
    });
    let output = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, run.timeoutMs);
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\nspawn failed: ${e.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) output += `\nkilled after ${run.timeoutMs / 1000} s`;
      resolve({ code, output });
    });
  });
}

export interface SuiteSpec {
  /** The test's name; " against Samsa" and " against the reference Kafka" are appended. */
  name: string;
  /** A file under compat-tests/python. */
  file: string;
  /** Topic and group names start with it. */
  prefix: string;
  timeoutMs: number;
}

/**
 * Registers each suite twice on `t`: against a fresh `bin/samsa` process (with `samsaOverrides`)
 * and against the reference Kafka, with the same assertions. A run skips with the one-line reason
 * when the venv or the reference broker cannot be had. A suite marks an assertion known to fail
 * only on Samsa (SAMSA_COMPAT_BROKER=samsa) and prints it; those lines become test comments.
 */
export async function registerPythonSuites(t: Test, suites: readonly SuiteSpec[], samsaOverrides: Record<string, string>): Promise<void> {
  const clients = await pythonClients();
  const noPython = typeof clients === 'string' ? clients : null;
  if (noPython !== null) t.comment(noPython);
  const noReference = noPython ?? (await ReferenceKafka.unavailable());
  if (noPython === null && noReference !== null) t.comment(noReference);

  let samsa: SamsaProcess | null = null;
  let reference: ReferenceKafka | null = null;
  if (noPython === null) {
    samsa = await SamsaProcess.start({ overrides: samsaOverrides });
    t.teardown(() => samsa?.close());
  }
  if (noReference === null) {
    reference = await ReferenceKafka.start();
    t.teardown(() => reference?.close());
    t.comment(`reference Kafka ${reference.version} answered ${reference.startMs} ms after start`);
  }

  const runOne = async (t: Test, suite: SuiteSpec, broker: BrokerKind, bootstrap: string, log: () => string): Promise<void> => {
    const python = (clients as PythonClients).python;
    const began = Date.now();
    const { code, output } = await runPythonSuite({ python, file: suite.file, bootstrap, prefix: suite.prefix, broker, timeoutMs: suite.timeoutMs });
    t.comment(`${suite.file} against ${broker}: ${((Date.now() - began) / 1000).toFixed(1)} s`);
    for (const line of output.split('\n')) if (line.includes('known Samsa difference')) t.comment(line.trim());
    const brokerLog = code === 0 ? '' : `\n--- broker log (tail) ---\n${log().slice(-4000)}`;
    t.equal(code, 0, `${suite.file} output:\n${output}${brokerLog}`);
  };

  for (const suite of suites) {
    const opts = { timeout: suite.timeoutMs + 10_000 };
    t.test(`${suite.name} against Samsa`, { ...opts, skip: noPython ?? false }, (t) => runOne(t, suite, 'samsa', samsa!.bootstrap, () => samsa!.stderr));
    t.test(`${suite.name} against the reference Kafka`, { ...opts, skip: noReference ?? false }, (t) =>
      runOne(t, suite, 'kafka', reference!.bootstrap, () => reference!.stderr),
    );
  }
}
