/**
 * A real Apache Kafka broker as the reference for compat tests: the jars resolved from Maven
 * Central by compat-tests/reference-kafka/fetch.sh (cached across runs), a KRaft storage directory
 * formatted with Kafka's StorageTool, and one combined broker+controller on free loopback ports.
 * Also runs Kafka's CLI tools (TopicCommand and friends) by main class on the same classpath.
 *
 * When the reference cannot run here (no Java 17+, no mvn, Maven Central unreachable),
 * `ReferenceKafka.unavailable()` says why in one line, and tests skip with that reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { freePort, repoRoot, SamsaProcess, type SamsaOptions } from './samsa-process.js';
import { run, runSetupScript, unavailableReason, type RunResult } from './command.js';
import { apiVersionsApi, defaultApiVersionsRequest, defaultMetadataRequest, metadataApi } from '../../protocol/messages/index.js';

export const referenceKafkaDir = join(repoRoot, 'compat-tests', 'reference-kafka');
const FETCH_SCRIPT = join(referenceKafkaDir, 'fetch.sh');
const LOG4J_CONFIG = join(referenceKafkaDir, 'log4j2.properties');
/** fetch.sh bounds each mvn run to 5 minutes and retries once. */
const FETCH_TIMEOUT_MS = 12 * 60_000;
const NODE_ID = 1;

/** Main classes of Kafka's CLI tools (what bin/kafka-*.sh run), for `runKafkaTool`. */
export const KafkaTool = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  consumerGroups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  configs: 'kafka.admin.ConfigCommand',
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  getOffsetShell: 'org.apache.kafka.tools.GetOffsetShell',
  deleteRecords: 'org.apache.kafka.tools.DeleteRecordsCommand',
  transactions: 'org.apache.kafka.tools.TransactionsCommand',
  features: 'org.apache.kafka.tools.FeatureCommand',
  metadataQuorum: 'org.apache.kafka.tools.MetadataQuorumCommand',
  brokerApiVersions: 'org.apache.kafka.tools.BrokerApiVersionsCommand',
  acls: 'org.apache.kafka.tools.AclCommand',
  storage: 'kafka.tools.StorageTool',
  logDirs: 'org.apache.kafka.tools.LogDirsCommand',
  producerPerformance: 'org.apache.kafka.tools.ProducerPerformance',
  consumerPerformance: 'org.apache.kafka.tools.ConsumerPerformance',
} as const;

export interface ReferenceKafkaInstall {
  /** The pinned Kafka release, e.g. 4.1.1. */
  version: string;
  /** The JVM classpath: the broker, the CLI tools and their runtime dependencies. */
  classpath: string;
  /** Where fetch.sh keeps the classpath; also holds the class-data sharing archives. */
  cacheDir: string;
}

let install: Promise<ReferenceKafkaInstall | string> | null = null;

/** Runs fetch.sh once per process: the install, or the one-line reason it is unavailable. */
export function referenceKafkaInstall(): Promise<ReferenceKafkaInstall | string> {
  install ??= (async () => {
    const r = await runSetupScript(FETCH_SCRIPT, FETCH_TIMEOUT_MS);
    if (typeof r === 'string') return `reference-kafka: unavailable: ${r}`;
    const version = /^KAFKA_VERSION=(.+)$/m.exec(r.stdout)?.[1];
    const classpathFile = /^CLASSPATH_FILE=(.+)$/m.exec(r.stdout)?.[1];
    const cacheDir = /^CACHE_DIR=(.+)$/m.exec(r.stdout)?.[1];
    if (r.code === 0 && version !== undefined && classpathFile !== undefined && cacheDir !== undefined) {
      try {
        return { version, classpath: readFileSync(classpathFile, 'utf8').trim(), cacheDir };
      } catch (e) {
        return `reference-kafka: unavailable: cannot read ${classpathFile}: ${(e as Error).message}`;
      }
    }
    return unavailableReason('reference-kafka', r, 'fetch.sh');
  })();
  return install;
}

