/**
 * Retention and compaction seen through real clients against a real Samsa process: segments
 * past retention.bytes / retention.ms go (and the log start offset moves), a retention change at
 * runtime takes effect at the next check, compaction keeps the latest record per key at its
 * original offset, and a compacted topic refuses keyless records.
 *
 * kafkajs produces (explicit timestamps, null values, per-send base offsets) and runs admin
 * calls; node-rdkafka reads with assign(); raw requests cover what neither client exposes
 * (Fetch error codes, DescribeLogDirs, IncrementalAlterConfigs).
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  defaultDescribeLogDirsRequest,
  defaultIncrementalAlterConfigsRequest,
  describeLogDirsApi,
  fetchApi,
  incrementalAlterConfigsApi,
} from '../../protocol/messages/index.js';
import { connected, disconnected } from '../harness/rdkafka.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');
// kafkajs ships CommonJS without types; the shapes used here are declared below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajs = require('kafkajs') as KafkaJsModule;

type RdMessage = import('node-rdkafka').Message;

interface KafkaJsModule {
  Kafka: new (config: unknown) => { producer(config?: unknown): KafkaJsProducer; admin(): KafkaJsAdmin };
  ConfigResourceTypes: { TOPIC: number; BROKER: number };
  logLevel: { NOTHING: number };
}
interface KafkaJsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(req: unknown): Promise<Array<{ topicName: string; partition: number; errorCode: number; baseOffset: string }>>;
}
interface KafkaJsAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(req: unknown): Promise<boolean>;
  describeConfigs(req: unknown): Promise<{ resources: Array<{ errorCode: number; configEntries: Array<{ configName: string; configValue: string }> }> }>;
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>>;
}
interface OutMessage {
  key: string | null;
  value: string | null;
  timestamp?: string;
}

const SEGMENT = 16384;

const samsa = await SamsaProcess.start({
  overrides: {
    'log.retention.check.interval.ms': '300',
    'log.cleaner.backoff.ms': '200',
    'log.segment.delete.delay.ms': '100',
  },
});
t.teardown(() => samsa.close());
const kafka = new kafkajs.Kafka({ clientId: 'samsa-retention', brokers: [samsa.bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 2 } });
const admin = kafka.admin();
await admin.connect();
t.teardown(() => admin.disconnect());
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
t.teardown(() => producer.disconnect());
const conn = await RawConnection.open(samsa.host, samsa.port);
t.teardown(() => conn.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The broker log lines about a topic (for assertion diagnostics). */
function brokerLog(topic: string): string {
  return samsa.stderr
    .split('\n')
    .filter((l) => l.includes(topic))
    .slice(-15)
    .join('\n');
}

/** Extra tap diagnostics (the broker's log about `topic`) for an assertion that failed. */
function diag(ok: boolean, topic: string): object {
  return ok ? {} : { brokerLog: brokerLog(topic) };
}

async function createTopic(topic: string, configs: Record<string, string>): Promise<void> {
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    waitForLeaders: true,
  });
  if (!created) throw new Error(`topic ${topic} was not created`);
}

async function offsets(topic: string): Promise<{ low: number; high: number }> {
  const o = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)!;
  return { low: Number(o.low), high: Number(o.high) };
}

