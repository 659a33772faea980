/**
 * The broker on a disk that runs out of space: an in-process broker whose partition logs live on a
 * MemoryFileSystem with a capacity (the metadata log stays on a temporary directory), driven over
 * the wire with the raw client. Writes answer KAFKA_STORAGE_ERROR whether the partition was open,
 * never opened, or created while the disk is full; OffsetCommit answers NOT_COORDINATOR (Kafka's
 * mapping of KAFKA_STORAGE_ERROR on `__consumer_offsets`); reads keep working, also after a
 * restart on the still-full disk; failures log a few lines, not one per request; appends resume
 * once space is back; every file is closed at the end.
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../broker.js';
import { loadServerConfig } from '../../config/server-config.js';
import { Logger } from '../logger.js';
import { MemoryFileSystem } from '../../storage/fs/memory-file-system.js';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import {
  createTopicsApi,
  defaultCreateTopicsRequest,
  defaultListOffsetsRequest,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultMetadataRequest,
  defaultOffsetCommitRequest,
  defaultOffsetCommitRequestPartition,
  defaultOffsetFetchRequest,
  defaultOffsetFetchRequestGroup,
  defaultProduceRequest,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  produceApi,
} from '../../protocol/messages/index.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';

const NONE = 0;
const NOT_COORDINATOR = 16;
const KAFKA_STORAGE_ERROR = 56;

const dataDir = mkdtempSync(join(tmpdir(), 'samsa-full-disk-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const fs = new MemoryFileSystem();
const lines: string[] = [];

async function start(): Promise<{ broker: Broker; conn: RawConnection }> {
  const config = loadServerConfig({ overrides: { 'log.dirs': dataDir, 'samsa.listener.port': '0', 'offsets.topic.num.partitions': '1' } });
  const broker = await Broker.start(config, new Logger('info', (line) => lines.push(line)), { fs });
  const conn = await RawConnection.open(broker.address.host, broker.address.port);
  return { broker, conn };
}

async function createTopic(conn: RawConnection, name: string, partitions: number): Promise<void> {
  const res = await conn.request(createTopicsApi, 7, {
    ...defaultCreateTopicsRequest(),
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
  });
  if (res.topics[0]!.errorCode !== NONE) throw new Error(`create ${name}: ${res.topics[0]!.errorCode}`);
}

async function produce(conn: RawConnection, topic: string, partition: number, values: string[]): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await conn.request(produceApi, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: buildBatch({ baseOffset: 0, records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })) }) }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
}

async function latest(conn: RawConnection, topic: string, partition: number): Promise<[number, number]> {
  const res = await conn.request(listOffsetsApi, 8, {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    topics: [{ name: topic, partitions: [{ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: partition, timestamp: -1n }] }],
  });
  const p = res.topics[0]!.partitions[0]!;
  return [p.errorCode, Number(p.offset)];
}

async function fetchValues(conn: RawConnection, topic: string, partition: number): Promise<{ errorCode: number; values: string[] }> {
  const res = await conn.request(fetchApi, 12, fetchRequest({ topic, partition, offset: 0 }));
  const pd = res.responses[0]!.partitions[0]!;
  const buf = Buffer.concat(Array.isArray(pd.records) ? pd.records : pd.records === null ? [] : [pd.records as Buffer]);
  const values: string[] = [];
  for (const b of scanBatches(buf)) for (const r of readRecords(buf, b)) values.push(r.value?.toString() ?? '');
  return { errorCode: pd.errorCode, values };
}

async function commit(conn: RawConnection, topic: string, partition: number, offset: number): Promise<number> {
  const res = await conn.request(offsetCommitApi, 8, {
    ...defaultOffsetCommitRequest(),
    groupId: 'g',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    topics: [{ name: topic, partitions: [{ ...defaultOffsetCommitRequestPartition(), partitionIndex: partition, committedOffset: BigInt(offset) }] }],
  });
  return res.topics[0]!.partitions[0]!.errorCode;
}

async function committed(conn: RawConnection, topic: string, partition: number): Promise<[number, number]> {
  const res = await conn.request(offsetFetchApi, 8, {
    ...defaultOffsetFetchRequest(),
    groups: [{ ...defaultOffsetFetchRequestGroup(), groupId: 'g', topics: [{ name: topic, partitionIndexes: [partition] }] }],
  });
  const g = res.groups[0]!;
  const p = g.topics[0]!.partitions[0]!;
  return [g.errorCode || p.errorCode, Number(p.committedOffset)];
}

const errorLines = (): number => lines.filter((l) => / ERROR /.test(l)).length;

t.test('a full disk: storage errors for writes, reads keep working, writes resume once space is back', async (t) => {
  let { broker, conn } = await start();
  try {
    await createTopic(conn, 't', 2);
    t.same(await produce(conn, 't', 0, ['a']), { errorCode: NONE, baseOffset: 0 });
    t.equal(await commit(conn, 't', 0, 1), NONE, 'offsets commit while there is space');

    fs.leaveFree(0);
    const errorsBefore = errorLines();
    t.equal((await produce(conn, 't', 0, ['full'])).errorCode, KAFKA_STORAGE_ERROR, 'Produce to an open partition');
    t.equal((await produce(conn, 't', 1, ['full'])).errorCode, KAFKA_STORAGE_ERROR, 'Produce to a partition never opened');
    await createTopic(conn, 'u', 1);
    t.equal((await produce(conn, 'u', 0, ['full'])).errorCode, KAFKA_STORAGE_ERROR, 'Produce to a partition created while the disk is full');
    t.equal(await commit(conn, 't', 0, 5), NOT_COORDINATOR, 'OffsetCommit: NOT_COORDINATOR, as Kafka maps a storage error on __consumer_offsets');

    t.same(await latest(conn, 't', 0), [NONE, 1], 'ListOffsets reads the open log');
    t.equal((await latest(conn, 't', 1))[0], KAFKA_STORAGE_ERROR, 'ListOffsets of a log that cannot be created: KAFKA_STORAGE_ERROR');
    t.same(await fetchValues(conn, 't', 0), { errorCode: NONE, values: ['a'] }, 'Fetch returns what was acknowledged, nothing more');
    t.same(await committed(conn, 't', 0), [NONE, 1], 'OffsetFetch returns the last durable commit');
    const md = await conn.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: null });
    t.equal(md.topics.length >= 2, true, 'Metadata answers');

    for (let i = 0; i < 100; i++) {
      await produce(conn, 't', i % 2, ['again']);
      await latest(conn, 't', 1);
    }
    const logged = errorLines() - errorsBefore;
    t.ok(logged <= 5, `a few ERROR lines for ~200 failing requests, not one each (${logged})`);
    t.notOk(lines.some((l) => /failed: .*\n?.*at /.test(l) && / ERROR .*(Produce|ListOffsets) v/.test(l)), 'no request fails as an unexpected error');

    fs.setCapacity(null);
    t.same(await produce(conn, 't', 0, ['b']), { errorCode: NONE, baseOffset: 1 }, 'appends resume at the next offset once space is back');
    t.same(await produce(conn, 't', 1, ['c']), { errorCode: NONE, baseOffset: 0 }, 'the partition that could not be created now is');
    t.same(await produce(conn, 'u', 0, ['d']), { errorCode: NONE, baseOffset: 0 });
    t.equal(await commit(conn, 't', 0, 2), NONE, 'offsets commit again');
    t.same(await fetchValues(conn, 't', 0), { errorCode: NONE, values: ['a', 'b'] }, 'no failed record became visible');

    // Full again, then a stop and a start on the full disk.
    fs.leaveFree(0);
    t.equal((await produce(conn, 't', 0, ['full'])).errorCode, KAFKA_STORAGE_ERROR);
    conn.close();
    await broker.close();
    t.equal(fs.openHandles, 0, 'the broker closed every file, clean shutdown or not');

    ({ broker, conn } = await start());
    t.same(await latest(conn, 't', 0), [NONE, 2], 'ListOffsets after a restart on the full disk');
    t.same(await fetchValues(conn, 't', 0), { errorCode: NONE, values: ['a', 'b'] }, 'Fetch after a restart on the full disk');
    t.same(await committed(conn, 't', 0), [NONE, 2], 'OffsetFetch after a restart on the full disk');
    t.equal((await produce(conn, 't', 0, ['full'])).errorCode, KAFKA_STORAGE_ERROR);
    fs.setCapacity(null);
    t.same(await produce(conn, 't', 0, ['e']), { errorCode: NONE, baseOffset: 2 });
  } finally {
    conn.close();
    await broker.close();
  }
  t.equal(fs.openHandles, 0, 'every file is closed');
});
