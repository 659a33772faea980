/**
 * Kafka's own load generators, run on the reference Kafka's classpath against any broker:
 * org.apache.kafka.tools.ProducerPerformance (bin/kafka-producer-perf-test.sh) and
 * org.apache.kafka.tools.ConsumerPerformance (bin/kafka-consumer-perf-test.sh), with the JVM
 * options those scripts use. Each result is parsed from the tool's summary line.
 */
import { runKafkaTool } from '../../compat-tests/harness/reference-kafka.js';
import type { PhaseHooks } from './common.js';

export const JavaTool = {
  producerPerformance: 'org.apache.kafka.tools.ProducerPerformance',
  consumerPerformance: 'org.apache.kafka.tools.ConsumerPerformance',
} as const;

export interface JavaProducerOptions {
  bootstrap: string;
  /** The topic must exist (the tool would auto-create it with the broker's num.partitions). */
  topic: string;
  numRecords: number;
  recordSize: number;
  acks: string;
  batchSize: number;
  lingerMs: number;
  timeoutMs?: number;
}

export interface JavaProducerResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Milliseconds, as the tool reports them (send() call to the acknowledgement callback). */
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/**
 * The summary line ProducerPerformance prints last, e.g. `2000000 records sent, 412371.1
 * records/sec (39.33 MB/sec), 35.12 ms avg latency, 421.00 ms max latency, 30 ms 50th, 80 ms
 * 95th, 110 ms 99th, 130 ms 99.9th.`
 */
export function parseProducerSummary(stdout: string): JavaProducerResult | null {
  const n = '([0-9.]+)';
  const re = new RegExp(
    `${n} records sent, ${n} records/sec \\(${n} MB/sec\\), ${n} ms avg latency, ${n} ms max latency, ${n} ms 50th, ${n} ms 95th, ${n} ms 99th, ${n} ms 99\\.9th`,
  );
  const lines = stdout.split('\n').filter((l) => re.test(l));
  const m = lines.length > 0 ? re.exec(lines[lines.length - 1]!) : null;
  if (!m) return null;
  const v = m.slice(1).map(Number);
  return { records: v[0]!, recordsPerSec: v[1]!, mbPerSec: v[2]!, avgMs: v[3]!, maxMs: v[4]!, p50Ms: v[5]!, p95Ms: v[6]!, p99Ms: v[7]!, p999Ms: v[8]! };
}

/** `hooks.onStart` runs when the JVM is spawned, `onEnd` when it has exited. */
export async function runJavaProducer(o: JavaProducerOptions, hooks: PhaseHooks = {}): Promise<JavaProducerResult> {
  const args = [
    '--topic',
    o.topic,
    '--num-records',
    String(o.numRecords),
    '--record-size',
    String(o.recordSize),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${o.bootstrap}`,
    `acks=${o.acks}`,
    `batch.size=${o.batchSize}`,
    `linger.ms=${o.lingerMs}`,
    'compression.type=none',
  ];
  const r = await runKafkaTool(JavaTool.producerPerformance, args, { loadGenerator: true, timeoutMs: o.timeoutMs ?? 600_000, onSpawn: () => hooks.onStart?.() });
  hooks.onEnd?.();
  const parsed = r.code === 0 ? parseProducerSummary(r.stdout) : null;
  if (parsed === null || parsed.records !== o.numRecords) {
    throw new Error(`ProducerPerformance failed (exit ${r.code ?? r.signal}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
  return parsed;
}

export interface JavaConsumerOptions {
  bootstrap: string;
  topic: string;
  numRecords: number;
  group: string;
  timeoutMs?: number;
}

export interface JavaConsumerResult {
  records: number;
  mb: number;
  /** Over the whole run, group join included. */
  recordsPerSec: number;
  rebalanceMs: number;
  /** From the first record on (the tool's fetch.nMsg.sec). */
  fetchRecordsPerSec: number;
  fetchMbPerSec: number;
}

/**
 * ConsumerPerformance's data line (with --hide-header): start.time, end.time,
 * data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
 * fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec.
 */
export function parseConsumerSummary(stdout: string): JavaConsumerResult | null {
  for (const line of stdout.split('\n').reverse()) {
    const f = line.split(',').map((x) => x.trim());
    if (f.length !== 10) continue;
    const v = f.slice(2).map(Number);
    if (v.some((x) => !Number.isFinite(x))) continue;
    return { mb: v[0]!, records: v[2]!, recordsPerSec: v[3]!, rebalanceMs: v[4]!, fetchMbPerSec: v[6]!, fetchRecordsPerSec: v[7]! };
  }
  return null;
}

/** Reads `numRecords` as a member of a new group; hooks as for runJavaProducer. */
export async function runJavaConsumer(o: JavaConsumerOptions, hooks: PhaseHooks = {}): Promise<JavaConsumerResult> {
  const args = ['--bootstrap-server', o.bootstrap, '--topic', o.topic, '--messages', String(o.numRecords), '--group', o.group, '--timeout', '30000', '--hide-header'];
  const r = await runKafkaTool(JavaTool.consumerPerformance, args, { loadGenerator: true, timeoutMs: o.timeoutMs ?? 600_000, onSpawn: () => hooks.onStart?.() });
  hooks.onEnd?.();
  const parsed = r.code === 0 ? parseConsumerSummary(r.stdout) : null;
  if (parsed === null || parsed.records < o.numRecords) {
    throw new Error(`ConsumerPerformance failed (exit ${r.code ?? r.signal}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
  return parsed;
}