/** Polls `cond` every 100 ms until it is true or `ms` passed; returns whether it became true. */
async function waitFor(ms: number, cond: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

/**
 * Waits until the earliest offset moved and then held still for longer than one retention check
 * (300 ms): retention checks also run while records arrive and delete one segment at a time, so
 * an earlier reading can be a state the next check moves on from.
 */
async function settledLow(topic: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let last = -1;
  while (Date.now() < deadline) {
    const { low } = await offsets(topic);
    if (low > 0 && low === last) return low;
    last = low;
    await sleep(450);
  }
  return -1;
}

/** A record in short form for comparisons: offset, key and the value's prefix and length. */
function brief(offset: number, key: string | null | undefined, value: string | null | undefined): string {
  return `${offset} ${key ?? 'null'} ${value === null || value === undefined ? 'null' : `${value.slice(0, 12)}..(${value.length})`}`;
}
function briefRd(m: RdMessage): string {
  return brief(m.offset, m.key?.toString(), m.value === null || m.value === undefined ? null : m.value.toString());
}

/**
 * Sends `messages` in order, `perSend` at a time (one batch per send), and returns each
 * message's offset from the send results.
 */
async function produce(topic: string, messages: OutMessage[], perSend: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < messages.length; i += perSend) {
    const chunk = messages.slice(i, i + perSend);
    const res = await producer.send({ topic, acks: -1, messages: chunk.map((m) => ({ ...m, partition: 0 })) });
    const base = Number(res[0]!.baseOffset);
    chunk.forEach((_, j) => out.push(base + j));
  }
  return out;
}

async function rdConsumer(topicConfig: Record<string, string> = {}) {
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': samsa.bootstrap, 'group.id': 'samsa-retention-assign', 'enable.auto.commit': false }, topicConfig);
  await connected(consumer);
  return consumer;
}

/** node-rdkafka assign() from `from` until the record at `high - 1` is read. */
async function consumeRange(topic: string, from: number, high: number): Promise<RdMessage[]> {
  const consumer = await rdConsumer();
  try {
    consumer.assign([{ topic, partition: 0, offset: from }]);
    const out: RdMessage[] = [];
    const deadline = Date.now() + 15_000;
    while ((out.length === 0 || out[out.length - 1]!.offset < high - 1) && Date.now() < deadline) {
      const batch = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(500, (err, msgs) => (err ? reject(err) : resolve(msgs))));
      out.push(...batch);
    }
    return out;
  } finally {
    await disconnected(consumer);
  }
}

/** Partition size as DescribeLogDirs reports it, and the sum of the `.log` files on disk. */
async function sizes(topic: string): Promise<{ reported: number; onDisk: number }> {
  const res = await conn.request(describeLogDirsApi, 4, { ...defaultDescribeLogDirsRequest(), topics: [{ topic, partitions: [0] }] });
  const reported = Number(res.results[0]?.topics.find((x) => x.name === topic)?.partitions[0]?.partitionSize ?? -1n);
  const dir = join(samsa.dataDir, `${topic}-0`);
  let onDisk = 0;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    try {
      onDisk += statSync(join(dir, f)).size;
    } catch {
      // Renamed to .deleted between the listing and the stat.
    }
  }
  return { reported, onDisk };
}

async function incrementalAlter(topic: string, name: string, value: string | null, op = 0): Promise<number> {
  const res = await conn.request(incrementalAlterConfigsApi, 1, {
    ...defaultIncrementalAlterConfigsRequest(),
    resources: [{ resourceType: 2, resourceName: topic, configs: [{ name, configOperation: op, value }] }],
  });
  return res.responses[0]!.errorCode;
}

async function topicConfigs(topic: string): Promise<Map<string, string>> {
  const d = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
  return new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
}

const pad = (n: number) => 'x'.repeat(n);