async function requireInstall(): Promise<ReferenceKafkaInstall> {
  const got = await referenceKafkaInstall();
  if (typeof got === 'string') throw new Error(got);
  return got;
}

/**
 * JVM options shared by the broker and the tools: quiet log4j2 config, JVM warnings to stderr (a
 * tool's stdout is its output), headless, and class-data sharing. The serial collector keeps the
 * small test heaps cheap; `gc` replaces it (the launch scripts' G1 settings, `STOCK_GC`).
 */
function jvmArgs(heap: string, extra: string[], classpath: string, cds: ClassDataSharing, gc: string[] = ['-XX:+UseSerialGC']): string[] {
  return [
    `-Xmx${heap}`,
    ...gc,
    '-Djava.awt.headless=true',
    '-Xlog:disable',
    '-Xlog:all=warning:stderr',
    `-Dlog4j2.configurationFile=${LOG4J_CONFIG}`,
    ...cds.args,
    ...extra,
    '-cp',
    classpath,
  ];
}

/** Short-lived tools start faster with only the C1 compiler. */
const TOOL_JVM = ['-XX:TieredStopAtLevel=1'];

/** KAFKA_JVM_PERFORMANCE_OPTS of Kafka's bin/kafka-run-class.sh: what a stock launch runs with. */
const STOCK_GC = ['-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent'];

/** No class-data sharing archive, as a stock launch (the bench measures start-up as shipped). */
const NO_CDS: ClassDataSharing = { args: [], exited: () => undefined };

/** The `java` on PATH, resolved, with its modification time: a dynamic CDS archive fits one JDK build. */
function javaIdentity(): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'java');
    if (!existsSync(candidate)) continue;
    try {
      const real = realpathSync(candidate);
      return `${real}:${statSync(real).mtimeMs}`;
    } catch {
      continue;
    }
  }
  return 'unknown';
}

function archivePath(install: ReferenceKafkaInstall, kind: 'broker' | 'tool'): string {
  const tag = createHash('sha256').update(`${javaIdentity()}\n${install.classpath}`).digest('hex').slice(0, 12);
  return join(install.cacheDir, `${kind}-${tag}.jsa`);
}

/**
 * For a classpath that extends the reference one: the tools' archive if there is one (an archive
 * serves any classpath its own is a prefix of), and no dump, so no archive per program version.
 */
function extendedClassDataSharing(install: ReferenceKafkaInstall): ClassDataSharing {
  const archive = archivePath(install, 'tool');
  return { args: existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : [], exited: () => undefined };
}

interface ClassDataSharing {
  args: string[];
  /** After the JVM ended: publish a newly dumped archive for the next runs if it exited cleanly, else drop it. */
  exited(clean: boolean): void;
}

/**
 * Class-data sharing (JDK AppCDS, JEP 350 dynamic archives): the first run of each kind (broker or
 * tool) dumps the classes it loaded at exit; later runs map that archive, which roughly halves the
 * broker's start on a busy 2-core machine. The dump goes to a private file renamed into place, so
 * concurrent runs never map a half-written archive; a stale or foreign archive is ignored by the
 * JVM (-Xshare:auto).
 */
