/**
 * The reference broker (a real Apache Kafka, compat-tests/harness/reference-kafka.ts) and Samsa
 * given the same raw requests: create a topic, produce one batch, fetch it back, and compare the
 * answers. ApiVersions ranges that differ are printed as information, not failures. Skipped, with
 * the reason, where the reference cannot run (no Java 17+, no mvn, Maven Central unreachable).
 */
import t, { type Test } from 'tap';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { KafkaTool, ReferenceKafka, runKafkaTool } from '../harness/reference-kafka.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import {
  ApiKey,
  apiVersionsApi,
  createTopicsApi,
  defaultApiVersionsRequest,
  defaultCreateTopicsRequest,
  defaultMetadataRequest,
  defaultProduceRequest,
  fetchApi,
  metadataApi,
  produceApi,
} from '../../protocol/messages/index.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';

// The first run resolves Kafka's jars from Maven Central (normally done by `make test` before the
// tests start); allow for that on top of the broker's own start.
t.setTimeout(20 * 60_000);

const TOPIC = 'reference-smoke';
const RECORDS = [
  { key: Buffer.from('k0'), value: Buffer.from('v0'), timestamp: 1_700_000_000_000 },
  { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1_700_000_000_001 },
  { key: null, value: Buffer.from('v2'), timestamp: 1_700_000_000_002 },
];

const unavailable = await ReferenceKafka.unavailable();
if (unavailable !== null) t.comment(unavailable);

// One reference broker and one Samsa process for the whole file (the reference takes seconds to start).
let reference: ReferenceKafka | null = null;
let samsa: SamsaProcess | null = null;
if (unavailable === null) {
  reference = await ReferenceKafka.start();
  t.teardown(() => reference?.close());
  t.comment(`reference Kafka ${reference.version} answered on ${reference.bootstrap} ${reference.startMs} ms after start (storage format ${reference.formatMs} ms)`);
  samsa = await SamsaProcess.start();
  t.teardown(() => samsa?.close());
}

const apiNames = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, name]));

interface Observed {
  versions: Map<number, { min: number; max: number }>;
  createError: number;
  produce: { errorCode: number; baseOffset: bigint; logStartOffset: bigint };
  fetch: { errorCode: number; highWatermark: bigint; lastStableOffset: bigint; logStartOffset: bigint };
  records: string[];
  batch: Buffer;
}

