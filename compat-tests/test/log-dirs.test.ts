/**
 * Several log directories on a real Samsa process (`log.dirs=a,b`): a kafkajs producer (idempotent,
 * acks=all) produces continuously while AlterReplicaLogDirs (raw protocol: kafkajs has no admin
 * call for it) moves the partition from one directory to the other. DescribeLogDirs then shows the
 * partition in the new directory, its files are there and gone from the old one, and every
 * acknowledged record is read back exactly once, in order, before and after a restart. Kafka's
 * own `kafka-log-dirs --describe` (Java Admin#describeLogDirs) sees the same placement when the
 * reference Kafka jars are available.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { ReferenceKafka, runKafkaTool } from '../harness/reference-kafka.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { alterReplicaLogDirsApi, describeLogDirsApi, fetchApi, type DescribeLogDirsResponse } from '../../protocol/messages/index.js';
import { readRecords, scanBatches } from '../../protocol/records/index.js';

const require = createRequire(import.meta.url);
// kafkajs ships CommonJS without types; the shapes used here are declared below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajs = require('kafkajs') as {
  Kafka: new (config: unknown) => { producer(config?: unknown): Producer; admin(): Admin };
  logLevel: { NOTHING: number };
};
interface Producer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(req: unknown): Promise<Array<{ partition: number; errorCode: number; baseOffset: string }>>;
}
interface Admin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  createTopics(req: unknown): Promise<boolean>;
}

const TOPIC = 'moving';
const root = mkdtempSync(join(tmpdir(), 'samsa-logdirs-'));
const dirA = resolve(root, 'a');
const dirB = resolve(root, 'b');
// `--data-dir` sets log.dirs, a comma list.
const samsa = await SamsaProcess.start({
  dataDir: `${dirA},${dirB}`,
  overrides: { 'log.segment.bytes': '65536', 'log.segment.delete.delay.ms': '200', 'offsets.topic.num.partitions': '1' },
});
t.teardown(async () => {
  await samsa.stop();
  rmSync(root, { recursive: true, force: true });
});

const kafka = new kafkajs.Kafka({ clientId: 'samsa-logdirs', brokers: [samsa.bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 5 } });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function describe(conn: RawConnection): Promise<DescribeLogDirsResponse> {
  return conn.request(describeLogDirsApi, 4, { topics: [{ topic: TOPIC, partitions: [0] }] });
}

/** Directories listing the partition: `dir` for the current replica, `dir*` for a future one. */
function placements(res: DescribeLogDirsResponse): string[] {
  const out: string[] = [];
  for (const r of res.results) for (const tp of r.topics) if (tp.name === TOPIC) for (const p of tp.partitions) out.push(`${r.logDir}${p.isFutureKey ? '*' : ''}`);
  return out.sort();
}

