/**
 * AlterReplicaLogDirs and DescribeLogDirs on an in-process broker with two log directories, over
 * the wire with the raw client. The partition logs live on a MemoryFileSystem whose writes into a
 * future replica wait for a gate, so the move can be held in the middle: DescribeLogDirs shows the
 * future replica, produce and fetch keep working, and once the gate opens the partition switches
 * to the other directory with every acknowledged record readable once, also after a restart.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Broker } from '../broker.js';
import { loadServerConfig } from '../../config/server-config.js';
import { handlerTable } from '../handlers/index.js';
import { Logger } from '../logger.js';
import type { FileSystem, StorageFile } from '../../storage/fs/file-system.js';
import { MemoryFileSystem } from '../../storage/fs/memory-file-system.js';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import {
  alterReplicaLogDirsApi,
  createTopicsApi,
  defaultCreateTopicsRequest,
  defaultProduceRequest,
  describeLogDirsApi,
  fetchApi,
  produceApi,
  type DescribeLogDirsResponse,
} from '../../protocol/messages/index.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';

const NONE = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const LOG_DIR_NOT_FOUND = 57;

const root = mkdtempSync(join(tmpdir(), 'samsa-logdirs-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const dirA = resolve(root, 'a');
const dirB = resolve(root, 'b');

/** Delegates to the memory file system; writes into future replica directories wait while the gate is closed. */
class GatedFs implements FileSystem {
  private gate: Promise<void> | null = null;
  private openGate: () => void = () => undefined;
  constructor(readonly mem: MemoryFileSystem) {}
  close(): void {
    this.gate = new Promise((r) => (this.openGate = r));
  }
  open(): void {
    this.openGate();
    this.gate = null;
  }
  async openFile(path: string): Promise<StorageFile> {
    const f = await this.mem.openFile(path);
    if (!path.includes('-future/')) return f;
    const gated = (): Promise<void> | null => this.gate;
    return {
      async writev(b, p) {
        await gated();
        return f.writev(b, p);
      },
      read: (into, o, l, p) => f.read(into, o, l, p),
      datasync: () => f.datasync(),
      truncate: (s) => f.truncate(s),
      size: () => f.size(),
      close: () => f.close(),
    };
  }
  readFile = (p: string): Promise<Buffer | null> => this.mem.readFile(p);
  writeFileAtomic = (p: string, d: Buffer, s: boolean): Promise<void> => this.mem.writeFileAtomic(p, d, s);
  readdir = (p: string): Promise<string[]> => this.mem.readdir(p);
  rename = (a: string, b: string): Promise<void> => this.mem.rename(a, b);
  mkdirp = (p: string): Promise<void> => this.mem.mkdirp(p);
  remove = (p: string): Promise<void> => this.mem.remove(p);
  exists = (p: string): Promise<boolean> => this.mem.exists(p);
  syncDir = (p: string): Promise<void> => this.mem.syncDir(p);
}

const fs = new GatedFs(new MemoryFileSystem());

async function start(): Promise<{ broker: Broker; conn: RawConnection; admin: RawConnection }> {
  const config = loadServerConfig({
    overrides: { 'log.dirs': `${dirA},${dirB}`, 'samsa.listener.port': '0', 'offsets.topic.num.partitions': '1', 'log.segment.delete.delay.ms': '100' },
  });
  const broker = await Broker.start(config, new Logger('warn', () => undefined), { fs });
  const conn = await RawConnection.open(broker.address.host, broker.address.port);
  const admin = await RawConnection.open(broker.address.host, broker.address.port);
  return { broker, conn, admin };
}

async function produce(conn: RawConnection, topic: string, values: string[]): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await conn.request(produceApi, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: buildBatch({ baseOffset: 0, records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })) }) }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
}

