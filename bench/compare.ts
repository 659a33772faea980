/**
 * `make bench BENCH_ARGS=--compare-kafka` (or `make bench-compare`): Samsa and the reference Apache
 * Kafka (compat-tests/harness/reference-kafka.ts) measured by the same phases, interleaved per
 * round (Samsa round 1, Kafka round 1, Samsa round 2, ...), each round on a freshly launched
 * broker, and reported as medians and Samsa / Kafka ratios.
 *
 * Kafka runs with its default broker settings (single node, KRaft, no flush settings) and the
 * JVM options of bin/kafka-server-start.sh; only what one node needs (replication factors of the
 * internal topics) is set. Samsa runs as `bin/samsa start` with its defaults.
 *
 * Per broker and round:
 *   1. launch to the first Metadata answer, polled from the spawn of the broker process the same
 *      way for both (Kafka's storage format, a separate JVM run before, is not counted);
 *   2. the node-rdkafka suite of bench/suite.ts (warm-up, produce, consume, end-to-end);
 *   3. Kafka's Java generators on the reference classpath: ProducerPerformance (6 partitions,
 *      batch.size 65536, linger.ms 5, 100 B and 1,000 B, acks=1 and acks=all), ConsumerPerformance
 *      on the acks=1 topics, and ProducerPerformance at 100 B, acks=1 into topics of 1, 100 and
 *      2,000 partitions (the 6-partition figure is the acks=1 phase above);
 *   4. the broker's peak resident set (VmHWM) over all of it.
 *
 * Broker CPU of a Java phase is read when the tool's JVM is spawned and after it exited, less the
 * broker's idle rate over that span (each phase first waits for the broker to be idle).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { ReferenceKafka, referenceKafkaInstall } from '../compat-tests/harness/reference-kafka.js';
import { BenchBroker } from './perf/broker.js';
import { connectClient, disconnectClient, ensureTopic, fmt, Kafka, MB, median, partitionCount, sleep, type PhaseHooks } from './perf/common.js';
import { runJavaConsumer, runJavaProducer, type JavaConsumerResult, type JavaProducerResult } from './perf/java-perf.js';
import { cpuSeconds, memoryStatus, timeToFirstMetadata } from './perf/process-metrics.js';
import type { BenchTarget, RunResult, Sizes } from './suite.js';

export type BrokerName = 'samsa' | 'kafka';

interface Measured<R> {
  r: R;
  cpu: number;
}

export interface BrokerRound {
  rd: RunResult;
  javaProduce: Map<string, Measured<JavaProducerResult>>;
  javaConsume: Map<string, Measured<JavaConsumerResult>>;
  /** 100 B, acks=1 records into topics of this many partitions. */
  scan: Map<number, Measured<JavaProducerResult>>;
  launchToMetadataMs: number;
  hwm: number;
  warnings: number;
}

const JAVA_PARTITIONS = 6;
const SCAN_PARTITIONS = [1, 6, 100, 2000];

const JAVA_PRODUCE = [
  { key: 'j100-1', label: '100 B, acks=1', recordSize: 100, acks: '1' },
  { key: 'j100-all', label: '100 B, acks=all', recordSize: 100, acks: 'all' },
  { key: 'j1000-1', label: '1,000 B, acks=1', recordSize: 1000, acks: '1' },
  { key: 'j1000-all', label: '1,000 B, acks=all', recordSize: 1000, acks: 'all' },
] as const;

const JAVA_CONSUME = [
  { key: 'jc100', label: '100 B, group', from: 'j100-1' },
  { key: 'jc1000', label: '1,000 B, group', from: 'j1000-1' },
] as const;

/** Kafka's own defaults where the harness sets test-friendly values (Samsa has the same defaults). */
const KAFKA_DEFAULTS = { 'group.initial.rebalance.delay.ms': '3000', 'offsets.topic.num.partitions': '50' };

