/**
 * Producer throughput and latency, after Kafka's kafka-producer-perf-test, with node-rdkafka's
 * Producer (librdkafka) as the load generator.
 *
 *   node dist/bench/perf/producer.js --bootstrap 127.0.0.1:9092 --topic perf --num-records 1000000
 *     [--record-size 100] [--acks 1|all|0] [--linger-ms 5] [--batch-size 65536]
 *     [--compression none|gzip|snappy|lz4|zstd] [--partitions 6] [--throughput -1]
 *     [--max-queued 100000]
 *
 * Records have no key (librdkafka's partitioner spreads them) and share one random printable
 * payload. Latency is per record, from the produce() call to its delivery report (dr_cb). The
 * delivery reports only surface when the producer is polled, which this tool does after every
 * chunk of sends and every millisecond while it waits, so they can be late by up to about 1 ms.
 * At most --max-queued records (queue.buffering.max.messages) are outstanding; ERR__QUEUE_FULL
 * makes it poll and wait instead of failing.
 */
import { performance } from 'node:perf_hooks';
import {
  connectClient,
  disconnectClient,
  ensureTopic,
  errorCode,
  fmt,
  intFlag,
  isMain,
  Kafka,
  makePayload,
  MB,
  nextTick,
  parseFlags,
  sleep,
  summarize,
  type LatencySummary,
  type PhaseHooks,
  type RdConfig,
} from './common.js';

export interface ProducerOptions {
  bootstrap: string;
  topic: string;
  numRecords: number;
  recordSize: number;
  /** '0', '1', 'all' or '-1'. */
  acks: string;
  lingerMs: number;
  batchSize: number;
  compression: string;
  /** Partitions to create the topic with if it is missing. */
  partitions: number;
  /** Target records/s; -1 for no limit. */
  throughput: number;
  /** queue.buffering.max.messages: records in flight at most. */
  maxQueued?: number;
  /** Extra librdkafka settings. */
  config?: RdConfig;
}

export interface ProducerResult {
  records: number;
  errors: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Milliseconds. */
  latency: LatencySummary;
}

/** Records sent synchronously before yielding to the event loop (and polling). */
const CHUNK = 1000;