t.test('retention.bytes: oldest segments go, the newest records stay, offset 0 is out of range', async (t) => {
  const topic = 'ret-bytes';
  const RETENTION = 65536;
  await createTopic(topic, { 'segment.bytes': String(SEGMENT), 'retention.bytes': String(RETENTION) });
  const messages = Array.from({ length: 400 }, (_, i) => ({ key: `k${i}`, value: `${i}:${pad(1000)}` }));
  const produced = await produce(topic, messages, 4);
  t.same(produced, messages.map((_, i) => i), 'offsets 0..399 acknowledged');

  const settled = await settledLow(topic, 10_000);
  t.ok(settled > 0, `earliest offset advanced within 10 s (to ${settled})`, diag(settled > 0, topic));
  const { low, high } = await offsets(topic);
  t.equal(high, 400, 'high watermark unchanged');
  t.ok(low > 0 && low < 400, `earliest offset ${low}`);

  const got = await consumeRange(topic, low, high);
  t.same(
    got.map(briefRd),
    messages.slice(low).map((m, i) => brief(low + i, m.key, m.value)),
    `from the earliest offset ${low} exactly the newest records remain`,
  );
  t.ok(
    got.every((m, i) => m.value?.toString() === messages[low + i]?.value),
    'values intact',
  );

  await sleep(300); // file.delete.delay.ms: the removed segments' files go after 100 ms
  const { reported, onDisk } = await sizes(topic);
  t.ok(reported <= RETENTION + SEGMENT && reported >= RETENTION - SEGMENT, `DescribeLogDirs size ${reported} near retention.bytes ${RETENTION}`);
  t.ok(onDisk <= RETENTION + SEGMENT && onDisk >= RETENTION - SEGMENT, `.log files hold ${onDisk} bytes, near retention.bytes ${RETENTION}`);
  t.equal(reported, onDisk, 'DescribeLogDirs reports the bytes of the .log files');

  const fetched = await conn.request(fetchApi, 12, fetchRequest({ topic, offset: 0 }));
  const p = fetched.responses[0]!.partitions[0]!;
  t.equal(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'raw Fetch at offset 0: OFFSET_OUT_OF_RANGE');
  t.equal(Number(p.logStartOffset), low, 'with the log start offset');

  // auto.offset.reset is a topic-level property in librdkafka: it goes in the topic config.
  const consumer = await rdConsumer({ 'auto.offset.reset': 'error' });
  try {
    consumer.assign([{ topic, partition: 0, offset: 0 }]);
    let error: { code?: number; message?: string } | null = null;
    let read = 0;
    const deadline = Date.now() + 10_000;
    while (error === null && Date.now() < deadline) {
      try {
        read += (await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(500, (err, msgs) => (err ? reject(err) : resolve(msgs))))).length;
      } catch (e) {
        error = e as { code?: number; message?: string };
      }
    }
    t.equal(read, 0, 'node-rdkafka at offset 0 reads nothing');
    // librdkafka turns the broker's OFFSET_OUT_OF_RANGE into its local ERR__AUTO_OFFSET_RESET
    // (node-rdkafka's consume() keeps only the code, not librdkafka's error string).
    t.equal(error?.code, Kafka.CODES.ERRORS.ERR__AUTO_OFFSET_RESET, `node-rdkafka with auto.offset.reset=error fails instead of resetting (${error?.message})`);
  } finally {
    await disconnected(consumer);
  }
});

t.test('retention.ms: hour-old records go, current ones stay until they are old too', async (t) => {
  const topic = 'ret-time';
  // segment.ms lets the first current record start its own segment (a segment goes only when its
  // newest record is past retention).
  await createTopic(topic, { 'segment.bytes': String(SEGMENT), 'retention.ms': '2000', 'segment.ms': '100' });
  const hourAgo = Date.now() - 3_600_000;
  const old = Array.from({ length: 60 }, (_, i) => ({ key: `old${i}`, value: `old${i}:${pad(1000)}`, timestamp: String(hourAgo + i) }));
  await produce(topic, old, 4);
  await sleep(200);
  const current = Array.from({ length: 10 }, (_, i) => ({ key: `new${i}`, value: `new${i}`, timestamp: String(Date.now()) }));
  const producedAt = Date.now();
  t.same(await produce(topic, current, 5), current.map((_, i) => 60 + i), 'current records at offsets 60..69');

  let seen: { low: number; high: number } = { low: -1, high: -1 };
  const gone = await waitFor(10_000, async () => {
    seen = await offsets(topic);
    return seen.low >= 60;
  });
  t.ok(gone, 'the hour-old records went within 10 s', diag(gone, topic));
  const elapsed = Date.now() - producedAt;
  if (elapsed < 1500) {
    t.same(seen, { low: 60, high: 70 }, 'earliest offset is the first current record');
    const got = await consumeRange(topic, 60, 70);
    t.same(
      got.map(briefRd),
      current.map((m, i) => brief(60 + i, m.key, m.value)),
      'the current records remain',
    );
  } else {
    t.fail(`old records took ${elapsed} ms to go: too late to check that the current ones (retention.ms 2000) remain`);
  }

  const allGone = await waitFor(8000, async () => {
    seen = await offsets(topic);
    return seen.low === 70;
  });
  t.ok(allGone, `after retention.ms the current records go too (active segment rolled): ${JSON.stringify(seen)}`, diag(allGone, topic));
  t.equal(seen.high, 70, 'the log end stays');
});