/**
 * Broker CPU over a Java tool's run, from its JVM's spawn to its exit, less what the broker uses
 * when idle (measured just before, see `waitQuiet`) over the same time: the broker waits for the
 * tool's JVM to start, and an idle JVM broker still runs its compiler and background threads.
 */
class Meter implements PhaseHooks {
  private before = NaN;
  private startedAt = 0;
  cpu = NaN;
  constructor(
    private readonly pid: number,
    private readonly idlePerSecond: number,
  ) {}
  onStart = (): void => {
    this.startedAt = performance.now();
    this.before = cpuSeconds(this.pid);
  };
  onEnd = (): void => {
    const idle = (this.idlePerSecond * (performance.now() - this.startedAt)) / 1000;
    this.cpu = Math.max(0, cpuSeconds(this.pid) - this.before - idle);
  };
}

/**
 * Waits (at most 30 s) until the broker used under 3% of a core over one second (topic creation,
 * the previous phase and the compilation and collection after it are done); returns its CPU
 * seconds per second over that last second. A JVM broker takes longer to settle than Samsa.
 */
async function waitQuiet(pid: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  let rate = NaN;
  while (Date.now() < deadline) {
    const before = cpuSeconds(pid);
    const at = performance.now();
    await sleep(1000);
    rate = (cpuSeconds(pid) - before) / ((performance.now() - at) / 1000);
    if (rate < 0.03) return rate;
  }
  return rate;
}

async function createTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  await ensureTopic(bootstrap, topic, partitions);
  const client = new Kafka.Producer({ 'metadata.broker.list': bootstrap, 'client.id': 'samsa-compare-admin' });
  await connectClient(client);
  try {
    const n = await partitionCount(client, topic, 60_000);
    if (n !== partitions) throw new Error(`${topic}: ${n} partitions, expected ${partitions}`);
  } finally {
    await disconnectClient(client);
  }
}

async function javaPhases(target: BenchTarget & { pid: number }, sizes: Sizes, tag: string, round: Omit<BrokerRound, 'rd' | 'launchToMetadataMs' | 'hwm' | 'warnings'>): Promise<void> {
  const { bootstrap, pid } = target;
  const topicOf = (key: string): string => `java-${key}-${tag}`;
  for (const p of JAVA_PRODUCE) {
    const numRecords = p.recordSize === 100 ? sizes.small : sizes.large;
    await createTopic(bootstrap, topicOf(p.key), JAVA_PARTITIONS);
    const m = new Meter(pid, await waitQuiet(pid));
    const r = await runJavaProducer({ bootstrap, topic: topicOf(p.key), numRecords, recordSize: p.recordSize, acks: p.acks, batchSize: 65536, lingerMs: 5 }, m);
    round.javaProduce.set(p.key, { r, cpu: m.cpu });
    console.log(`  java produce ${p.label}: ${fmt(r.recordsPerSec, 0)} records/s, p99 ${r.p99Ms} ms. Broker CPU ${fmt(m.cpu, 2)} s.`);
    if (p.key === 'j100-1') round.scan.set(JAVA_PARTITIONS, { r, cpu: m.cpu });
  }
  for (const c of JAVA_CONSUME) {
    const numRecords = c.from.startsWith('j100-') ? sizes.small : sizes.large;
    const m = new Meter(pid, await waitQuiet(pid));
    const r = await runJavaConsumer({ bootstrap, topic: topicOf(c.from), numRecords, group: topicOf(c.key) }, m);
    round.javaConsume.set(c.key, { r, cpu: m.cpu });
    console.log(`  java consume ${c.label}: ${fmt(r.fetchRecordsPerSec, 0)} records/s after join. Broker CPU ${fmt(m.cpu, 2)} s.`);
  }
  for (const partitions of SCAN_PARTITIONS) {
    if (partitions === JAVA_PARTITIONS) continue;
    const topic = topicOf(`scan-${partitions}`);
    await createTopic(bootstrap, topic, partitions);
    const m = new Meter(pid, await waitQuiet(pid));
    const r = await runJavaProducer({ bootstrap, topic, numRecords: sizes.small, recordSize: 100, acks: '1', batchSize: 65536, lingerMs: 5 }, m);
    round.scan.set(partitions, { r, cpu: m.cpu });
    console.log(`  java produce 100 B, acks=1, ${partitions} partitions: ${fmt(r.recordsPerSec, 0)} records/s. Broker CPU ${fmt(m.cpu, 2)} s.`);
  }
}

