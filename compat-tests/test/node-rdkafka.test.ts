/**
 * node-rdkafka (librdkafka) against a real Samsa process and against the reference Kafka, with the
 * same assertions: AdminClient create/delete topics, a producer with every compression type and an
 * idempotent one, and a consumer using assign().
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { onEachBroker } from '../harness/target-broker.js';
import { connected, disconnected } from '../harness/rdkafka.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');

type RdMessage = import('node-rdkafka').Message;

const PARTITIONS = 6;
const PER_PARTITION = 10;

await onEachBroker(t, {}, async (t, broker) => {
  const admin = Kafka.AdminClient.create({ 'metadata.broker.list': broker.bootstrap, 'client.id': 'samsa-compat-admin' });
  t.teardown(() => admin.disconnect());

  function createTopic(topic: string, partitions: number): Promise<void> {
    return new Promise((resolve, reject) => admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 10_000, (err) => (err ? reject(err) : resolve())));
  }

  function deleteTopic(topic: string): Promise<void> {
    return new Promise((resolve, reject) => admin.deleteTopic(topic, 10_000, (err) => (err ? reject(err) : resolve())));
  }

  interface Sent {
    key: string;
    value: string;
    headers: Array<Record<string, string>>;
    timestamp: number;
  }

  async function produce(topic: string, config: Record<string, string | number | boolean>, messages: Array<Sent & { partition: number }>): Promise<void> {
    const producer = new Kafka.HighLevelProducer({ 'metadata.broker.list': broker.bootstrap, 'linger.ms': 5, ...config });
    await connected(producer);
    try {
      await Promise.all(
        messages.map(
          (m) =>
            new Promise<void>((resolve, reject) =>
              producer.produce(topic, m.partition, Buffer.from(m.value), Buffer.from(m.key), m.timestamp, m.headers, (err) => (err ? reject(err) : resolve())),
            ),
        ),
      );
    } finally {
      await disconnected(producer);
    }
  }

  /** Consumes `expected` records of the given partitions from offset 0 using assign(). */
  async function consume(topic: string, partitions: number[], expected: number, config: Record<string, string | number> = {}): Promise<RdMessage[]> {
    const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': broker.bootstrap, 'group.id': `assign-${topic}`, 'enable.auto.commit': false, ...config }, {});
    await connected(consumer);
    try {
      consumer.assign(partitions.map((partition) => ({ topic, partition, offset: 0 })));
      const out: RdMessage[] = [];
      const deadline = Date.now() + 30_000;
      while (out.length < expected && Date.now() < deadline) {
        const batch = await new Promise<RdMessage[]>((resolve, reject) => consumer.consume(100, (err, msgs) => (err ? reject(err) : resolve(msgs))));
        out.push(...batch);
      }
      return out;
    } finally {
      await disconnected(consumer);
    }
  }

  const baseTime = Date.now() - 60_000;
  function sent(p: number, i: number): Sent & { partition: number } {
    return { partition: p, key: `k-${p}-${i}`, value: `v-${p}-${i}`, headers: [{ h: `x${i}` }, { p: String(p) }], timestamp: baseTime + p * 1000 + i };
  }

  t.test('AdminClient creates topics; producer and assign() consumer keep order, keys, headers, timestamps', async (t) => {
    await createTopic('rdk-main', PARTITIONS);
    await t.rejects(createTopic('rdk-main', PARTITIONS), { code: Kafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS }, 'creating it again fails with TOPIC_ALREADY_EXISTS');
    const messages: Array<Sent & { partition: number }> = [];
    for (let i = 0; i < PER_PARTITION; i++) for (let p = 0; p < PARTITIONS; p++) messages.push(sent(p, i));
    await produce('rdk-main', { acks: -1 }, messages);
    const got = await consume('rdk-main', [0, 1, 2, 3, 4, 5], messages.length);
    t.equal(got.length, messages.length, 'every record consumed');
    for (let p = 0; p < PARTITIONS; p++) {
      const mine = got.filter((m) => m.partition === p);
      t.same(
        mine.map((m) => m.offset),
        Array.from({ length: PER_PARTITION }, (_, i) => i),
        `partition ${p} offsets in order`,
      );
      mine.forEach((m, i) => {
        const want = sent(p, i);
        t.equal(m.key?.toString(), want.key);
        t.equal(m.value?.toString(), want.value);
        t.equal(m.timestamp, want.timestamp);
        const headers = (m.headers ?? []).map((h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v as Buffer).toString()])));
        t.same(headers, want.headers);
      });
    }
  });

  t.test('every compression type round-trips', async (t) => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `rdk-codec-${codec}`;
      await createTopic(topic, 1);
      const messages = Array.from({ length: 100 }, (_, i) => ({ ...sent(0, i), value: `${i}:${codec.repeat(100)}` }));
      await produce(topic, { 'compression.type': codec }, messages);
      const got = await consume(topic, [0], messages.length);
      t.equal(got.length, messages.length, `${codec}: count`);
      t.ok(
        got.every((m, i) => m.offset === i && m.key?.toString() === messages[i]!.key && m.value?.toString() === messages[i]!.value),
        `${codec}: offsets, keys and values`,
      );
    }
  });

  t.test('idempotent producer', async (t) => {
    await createTopic('rdk-idempotent', 3);
    const messages = Array.from({ length: 300 }, (_, i) => ({ ...sent(i % 3, i) }));
    await produce('rdk-idempotent', { 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 5, 'batch.num.messages': 7 }, messages);
    const got = await consume('rdk-idempotent', [0, 1, 2], messages.length);
    t.equal(got.length, 300, 'no record lost or duplicated');
    for (let p = 0; p < 3; p++) {
      const values = got.filter((m) => m.partition === p).map((m) => m.value?.toString());
      t.same(
        values,
        messages.filter((m) => m.partition === p).map((m) => m.value),
        `partition ${p} in send order`,
      );
    }
  });

  t.test('producers and consumers at once, with large batches and several fetch sizes, keep every byte', async (t) => {
    // Request frames and fetch reads land in buffers that are reused once a response is written;
    // concurrent produce requests and fetches of several sizes, on several connections, must never
    // see each other's bytes.
    await createTopic('rdk-fetch-sizes', 3);
    const value = (p: number, i: number): string => `${p}/${i}:`.padEnd(500 + ((i * 7919) % 12_000), String.fromCharCode(97 + ((p * 31 + i) % 26)));
    const messages = Array.from({ length: 450 }, (_, i) => ({ ...sent(i % 3, i), value: value(i % 3, i) }));
    // One producer per partition, all at once; batches of 20 records are 10-250 KB.
    await Promise.all([0, 1, 2].map((p) => produce('rdk-fetch-sizes', { 'batch.num.messages': 20 }, messages.filter((m) => m.partition === p))));
    // librdkafka wants fetch.max.bytes >= message.max.bytes (else the client never becomes ready).
    const fetchSizes: Array<Record<string, number>> = [
      { 'max.partition.fetch.bytes': 70_000, 'fetch.max.bytes': 150_000, 'message.max.bytes': 150_000 },
      { 'max.partition.fetch.bytes': 300_000, 'fetch.max.bytes': 600_000, 'message.max.bytes': 600_000 },
      { 'max.partition.fetch.bytes': 1_048_576, 'fetch.max.bytes': 52_428_800 },
    ];
    const results = await Promise.all(fetchSizes.map((config) => consume('rdk-fetch-sizes', [0, 1, 2], messages.length, config)));
    for (const [i, got] of results.entries()) {
      const label = `max.partition.fetch.bytes ${fetchSizes[i]!['max.partition.fetch.bytes']}`;
      t.equal(got.length, messages.length, `${label}: every record`);
      for (let p = 0; p < 3; p++) {
        const values = got.filter((m) => m.partition === p).map((m) => m.value?.toString());
        const expected = messages.filter((m) => m.partition === p).map((m) => m.value);
        t.ok(
          values.length === expected.length && values.every((v, j) => v === expected[j]),
          `${label}: partition ${p} bytes intact and in order`,
        );
      }
    }
  });

  t.test('AdminClient deletes topics', async (t) => {
    await createTopic('rdk-doomed', 2);
    await deleteTopic('rdk-doomed');
    await t.rejects(deleteTopic('rdk-doomed'), { code: Kafka.CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART }, 'deleting it again fails with UNKNOWN_TOPIC_OR_PARTITION');
    await createTopic('rdk-doomed', 1);
    t.pass('the name can be reused at once');
  });
});
