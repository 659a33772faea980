/**
 * The Go client program (compat-tests/go: franz-go's kgo and kadm, IBM/sarama) for compat tests:
 * built once by compat-tests/go/build.sh into a cache keyed by its sources, then run one scenario
 * at a time against a broker. The program prints one JSON line per check; `assertChecks` turns
 * each into a tap assertion, so Samsa and the reference Kafka face exactly the same ones.
 *
 * When Go or its modules cannot be had here, `goClients()` says why in one line and the tests
 * skip with that reason.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { runSetupScript, unavailableReason } from './command.js';
import { ReferenceKafka } from './reference-kafka.js';
import { repoRoot, SamsaProcess } from './samsa-process.js';

const goDir = join(repoRoot, 'compat-tests', 'go');
const BUILD_SCRIPT = join(goDir, 'build.sh');
/** A cold build downloads the modules (bounded to 5 minutes by build.sh) and compiles them. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

export type GoClients = { bin: string; versions: string } | { unavailable: string };

let built: Promise<GoClients> | null = null;

/** The module versions go.mod pins, e.g. `github.com/twmb/franz-go v1.22.3, ...`. */
function pinnedVersions(): string {
  const gomod = readFileSync(join(goDir, 'go.mod'), 'utf8');
  const direct = gomod.split('\n').filter((l) => /^\s+\S+ v\S+$/.test(l));
  return direct.map((l) => l.trim()).join(', ');
}

/**
 * Runs build.sh once per process: the binary, or the one-line reason Go is unavailable. A
 * compile error rejects (it is a failure of the program, not of the machine).
 */
export function goClients(): Promise<GoClients> {
  built ??= (async () => {
    const r = await runSetupScript(BUILD_SCRIPT, BUILD_TIMEOUT_MS);
    if (typeof r === 'string') return { unavailable: `go-clients: unavailable: ${r}` };
    const bin = /^GO_CLIENTS_BIN=(.+)$/m.exec(r.stdout)?.[1];
    if (r.code === 0 && bin !== undefined) return { bin, versions: pinnedVersions() };
    // build.sh exits 1 when Go or its modules cannot be had; anything else is a broken program.
    if (r.code === 1) return { unavailable: unavailableReason('go-clients', r, 'build.sh') };
    throw new Error(`${BUILD_SCRIPT} ended with ${r.signal ?? `exit code ${r.code}`}:\n${r.stderr}`);
  })();
  return built;
}

export interface GoCheck {
  check: string;
  ok: boolean;
  detail?: string;
}

export interface GoRun {
  checks: GoCheck[];
  /** The last line: whether the scenario ran to its end, and if not why. */
  end: { ok: boolean; aborted?: string } | null;
  code: number | null;
  /** Everything the program wrote, for failure messages. */
  output: string;
}

/** Runs one scenario of the program; kills it after `timeoutMs`. */
export function runGoScenario(bin: string, scenario: string, bootstrap: string, prefix: string, timeoutMs = 90_000): Promise<GoRun> {
  return new Promise((resolve) => {
    const child = spawn(bin, [scenario, bootstrap, prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const finish = (code: number | null, extra: string): void => {
      clearTimeout(timer);
      const checks: GoCheck[] = [];
      let end: GoRun['end'] = null;
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const parsed = JSON.parse(line) as GoCheck & { end?: boolean; aborted?: string };
        if (parsed.end === true) end = { ok: parsed.ok, ...(parsed.aborted !== undefined ? { aborted: parsed.aborted } : {}) };
        else checks.push(parsed);
      }
      resolve({ checks, end, code, output: `${stdout}${stderr}${extra}${timedOut ? `\nkilled after ${timeoutMs / 1000} s` : ''}` });
    };
    child.on('error', (e) => finish(null, `\nspawn failed: ${e.message}`));
    child.on('close', (code) => finish(code, ''));
  });
}

/**
 * One assertion per check the program reported, plus one that the scenario ran to its end.
 * `differences` names checks that fail on this broker for a known, recorded reason
 * (compat-tests/FINDINGS.md): those are reported as todo rather than failures.
 */
export function assertChecks(t: Test, run: GoRun, differences: Readonly<Record<string, string>> = {}, brokerLog = ''): void {
  for (const c of run.checks) {
    const todo = differences[c.check];
    t.ok(c.ok, c.check, { detail: c.detail, ...(todo !== undefined ? { todo } : {}) });
  }
  const ended = run.end !== null && run.end.aborted === undefined && run.code === 0;
  t.ok(ended, 'the scenario ran to its end', ended ? {} : { aborted: run.end?.aborted, output: run.output.slice(-6000), brokerLog: brokerLog.slice(-4000) });
}

export interface GoFamily {
  /** What the tests are named after, e.g. `franz-go`. */
  name: string;
  scenarios: readonly string[];
  /** server.properties settings for each broker (Kafka's names; the reference also gets its own). */
  samsaOverrides?: Record<string, string>;
  referenceOverrides?: Record<string, string>;
  /** Checks that fail on Samsa for a reason recorded in compat-tests/FINDINGS.md, by check name. */
  samsaDifferences?: Readonly<Record<string, string>>;
}

interface Broker {
  bootstrap: string;
  stderr: string;
}

async function runFamily(t: Test, bin: string, family: GoFamily, broker: Broker, differences: Readonly<Record<string, string>>): Promise<void> {
  for (const scenario of family.scenarios) {
    await t.test(scenario, async (t) => {
      const started = Date.now();
      const run = await runGoScenario(bin, scenario, broker.bootstrap, scenario);
      t.comment(`${scenario}: ${Date.now() - started} ms`);
      assertChecks(t, run, differences, broker.stderr);
    });
  }
}

/**
 * The whole suite of one client family: the program built (or the suite skipped with the one-line
 * reason), then every scenario against a fresh Samsa and against a fresh reference Kafka (skipped
 * with its reason where it cannot run). The reference starts while Samsa's run goes on.
 */
export async function goFamilySuite(t: Test, family: GoFamily): Promise<void> {
  const program = await goClients();
  if ('unavailable' in program) {
    t.comment(program.unavailable);
    await t.test(`${family.name} against Samsa`, { skip: program.unavailable }, async () => {});
    await t.test(`${family.name} against the reference Kafka`, { skip: program.unavailable }, async () => {});
    return;
  }
  t.comment(`Go client program: ${program.versions}`);

  const unavailable = await ReferenceKafka.unavailable();
  const reference = unavailable === null ? ReferenceKafka.start({ overrides: family.referenceOverrides ?? {} }).then((k) => ({ k }), (e: unknown) => ({ e })) : null;
  t.teardown(async () => {
    const got = await reference;
    if (got !== null && 'k' in got) await got.k.close();
  });

  await t.test(`${family.name} against Samsa`, async (t) => {
    const samsa = await SamsaProcess.start({ overrides: family.samsaOverrides ?? {} });
    t.teardown(() => samsa.close());
    await runFamily(t, program.bin, family, samsa, family.samsaDifferences ?? {});
  });

  if (reference === null) {
    t.comment(unavailable!);
    await t.test(`${family.name} against the reference Kafka`, { skip: unavailable! }, async () => {});
    return;
  }
  await t.test(`${family.name} against the reference Kafka`, async (t) => {
    const got = await reference;
    if ('e' in got) throw got.e;
    t.comment(`reference Kafka ${got.k.version} on ${got.k.bootstrap}, started in ${got.k.startMs} ms`);
    await runFamily(t, program.bin, family, got.k, {});
  });
}