type RunPhases = (run: number, sizes: Sizes, target: BenchTarget) => Promise<RunResult>;

async function samsaRound(round: number, sizes: Sizes, runPhases: RunPhases): Promise<BrokerRound> {
  const broker = await BenchBroker.start();
  try {
    console.log(`round ${round}, Samsa: pid ${broker.pid} on ${broker.bootstrap}; launch to first Metadata ${fmt(broker.startToMetadataMs, 0)} ms`);
    const rd = await runPhases(round, sizes, broker);
    const r: BrokerRound = { rd, javaProduce: new Map(), javaConsume: new Map(), scan: new Map(), launchToMetadataMs: broker.startToMetadataMs, hwm: NaN, warnings: 0 };
    await javaPhases(broker, sizes, `s${round}-${Date.now().toString(36)}`, r);
    r.hwm = memoryStatus(broker.pid).hwm;
    await broker.close();
    rd.problems = broker.problems();
    rd.exitCode = broker.exitCode;
    r.warnings = rd.problems.length;
    return r;
  } catch (e) {
    console.error(`Samsa log (last 4,000 characters):\n${broker.log.slice(-4000)}`);
    await broker.close();
    throw e;
  }
}

async function kafkaRound(round: number, sizes: Sizes, runPhases: RunPhases): Promise<BrokerRound> {
  const firstMetadata: { ms?: Promise<number> } = {};
  const kafka = await ReferenceKafka.start({
    stockJvm: true,
    overrides: KAFKA_DEFAULTS,
    startTimeoutMs: 180_000,
    // Polled from the spawn of the broker's JVM exactly as BenchBroker polls bin/samsa.
    onLaunch: (b, launchedAt) => {
      firstMetadata.ms = timeToFirstMetadata(b.host, b.port, launchedAt, 180_000);
      firstMetadata.ms.catch(() => undefined);
    },
  });
  try {
    const launchToMetadataMs = firstMetadata.ms === undefined ? NaN : await firstMetadata.ms;
    const pid = kafka.pid!;
    console.log(`round ${round}, Kafka ${kafka.version}: pid ${pid} on ${kafka.bootstrap}; launch to first Metadata ${fmt(launchToMetadataMs, 0)} ms (storage format before: ${kafka.formatMs} ms)`);
    const target = { bootstrap: kafka.bootstrap, pid, startToMetadataMs: launchToMetadataMs, startToReadyMs: NaN };
    const rd = await runPhases(round, sizes, target);
    const r: BrokerRound = { rd, javaProduce: new Map(), javaConsume: new Map(), scan: new Map(), launchToMetadataMs, hwm: NaN, warnings: 0 };
    await javaPhases(target, sizes, `k${round}-${Date.now().toString(36)}`, r);
    r.hwm = memoryStatus(pid).hwm;
    await kafka.close();
    r.warnings = kafka.stderr.split('\n').filter((l) => / (WARN|ERROR) /.test(l)).length;
    return r;
  } catch (e) {
    console.error(`Kafka stderr (last 4,000 characters):\n${kafka.stderr.slice(-4000)}`);
    await kafka.close();
    throw e;
  }
}

export interface CompareResult {
  samsa: BrokerRound[];
  kafka: BrokerRound[];
  kafkaVersion: string;
  loadBefore: number;
  loadAfter: number;
  minutes: number;
}