/** Waits until Metadata shows the topic's partition 0 with a leader (Kafka propagates it asynchronously). */
async function waitForLeader(conn: RawConnection, topic: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const md = await conn.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }] });
    const p = md.topics[0]?.partitions[0];
    if (md.topics[0]?.errorCode === 0 && p !== undefined && p.leaderId >= 0) return;
    if (Date.now() > deadline) throw new Error(`${topic} has no leader after 20 s: ${JSON.stringify(md.topics[0], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The same requests against one broker. */
async function observe(host: string, port: number): Promise<Observed> {
  const conn = await RawConnection.open(host, port);
  try {
    const av = await conn.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'samsa-compat', clientSoftwareVersion: '1' });
    const versions = new Map(av.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
    const created = await conn.request(createTopicsApi, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    });
    await waitForLeader(conn, TOPIC);
    const produced = await conn.request(produceApi, 9, {
      ...defaultProduceRequest(),
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: buildBatch({ baseOffset: 0, records: RECORDS }) }] }],
    });
    const p = produced.responses[0]!.partitionResponses[0]!;
    const fetched = await conn.request(fetchApi, 12, fetchRequest({ topic: TOPIC, offset: 0 }));
    const f = fetched.responses[0]!.partitions[0]!;
    const raw = f.records === null ? Buffer.alloc(0) : Buffer.concat(Array.isArray(f.records) ? f.records : [f.records as Buffer]);
    const records: string[] = [];
    for (const b of scanBatches(raw, { allowPartialTail: true })) {
      for (const r of readRecords(raw, b)) records.push(`${r.offset}:${r.key?.toString() ?? 'null'}=${r.value?.toString() ?? 'null'}@${r.timestamp}`);
    }
    return {
      versions,
      createError: created.topics[0]!.errorCode,
      produce: { errorCode: p.errorCode, baseOffset: p.baseOffset, logStartOffset: p.logStartOffset },
      fetch: { errorCode: f.errorCode, highWatermark: f.highWatermark, lastStableOffset: f.lastStableOffset, logStartOffset: f.logStartOffset },
      records,
      batch: raw,
    };
  } finally {
    conn.close();
  }
}

/** One line per API whose advertised range differs, or that only one side advertises. */
function versionDifferences(kafka: Observed['versions'], samsa: Observed['versions']): string[] {
  const keys = [...new Set([...kafka.keys(), ...samsa.keys()])].sort((a, b) => a - b);
  const out: string[] = [];
  for (const key of keys) {
    const k = kafka.get(key);
    const s = samsa.get(key);
    const name = `${apiNames.get(key) ?? 'ApiKey'}(${key})`;
    const range = (r: { min: number; max: number } | undefined): string => (r === undefined ? 'none' : `v${r.min}-${r.max}`);
    if (k?.min !== s?.min || k?.max !== s?.max) out.push(`${name}: kafka ${range(k)}, samsa ${range(s)}`);
  }
  return out;
}

function skipIfUnavailable(): { skip: string | false } {
  return { skip: unavailable ?? false };
}

t.test('reference Kafka and Samsa answer the same create, produce and fetch', skipIfUnavailable(), async (t: Test) => {
  const kafka = reference!;
  const ref = await observe(kafka.host, kafka.port);
  const got = await observe(samsa!.host, samsa!.port);

  t.equal(ref.createError, 0, 'kafka creates the topic');
  t.equal(got.createError, ref.createError, 'CreateTopics error code');
  t.equal(ref.produce.errorCode, 0, 'kafka accepts the batch');
  t.same(got.produce, ref.produce, 'Produce: error code, base offset, log start offset');
  t.same(got.fetch, ref.fetch, 'Fetch: error code, high watermark, last stable offset, log start offset');
  t.same(ref.records, ['0:k0=v0@1700000000000', '1:k1=v1@1700000000001', '2:null=v2@1700000000002'], 'kafka returns the records');
  t.same(got.records, ref.records, 'the same records');
  t.ok(got.batch.equals(ref.batch), `the same stored batch bytes (kafka ${ref.batch.toString('hex')}, samsa ${got.batch.toString('hex')})`);

  for (const key of [ApiKey.Produce, ApiKey.Fetch, ApiKey.Metadata, ApiKey.ApiVersions]) {
    t.ok(ref.versions.has(key) && got.versions.has(key), `both advertise ${apiNames.get(key)}`);
  }
  const diffs = versionDifferences(ref.versions, got.versions);
  t.comment(`ApiVersions: ${ref.versions.size} APIs on kafka ${kafka.version}, ${got.versions.size} on samsa; ${diffs.length} differ:`);
  for (const d of diffs) t.comment(`  ${d}`);
});

t.test('Kafka CLI tools run against the reference and against Samsa', skipIfUnavailable(), async (t: Test) => {
  for (const [name, bootstrap] of [
    ['kafka', reference!.bootstrap],
    ['samsa', samsa!.bootstrap],
  ] as const) {
    const create = await runKafkaTool(KafkaTool.topics, ['--bootstrap-server', bootstrap, '--create', '--topic', 'tool-topic', '--partitions', '3', '--replication-factor', '1']);
    t.equal(create.code, 0, `${name}: kafka-topics --create\n${create.stdout}${create.stderr}`);
    const list = await runKafkaTool(KafkaTool.topics, ['--bootstrap-server', bootstrap, '--list']);
    t.equal(list.code, 0, `${name}: kafka-topics --list\n${list.stderr}`);
    t.ok(list.stdout.split('\n').includes('tool-topic'), `${name}: the listed topics include tool-topic:\n${list.stdout}`);
    const describe = await runKafkaTool(KafkaTool.topics, ['--bootstrap-server', bootstrap, '--describe', '--topic', 'tool-topic']);
    t.equal(describe.code, 0, `${name}: kafka-topics --describe\n${describe.stderr}`);
    t.match(describe.stdout, /PartitionCount: 3/, `${name}: three partitions described:\n${describe.stdout}`);
  }
});
