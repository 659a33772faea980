/**
 * PartitionLog on a disk that runs out of space (MemoryFileSystem with a capacity): writes fail
 * with ENOSPC and the log answers KAFKA_STORAGE_ERROR, reads keep working, opening a log needs no
 * free space, and once space is back appends resume where the written log ends, with no torn or
 * unacknowledged bytes visible, also after a restart. Every failure path closes its files.
 */
import t, { type Test } from 'tap';
import { PartitionLog, type AppendOutcome } from '../../log/partition-log.js';
import { DIR, env } from './log-env.js';

const KAFKA_STORAGE_ERROR = 56;
import { buildBatch, readRecords, scanBatches } from '../../../protocol/records/index.js';

function batch(values: string[], idempotent?: { producerId: number; seq: number }): Buffer {
  const ts = Date.now();
  return buildBatch({
    baseOffset: 0,
    records: values.map((v, i) => ({ key: null, value: Buffer.from(v), timestamp: ts + i })),
    producerId: idempotent?.producerId ?? -1,
    producerEpoch: idempotent === undefined ? -1 : 0,
    baseSequence: idempotent?.seq ?? -1,
  });
}

function append(log: PartitionLog, buf: Buffer): AppendOutcome {
  return log.append(buf, scanBatches(buf), { leaderEpoch: 0, requireDurable: true });
}

async function appendOk(log: PartitionLog, values: string[], idempotent?: { producerId: number; seq: number }): Promise<number> {
  const out = append(log, batch(values, idempotent));
  if ('errorCode' in out) throw new Error(`append failed: ${out.errorCode} ${out.errorMessage}`);
  if ('duplicate' in out) throw new Error('append taken for a duplicate');
  await out.durable;
  return out.baseOffset;
}

/** An append that must fail: resolves with the error code it got, or the error of its write. */
async function appendFails(log: PartitionLog, values: string[], idempotent?: { producerId: number; seq: number }): Promise<string> {
  const out = append(log, batch(values, idempotent));
  if ('errorCode' in out) return `error ${out.errorCode}`;
  if ('duplicate' in out) return 'duplicate';
  try {
    await out.written;
    return 'written';
  } catch (e) {
    return String((e as NodeJS.ErrnoException).code);
  }
}

async function readAll(log: PartitionLog): Promise<Array<{ offset: number; value: string }>> {
  const out: Array<{ offset: number; value: string }> = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { records } = await log.read(offset, 64 * 1024, { minOneBatch: true, upperBound: log.highWatermark });
    if (records.length === 0) break;
    for (const buf of records) {
      for (const b of scanBatches(buf)) {
        for (const r of readRecords(buf, b)) out.push({ offset: r.offset, value: r.value?.toString() ?? '' });
        offset = b.baseOffset + b.lastOffsetDelta + 1;
      }
    }
  }
  return out;
}