export async function runProducer(o: ProducerOptions, hooks: PhaseHooks = {}): Promise<ProducerResult> {
  await ensureTopic(o.bootstrap, o.topic, o.partitions);
  const maxQueued = o.maxQueued ?? 100_000;
  const producer = new Kafka.Producer({
    'metadata.broker.list': o.bootstrap,
    'client.id': 'samsa-perf-producer',
    'linger.ms': o.lingerMs,
    'batch.size': o.batchSize,
    'compression.codec': o.compression as 'none',
    'queue.buffering.max.messages': maxQueued,
    'queue.buffering.max.kbytes': 2_097_151,
    dr_cb: true,
    ...o.config,
  }, { 'request.required.acks': o.acks === 'all' ? -1 : Number(o.acks) });
  const n = o.numRecords;
  const sendTimes = new Float64Array(n);
  const latencies = new Float64Array(n);
  let sent = 0;
  let done = 0;
  let ok = 0;
  let errors = 0;
  let firstError: unknown = null;
  let lastDelivery = 0;
  let wake: (() => void) | null = null;
  producer.on('delivery-report', (err, report) => {
    const now = performance.now();
    const i = report.opaque as number;
    if (err) {
      errors++;
      firstError ??= err;
    } else {
      latencies[ok++] = now - sendTimes[i]!;
    }
    done++;
    lastDelivery = now;
    if (wake !== null) {
      const w = wake;
      wake = null;
      w();
    }
  });
  /** Polls, then waits for a delivery report or 1 ms, whichever comes first. */
  const pollAndWait = async (): Promise<void> => {
    producer.poll();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve();
      }, 1);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  };

  await connectClient(producer);
  try {
    const payload = makePayload(o.recordSize);
    hooks.onStart?.();
    const start = performance.now();
    while (sent < n) {
      if (o.throughput > 0) {
        // Like Kafka's ThroughputThrottler: sleep while ahead of the target rate.
        const ahead = sent / o.throughput - (performance.now() - start) / 1000;
        if (ahead > 0.001) {
          producer.poll();
          await sleep(Math.min(ahead * 1000, 100));
          continue;
        }
      }
      if (sent - done >= maxQueued) {
        await pollAndWait();
        continue;
      }
      let end = Math.min(n, sent + CHUNK, done + maxQueued);
      if (o.throughput > 0) end = Math.min(end, Math.ceil(((performance.now() - start) / 1000 + 0.002) * o.throughput));
      let full = false;
      while (sent < end) {
        sendTimes[sent] = performance.now();
        try {
          producer.produce(o.topic, null, payload, null, null, sent);
        } catch (e) {
          if (errorCode(e) === Kafka.CODES.ERRORS.ERR__QUEUE_FULL) {
            full = true;
            break;
          }
          throw e;
        }
        sent++;
      }
      if (full) await pollAndWait();
      else {
        producer.poll();
        await nextTick();
      }
    }
    const deadline = Date.now() + 120_000;
    while (done < n) {
      if (Date.now() > deadline) throw new Error(`only ${done} of ${n} delivery reports after 120 s`);
      await pollAndWait();
    }
    hooks.onEnd?.();
    if (errors > 0) throw new Error(`${errors} of ${n} records failed; first: ${String(firstError)}`);
    const seconds = (lastDelivery - start) / 1000;
    return {
      records: n,
      errors,
      seconds,
      recordsPerSec: n / seconds,
      mbPerSec: (n * o.recordSize) / MB / seconds,
      latency: summarize(latencies, ok),
    };
  } finally {
    await disconnectClient(producer);
  }
}

export function formatProducer(r: ProducerResult): string {
  const l = r.latency;
  return (
    `${r.records} records sent, ${fmt(r.recordsPerSec, 1)} records/sec (${fmt(r.mbPerSec, 2)} MB/sec), ` +
    `${fmt(l.avg, 2)} ms avg latency, ${fmt(l.max, 2)} ms max latency, ` +
    `${fmt(l.p50, 2)} ms 50th, ${fmt(l.p99, 2)} ms 99th, ${fmt(l.p999, 2)} ms 99.9th.`
  );
}

const USAGE = `usage: producer --bootstrap HOST:PORT --topic T --num-records N [--record-size 100] [--acks 1|all|0]
  [--linger-ms 5] [--batch-size 65536] [--compression none] [--partitions 6] [--throughput -1] [--max-queued 100000]`;

if (isMain(import.meta.url)) {
  const f = parseFlags(
    process.argv.slice(2),
    {
      bootstrap: true,
      topic: true,
      'num-records': true,
      'record-size': true,
      acks: true,
      'linger-ms': true,
      'batch-size': true,
      compression: true,
      partitions: true,
      throughput: true,
      'max-queued': true,
    },
    USAGE,
  );
  const acks = f.get('acks') ?? '1';
  if (!['0', '1', '-1', 'all'].includes(acks)) {
    console.error(`--acks must be 0, 1, -1 or all\n${USAGE}`);
    process.exit(2);
  }
  const result = await runProducer({
    bootstrap: f.get('bootstrap') ?? '127.0.0.1:9092',
    topic: f.get('topic') ?? 'samsa-perf',
    numRecords: intFlag(f, 'num-records', 1_000_000),
    recordSize: intFlag(f, 'record-size', 100),
    acks,
    lingerMs: intFlag(f, 'linger-ms', 5),
    batchSize: intFlag(f, 'batch-size', 65536),
    compression: f.get('compression') ?? 'none',
    partitions: intFlag(f, 'partitions', 6),
    throughput: intFlag(f, 'throughput', -1),
    maxQueued: intFlag(f, 'max-queued', 100_000),
  });
  console.log(formatProducer(result));
}