/** Every record of the partition from offset 0, as offset → value. */
async function readAll(conn: RawConnection): Promise<Array<{ offset: number; value: string }>> {
  const out: Array<{ offset: number; value: string }> = [];
  let offset = 0;
  for (let i = 0; i < 10_000; i++) {
    const res = await conn.request(fetchApi, 12, fetchRequest({ topic: TOPIC, partition: 0, offset }, { maxBytes: 4 << 20 }));
    const pd = res.responses[0]!.partitions[0]!;
    if (pd.errorCode !== 0) throw new Error(`fetch at ${offset}: error ${pd.errorCode}`);
    const buf = Buffer.concat(Array.isArray(pd.records) ? pd.records : pd.records === null ? [] : [pd.records as Buffer]);
    const batches = scanBatches(buf);
    if (batches.length === 0) break;
    for (const b of batches) {
      for (const r of readRecords(buf, b)) if (r.offset >= offset) out.push({ offset: r.offset, value: r.value!.toString() });
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
  return out;
}

function checkExactlyOnce(t: Test, records: Array<{ offset: number; value: string }>, acked: Map<string, number>, what: string): void {
  const seen = new Map<string, number>();
  for (const r of records) seen.set(r.value, (seen.get(r.value) ?? 0) + 1);
  const missing = [...acked.keys()].filter((v) => !seen.has(v));
  const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
  const moved = [...acked].filter(([v, off]) => records.find((r) => r.offset === off)?.value !== v);
  t.same({ missing: missing.length, duplicated: duplicated.length, atAnotherOffset: moved.length }, { missing: 0, duplicated: 0, atAnotherOffset: 0 }, `${what}: ${acked.size} acknowledged records, each once at its offset`);
  t.same(
    records.map((r) => r.offset),
    records.map((_, i) => i),
    `${what}: contiguous offsets`,
  );
}

t.test('a partition moves to the other log directory under continuous produce, and stays there after a restart', async (t) => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const acked = new Map<string, number>();
  let n = 0;
  const sendOne = async (count: number): Promise<void> => {
    const messages = Array.from({ length: count }, () => ({ value: `r${n++}-${'x'.repeat(90)}` }));
    const [res] = await producer.send({ topic: TOPIC, acks: -1, messages });
    const base = Number(res!.baseOffset);
    messages.forEach((m, i) => acked.set(m.value, base + i));
  };
  // Some segments before the move (~1.5 MB, 64 KiB segments).
  for (let i = 0; i < 150; i++) await sendOne(100);

  const conn = await RawConnection.open(samsa.host, samsa.port);
  try {
    const before = placements(await describe(conn));
    t.equal(before.length, 1, `the partition is in one directory: ${before.join()}`);
    const source = before[0]!;
    const target = source === dirA ? dirB : dirA;
    t.ok(existsSync(join(source, `${TOPIC}-0`)), 'its files are in that directory');

    let producing = true;
    let errors = 0;
    const producerLoop = (async () => {
      while (producing) {
        try {
          await sendOne(20);
        } catch {
          errors++;
        }
      }
    })();
    await sleep(100);
    const res = await conn.request(alterReplicaLogDirsApi, 2, { dirs: [{ path: target, topics: [{ name: TOPIC, partitions: [0] }] }] });
    t.same(res.results, [{ topicName: TOPIC, partitions: [{ partitionIndex: 0, errorCode: 0 }] }], 'AlterReplicaLogDirs accepted');
    const seen = new Set<string>();
    let after: string[] = [];
    for (let i = 0; i < 500; i++) {
      after = placements(await describe(conn));
      seen.add(after.join(' '));
      if (after.length === 1 && after[0] === target) break;
      await sleep(10);
    }
    t.same(after, [target], `DescribeLogDirs shows the partition in ${target} (states seen: ${[...seen].join(' | ')})`);
    await sleep(200);
    producing = false;
    await producerLoop;
    t.equal(errors, 0, 'no produce failed');
    t.ok(acked.size > 15_000, `${acked.size} records acknowledged`);

    const files = readdirSync(join(target, `${TOPIC}-0`));
    t.ok(files.filter((f) => f.endsWith('.log')).length > 10, `segments are in ${target}: ${files.filter((f) => f.endsWith('.log')).length}`);
    t.ok(files.includes('partition.metadata'), 'with the partition metadata');
    await sleep(400);
    t.same(
      readdirSync(source).filter((f) => f.startsWith(TOPIC)),
      [],
      `nothing of the partition left in ${source}`,
    );
    checkExactlyOnce(t, await readAll(conn), acked, 'after the move');
    const unavailable = await ReferenceKafka.unavailable();
    if (unavailable !== null) t.comment(`kafka-log-dirs not run: ${unavailable}`);
    else {
      const tool = await runKafkaTool('org.apache.kafka.tools.LogDirsCommand', ['--bootstrap-server', samsa.bootstrap, '--describe', '--topic-list', TOPIC]);
      t.equal(tool.code, 0, `kafka-log-dirs --describe\n${tool.stderr}`);
      const json = tool.stdout.split('\n').find((l) => l.startsWith('{'));
      const described = JSON.parse(json ?? '{}') as { brokers?: Array<{ logDirs: Array<{ logDir: string; error: string | null; partitions: Array<{ partition: string; isFuture: boolean }> }> }> };
      const dirs = described.brokers?.[0]?.logDirs ?? [];
      t.same(dirs.map((d) => d.logDir).sort(), [dirA, dirB].sort(), 'kafka-log-dirs lists both directories');
      t.same(
        dirs.flatMap((d) => d.partitions.map((p) => `${p.partition}@${d.logDir}${p.isFuture ? '*' : ''}`)),
        [`${TOPIC}-0@${target}`],
        'kafka-log-dirs sees the partition in its new directory',
      );
    }
    await producer.disconnect();
    conn.close();

    await samsa.restart();
    const again = await RawConnection.open(samsa.host, samsa.port);
    try {
      t.same(placements(await describe(again)), [target], 'still in the new directory after a restart');
      checkExactlyOnce(t, await readAll(again), acked, 'after a restart');
      const p2 = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await p2.connect();
      const [r] = await p2.send({ topic: TOPIC, acks: -1, messages: [{ value: 'last' }] });
      t.equal(Number(r!.baseOffset), acked.size, 'appends continue after the last offset');
      await p2.disconnect();
    } finally {
      again.close();
    }
  } finally {
    conn.close();
  }
});