const values = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}-${'x'.repeat(40)}`);
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

/** Offsets are dense from 0 and values are what was acknowledged, in order. */
function checkLog(t: Test, records: Array<{ offset: number; value: string }>, acked: string[], what: string): void {
  t.same(
    records.map((r) => r.offset),
    acked.map((_, i) => i),
    `${what}: offsets are dense`,
  );
  t.same(
    records.map((r) => r.value),
    acked,
    `${what}: exactly the acknowledged records`,
  );
}

t.test('out of space: appends fail, reads work, and appends resume once space is back', async (t) => {
  const e = env();
  const log = await e.open();
  const acked: string[] = [];
  for (let i = 0; i < 4; i++) {
    await appendOk(log, values(3, `a${i}-`));
    acked.push(...values(3, `a${i}-`));
  }
  await settle();
  const end = log.highWatermark;

  e.fs.leaveFree(100); // less than one batch: the next write lands partly, then ENOSPC
  const first = appendFails(log, values(3, 'lost-a-'));
  const second = appendFails(log, values(3, 'lost-b-')); // queued behind it, offsets already assigned
  t.equal(await first, 'ENOSPC', 'the write that ran out of space fails');
  t.equal(await second, 'ENOSPC', 'so does the one queued behind it');
  t.ok(log.failed);
  t.equal(await appendFails(log, ['later']), `error ${KAFKA_STORAGE_ERROR}`, 'further appends get KAFKA_STORAGE_ERROR');
  t.ok(e.messages.some((m) => /appends are refused until space is free again/.test(m)), 'the failure is logged');

  t.equal(log.highWatermark, end, 'nothing unwritten became readable');
  checkLog(t, await readAll(log), acked, 'reads on the full disk');
  t.equal(e.fs.fileBytes(log.activeSegment.path)!.length, log.activeSegment.writtenSize, 'the torn part of the failed write is cut off at once');

  t.equal(await log.recoverIfFailed(), false, 'no recovery while the disk is still full');
  t.equal(await appendFails(log, ['still full']), `error ${KAFKA_STORAGE_ERROR}`);

  e.fs.setCapacity(null);
  t.equal(await log.recoverIfFailed(), true, 'recovers once space is back');
  t.notOk(log.failed);
  t.equal(log.logEndOffset, end, 'the log end goes back to the end of the last completed write');
  t.equal(await appendOk(log, values(3, 'b-')), end, 'the next append takes the next offset after the acknowledged records');
  acked.push(...values(3, 'b-'));
  checkLog(t, await readAll(log), acked, 'after recovery');
  t.ok(e.messages.some((m) => /appends resume at offset/.test(m)), 'the recovery is logged');
  await log.close();
  t.equal(e.fs.openHandles, 0, 'every file is closed');

  const again = await e.open();
  checkLog(t, await readAll(again), acked, 'after a restart');
  await again.close();
  t.equal(e.fs.openHandles, 0);
});

t.test('failed appends that rolled a segment leave no segment behind after recovery', async (t) => {
  const e = env();
  const log = await e.open();
  const acked: string[] = [];
  for (let i = 0; i < 12; i++) {
    await appendOk(log, values(3, `a${i}-`));
    acked.push(...values(3, `a${i}-`));
  }
  await settle();
  const segments = log.segmentList.length;
  e.fs.leaveFree(50);
  // Enough failing appends to roll at least once (segment.bytes 4096): offsets past the end.
  const failing: Array<Promise<string>> = [];
  for (let i = 0; i < 25; i++) failing.push(appendFails(log, values(3, `lost${i}-`)));
  t.ok(log.segmentList.length > segments, 'the failing appends rolled a new segment');
  for (const f of failing) t.not(await f, 'written');
  e.fs.setCapacity(null);
  t.equal(await log.recoverIfFailed(), true);
  t.equal(log.segmentList.length, segments, 'segments begun by failed appends are gone');
  t.same(
    e.fs.paths().filter((p) => p.endsWith('.log')).length,
    segments,
    'and so are their files',
  );
  for (let i = 0; i < 12; i++) {
    await appendOk(log, values(3, `b${i}-`));
    acked.push(...values(3, `b${i}-`));
  }
  checkLog(t, await readAll(log), acked, 'after recovery and more rolls');
  await log.close();
  const again = await e.open();
  checkLog(t, await readAll(again), acked, 'after a restart');
  await again.close();
  t.equal(e.fs.openHandles, 0);
});

t.test('an idempotent batch that failed for lack of space is appended when retried after recovery', async (t) => {
  const e = env();
  const log = await e.open();
  const pid = { producerId: 7, seq: 0 };
  await appendOk(log, values(2, 's0-'), pid);
  await settle();
  e.fs.leaveFree(10);
  t.equal(await appendFails(log, values(2, 's2-'), { producerId: 7, seq: 2 }), 'ENOSPC');
  e.fs.setCapacity(null);
  t.equal(await log.recoverIfFailed(), true);
  // The producer retries the same sequence: it was never written, so it is not a duplicate.
  const out = append(log, batch(values(2, 's2-'), { producerId: 7, seq: 2 }));
  t.notOk('duplicate' in out, 'the retry is not mistaken for a duplicate of the failed write');
  t.ok('written' in out && out.baseOffset === 2, 'it gets the next offset');
  if ('durable' in out) await out.durable;
  checkLog(t, await readAll(log), [...values(2, 's0-'), ...values(2, 's2-')], 'after the retry');
  await log.close();
});

t.test('a log opens and serves reads on a full disk, even when recovery wants to write', async (t) => {
  const e = env();
  let log = await e.open();
  const acked: string[] = [];
  for (let i = 0; i < 40; i++) {
    await appendOk(log, values(3, `a${i}-`));
    acked.push(...values(3, `a${i}-`));
  }
  t.ok(log.segmentList.length >= 3);
  const sealed = log.segmentList[0]!;
  await log.close();
  // An unclean stop, with a sealed segment's index files lost: recovery rebuilds and rewrites
  // them, and rewrites the offsets checkpoint.
  await e.fs.remove(`${DIR}/.clean-shutdown`);
  await e.fs.remove(sealed.indexPath());
  await e.fs.writeFileAtomic(`${DIR}/offsets.checkpoint`, Buffer.from('0\nlog-start-offset 0\nrecovery-point 0\nhigh-watermark 120\ncleaner-offset 0\n'), true);
  e.fs.leaveFree(0);

  log = await e.open();
  t.equal(log.logEndOffset, 120, 'opened with every record');
  t.ok(e.messages.some((m) => /index files of segment 0 failed, keeping them in memory/.test(m)), 'the index files it could not write are logged');
  checkLog(t, await readAll(log), acked, 'reads on the full disk');
  const found = await log.offsetForTimestamp(0);
  t.equal(found?.offset, 0, 'lookups by time work');
  e.fs.leaveFree(0); // opening removed files it could not rewrite, which freed some space
  t.equal(await appendFails(log, ['full']), 'ENOSPC', 'appends fail as before');
  await log.close();
  t.equal(e.fs.openHandles, 0, 'closing on the full disk closes every file');

  e.fs.setCapacity(null);
  log = await e.open();
  checkLog(t, await readAll(log), acked, 'after space is back and a restart');
  t.equal(await appendOk(log, ['more']), 120);
  await log.close();
  t.equal(e.fs.openHandles, 0);
});

t.test('a log that fails to open closes the files it opened', async (t) => {
  const e = env();
  let log = await e.open({ fsyncEnabled: false });
  for (let i = 0; i < 20; i++) await appendOk(log, values(3, `a${i}-`));
  await log.close();
  await e.fs.remove(`${DIR}/.clean-shutdown`);
  // The last step of opening syncs the directory; make it fail after recovery opened the segments.
  e.fs.failNextSync();
  await t.rejects(e.open({ fsyncEnabled: false }), { code: 'EIO' });
  t.same(e.fs.openHandlePaths(), [], 'no file is left open');
  log = await e.open({ fsyncEnabled: false });
  t.equal(log.logEndOffset, 60, 'the next open succeeds');
  await log.close();
  t.equal(e.fs.openHandles, 0);
});
