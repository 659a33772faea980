/**
 * Batches written by real clients (kafkajs and librdkafka through node-rdkafka) decode to exactly
 * the records sent. A real Samsa process stores produced batches as the client wrote them (only
 * the base offset and partition leader epoch are rewritten), so after the acks the partition's
 * segment file is read straight from disk and fed to scanBatches + readRecords.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SamsaProcess } from '../harness/samsa-process.js';
import { CompressionType, COMPRESSION_NAMES } from '../../protocol/records/compression.js';
import { readRecords, scanBatches, type BatchInfo, type Record as BatchRecord } from '../../protocol/records/batch.js';
import { registerKafkaJsCodecs } from '../harness/kafkajs-codecs.js';
import { connected, disconnected } from '../harness/rdkafka.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajs = require('kafkajs') as KafkaJsModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');

interface KafkaJsModule {
  Kafka: new (config: unknown) => { producer(config?: unknown): KafkaJsProducer };
  CompressionTypes: { None: number; GZIP: number; Snappy: number; LZ4: number; ZSTD: number };
  CompressionCodecs: Record<number, unknown>;
  logLevel: { NOTHING: number };
}
interface KafkaJsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(req: unknown): Promise<Array<{ partition: number; errorCode: number; baseOffset: string }>>;
}

registerKafkaJsCodecs(kafkajs);

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const KAFKAJS_CODEC: Record<(typeof NAMES)[number], number> = {
  none: kafkajs.CompressionTypes.None,
  gzip: kafkajs.CompressionTypes.GZIP,
  snappy: kafkajs.CompressionTypes.Snappy,
  lz4: kafkajs.CompressionTypes.LZ4,
  zstd: kafkajs.CompressionTypes.ZSTD,
};

interface Sent {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
  timestamp: number;
}

const baseTime = Date.now() - 3_600_000;

/** Records with null and non-null keys, binary bytes, repeated (compressible) values, headers. */
function messages(tag: string, n: number, allowNullValue: boolean, binaryHeaders = true): Sent[] {
  return Array.from({ length: n }, (_, i) => ({
    key: i % 10 === 3 ? null : Buffer.from(`${tag}-key-${i}`),
    value: allowNullValue && i === 7 ? null : i === 5 ? Buffer.from([0, 1, 2, 255, 254, 0x80]) : Buffer.from(`${i}:${tag}:${'compressible payload '.repeat(20)}`),
    headers: i % 3 === 0 ? [] : i % 3 === 1 ? [['trace', Buffer.from(`t-${i}`)]] : [
          ['a', Buffer.from('1')],
          // node-rdkafka copies header values as C strings (a 0 byte ends them), so it gets text.
          ['b', binaryHeaders ? Buffer.from([0, 9, 255]) : Buffer.from('nine')],
        ],
    // Timestamps out of order within a batch: negative deltas from the base timestamp.
    timestamp: baseTime + (i % 4 === 2 ? -1000 - i : i * 13),
  }));
}

interface Got {
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
  timestamp: number;
}
const hex = (b: Buffer | null): string | null => (b === null ? null : b.toString('hex'));
const fromRecord = (r: BatchRecord): Got => ({ key: hex(r.key), value: hex(r.value), headers: r.headers.map((h) => [h.key, hex(h.value)]), timestamp: r.timestamp });
const fromSent = (s: Sent): Got => ({ key: hex(s.key), value: hex(s.value), headers: s.headers.map(([k, v]) => [k, hex(v)]), timestamp: s.timestamp });

function readSegment(dataDir: string, topic: string): { batches: BatchInfo[]; records: BatchRecord[] } {
  const buf = readFileSync(join(dataDir, `${topic}-0`, '00000000000000000000.log'));
  const batches = scanBatches(buf);
  return { batches, records: batches.flatMap((b) => readRecords(buf, b)) };
}

type TapTest = Pick<typeof t, 'equal' | 'same' | 'ok'>;