/** Runs `rounds` rounds, Samsa first in each. */
export async function runCompare(rounds: number, sizes: Sizes, runPhases: RunPhases): Promise<CompareResult> {
  const unavailable = await ReferenceKafka.unavailable();
  if (unavailable !== null) throw new Error(unavailable);
  const loadBefore = loadavg()[0]!;
  const began = performance.now();
  const out: CompareResult = { samsa: [], kafka: [], kafkaVersion: '', loadBefore, loadAfter: NaN, minutes: NaN };
  for (let i = 1; i <= rounds; i++) {
    out.samsa.push(await samsaRound(i, sizes, runPhases));
    out.kafka.push(await kafkaRound(i, sizes, runPhases));
  }
  const install = await referenceKafkaInstall();
  out.kafkaVersion = typeof install === 'string' ? '?' : install.version;
  out.loadAfter = loadavg()[0]!;
  out.minutes = (performance.now() - began) / 60_000;
  return out;
}

// ---- report ----

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

interface Row {
  metric: string;
  generator: string;
  samsa: number;
  kafka: number;
  unit: string;
  digits: number;
  /** Goal on the ratio Samsa / Kafka: at least (throughput) or at most (costs). */
  goal?: { atLeast?: number; atMost?: number };
}

function ratioCells(r: Row): string[] {
  const ratio = r.samsa / r.kafka;
  let goal = '—';
  let met = '—';
  if (r.goal?.atLeast !== undefined) {
    goal = `≥ ${r.goal.atLeast}×`;
    met = Number.isFinite(ratio) ? (ratio >= r.goal.atLeast ? 'met' : 'missed') : 'not measured';
  } else if (r.goal?.atMost !== undefined) {
    goal = `≤ ${r.goal.atMost}×`;
    met = Number.isFinite(ratio) ? (ratio <= r.goal.atMost ? 'met' : 'missed') : 'not measured';
  }
  const cell = (v: number): string => (r.unit === '' ? fmt(v, r.digits) : `${fmt(v, r.digits)} ${r.unit}`);
  return [r.metric, r.generator, cell(r.samsa), cell(r.kafka), Number.isFinite(ratio) ? `${fmt(ratio, 2)}×` : 'n/a', goal, met];
}

const perM = (cpu: number, records: number): number => (cpu / records) * 1e6;