function classDataSharing(install: ReferenceKafkaInstall, kind: 'broker' | 'tool'): ClassDataSharing {
  const archive = archivePath(install, kind);
  if (existsSync(archive)) return { args: [`-XX:SharedArchiveFile=${archive}`], exited: () => undefined };
  const dump = `${archive}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  return {
    args: [`-XX:ArchiveClassesAtExit=${dump}`],
    exited: (clean) => {
      try {
        if (clean && existsSync(dump)) renameSync(dump, archive);
      } finally {
        rmSync(dump, { force: true });
      }
    },
  };
}

export interface KafkaToolOptions {
  /** Written to the tool's stdin. */
  input?: string;
  /** Killed after this long (default 120 s). */
  timeoutMs?: number;
  /**
   * Run as a load generator: the JVM options of Kafka's bin/kafka-producer-perf-test.sh and
   * kafka-consumer-perf-test.sh (-Xmx512M, G1, both JIT compilers, no class-data sharing)
   * instead of the quick-start options of short tools.
   */
  loadGenerator?: boolean;
  /** Called with the tool's pid right after it was spawned. */
  onSpawn?: (pid: number) => void;
}

/**
 * Runs one of Kafka's CLI tools by main class (see `KafkaTool`) on the reference classpath, e.g.
 * `runKafkaTool(KafkaTool.topics, ['--bootstrap-server', b, '--list'])`. Rejects with the
 * one-line reason when the reference is unavailable.
 */
export async function runKafkaTool(mainClass: string, args: string[], opts: KafkaToolOptions = {}): Promise<RunResult> {
  const install = await requireInstall();
  return runTool(install, mainClass, args, opts.input ?? '', opts.timeoutMs ?? 120_000, opts);
}

export interface JavaMainOptions extends KafkaToolOptions {
  /** Jars appended to the reference classpath (after it, so the classpath's class-data sharing prefix holds). */
  extraClasspath?: string[];
  /** Max heap (-Xmx), default 256m. */
  heap?: string;
}

/**
 * Runs any main class on the reference classpath plus `extraClasspath` (e.g. the compat tests' own
 * Java programs, compat-tests/harness/java-programs.ts) as a short-lived JVM like the tools.
 * Rejects with the one-line reason when the reference is unavailable.
 */
export async function runJavaMain(mainClass: string, args: string[], opts: JavaMainOptions = {}): Promise<RunResult> {
  const install = await requireInstall();
  return runTool(install, mainClass, args, opts.input ?? '', opts.timeoutMs ?? 120_000, opts);
}

async function runTool(
  install: ReferenceKafkaInstall,
  mainClass: string,
  args: string[],
  input: string,
  timeoutMs: number,
  opts: JavaMainOptions = {},
): Promise<RunResult> {
  const extra = opts.extraClasspath ?? [];
  const classpath = [install.classpath, ...extra].join(delimiter);
  const cds = opts.loadGenerator ? NO_CDS : extra.length === 0 ? classDataSharing(install, 'tool') : extendedClassDataSharing(install);
  const jvm = opts.loadGenerator ? jvmArgs('512m', [], classpath, cds, STOCK_GC) : jvmArgs(opts.heap ?? '256m', TOOL_JVM, classpath, cds);
  let clean = false;
  try {
    const result = await run('java', [...jvm, mainClass, ...args], input, { timeoutMs, onSpawn: opts.onSpawn, label: `java ${mainClass}` });
    clean = result.signal === null;
    return result;
  } finally {
    cds.exited(clean);
  }
}

/**
 * A cluster id as Kafka's Uuid.randomUuid() makes them: a random (version 4) UUID in URL-safe
 * base64 without padding, never one that starts with '-' (it would read as a CLI flag).
 */
function randomClusterId(): string {
  for (;;) {
    const b = randomBytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const id = b.toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface ReferenceKafkaOptions {
  /** server.properties settings, by Kafka's name, over the single-node defaults. */
  overrides?: Record<string, string>;
  /** Max heap (-Xmx), default 512m. */
  heap?: string;
  /** How long to wait for the broker to answer, default 120 s. */
  startTimeoutMs?: number;
  /**
   * Launch as Kafka's bin/kafka-server-start.sh does (-Xmx1G -Xms1G, the G1 settings of
   * kafka-run-class.sh, no class-data sharing archive) instead of the harness's small serial-GC
   * heap; for measuring Kafka as shipped. `heap` is then ignored.
   */
  stockJvm?: boolean;
  /** Called right after the broker's JVM was spawned (pid and port known), with performance.now(). */
  onLaunch?: (broker: ReferenceKafka, launchedAt: number) => void;
}

export class ReferenceKafka {
  readonly host = '127.0.0.1';
  /** Everything the broker wrote to stderr (warnings and errors only). */
  stderr = '';
  /** Milliseconds from `start()` until the broker answered Metadata, storage format included. */
  startMs = 0;
  /** Of which formatting the KRaft storage directory (one short JVM run). */
  formatMs = 0;
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private watchdog: ChildProcess | null = null;

  private constructor(
    readonly install: ReferenceKafkaInstall,
    readonly dir: string,
    readonly port: number,
    readonly controllerPort: number,
    private readonly opts: ReferenceKafkaOptions,
  ) {}

  /** Null when the reference broker can run here; otherwise why not, in one line. */
  static async unavailable(): Promise<string | null> {
    const got = await referenceKafkaInstall();
    return typeof got === 'string' ? got : null;
  }

  static async available(): Promise<boolean> {
    return (await ReferenceKafka.unavailable()) === null;
  }

  /**
   * Formats a fresh KRaft storage directory and starts a combined broker+controller (node 1) on
   * free ports, resolving once it answers ApiVersions and lists itself in Metadata.
   */
  static async start(opts: ReferenceKafkaOptions = {}): Promise<ReferenceKafka> {
    const began = Date.now();
    const install = await requireInstall();
    const dir = mkdtempSync(join(tmpdir(), 'samsa-reference-kafka-'));
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const k = new ReferenceKafka(install, dir, port, controllerPort, opts);
    try {
      k.writeConfig();
      const formatStart = Date.now();
      await k.format();
      k.formatMs = Date.now() - formatStart;
      await k.launch(opts.startTimeoutMs ?? 120_000);
      k.startMs = Date.now() - began;
      return k;
    } catch (e) {
      await k.close();
      throw e;
    }
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** The broker JVM's pid (for /proc metrics), null before launch and after stop. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get version(): string {
    return this.install.version;
  }

  private get configFile(): string {
    return join(this.dir, 'server.properties');
  }

  private writeConfig(): void {
    const controller = `${this.host}:${this.controllerPort}`;
    const settings: Record<string, string> = {
      'process.roles': 'broker,controller',
      'node.id': String(NODE_ID),
      // KIP-853: a dynamic quorum bootstrapped by `format --standalone`.
      'controller.quorum.bootstrap.servers': controller,
      listeners: `PLAINTEXT://${this.bootstrap},CONTROLLER://${controller}`,
      'advertised.listeners': `PLAINTEXT://${this.bootstrap}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'log.dirs': join(this.dir, 'data'),
      'num.partitions': '1',
      'offsets.topic.replication.factor': '1',
      'offsets.topic.num.partitions': '1',
      'transaction.state.log.replication.factor': '1',
      'transaction.state.log.min.isr': '1',
      'transaction.state.log.num.partitions': '1',
      'share.coordinator.state.topic.replication.factor': '1',
      'share.coordinator.state.topic.min.isr': '1',
      'min.insync.replicas': '1',
      'group.initial.rebalance.delay.ms': '0',
      ...this.opts.overrides,
    };
    writeFileSync(this.configFile, Object.entries(settings).map(([key, value]) => `${key}=${value}\n`).join(''));
  }

  private async format(): Promise<void> {
    const args = ['format', '--standalone', '--cluster-id', randomClusterId(), '--config', this.configFile];
    const r = await runTool(this.install, KafkaTool.storage, args, '', 120_000);
    if (r.code !== 0) throw new Error(`kafka StorageTool format failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  }

  private launch(timeoutMs: number): Promise<void> {
    const cds = this.opts.stockJvm ? NO_CDS : classDataSharing(this.install, 'broker');
    const jvm = this.opts.stockJvm
      ? jvmArgs('1G', ['-Xms1G'], this.install.classpath, cds, STOCK_GC)
      : jvmArgs(this.opts.heap ?? '512m', ['-Xms128m'], this.install.classpath, cds);
    const args = [...jvm, 'kafka.Kafka', this.configFile];
    const child = spawn('java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.opts.onLaunch?.(this, performance.now());
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        // A JVM ends with 143 after running its shutdown hooks for SIGTERM; the archive is
        // dumped after those, so it is complete on either clean exit (not after a SIGKILL).
        cds.exited(code === 0 || code === 143);
        resolve(code ?? (signal === null ? null : -1));
      }),
    );
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
      if (this.stderr.length > 1_000_000) this.stderr = this.stderr.slice(-500_000);
    });
    this.startWatchdog(child);
    return new Promise((resolve, reject) => {
      let exited = false;
      child.once('exit', (code, signal) => {
        exited = true;
        reject(new Error(`reference Kafka exited (${signal ?? code}) before it answered:\n${this.stderr.slice(-4000)}`));
      });
      const deadline = Date.now() + timeoutMs;
      const poll = async (): Promise<void> => {
        while (!exited) {
          if (Date.now() > deadline) {
            reject(new Error(`reference Kafka did not answer on ${this.bootstrap} in ${timeoutMs} ms:\n${this.stderr.slice(-4000)}`));
            return;
          }
          if (await this.answers()) {
            resolve();
            return;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      void poll();
    });
  }

  /** The broker answers ApiVersions and lists itself in Metadata (it is registered and unfenced). */
  private async answers(): Promise<boolean> {
    let conn: RawConnection | null = null;
    // The listener is bound before Kafka starts processing requests; an early request waits in
    // the accept backlog, so each attempt gets 2 s before the connection is dropped and retried.
    const timer = setTimeout(() => conn?.close(), 2000);
    try {
      conn = await RawConnection.open(this.host, this.port);
      const versions = await conn.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'samsa-compat', clientSoftwareVersion: '1' });
      if (versions.errorCode !== 0) return false;
      const metadata = await conn.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: [] });
      return metadata.brokers.some((b) => b.nodeId === NODE_ID);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      conn?.close();
    }
  }

  /**
   * If this test process dies without stopping the broker (a tap timeout ends it with SIGKILL),
   * a detached shell stops the JVM and removes its directory, so no broker outlives its test.
   */
  private startWatchdog(child: ChildProcess): void {
    const script =
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
      'if kill -0 "$2" 2>/dev/null; then kill -TERM "$2"; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$2" 2>/dev/null || break; sleep 1; done; ' +
      'kill -KILL "$2" 2>/dev/null; rm -rf "$3"; fi';
    const watchdog = spawn('bash', ['-c', script, 'reference-kafka-watchdog', String(process.pid), String(child.pid), this.dir], {
      detached: true,
      stdio: 'ignore',
    });
    watchdog.unref();
    this.watchdog = watchdog;
  }

  /** Stops the broker (SIGTERM: Kafka's controlled shutdown; SIGKILL after 30 s) and waits for it; keeps the directory. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (child === null) return null;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await this.exited;
    clearTimeout(timer);
    this.watchdog?.kill('SIGKILL');
    this.watchdog = null;
    return code;
  }

  /** Stops the broker (SIGKILL: as in a crash) and starts it again on the same ports and directory. */
  async restart(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (signal === 'SIGKILL') this.child?.kill('SIGKILL');
    await this.stop();
    await this.launch(this.opts.startTimeoutMs ?? 120_000);
  }

  /** Stops the broker and removes its directory. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The reference broker and a Samsa process, started at once. `teardown` gets each one's close as
 * soon as it is up, so both are stopped when the caller ends even if the other failed to start.
 */
export async function startBothBrokers(teardown: (fn: () => Promise<void>) => void, samsaOptions: SamsaOptions = {}): Promise<[ReferenceKafka, SamsaProcess]> {
  const [reference, samsa] = await Promise.allSettled([ReferenceKafka.start(), SamsaProcess.start(samsaOptions)]);
  if (reference.status === 'fulfilled') teardown(() => reference.value.close());
  if (samsa.status === 'fulfilled') teardown(() => samsa.value.close());
  if (reference.status === 'rejected') throw reference.reason;
  if (samsa.status === 'rejected') throw samsa.reason;
  return [reference.value, samsa.value];
}
