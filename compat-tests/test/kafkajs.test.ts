/**
 * kafkajs against a real Samsa process and against the reference Kafka, with the same assertions
 * (compat-tests/harness/target-broker.ts): admin calls, keyed produce with headers to a 6-partition
 * topic, every compression codec, and reading it all back.
 *
 * kafkajs's consumer only works through consumer groups and has no manual assignment, so records
 * are read with kafkajs's own Fetch request and record decoding, through its internal cluster
 * object (the same code its consumer runs).
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { onEachBroker } from '../harness/target-broker.js';
import { registerKafkaJsCodecs } from '../harness/kafkajs-codecs.js';

const require = createRequire(import.meta.url);
// kafkajs ships CommonJS without types; the shapes used here are declared below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajs = require('kafkajs') as KafkaJsModule;

interface KafkaMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
  timestamp: string;
  offset: string;
}
interface FetchedPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  messages: KafkaMessage[];
}
interface KafkaJsBroker {
  fetch(req: unknown): Promise<{ responses: Array<{ topicName: string; partitions: FetchedPartition[] }> }>;
}
interface KafkaJsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findBroker(q: { nodeId: string }): Promise<KafkaJsBroker>;
}
interface KafkaJsModule {
  Kafka: new (config: unknown) => {
    producer(config?: unknown): KafkaJsProducer;
    admin(): KafkaJsAdmin;
  };
  CompressionTypes: { None: number; GZIP: number; Snappy: number; LZ4: number; ZSTD: number };
  CompressionCodecs: Record<number, unknown>;
  ConfigResourceTypes: { TOPIC: number; BROKER: number };
  logLevel: { NOTHING: number };
}
interface KafkaJsProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(req: unknown): Promise<Array<{ partition: number; errorCode: number; baseOffset: string }>>;
}
interface KafkaJsAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(req: unknown): Promise<boolean>;
  deleteTopics(req: unknown): Promise<void>;
  listTopics(): Promise<string[]>;
  describeConfigs(req: unknown): Promise<{ resources: Array<{ errorCode: number; resourceName: string; configEntries: Array<{ configName: string; configValue: string; isDefault: boolean; configSource: number }> }> }>;
  alterConfigs(req: unknown): Promise<unknown>;
  createPartitions(req: unknown): Promise<boolean>;
  fetchTopicMetadata(req: { topics: string[] }): Promise<{ topics: Array<{ name: string; partitions: Array<{ partitionId: number; leader: number }> }> }>;
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string; high: string; low: string }>>;
  fetchTopicOffsetsByTimestamp(topic: string, timestamp: number): Promise<Array<{ partition: number; offset: string }>>;
  deleteTopicRecords(req: unknown): Promise<void>;
}

registerKafkaJsCodecs(kafkajs);

const PARTITIONS = 6;
const PER_PARTITION = 10;

await onEachBroker(t, {}, async (t, broker) => {
  const kafka = new kafkajs.Kafka({ clientId: 'samsa-compat', brokers: [broker.bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());

  /** kafkajs's cluster object, which the client keeps private (see the file comment). */
  async function connectCluster(): Promise<KafkaJsCluster> {
    const k = kafka as unknown as Record<symbol, (opts: object) => KafkaJsCluster>;
    const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
    if (sym === undefined) throw new Error('kafkajs internals changed: no createCluster');
    const cluster = k[sym]!({ metadataMaxAge: 60_000, allowAutoTopicCreation: false, maxInFlightRequests: null, isolationLevel: 1 });
    await cluster.connect();
    await cluster.refreshMetadata();
    return cluster;
  }

  /** Reads every record of the given partitions from offset 0 up to their high watermark. */
  async function readAll(topic: string, partitions: number[]): Promise<Map<number, KafkaMessage[]>> {
    const cluster = await connectCluster();
    try {
      const broker = await cluster.findBroker({ nodeId: '1' });
      const out = new Map<number, KafkaMessage[]>(partitions.map((p) => [p, []]));
      const next = new Map<number, number>(partitions.map((p) => [p, 0]));
      for (let round = 0; round < 100; round++) {
        const res = await broker.fetch({
          replicaId: -1,
          isolationLevel: 1,
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: 1024 * 1024,
          topics: [{ topic, partitions: partitions.map((p) => ({ partition: p, fetchOffset: String(next.get(p)), maxBytes: 1024 * 1024 })) }],
        });
        let done = true;
        for (const part of res.responses[0]!.partitions) {
          if (part.errorCode !== 0) throw new Error(`fetch ${topic}-${part.partition}: error ${part.errorCode}`);
          for (const m of part.messages) {
            if (Number(m.offset) < next.get(part.partition)!) continue;
            out.get(part.partition)!.push(m);
            next.set(part.partition, Number(m.offset) + 1);
          }
          if (next.get(part.partition)! < Number(part.highWatermark)) done = false;
        }
        if (done) return out;
      }
      throw new Error('fetch did not reach the high watermark');
    } finally {
      await cluster.disconnect();
    }
  }

  /** The described values of a topic's `names` once `applied` holds for them (or after 10 s). */
  async function describedEventually(topic: string, names: string[], applied: (values: Map<string, string>) => boolean): Promise<Map<string, string>> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const d = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: names }], includeSynonyms: false });
      const values = new Map(d.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
      if (applied(values) || Date.now() > deadline) return values;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const baseTime = Date.now() - 60_000;
  function messageFor(p: number, i: number): { key: string; value: string; partition: number; headers: Record<string, string>; timestamp: string } {
    return { key: `k-${p}-${i}`, value: `v-${p}-${i}`, partition: p, headers: { h: `x${i}`, p: String(p) }, timestamp: String(baseTime + p * 1000 + i) };
  }

  t.test('admin: create, list, describe configs', async (t) => {
    const created = await admin.createTopics({
      topics: [
        { topic: 'kjs-main', numPartitions: PARTITIONS, replicationFactor: 1 },
        { topic: 'kjs-configured', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
      ],
      waitForLeaders: true,
    });
    t.equal(created, true);
    const again = await admin.createTopics({ topics: [{ topic: 'kjs-main', numPartitions: 1 }] });
    t.equal(again, false, 'creating an existing topic reports it was not created');
    const topics = await admin.listTopics();
    t.ok(topics.includes('kjs-main') && topics.includes('kjs-configured'), 'both topics listed');
    const meta = await admin.fetchTopicMetadata({ topics: ['kjs-main'] });
    t.equal(meta.topics[0]!.partitions.length, PARTITIONS);
    t.ok(meta.topics[0]!.partitions.every((p) => p.leader === 1), 'broker 1 leads every partition');

    const described = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'kjs-configured' }], includeSynonyms: false });
    const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
    t.equal(entries.get('retention.ms')?.configValue, '3600000');
    t.equal(entries.get('retention.ms')?.isDefault, false);
    t.equal(entries.get('cleanup.policy')?.configValue, 'delete');
    t.equal(entries.get('cleanup.policy')?.isDefault, true);

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'kjs-configured', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    // A KRaft broker answers AlterConfigs once the controller committed the change and describes
    // its own metadata image, which may apply the change a moment later.
    const afterEntries = await describedEventually('kjs-configured', ['cleanup.policy', 'retention.ms'], (e) => e.get('cleanup.policy') !== 'delete');
    t.equal(afterEntries.get('cleanup.policy'), 'compact', 'AlterConfigs set the value');
    t.equal(afterEntries.get('retention.ms'), '604800000', 'AlterConfigs replaced the whole set');

    const broker = await admin.describeConfigs({ resources: [{ type: kafkajs.ConfigResourceTypes.BROKER, name: '1' }], includeSynonyms: true });
    t.equal(broker.resources[0]!.errorCode, 0);
    t.ok(broker.resources[0]!.configEntries.some((e) => e.configName === 'num.partitions'), 'broker configs described');
  });

  t.test('deprecated topic configs are accepted and described as having no effect', async (t) => {
    // Kafka 3.x accepts message.format.version (deprecated in 3.0) through CreateTopics and
    // AlterConfigs and ignores it; clients and tools written for 2.x still send it. Kafka 4.0
    // removed it and refuses it; Samsa speaks the 3.x request versions and keeps accepting it.
    if (broker.kind === 'kafka') {
      await t.rejects(
        admin.createTopics({ topics: [{ topic: 'kjs-deprecated', numPartitions: 1, configEntries: [{ name: 'message.format.version', value: '2.8' }] }] }),
        'known difference: Kafka 4.x refuses message.format.version',
      );
      return;
    }
    const created = await admin.createTopics({
      topics: [{ topic: 'kjs-deprecated', numPartitions: 1, configEntries: [{ name: 'message.format.version', value: '2.8' }] }],
    });
    t.equal(created, true, 'CreateTopics with message.format.version succeeds');
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: kafkajs.ConfigResourceTypes.TOPIC,
          name: 'kjs-deprecated',
          configEntries: [
            { name: 'message.format.version', value: '0.10.2' },
            { name: 'leader.replication.throttled.replicas', value: '' },
          ],
        },
      ],
    });
    const d = await describedEventually('kjs-deprecated', ['message.format.version'], (e) => e.get('message.format.version') !== '2.8');
    t.equal(d.get('message.format.version'), '0.10.2', 'the value is stored and described');
    await t.rejects(
      admin.alterConfigs({ validateOnly: true, resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: 'kjs-deprecated', configEntries: [{ name: 'message.format.version', value: 'banana' }] }] }),
      'an invalid version is still refused',
    );
  });

  t.test('produce keyed records with headers and read them back in order', async (t) => {
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    for (let i = 0; i < PER_PARTITION; i++) {
      const res = await producer.send({ topic: 'kjs-main', acks: -1, messages: Array.from({ length: PARTITIONS }, (_, p) => messageFor(p, i)) });
      t.equal(res.length, PARTITIONS);
    }
    const read = await readAll('kjs-main', [0, 1, 2, 3, 4, 5]);
    for (let p = 0; p < PARTITIONS; p++) {
      const msgs = read.get(p)!;
      t.equal(msgs.length, PER_PARTITION, `partition ${p} count`);
      msgs.forEach((m, i) => {
        const want = messageFor(p, i);
        t.equal(Number(m.offset), i, `p${p} offset`);
        t.equal(m.key?.toString(), want.key);
        t.equal(m.value?.toString(), want.value);
        t.equal(m.headers['h']?.toString(), want.headers['h']);
        t.equal(m.headers['p']?.toString(), want.headers['p']);
        t.equal(m.timestamp, want.timestamp);
      });
    }

    const offsets = await admin.fetchTopicOffsets('kjs-main');
    t.same(
      offsets.sort((a, b) => a.partition - b.partition).map((o) => [o.low, o.high]),
      Array.from({ length: PARTITIONS }, () => ['0', String(PER_PARTITION)]),
      'low and high watermarks',
    );
    const byTime = await admin.fetchTopicOffsetsByTimestamp('kjs-main', baseTime + 2 * 1000 + 4);
    t.equal(byTime.find((o) => o.partition === 2)?.offset, '4', 'offset for a timestamp inside partition 2');
    t.equal(byTime.find((o) => o.partition === 5)?.offset, '0', 'a later partition starts after that time');
  });

  t.test('every compression codec round-trips', async (t) => {
    const codecs: Array<[string, number]> = [
      ['none', kafkajs.CompressionTypes.None],
      ['gzip', kafkajs.CompressionTypes.GZIP],
      ['snappy', kafkajs.CompressionTypes.Snappy],
      ['lz4', kafkajs.CompressionTypes.LZ4],
      ['zstd', kafkajs.CompressionTypes.ZSTD],
    ];
    await admin.createTopics({ topics: codecs.map(([name]) => ({ topic: `kjs-codec-${name}`, numPartitions: 1 })) });
    const producer = kafka.producer();
    await producer.connect();
    t.teardown(() => producer.disconnect());
    for (const [name, type] of codecs) {
      const value = `${name} `.repeat(200);
      const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `${i}:${value}`, headers: { codec: name } }));
      await producer.send({ topic: `kjs-codec-${name}`, compression: type, messages });
      const read = (await readAll(`kjs-codec-${name}`, [0])).get(0)!;
      t.equal(read.length, 50, `${name}: count`);
      t.ok(
        read.every((m, i) => m.key?.toString() === `k${i}` && m.value?.toString() === `${i}:${value}` && m.headers['codec']?.toString() === name),
        `${name}: keys, values and headers`,
      );
    }
  });

  t.test('create partitions, delete records, delete topics', async (t) => {
    await admin.createTopics({ topics: [{ topic: 'kjs-grow', numPartitions: 1 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 3 }] });
    const meta = await admin.fetchTopicMetadata({ topics: ['kjs-grow'] });
    t.equal(meta.topics[0]!.partitions.length, 3, 'three partitions after growing');
    await t.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'kjs-grow', count: 2 }] }), 'shrinking is refused');

    await admin.deleteTopicRecords({ topic: 'kjs-main', partitions: [{ partition: 0, offset: '4' }] });
    const offsets = await admin.fetchTopicOffsets('kjs-main');
    t.equal(offsets.find((o) => o.partition === 0)?.low, '4', 'log start offset moved');
    const read = (await readAllFrom('kjs-main', 0, 4)).map((m) => Number(m.offset));
    t.same(read, [4, 5, 6, 7, 8, 9], 'records from the new start offset remain');

    await admin.deleteTopics({ topics: ['kjs-grow', 'kjs-configured'] });
    const topics = await admin.listTopics();
    t.notOk(topics.includes('kjs-grow') || topics.includes('kjs-configured'), 'deleted topics are gone');
    t.ok(topics.includes('kjs-main'), 'other topics remain');
  });

  async function readAllFrom(topic: string, partition: number, from: number): Promise<KafkaMessage[]> {
    const cluster = await connectCluster();
    try {
      const broker = await cluster.findBroker({ nodeId: '1' });
      const res = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(from), maxBytes: 1024 * 1024 }] }],
      });
      return res.responses[0]!.partitions[0]!.messages.filter((m) => Number(m.offset) >= from);
    } finally {
      await cluster.disconnect();
    }
  }
});