async function fetchAll(conn: RawConnection, topic: string): Promise<string[]> {
  const values: string[] = [];
  let offset = 0;
  for (let i = 0; i < 100; i++) {
    const res = await conn.request(fetchApi, 12, fetchRequest({ topic, partition: 0, offset }));
    const pd = res.responses[0]!.partitions[0]!;
    if (pd.errorCode !== NONE) throw new Error(`fetch error ${pd.errorCode}`);
    const buf = Buffer.concat(Array.isArray(pd.records) ? pd.records : pd.records === null ? [] : [pd.records as Buffer]);
    const batches = scanBatches(buf);
    if (batches.length === 0) break;
    for (const b of batches) {
      for (const r of readRecords(buf, b)) if (r.offset >= offset) values.push(r.value?.toString() ?? '');
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
  return values;
}

function alter(conn: RawConnection, version: number, dirs: Array<{ path: string; topics: Array<{ name: string; partitions: number[] }> }>) {
  return conn.request(alterReplicaLogDirsApi, version, { dirs });
}

async function describe(conn: RawConnection, topic: string): Promise<DescribeLogDirsResponse> {
  return conn.request(describeLogDirsApi, 4, { topics: [{ topic, partitions: [0] }] });
}

/** Where the describe response lists partition 0 of `topic`: `dir` for the current replica, `dir*` for a future one. */
function placements(res: DescribeLogDirsResponse, topic: string): string[] {
  const out: string[] = [];
  for (const r of res.results) {
    for (const tp of r.topics) if (tp.name === topic) for (const p of tp.partitions) out.push(`${r.logDir}${p.isFutureKey ? '*' : ''}`);
  }
  return out.sort();
}

t.test('ApiVersions advertises AlterReplicaLogDirs v0-2', async (t) => {
  const h = handlerTable[34];
  t.ok(h, 'registered');
  t.equal(h?.minVersion, 0);
  t.equal(h?.maxVersion, 2);
});

t.test('a partition moves to the other log directory while it is produced to and fetched from', async (t) => {
  let { broker, conn, admin } = await start();
  try {
    const created = await conn.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics: [{ name: 'm', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] });
    t.equal(created.topics[0]!.errorCode, NONE);
    const sent: string[] = [];
    const send = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const v = [`v${sent.length}`, `v${sent.length + 1}`];
        const r = await produce(conn, 'm', v);
        if (r.errorCode !== NONE || r.baseOffset !== sent.length) t.fail(`produce: error ${r.errorCode}, offset ${r.baseOffset}, expected ${sent.length}`);
        sent.push(...v);
      }
    };
    await send(20);
    const before = await describe(admin, 'm');
    t.same(
      before.results.map((r) => r.logDir),
      [dirA, dirB],
      'both log directories described',
    );
    const [source] = placements(before, 'm');
    t.ok(source === dirA || source === dirB, `the partition lives in ${source}`);
    const target = source === dirA ? dirB : dirA;

    // Validation.
    const bad = await alter(admin, 2, [
      { path: join(root, 'nowhere'), topics: [{ name: 'm', partitions: [0] }] },
      { path: target, topics: [{ name: 'unknown', partitions: [0] }, { name: 'm', partitions: [7] }] },
    ]);
    const codes = bad.results.map((r) => `${r.topicName}:${r.partitions.map((p) => `${p.partitionIndex}=${p.errorCode}`).join(',')}`).sort();
    t.same(codes, [`m:0=${LOG_DIR_NOT_FOUND},7=${UNKNOWN_TOPIC_OR_PARTITION}`, `unknown:0=${UNKNOWN_TOPIC_OR_PARTITION}`]);
    const same = await alter(admin, 0, [{ path: `${source}/`, topics: [{ name: 'm', partitions: [0] }] }]);
    t.same(same.results, [{ topicName: 'm', partitions: [{ partitionIndex: 0, errorCode: NONE }] }], 'its own directory: a no-op');
    t.same(placements(await describe(admin, 'm'), 'm'), [source]);

    // The move, held while the future replica is being written.
    fs.close();
    const res = await alter(admin, 1, [{ path: target, topics: [{ name: 'm', partitions: [0] }] }]);
    t.same(res.results, [{ topicName: 'm', partitions: [{ partitionIndex: 0, errorCode: NONE }] }]);
    const again = await alter(admin, 2, [{ path: target, topics: [{ name: 'm', partitions: [0] }] }]);
    t.equal(again.results[0]!.partitions[0]!.errorCode, NONE, 'asking again for the same move is a no-op');
    t.same(placements(await describe(admin, 'm'), 'm'), [source, `${target}*`].sort(), 'the future replica is listed in the target directory');
    await send(20);
    t.same(await fetchAll(admin, 'm'), sent, 'fetch works during the move');
    fs.open();
    await send(20);
    for (let i = 0; i < 200 && placements(await describe(admin, 'm'), 'm').join() !== target; i++) await new Promise((r) => setTimeout(r, 10));
    t.same(placements(await describe(admin, 'm'), 'm'), [target], 'moved');
    await send(5);
    t.same(await fetchAll(admin, 'm'), sent, 'every record once, in order');
    t.ok(fs.mem.paths().some((p) => p.startsWith(`${target}/m-0/`) && p.endsWith('.log')), 'segments in the target directory');
    await new Promise((r) => setTimeout(r, 150));
    t.notOk(fs.mem.paths().some((p) => p.startsWith(`${source}/m-0`)), 'none left in the source directory');

    conn.close();
    admin.close();
    await broker.close();
    ({ broker, conn, admin } = await start());
    t.same(placements(await describe(admin, 'm'), 'm'), [target], 'still there after a restart');
    t.same(await fetchAll(admin, 'm'), sent, 'the same records after a restart');
    await send(1);
  } finally {
    conn.close();
    admin.close();
    await broker.close();
  }
});
