/**
 * The compat tests' own Java programs (compat-tests/java/*.java): compiled with `javac` against the
 * reference Kafka's jars (kafka-clients, the tools), packed into one jar in the reference cache
 * folder (never in the repository), and recompiled only when a source file or the classpath
 * changes. Then run on that classpath:
 * - ClientScenarios: scenarios of the Java client against one broker, one JSON line each;
 * - ToolBatch: several of Kafka's CLI tools in one JVM (a JVM start costs seconds on a busy
 *   machine; a tool run in a warm JVM costs milliseconds);
 * - StreamsWordCount: a Kafka Streams word count (at_least_once) against one broker.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run, type RunResult } from './command.js';
import { referenceKafkaInstall, runJavaMain } from './reference-kafka.js';
import { repoRoot } from './samsa-process.js';

export const javaSourceDir = join(repoRoot, 'compat-tests', 'java');
const COMPILE_TIMEOUT_MS = 5 * 60_000;

let built: Promise<string> | null = null;

/** The jar of compat-tests/java, compiled once per source version; rejects with a one-line reason. */
export function javaProgramsJar(): Promise<string> {
  built ??= build();
  return built;
}

async function build(): Promise<string> {
  const install = await referenceKafkaInstall();
  if (typeof install === 'string') throw new Error(install);
  const sources = readdirSync(javaSourceDir)
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => join(javaSourceDir, f));
  const hash = createHash('sha256').update(install.classpath);
  for (const f of sources) hash.update(`\n${f}\n`).update(readFileSync(f));
  const dir = join(install.cacheDir, 'compat-java');
  const jar = join(dir, `compat-${hash.digest('hex').slice(0, 12)}.jar`);
  if (existsSync(jar)) return jar;

  // A private build folder renamed into place, so concurrent test files never see half a jar.
  const work = join(dir, `build-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(join(work, 'classes'), { recursive: true });
  try {
    await exec('javac', ['-nowarn', '-encoding', 'UTF-8', '-d', join(work, 'classes'), '-cp', install.classpath, ...sources]);
    await exec('jar', ['cf', join(work, 'compat.jar'), '-C', join(work, 'classes'), '.']);
    renameSync(join(work, 'compat.jar'), jar);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // Jars of earlier source versions are of no further use.
  for (const f of readdirSync(dir)) {
    if (/^compat-[0-9a-f]+\.jar$/.test(f) && join(dir, f) !== jar) rmSync(join(dir, f), { force: true });
  }
  return jar;
}

async function exec(cmd: string, args: string[]): Promise<void> {
  let r: RunResult;
  try {
    r = await run(cmd, args, '', { timeoutMs: COMPILE_TIMEOUT_MS, label: cmd });
  } catch (e) {
    throw new Error(`java-programs: cannot run ${cmd} (a JDK is needed; run make system-deps): ${(e as Error).message}`);
  }
  if (r.code !== 0) throw new Error(`java-programs: ${cmd} failed (${r.signal ?? `exit ${r.code}`}):\n${r.stdout}${r.stderr}`);
}

/** Null when the Java programs can be built and run here; otherwise why not, in one line. */
export async function javaProgramsUnavailable(): Promise<string | null> {
  try {
    await javaProgramsJar();
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
}

// -----------------------------------------------------------------------------------------------
// ClientScenarios

/** A step's value as ClientScenarios printed it, or {error} when the step threw. */
export type StepResult = unknown;

export interface ScenarioRun {
  /** Scenario name -> step name -> what the client saw. */
  results: Map<string, Record<string, StepResult>>;
  /** Scenario name -> milliseconds it took. */
  ms: Map<string, number>;
  stderr: string;
}

/** Runs the named scenarios of ClientScenarios against `bootstrap` in one JVM. */
export async function runClientScenarios(bootstrap: string, scenarios: string[], timeoutMs = 240_000): Promise<ScenarioRun> {
  const jar = await javaProgramsJar();
  const r = await runJavaMain('ClientScenarios', [bootstrap, ...scenarios], { extraClasspath: [jar], timeoutMs, heap: '384m' });
  const results = new Map<string, Record<string, StepResult>>();
  const ms = new Map<string, number>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const parsed = JSON.parse(line) as { scenario: string; result: Record<string, StepResult>; ms: number };
    results.set(parsed.scenario, parsed.result);
    ms.set(parsed.scenario, parsed.ms);
  }
  if (results.size !== scenarios.length) {
    throw new Error(`ClientScenarios ended (${r.signal ?? `exit ${r.code}`}) after ${results.size} of ${scenarios.length} scenarios:\n${r.stdout}\n${r.stderr.slice(-4000)}`);
  }
  return { results, ms, stderr: r.stderr };
}

// -----------------------------------------------------------------------------------------------
// ToolBatch

export interface ToolInvocation {
  /** A main class, e.g. from `KafkaTool`. */
  main: string;
  args: string[];
  /** The tool's stdin. */
  input?: string;
  /** How long the tool may run before the batch moves on (default 60 s). */
  timeoutMs?: number;
}

export interface ToolResult {
  /** What the tool passed to Exit.exit, 0 when main returned, null when it timed out. */
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  /** An exception that escaped main, as the JVM would print it. */
  error: string | null;
}

const RESULT_PREFIX = '@@tool-result ';

/** Runs Kafka CLI tools one after the other in one JVM (ToolBatch); one result per invocation, in order. */
export async function runKafkaTools(invocations: ToolInvocation[]): Promise<ToolResult[]> {
  const jar = await javaProgramsJar();
  const budget = invocations.reduce((sum, i) => sum + (i.timeoutMs ?? 60_000), 30_000);
  const r = await runJavaMain('ToolBatch', [], { extraClasspath: [jar], input: JSON.stringify(invocations), timeoutMs: budget, heap: '384m' });
  const results: ToolResult[] = [];
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith(RESULT_PREFIX)) results.push(JSON.parse(line.slice(RESULT_PREFIX.length)) as ToolResult);
  }
  if (results.length !== invocations.length) {
    throw new Error(`ToolBatch ended (${r.signal ?? `exit ${r.code}`}) after ${results.length} of ${invocations.length} tools:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  }
  return results;
}

// -----------------------------------------------------------------------------------------------
// StreamsWordCount

/** What StreamsWordCount printed: a Kafka Streams word count (at_least_once) against one broker. */
export interface StreamsWordCountResult {
  createTopics?: string;
  produced?: number;
  /** The latest count per word on the output topic. */
  counts?: Record<string, number>;
  expected: Record<string, number>;
  reachedExpected?: boolean;
  /** The application's distinct KafkaStreams.State sequence. */
  states?: string[];
  uncaughtException?: string | null;
  internalTopics?: Record<'repartition' | 'changelog', { exists: boolean; partitions?: number; cleanupPolicy?: string | null }>;
  error?: string;
  ms: number;
}

/** Runs StreamsWordCount against `bootstrap`; `runId` names its topics and application.id. */
export async function runStreamsWordCount(bootstrap: string, runId: string, timeoutMs = 120_000): Promise<{ result: StreamsWordCountResult; stderr: string }> {
  const jar = await javaProgramsJar();
  const r = await runJavaMain('StreamsWordCount', [bootstrap, runId], { extraClasspath: [jar], timeoutMs, heap: '384m' });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`StreamsWordCount ended (${r.signal ?? `exit ${r.code}`}) without a result:\n${r.stdout}\n${r.stderr.slice(-4000)}`);
  return { result: JSON.parse(line) as StreamsWordCountResult, stderr: r.stderr };
}