export function compareReport(c: CompareResult, sizes: Sizes, librdkafkaVersion: string, sizeNote: string): string {
  const med = (b: BrokerName, f: (r: BrokerRound) => number): number => median(c[b].map(f));
  const both = (f: (r: BrokerRound) => number): { samsa: number; kafka: number } => ({ samsa: med('samsa', f), kafka: med('kafka', f) });
  const rows: Row[] = [];
  const RD = `node-rdkafka (librdkafka ${librdkafkaVersion})`;
  const JP = 'kafka-producer-perf-test';
  const JC = 'kafka-consumer-perf-test';
  const rdProduce: Array<[string, string]> = [
    ['p100-1', '100 B, acks=1'],
    ['p100-all', '100 B, acks=all'],
    ['p1000-1', '1,000 B, acks=1'],
    ['p1000-all', '1,000 B, acks=all'],
  ];
  for (const [key, label] of rdProduce) {
    rows.push({ metric: `produce ${label}, records/s`, generator: RD, ...both((r) => r.rd.produce.get(key)!.r.recordsPerSec), unit: '', digits: 0, goal: { atLeast: 1.2 } });
  }
  for (const p of JAVA_PRODUCE) {
    rows.push({ metric: `produce ${p.label}, records/s`, generator: JP, ...both((r) => r.javaProduce.get(p.key)!.r.recordsPerSec), unit: '', digits: 0, goal: { atLeast: 1.2 } });
  }
  rows.push({ metric: 'consume 100 B, assign, records/s', generator: RD, ...both((r) => r.rd.consume.get('c100-assign')!.r.recordsPerSec), unit: '', digits: 0, goal: { atLeast: 1.2 } });
  rows.push({ metric: 'consume 1,000 B, assign, records/s', generator: RD, ...both((r) => r.rd.consume.get('c1000-assign')!.r.recordsPerSec), unit: '', digits: 0, goal: { atLeast: 1.2 } });
  for (const j of JAVA_CONSUME) {
    rows.push({ metric: `consume ${j.label}, records/s after join`, generator: JC, ...both((r) => r.javaConsume.get(j.key)!.r.fetchRecordsPerSec), unit: '', digits: 0, goal: { atLeast: 1.2 } });
  }
  for (const [key, label] of rdProduce) {
    rows.push({ metric: `broker CPU per M records, produce ${label}`, generator: RD, ...both((r) => perM(r.rd.produce.get(key)!.cpu, r.rd.produce.get(key)!.r.records)), unit: 's', digits: 2, goal: { atMost: 0.5 } });
  }
  for (const p of JAVA_PRODUCE) {
    rows.push({ metric: `broker CPU per M records, produce ${p.label}`, generator: JP, ...both((r) => perM(r.javaProduce.get(p.key)!.cpu, r.javaProduce.get(p.key)!.r.records)), unit: 's', digits: 2, goal: { atMost: 0.5 } });
  }
  rows.push({ metric: 'broker CPU per M records, consume 100 B, assign', generator: RD, ...both((r) => perM(r.rd.consume.get('c100-assign')!.cpu, r.rd.consume.get('c100-assign')!.r.records)), unit: 's', digits: 2, goal: { atMost: 0.5 } });
  for (const j of JAVA_CONSUME) {
    rows.push({ metric: `broker CPU per M records, consume ${j.label}`, generator: JC, ...both((r) => perM(r.javaConsume.get(j.key)!.cpu, r.javaConsume.get(j.key)!.r.records)), unit: 's', digits: 2, goal: { atMost: 0.5 } });
  }
  rows.push({ metric: 'end-to-end latency p50', generator: RD, ...both((r) => r.rd.e2e.r.latency.p50 / 1000), unit: 'ms', digits: 3 });
  rows.push({ metric: 'end-to-end latency p99', generator: RD, ...both((r) => r.rd.e2e.r.latency.p99 / 1000), unit: 'ms', digits: 3, goal: { atMost: 0.5 } });
  rows.push({ metric: 'produce latency p99, 100 B, acks=1 (send to ack)', generator: JP, ...both((r) => r.javaProduce.get('j100-1')!.r.p99Ms), unit: 'ms', digits: 0 });
  rows.push({ metric: 'RSS idle after start', generator: '—', ...both((r) => r.rd.idleRss / MB), unit: 'MB', digits: 0 });
  rows.push({ metric: 'peak RSS over the round (VmHWM)', generator: 'all', ...both((r) => r.hwm / MB), unit: 'MB', digits: 0, goal: { atMost: 0.3 } });
  rows.push({ metric: 'launch to first Metadata answer', generator: 'raw Metadata v1 poll', ...both((r) => r.launchToMetadataMs), unit: 'ms', digits: 0 });

  const out: string[] = [];
  out.push('## Side by side with Apache Kafka (measured here)');
  out.push('');
  out.push(
    `Written by \`make bench-compare\` (bench/compare.ts) on ${new Date().toISOString().slice(0, 10)}${sizeNote}. ` +
      `**Measured under load**: other work shared the machine's cores (1-minute load average ${fmt(c.loadBefore, 2)} before and ${fmt(c.loadAfter, 2)} after; ` +
      'the brokers and load generators alone add up to about 2), so absolute figures are low and noisy; only medians and ratios are quoted.',
  );
  out.push('');
  out.push(
    `Reference: Apache Kafka ${c.kafkaVersion} (kafka_2.13 and kafka-tools from Maven Central), one combined broker+controller (KRaft), default broker settings ` +
      '(no flush settings, so acks=all is not fsynced; group.initial.rebalance.delay.ms 3000 and 50 __consumer_offsets partitions as by default; replication factors of internal topics 1), ' +
      'launched with the JVM options of bin/kafka-server-start.sh (-Xmx1G -Xms1G, G1). Samsa: `bin/samsa start` with default settings (acks=all fsynced). ' +
      `Each broker freshly launched per round, rounds interleaved (Samsa 1, Kafka 1, Samsa 2, ...), ${c.samsa.length} round(s), medians; the comparison took ${fmt(c.minutes, 1)} minutes.`,
  );
  out.push('');
  out.push(
    `Load generators: ${RD} running the phases of the single-broker section above (same sizes, same warm-up); ` +
      `and Kafka's Java tools ${c.kafkaVersion} from the same classpath with the JVM options of their scripts: ` +
      `\`kafka-producer-perf-test\` (org.apache.kafka.tools.ProducerPerformance; ${sizes.small.toLocaleString('en-US')} × 100 B and ${sizes.large.toLocaleString('en-US')} × 1,000 B, ` +
      `${JAVA_PARTITIONS} partitions, batch.size 65536, linger.ms 5, no compression, unthrottled) and \`kafka-consumer-perf-test\` ` +
      '(org.apache.kafka.tools.ConsumerPerformance, as a new group member reading the acks=1 topics; its records/s after the join). ' +
      'Broker CPU is user + system time of the broker process (/proc/<pid>/stat); for the Java tools from the spawn of the tool\'s JVM to its exit, ' +
      'less the broker\'s idle CPU rate (measured over the second before, once under 3% of a core) times that span, as the broker idles while the tool\'s JVM starts. ' +
      'Ratio = Samsa median / Kafka median; the goals are on that ratio.',
  );
  out.push('');
  out.push(table(['metric', 'generator', 'Samsa', 'Kafka', 'Samsa / Kafka', 'goal', 'verdict'], rows.map(ratioCells)));
  out.push('');

  out.push('### Partitions');
  out.push('');
  out.push(
    `${sizes.small.toLocaleString('en-US')} × 100 B records, acks=1, \`kafka-producer-perf-test\` as above, into topics of 1, 6, 100 and 2,000 partitions ` +
      '(the 6-partition figures are the 100 B, acks=1 phase above). Goal: CPU per record at 2,000 partitions within 3× the 6-partition figure, per broker.',
  );
  out.push('');
  const scanRows: string[][] = SCAN_PARTITIONS.map((n) => {
    const rate = both((r) => r.scan.get(n)!.r.recordsPerSec);
    const cpu = both((r) => perM(r.scan.get(n)!.cpu, r.scan.get(n)!.r.records));
    const ratio = cpu.samsa / cpu.kafka;
    return [n.toLocaleString('en-US'), fmt(rate.samsa, 0), fmt(rate.kafka, 0), fmt(cpu.samsa, 2), fmt(cpu.kafka, 2), Number.isFinite(ratio) ? `${fmt(ratio, 2)}×` : 'n/a'];
  });
  out.push(table(['partitions', 'Samsa records/s', 'Kafka records/s', 'Samsa CPU s per M', 'Kafka CPU s per M', 'CPU Samsa / Kafka'], scanRows));
  out.push('');
  const scale = (b: BrokerName): number => median(c[b].map((r) => r.scan.get(2000)!.cpu / r.scan.get(2000)!.r.records / (r.scan.get(6)!.cpu / r.scan.get(6)!.r.records)));
  const times = (x: number): string => (Number.isFinite(x) ? `${fmt(x, 2)}×` : 'n/a');
  const verdict = (x: number): string => (!Number.isFinite(x) ? 'not measured' : x <= 3 ? 'within 3×' : 'more than 3×');
  out.push(
    `CPU per record at 2,000 partitions relative to 6 partitions (median of per-round ratios): Samsa ${times(scale('samsa'))} (${verdict(scale('samsa'))}), ` +
      `Kafka ${times(scale('kafka'))} (${verdict(scale('kafka'))}).`,
  );
  out.push('');
  const warn = (b: BrokerName): string => c[b].map((r) => String(r.warnings)).join(', ');
  out.push(`WARN/ERROR log lines per round: Samsa ${warn('samsa')}; Kafka ${warn('kafka')} (Kafka's harness log configuration writes only warnings and errors).`);
  out.push('');
  return out.join('\n');
}
