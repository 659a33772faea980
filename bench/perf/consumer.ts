/**
 * Consumer throughput, after Kafka's kafka-consumer-perf-test, with node-rdkafka's KafkaConsumer.
 *
 *   node dist/bench/perf/consumer.js --bootstrap 127.0.0.1:9092 --topic perf --num-records 1000000
 *     [--group GROUP_ID] [--batch 1000]
 *
 * Reads `topic` from the beginning until --num-records records have arrived. Without --group the
 * consumer has no group.id and assign()s every partition at the earliest offset; with --group it
 * subscribe()s as a member of that group (auto.offset.reset=earliest, auto commit on), so the
 * time includes joining the group, reported apart as `join ms` (subscribe to first record).
 * MB counts key and value bytes. fetch.queue.backoff.ms is 1 (librdkafka's default of 1 s left the
 * consumer idle most of the time against a fast broker).
 */
import { performance } from 'node:perf_hooks';
import {
  connectClient,
  disconnectClient,
  fmt,
  intFlag,
  isMain,
  Kafka,
  MB,
  parseFlags,
  partitionCount,
  type PhaseHooks,
  type RdConfig,
  type RdMessage,
} from './common.js';

export interface ConsumerOptions {
  bootstrap: string;
  topic: string;
  numRecords: number;
  /** Consume as a member of this group (subscribe); none: assign() without a group. */
  group?: string;
  /** Messages asked for per consume() call. */
  batch?: number;
  /** Give up when no record arrives for this long. */
  idleTimeoutMs?: number;
  config?: RdConfig;
}

export interface ConsumerResult {
  records: number;
  bytes: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Start to the first record (group join and first fetch). */
  joinMs: number;
  /** Rate from the first record on. */
  fetchRecordsPerSec: number;
  fetchMbPerSec: number;
}

export async function runConsumer(o: ConsumerOptions, hooks: PhaseHooks = {}): Promise<ConsumerResult> {
  const grouped = o.group !== undefined;
  const conf: RdConfig = {
    'metadata.broker.list': o.bootstrap,
    'client.id': 'samsa-perf-consumer',
    'enable.partition.eof': false,
    // librdkafka (2.4+) stops fetching for fetch.queue.backoff.ms (1 s) whenever its local queue
    // holds queued.min.messages (100,000): with fast fetches that idles the pipe most of the time.
    'fetch.queue.backoff.ms': 1,
    // node-rdkafka insists on a group.id even for assign(); without --group it is never joined and
    // nothing is committed.
    ...(grouped ? { 'group.id': o.group!, 'enable.auto.commit': true } : { 'group.id': `samsa-perf-assign-${process.pid}-${Date.now()}`, 'enable.auto.commit': false }),
    ...o.config,
  };
  const consumer = new Kafka.KafkaConsumer(conf, { 'auto.offset.reset': 'earliest' });
  await connectClient(consumer);
  const batch = o.batch ?? 1000;
  const idleTimeoutMs = o.idleTimeoutMs ?? 30_000;
  consumer.setDefaultConsumeTimeout(100);
  try {
    const partitions = grouped ? 0 : await partitionCount(consumer, o.topic);
    hooks.onStart?.();
    const start = performance.now();
    if (grouped) consumer.subscribe([o.topic]);
    else consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic: o.topic, partition, offset: -2 /* OFFSET_BEGINNING */ })));
    let records = 0;
    let bytes = 0;
    let first = 0;
    let lastProgress = start;
    while (records < o.numRecords) {
      const msgs = await new Promise<RdMessage[]>((resolve, reject) =>
        consumer.consume(Math.min(batch, o.numRecords - records), (err, m) => (err ? reject(err) : resolve(m))),
      );
      const now = performance.now();
      if (msgs.length === 0) {
        if (now - lastProgress > idleTimeoutMs) throw new Error(`no records for ${idleTimeoutMs} ms after ${records} of ${o.numRecords}`);
        continue;
      }
      if (records === 0) first = now;
      lastProgress = now;
      records += msgs.length;
      for (const m of msgs) bytes += (m.value?.length ?? 0) + (m.key?.length ?? 0);
    }
    const end = performance.now();
    hooks.onEnd?.();
    const seconds = (end - start) / 1000;
    const fetchSeconds = (end - first) / 1000;
    return {
      records,
      bytes,
      seconds,
      recordsPerSec: records / seconds,
      mbPerSec: bytes / MB / seconds,
      joinMs: first - start,
      fetchRecordsPerSec: records / fetchSeconds,
      fetchMbPerSec: bytes / MB / fetchSeconds,
    };
  } finally {
    await disconnectClient(consumer);
  }
}

export function formatConsumer(r: ConsumerResult): string {
  return (
    `${r.records} records, ${fmt(r.bytes / MB, 2)} MB in ${fmt(r.seconds, 2)} s: ${fmt(r.recordsPerSec, 1)} records/sec, ` +
    `${fmt(r.mbPerSec, 2)} MB/sec; join ${fmt(r.joinMs, 0)} ms; after the first record ${fmt(r.fetchRecordsPerSec, 1)} records/sec, ${fmt(r.fetchMbPerSec, 2)} MB/sec.`
  );
}

const USAGE = `usage: consumer --bootstrap HOST:PORT --topic T --num-records N [--group GROUP_ID] [--batch 1000]`;

if (isMain(import.meta.url)) {
  const f = parseFlags(process.argv.slice(2), { bootstrap: true, topic: true, 'num-records': true, group: true, batch: true }, USAGE);
  const result = await runConsumer({
    bootstrap: f.get('bootstrap') ?? '127.0.0.1:9092',
    topic: f.get('topic') ?? 'samsa-perf',
    numRecords: intFlag(f, 'num-records', 1_000_000),
    group: f.get('group'),
    batch: intFlag(f, 'batch', 1000),
  });
  console.log(formatConsumer(result));
}
