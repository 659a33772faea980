/**
 * Bytes flipped in segment files between a clean stop and a start (where Kafka, trusting the
 * clean-shutdown marker, would serve them): the last segment is re-validated at start and
 * truncated before the bad batch, so new records follow on there; a bad batch in a sealed segment
 * is found by the first fetch that reads it, answered with CORRUPT_MESSAGE, never served, and
 * every record after it, including records produced after the restart, stays readable by a
 * CRC-checking client (node-rdkafka, check.crcs=true).
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { connected, disconnected } from '../harness/rdkafka.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { fetchApi } from '../../protocol/messages/index.js';
import { scanBatches } from '../../protocol/records/index.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');
// kafkajs ships CommonJS without types; the shapes used here are declared below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajs = require('kafkajs') as {
  Kafka: new (config: unknown) => { producer(config?: unknown): KafkaJsProducer; admin(): KafkaJsAdmin };
  logLevel: { NOTHING: number };
};
interface KafkaJsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(req: unknown): Promise<Array<{ baseOffset: string }>>;
}
interface KafkaJsAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(req: unknown): Promise<boolean>;
}
type RdMessage = import('node-rdkafka').Message;

const TOPIC = 'corrupt';
const value = (i: number, round: string): string => `${round}-${i}-${'x'.repeat(90)}`;

/** Sends `count` records, 10 per batch; returns the offset of the first. */
async function produce(bootstrap: string, round: string, count: number, create: boolean): Promise<number> {
  const kafka = new kafkajs.Kafka({ clientId: 'samsa-corrupt', brokers: [bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 2 } });
  if (create) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1, configEntries: [{ name: 'segment.bytes', value: '16384' }] }], waitForLeaders: true });
    await admin.disconnect();
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let first = -1;
  try {
    for (let i = 0; i < count; i += 10) {
      const res = await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ partition: 0, value: value(i + j, round) })) });
      if (first < 0) first = Number(res[0]!.baseOffset);
    }
  } finally {
    await producer.disconnect();
  }
  return first;
}

/** Flips a byte near the end of `batch` (inside its records) in the segment file. */
function flip(path: string, batch: { position: number; size: number }): void {
  const bytes = readFileSync(path);
  bytes[batch.position + batch.size - 5]! ^= 0xff;
  writeFileSync(path, bytes);
}

t.test('bytes flipped in segments between a clean stop and a start are found, not served, and later records stay readable', async (t) => {
  let samsa = await SamsaProcess.start();
  t.teardown(() => samsa.close());
  await produce(samsa.bootstrap, 'old', 400, true);
  t.equal(await samsa.stop('SIGTERM'), 0, 'clean stop');

  const dir = join(samsa.dataDir, `${TOPIC}-0`);
  const logs = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => join(dir, f));
  t.ok(logs.length >= 3, `${logs.length} segments`);
  const sealed = scanBatches(readFileSync(logs[0]!))[2]!;
  const lastSegment = scanBatches(readFileSync(logs[logs.length - 1]!));
  t.ok(lastSegment.length >= 2, 'the last segment holds several batches');
  const lastVictim = lastSegment[1]!;
  flip(logs[0]!, sealed);
  flip(logs[logs.length - 1]!, lastVictim);

  samsa = await SamsaProcess.start({ dataDir: samsa.dataDir, port: samsa.port });
  const newFirst = await produce(samsa.bootstrap, 'new', 50, false);
  t.equal(newFirst, lastVictim.baseOffset, 'the last segment was truncated before its bad batch at start; new records follow on there');
  t.match(samsa.stderr, /CRC mismatch at byte/, 'the truncation is logged');

  const conn = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => conn.close());
  const fromStart = (await conn.request(fetchApi, 12, fetchRequest({ topic: TOPIC, offset: 0 }))).responses[0]!.partitions[0]!;
  t.equal(fromStart.errorCode, ErrorCode.NONE, 'a fetch from 0 succeeds');
  const served = scanBatches(Buffer.concat(Array.isArray(fromStart.records) ? fromStart.records : fromStart.records === null ? [] : [fromStart.records as Buffer]));
  const lastServed = served[served.length - 1]!;
  t.equal(lastServed.baseOffset + lastServed.lastOffsetDelta + 1, sealed.baseOffset, 'a fetch from 0 stops before the bad batch (every batch served has a valid CRC)');
  const atBad = (await conn.request(fetchApi, 12, fetchRequest({ topic: TOPIC, offset: sealed.baseOffset }))).responses[0]!.partitions[0]!;
  t.equal(atBad.errorCode, ErrorCode.CORRUPT_MESSAGE, 'a fetch of its offsets: CORRUPT_MESSAGE');
  t.match(samsa.stderr, new RegExp(`segment 0 has a CRC mismatch at byte ${sealed.position}`), 'logged with its range');

  // A CRC-checking client reads everything after the bad batch, through to the new records.
  const from = sealed.baseOffset + sealed.lastOffsetDelta + 1;
  const high = lastVictim.baseOffset + 50;
  const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': samsa.bootstrap, 'group.id': 'samsa-corrupt', 'enable.auto.commit': false, 'check.crcs': true }, {});
  await connected(consumer);
  const got: RdMessage[] = [];
  try {
    consumer.assign([{ topic: TOPIC, partition: 0, offset: from }]);
    const deadline = Date.now() + 15_000;
    while ((got.length === 0 || got[got.length - 1]!.offset < high - 1) && Date.now() < deadline) {
      const batch = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(500, (err, msgs) => (err ? reject(err) : resolve(msgs))));
      for (const m of batch) got.push(m);
    }
  } finally {
    await disconnected(consumer);
  }
  t.equal(got.length, high - from, `every record from ${from} to ${high - 1} is read`);
  t.same(
    got.map((m) => m.offset),
    Array.from({ length: high - from }, (_, i) => from + i),
    'at contiguous offsets',
  );
  t.same(
    got.slice(-50).map((m) => m.value?.toString()),
    Array.from({ length: 50 }, (_, i) => value(i, 'new')),
    'including the records produced after the restart',
  );
  t.equal(got[0]!.value?.toString(), value(from, 'old'));
});