t.test('lowering retention.bytes at runtime takes effect at the next check', async (t) => {
  const topic = 'ret-alter';
  await createTopic(topic, { 'segment.bytes': String(SEGMENT) });
  const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, value: `${i}:${pad(1000)}` }));
  await produce(topic, messages, 4);
  await sleep(1000);
  t.same(await offsets(topic), { low: 0, high: 200 }, 'nothing deleted with the default retention');
  const before = await sizes(topic);
  t.ok(before.reported > 200_000, `log holds ${before.reported} bytes`);

  const RETENTION = 32768;
  t.equal(await incrementalAlter(topic, 'retention.bytes', String(RETENTION)), 0, 'IncrementalAlterConfigs SET retention.bytes');
  const cfg = await topicConfigs(topic);
  t.equal(cfg.get('retention.bytes'), String(RETENTION), 'DescribeConfigs shows the new value');
  t.equal(cfg.get('segment.bytes'), String(SEGMENT), 'other topic configs stay');

  const started = Date.now();
  const advanced = await waitFor(10_000, async () => (await offsets(topic)).low > 0);
  const took = Date.now() - started;
  t.ok(advanced, 'earliest offset advanced after the change', diag(advanced, topic));
  t.ok(took < 3000, `within a few retention checks (${took} ms; interval 300 ms)`);
  const low = await settledLow(topic, 5000);
  t.ok(low > 0, `earliest offset settled at ${low}`);
  const got = await consumeRange(topic, low, 200);
  t.same(
    got.map(briefRd),
    messages.slice(low).map((m, i) => brief(low + i, m.key, m.value)),
    `the newest records remain from offset ${low}`,
  );
  await sleep(300);
  const after = await sizes(topic);
  t.ok(after.reported <= RETENTION + SEGMENT && after.reported >= RETENTION - SEGMENT, `size ${after.reported} near the new retention.bytes ${RETENTION}`);
  t.ok(after.onDisk <= RETENTION + SEGMENT, `.log files hold ${after.onDisk} bytes`);
});

