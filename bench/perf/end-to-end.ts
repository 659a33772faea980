/**
 * End-to-end latency, after Kafka's EndToEndLatency tool: produce one record, wait until the
 * consumer has it, repeat.
 *
 *   node dist/bench/perf/end-to-end.js --bootstrap 127.0.0.1:9092 --topic e2e --num-records 10000
 *     [--record-size 100] [--acks 1|all] [--warmup 100]
 *
 * One partition. The producer sends with linger.ms=0; the consumer has no group, is assign()ed at
 * the partition's high watermark and fetches with fetch.wait.max.ms=1 and fetch.min.bytes=1, so an
 * idle broker is asked again every millisecond or so. Each round trip is timed from the produce()
 * call until consume() hands back the record (whose value is checked); --warmup round trips come
 * first and are not counted. Latencies in microseconds.
 */
import { performance } from 'node:perf_hooks';
import {
  connectClient,
  disconnectClient,
  ensureTopic,
  fmt,
  intFlag,
  isMain,
  Kafka,
  makePayload,
  parseFlags,
  summarize,
  type LatencySummary,
  type PhaseHooks,
  type RdMessage,
} from './common.js';

export interface EndToEndOptions {
  bootstrap: string;
  topic: string;
  numRecords: number;
  recordSize?: number;
  acks?: string;
  warmup?: number;
}

export interface EndToEndResult {
  roundTrips: number;
  seconds: number;
  /** Microseconds. */
  latency: LatencySummary;
}

export async function runEndToEnd(o: EndToEndOptions, hooks: PhaseHooks = {}): Promise<EndToEndResult> {
  await ensureTopic(o.bootstrap, o.topic, 1);
  const acks = o.acks ?? '1';
  const producer = new Kafka.Producer({
    'metadata.broker.list': o.bootstrap,
    'client.id': 'samsa-perf-e2e-producer',
    'linger.ms': 0,
  }, { 'request.required.acks': acks === 'all' ? -1 : Number(acks) });
  const consumer = new Kafka.KafkaConsumer(
    {
      'metadata.broker.list': o.bootstrap,
      'client.id': 'samsa-perf-e2e-consumer',
      // Required by node-rdkafka even for assign(); never joined, nothing committed.
      'group.id': `samsa-perf-e2e-${process.pid}-${Date.now()}`,
      'enable.auto.commit': false,
      'enable.partition.eof': false,
      'fetch.wait.max.ms': 1,
      'fetch.min.bytes': 1,
    },
    {},
  );
  await Promise.all([connectClient(producer), connectClient(consumer)]);
  producer.setPollInterval(100);
  consumer.setDefaultConsumeTimeout(1000);
  const consumeOne = async (deadline: number): Promise<RdMessage> => {
    for (;;) {
      const msgs = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(1, (err, m) => (err ? reject(err) : resolve(m))));
      if (msgs.length > 0) return msgs[0]!;
      if (Date.now() > deadline) throw new Error('record not consumed within 30 s');
    }
  };
  try {
    // Start at the current end, looked up first (OFFSET_END could resolve after the first send).
    const end = await new Promise<number>((resolve, reject) =>
      consumer.queryWatermarkOffsets(o.topic, 0, 10_000, (err, w) => (err ? reject(err) : resolve(w.highOffset))),
    );
    consumer.assign([{ topic: o.topic, partition: 0, offset: end }]);
    const size = o.recordSize ?? 100;
    const payload = makePayload(size);
    const warmup = o.warmup ?? 100;
    const latencies = new Float64Array(o.numRecords);
    let start = 0;
    for (let i = -warmup; i < o.numRecords; i++) {
      if (i === 0) {
        hooks.onStart?.();
        start = performance.now();
      }
      // A distinct value per round trip, so a stale record cannot pass for this one.
      payload.writeUInt32BE((i + warmup) >>> 0, 0);
      const t0 = performance.now();
      producer.produce(o.topic, 0, payload, null, null);
      const msg = await consumeOne(Date.now() + 30_000);
      const us = (performance.now() - t0) * 1000;
      if (msg.value === null || !msg.value.equals(payload)) throw new Error(`round trip ${i}: consumed a different record (offset ${msg.offset})`);
      if (i >= 0) latencies[i] = us;
    }
    const seconds = (performance.now() - start) / 1000;
    hooks.onEnd?.();
    return { roundTrips: o.numRecords, seconds, latency: summarize(latencies) };
  } finally {
    producer.setPollInterval(0);
    await Promise.all([disconnectClient(producer), disconnectClient(consumer)]);
  }
}

export function formatEndToEnd(r: EndToEndResult): string {
  const l = r.latency;
  return (
    `${r.roundTrips} round trips in ${fmt(r.seconds, 2)} s: avg ${fmt(l.avg, 0)} us, p50 ${fmt(l.p50, 0)} us, ` +
    `p99 ${fmt(l.p99, 0)} us, p99.9 ${fmt(l.p999, 0)} us, max ${fmt(l.max, 0)} us`
  );
}

const USAGE = `usage: end-to-end --bootstrap HOST:PORT --topic T --num-records N [--record-size 100] [--acks 1|all] [--warmup 100]`;

if (isMain(import.meta.url)) {
  const f = parseFlags(process.argv.slice(2), { bootstrap: true, topic: true, 'num-records': true, 'record-size': true, acks: true, warmup: true }, USAGE);
  const result = await runEndToEnd({
    bootstrap: f.get('bootstrap') ?? '127.0.0.1:9092',
    topic: f.get('topic') ?? 'samsa-e2e',
    numRecords: intFlag(f, 'num-records', 10_000),
    recordSize: intFlag(f, 'record-size', 100),
    acks: f.get('acks') ?? '1',
    warmup: intFlag(f, 'warmup', 100),
  });
  console.log(formatEndToEnd(result));
}