function check(t: TapTest, dataDir: string, topic: string, codec: number, sent: Sent[], mayDecline = false): BatchInfo[] {
  const { batches, records } = readSegment(dataDir, topic);
  t.ok(batches.length >= 1, `${topic}: ${batches.length} batch(es) on disk`);
  if (codec === 0 || !mayDecline) {
    t.same(
      batches.map((b) => b.compression),
      batches.map(() => codec),
      `${topic}: every batch has compression ${COMPRESSION_NAMES[codec]}`,
    );
  } else {
    // librdkafka sends a batch uncompressed when compressing would not shrink it (a lone small
    // record): allow that for small batches only, and require most records to be compressed.
    t.ok(
      batches.every((b) => b.compression === codec || (b.compression === 0 && b.size < 300)),
      `${topic}: batches are ${COMPRESSION_NAMES[codec]}, or small and uncompressed (${batches.map((b) => `${b.compression}/${b.size}`).join(' ')})`,
    );
    const compressed = batches.filter((b) => b.compression === codec).reduce((n, b) => n + b.recordCount, 0);
    t.ok(compressed >= sent.length * 0.9, `${topic}: ${compressed} of ${sent.length} records in ${COMPRESSION_NAMES[codec]} batches`);
  }
  t.same(
    records.map((r) => r.offset),
    sent.map((_, i) => i),
    `${topic}: offsets 0..${sent.length - 1}`,
  );
  t.same(records.map(fromRecord), sent.map(fromSent), `${topic}: keys, values, headers and timestamps as sent`);
  t.equal(
    batches.reduce((n, b) => n + b.recordCount, 0),
    sent.length,
    `${topic}: record counts add up`,
  );
  return batches;
}

const samsa = await SamsaProcess.start();
t.teardown(() => samsa.close());

t.test('kafkajs batches, every codec', async (t) => {
  const kafka = new kafkajs.Kafka({ clientId: 'records-kjs', brokers: [samsa.bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 5 } });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  t.teardown(() => producer.disconnect());
  for (const name of NAMES) {
    const codec = NAMES.indexOf(name);
    const topic = `rec-kjs-${name}`;
    const sent = messages(`kjs-${name}`, 60, true);
    // Two sends: two batches, the second at base offset 30.
    for (const part of [sent.slice(0, 30), sent.slice(30)]) {
      const res = await producer.send({
        topic,
        acks: -1,
        compression: KAFKAJS_CODEC[name],
        messages: part.map((m) => ({ key: m.key, value: m.value, headers: Object.fromEntries(m.headers), timestamp: String(m.timestamp) })),
      });
      t.equal(res[0]!.errorCode, 0, `${topic}: acked`);
    }
    const batches = check(t, samsa.dataDir, topic, codec, sent);
    t.same(
      batches.map((b) => b.baseOffset),
      [0, 30],
      `${topic}: base offsets rewritten per batch`,
    );
    t.same(
      batches.map((b) => [b.isTransactional, b.isControl, b.producerId]),
      [
        [false, false, -1],
        [false, false, -1],
      ],
      `${topic}: non-idempotent, non-transactional`,
    );
  }
});

async function rdProduce(topic: string, config: Record<string, string | number | boolean>, sent: Sent[]): Promise<void> {
  const producer = new Kafka.HighLevelProducer({ 'metadata.broker.list': samsa.bootstrap, 'linger.ms': 100, 'batch.num.messages': 1000, ...config });
  await connected(producer);
  try {
    await Promise.all(
      sent.map(
        (m) =>
          new Promise<void>((resolve, reject) =>
            producer.produce(
              topic,
              0,
              m.value,
              m.key,
              m.timestamp,
              m.headers.map(([k, v]) => ({ [k]: v })),
              (err) => (err ? reject(err) : resolve()),
            ),
          ),
      ),
    );
  } finally {
    await disconnected(producer);
  }
}

t.test('librdkafka batches, every codec', async (t) => {
  for (const name of NAMES) {
    const codec = NAMES.indexOf(name);
    const topic = `rec-rdk-${name}`;
    const sent = messages(`rdk-${name}`, 100, false, false);
    await rdProduce(topic, { 'compression.type': name, acks: -1 }, sent);
    check(t, samsa.dataDir, topic, codec, sent, true);
  }
});

t.test('librdkafka idempotent batches carry producer id, epoch and sequences', async (t) => {
  const topic = 'rec-rdk-idempotent';
  const sent = messages('rdk-idem', 200, false, false);
  await rdProduce(topic, { 'compression.type': 'zstd', 'enable.idempotence': true, 'batch.num.messages': 30 }, sent);
  const batches = check(t, samsa.dataDir, topic, CompressionType.Zstd, sent, true);
  t.ok(batches.length >= 2, `several batches (${batches.length})`);
  t.ok(
    batches.every((b) => b.producerId >= 0 && b.producerEpoch >= 0),
    'producer id and epoch set',
  );
  let seq = 0;
  for (const b of batches) {
    t.equal(b.baseSequence, seq, `batch at ${b.baseOffset}: base sequence ${seq}`);
    seq += b.recordCount;
  }
});