t.test('compaction keeps the latest record per key at its original offset', async (t) => {
  const topic = 'compacted';
  await createTopic(topic, {
    'cleanup.policy': 'compact',
    'segment.bytes': '4096',
    'segment.ms': '100',
    'min.cleanable.dirty.ratio': '0.01',
    'delete.retention.ms': '1000',
  });
  const KEYS = 20;
  const VERSIONS = 30;
  const TOMBSTONED = ['key3', 'key11', 'key17'];
  const messages: OutMessage[] = [];
  for (let v = 0; v < VERSIONS; v++) for (let k = 0; k < KEYS; k++) messages.push({ key: `key${k}`, value: `key${k}-v${v}:${pad(60)}` });
  const produced = await produce(topic, messages, KEYS);
  produced.push(...(await produce(topic, TOMBSTONED.map((key) => ({ key, value: null })), TOMBSTONED.length)));
  await sleep(200);
  // One more record after segment.ms: it rolls the active segment, so the tombstones are in a
  // sealed (cleanable) segment.
  produced.push(...(await produce(topic, [{ key: 'filler', value: 'end' }], 1)));
  const all = [...messages, ...TOMBSTONED.map((key) => ({ key, value: null })), { key: 'filler', value: 'end' }];
  t.same(produced, all.map((_, i) => i), `offsets 0..${all.length - 1} acknowledged`);
  const byOffset = new Map(produced.map((o, i) => [o, all[i]!]));
  const lastValue = new Map<string, string | null>();
  for (const m of all) lastValue.set(m.key!, m.value);
  const fillerOffset = produced[produced.length - 1]!;

  let got: RdMessage[] = [];
  const compacted = await waitFor(15_000, async () => {
    const { low, high } = await offsets(topic);
    got = await consumeRange(topic, low, high);
    const below = got.filter((m) => m.offset < fillerOffset);
    return got.length < all.length && new Set(below.map((m) => m.key?.toString())).size === below.length;
  });
  t.ok(compacted, `the log was compacted within 15 s (${got.length} of ${all.length} records remain)`, diag(compacted, topic));

  const offsetsRead = got.map((m) => m.offset);
  t.ok(
    offsetsRead.every((o, i) => i === 0 || o > offsetsRead[i - 1]!),
    'offsets strictly increasing',
  );
  const moved = got.filter((m) => {
    const want = byOffset.get(m.offset);
    return want === undefined || want.key !== m.key?.toString() || want.value !== (m.value === null || m.value === undefined ? null : m.value.toString());
  });
  t.same(
    moved.map(briefRd),
    [],
    'every surviving record is at the offset it was produced at, unchanged',
  );
  const lastRead = new Map<string, string | null>();
  for (const m of got) lastRead.set(m.key!.toString(), m.value === null || m.value === undefined ? null : m.value.toString());
  for (const [key, value] of lastValue) {
    if (TOMBSTONED.includes(key)) {
      t.ok(!lastRead.has(key) || lastRead.get(key) === null, `${key}: tombstoned, ends null or absent`);
    } else {
      t.equal(lastRead.get(key), value, `${key}: last value read is the last produced`);
    }
  }

  // The compacted part: below the cleaner's checkpointed offset, every key at most once.
  const checkpoint = readFileSync(join(samsa.dataDir, `${topic}-0`, 'offsets.checkpoint'), 'utf8');
  const cleanerOffset = Number(/cleaner-offset (\d+)/.exec(checkpoint)?.[1] ?? -1);
  t.ok(cleanerOffset > 0, `cleaner offset ${cleanerOffset}`);
  const cleanPart = got.filter((m) => m.offset < cleanerOffset).map((m) => m.key!.toString());
  const dup = cleanPart.filter((k, i) => cleanPart.indexOf(k) !== i);
  t.same(dup, [], `below the cleaner offset ${cleanerOffset} each key appears at most once`);
  t.ok(got.length <= KEYS + 1, `at most one record per key plus the filler remain (${got.length})`);
});

t.test('a keyless record to a compacted topic is refused with INVALID_RECORD', async (t) => {
  const topic = 'compacted-keyless';
  await createTopic(topic, { 'cleanup.policy': 'compact' });
  let error: unknown = null;
  try {
    await producer.send({ topic, acks: -1, messages: [{ value: 'no key', partition: 0 }] });
  } catch (e) {
    error = e;
  }
  t.ok(error !== null, 'the send fails');
  // kafkajs wraps a non-retriable protocol error; find it in the cause chain.
  let cur = error as { type?: string; code?: number; cause?: unknown; name?: string } | null;
  let found: { type?: string; code?: number } | null = null;
  for (let i = 0; cur && i < 5; i++, cur = cur.cause as typeof cur) {
    if (cur.type !== undefined || cur.code !== undefined) {
      found = cur;
      break;
    }
  }
  t.equal(found?.type, 'INVALID_RECORD', `error type (${String(error)})`);
  t.equal(found?.code, 87, 'error code 87');
  t.same(await offsets(topic), { low: 0, high: 0 }, 'nothing appended');
  const ok = await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'keyed', partition: 0 }] });
  t.equal(ok[0]!.errorCode, 0, 'a keyed record is accepted');
});
