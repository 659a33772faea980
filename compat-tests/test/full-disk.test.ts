/**
 * A real bin/samsa process whose data directory is a small tmpfs (8 MiB) that a filler file
 * fills up: Produce answers KAFKA_STORAGE_ERROR and OffsetCommit NOT_COORDINATOR while the disk is
 * full, ListOffsets and Fetch keep working, also after a restart on the full disk; once the filler
 * is removed, appends resume without a restart and no failed record is visible. Needs root to
 * mount the tmpfs; skipped otherwise.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import {
  createTopicsApi,
  defaultCreateTopicsRequest,
  defaultListOffsetsRequest,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultOffsetCommitRequest,
  defaultOffsetCommitRequestPartition,
  defaultProduceRequest,
  fetchApi,
  listOffsetsApi,
  offsetCommitApi,
  produceApi,
} from '../../protocol/messages/index.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';

const NONE = 0;
const NOT_COORDINATOR = 16;
const KAFKA_STORAGE_ERROR = 56;
/** Larger than a page: a write of it always needs a new block, however full the last one is. */
const BIG = 'x'.repeat(16 * 1024);

const mountDir = mkdtempSync(join(tmpdir(), 'samsa-tmpfs-'));
let mounted = false;
let skipReason = '';
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountDir], { stdio: 'pipe' });
  mounted = true;
} catch (e) {
  skipReason = `cannot mount a tmpfs (needs root): ${(e as Error).message.split('\n')[0]}`;
}
t.teardown(() => {
  if (mounted) execFileSync('umount', ['-l', mountDir]);
  rmdirSync(mountDir);
});

const filler = join(mountDir, 'filler');

/** Writes the filler file until the tmpfs refuses more (ENOSPC). */
function fillDisk(): void {
  const fd = openSync(filler, 'a');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 1024; i++) writeSync(fd, chunk);
    throw new Error('the tmpfs did not fill up');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
}

async function produce(conn: RawConnection, value: string): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await conn.request(produceApi, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: 'full', partitionData: [{ index: 0, records: buildBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] }) }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
}

async function latest(conn: RawConnection): Promise<[number, number]> {
  const res = await conn.request(listOffsetsApi, 8, {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    topics: [{ name: 'full', partitions: [{ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp: -1n }] }],
  });
  const p = res.topics[0]!.partitions[0]!;
  return [p.errorCode, Number(p.offset)];
}

async function fetchSizes(conn: RawConnection): Promise<{ errorCode: number; sizes: number[] }> {
  const res = await conn.request(fetchApi, 12, fetchRequest({ topic: 'full', partition: 0, offset: 0 }));
  const pd = res.responses[0]!.partitions[0]!;
  const buf = Buffer.concat(Array.isArray(pd.records) ? pd.records : pd.records === null ? [] : [pd.records as Buffer]);
  const sizes: number[] = [];
  for (const b of scanBatches(buf)) for (const r of readRecords(buf, b)) sizes.push(r.value?.length ?? -1);
  return { errorCode: pd.errorCode, sizes };
}

async function commit(conn: RawConnection, offset: number): Promise<number> {
  const res = await conn.request(offsetCommitApi, 8, {
    ...defaultOffsetCommitRequest(),
    groupId: 'g',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    // Metadata larger than a page, so the commit's write needs a new block.
    topics: [{ name: 'full', partitions: [{ ...defaultOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: BigInt(offset), committedMetadata: 'm'.repeat(4000) }] }],
  });
  return res.topics[0]!.partitions[0]!.errorCode;
}

t.test('bin/samsa on a tmpfs that fills up', { skip: mounted ? false : skipReason }, async (t) => {
  const samsa = await SamsaProcess.start({ dataDir: join(mountDir, 'data'), overrides: { 'offsets.topic.num.partitions': '1' } });
  let conn = await RawConnection.open(samsa.host, samsa.port);
  try {
    const created = await conn.request(createTopicsApi, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [{ name: 'full', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    });
    t.equal(created.topics[0]!.errorCode, NONE);
    t.same(await produce(conn, BIG), { errorCode: NONE, baseOffset: 0 });
    t.equal(await commit(conn, 1), NONE);

    fillDisk();
    t.equal((await produce(conn, BIG)).errorCode, KAFKA_STORAGE_ERROR, 'Produce on the full disk');
    t.equal((await produce(conn, BIG)).errorCode, KAFKA_STORAGE_ERROR, 'and again');
    t.equal(await commit(conn, 1), NOT_COORDINATOR, 'OffsetCommit on the full disk');
    t.same(await latest(conn), [NONE, 1], 'ListOffsets on the full disk');
    t.same(await fetchSizes(conn), { errorCode: NONE, sizes: [BIG.length] }, 'Fetch on the full disk');

    unlinkSync(filler);
    t.same(await produce(conn, BIG), { errorCode: NONE, baseOffset: 1 }, 'appends resume once space is free, without a restart');
    t.equal(await commit(conn, 2), NONE, 'and so do offset commits');

    fillDisk();
    t.equal((await produce(conn, BIG)).errorCode, KAFKA_STORAGE_ERROR);
    conn.close();
    t.equal(await samsa.stop('SIGTERM'), 0, 'a stop on the full disk exits cleanly');
    await samsa.restart();
    conn = await RawConnection.open(samsa.host, samsa.port);
    t.same(await latest(conn), [NONE, 2], 'ListOffsets after a restart on the full disk');
    t.same(await fetchSizes(conn), { errorCode: NONE, sizes: [BIG.length, BIG.length] }, 'Fetch after a restart on the full disk');
    t.equal((await produce(conn, BIG)).errorCode, KAFKA_STORAGE_ERROR);

    unlinkSync(filler);
    t.same(await produce(conn, BIG), { errorCode: NONE, baseOffset: 2 }, 'appends resume after the restart too');
    t.same(await fetchSizes(conn), { errorCode: NONE, sizes: [BIG.length, BIG.length, BIG.length] }, 'no failed record is visible');
    const errors = samsa.stderr.split('\n').filter((l) => / ERROR /.test(l));
    t.ok(errors.length <= 6, `a few ERROR lines, not one per request (${errors.length})`);
  } finally {
    conn.close();
    await samsa.close();
  }
});
