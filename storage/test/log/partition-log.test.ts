/**
 * PartitionLog on the in-memory file system: appends and reads across segment rolls, recovery
 * from crashes, torn tails, corrupt bytes and missing indexes, producer state across restarts,
 * retention, DeleteRecords, and failed writes and syncs.
 */
import t from 'tap';
import { PartitionLog, type AppendOutcome } from '../../log/partition-log.js';
import { DIR, env, type Env } from './log-env.js';
import { buildBatch, readRecords, scanBatches } from '../../../protocol/records/index.js';

function batch(values: string[], opts: { timestamp?: number; producerId?: number; epoch?: number; seq?: number; keys?: Array<string | null> } = {}): Buffer {
  const ts = opts.timestamp ?? Date.now();
  return buildBatch({
    baseOffset: 0,
    records: values.map((v, i) => ({ key: opts.keys ? (opts.keys[i] === null ? null : Buffer.from(opts.keys[i]!)) : null, value: v === '<null>' ? null : Buffer.from(v), timestamp: ts + i })),
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.epoch ?? -1,
    baseSequence: opts.seq ?? -1,
  });
}

function append(log: PartitionLog, buf: Buffer, requireDurable = true): AppendOutcome {
  return log.append(buf, scanBatches(buf), { leaderEpoch: 0, requireDurable });
}

async function appendOk(log: PartitionLog, values: string[], opts: Parameters<typeof batch>[1] = {}): Promise<number> {
  const out = append(log, batch(values, opts));
  if ('errorCode' in out) throw new Error(`append failed: ${out.errorCode} ${out.errorMessage}`);
  if ('duplicate' in out) return out.baseOffset;
  await out.written;
  await out.durable;
  return out.baseOffset;
}

async function readAll(log: PartitionLog, from = log.logStartOffset): Promise<Array<{ offset: number; value: string | null; key: string | null }>> {
  const out: Array<{ offset: number; value: string | null; key: string | null }> = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const { records } = await log.read(offset, 64 * 1024, { minOneBatch: true, upperBound: log.highWatermark });
    if (records.length === 0) break;
    for (const buf of records) {
      for (const b of scanBatches(buf)) {
        for (const r of readRecords(buf, b)) if (r.offset >= offset) out.push({ offset: r.offset, value: r.value?.toString() ?? null, key: r.key?.toString() ?? null });
        offset = b.baseOffset + b.lastOffsetDelta + 1;
      }
    }
  }
  return out;
}

const values = (n: number, prefix = 'v'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}-${'x'.repeat(40)}`);

t.test('appends roll segments and every offset reads back, also after a clean restart', async (t) => {
  const e = env();
  let log = await e.open();
  const all: string[] = [];
  for (let i = 0; i < 60; i++) {
    const v = values(5, `b${i}-`);
    t.equal(await appendOk(log, v), i * 5);
    all.push(...v);
  }
  t.ok(log.segmentList.length > 3, `rolled into ${log.segmentList.length} segments`);
  t.same((await readAll(log)).map((r) => r.value), all);
  const mid = await log.read(123, 1, { minOneBatch: true, upperBound: log.highWatermark });
  const first = scanBatches(mid.records[0]!)[0]!;
  t.equal(first.baseOffset, 120, 'a read from inside a batch starts with that whole batch');
  await log.close();

  log = await e.open();
  t.equal(log.logEndOffset, 300);
  t.same((await readAll(log)).map((r) => r.value), all, 'everything after a clean restart');
  t.notOk(e.messages.some((m) => m.includes('truncat')), 'no recovery after a clean shutdown');
  await log.close();
});

t.test('a crash keeps every durable append and truncates a torn tail', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 20; i++) await appendOk(log, values(3, `b${i}-`));
  // An append acknowledged only once written (acks=1): reaches the OS, is not synced.
  const out = append(log, batch(values(3, 'unsynced-')), false);
  if ('written' in out) await out.written;
  e.fs.crash();
  log = await e.open();
  t.equal(log.logEndOffset, 60, 'durable appends survive; the unsynced one is gone');
  t.equal((await readAll(log)).length, 60);

  // A torn write: half a batch at the end of the active segment.
  const active = `${DIR}/${log.activeSegment.path.split('/').pop()}`;
  await log.close();
  const bytes = e.fs.fileBytes(active)!;
  const torn = batch(values(4, 'torn-'));
  e.fs.setFileBytes(active, Buffer.concat([bytes, torn.subarray(0, torn.length / 2)]));
  await e.fs.remove(`${DIR}/.clean-shutdown`);
  log = await e.open();
  t.equal(log.logEndOffset, 60, 'the torn batch is dropped');
  t.ok(e.messages.some((m) => /truncating the log at offset 60/.test(m)), 'and logged with its offset');
  t.equal(await appendOk(log, ['after']), 60, 'appends continue where the log ends');
  await log.close();
});

t.test('a flipped byte in the middle of a segment truncates the log there and drops later segments', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 40; i++) await appendOk(log, values(5, `b${i}-`));
  const segs = log.segmentList.map((s) => ({ path: s.path, base: s.baseOffset }));
  t.ok(segs.length >= 3);
  await log.close();
  // Corrupt the second segment in the middle; make it look like a crash.
  const victim = segs[1]!;
  const size = e.fs.fileBytes(victim.path)!.length;
  e.fs.corruptByte(victim.path, Math.floor(size / 2));
  await e.fs.remove(`${DIR}/.clean-shutdown`);
  await e.fs.writeFileAtomic(`${DIR}/offsets.checkpoint`, Buffer.from('0\nlog-start-offset 0\nrecovery-point 0\nhigh-watermark 200\ncleaner-offset 0\n'), true);
  log = await e.open();
  t.ok(log.logEndOffset > victim.base && log.logEndOffset < segs[2]!.base, `the log ends inside the corrupt segment (at ${log.logEndOffset})`);
  t.equal(log.segmentList.length, 2, 'later segments are dropped');
  t.ok(e.messages.some((m) => /segment \d+ has /.test(m)), `the corruption is logged: ${e.messages.join(' / ')}`);
  t.ok(e.messages.some((m) => m.includes('dropping')), 'the dropped segments are logged');
  t.ok(e.messages.some((m) => m.includes('below the checkpointed high watermark')), 'lost committed data is reported');
  const read = await readAll(log);
  t.equal(read.length, log.logEndOffset, 'what remains reads back whole');
  await log.close();
});

t.test('a missing or corrupt index is rebuilt', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 40; i++) await appendOk(log, values(5, `b${i}-`));
  const first = log.segmentList[0]!;
  const second = log.segmentList[1]!;
  await log.close();
  await e.fs.remove(first.indexPath());
  e.fs.setFileBytes(second.indexPath(), Buffer.from([0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0]));
  await e.fs.remove(`${DIR}/.clean-shutdown`);
  log = await e.open();
  t.equal(log.logEndOffset, 200);
  t.ok(await e.fs.exists(first.indexPath()), 'the missing index is written again');
  t.equal((await readAll(log)).length, 200, 'every record reads back');
  const hit = await log.read(second.baseOffset + 7, 10, { minOneBatch: true, upperBound: log.highWatermark });
  t.equal(scanBatches(hit.records[0]!)[0]!.baseOffset, second.baseOffset + 5, 'lookups through the rebuilt index land on the right batch');
  await log.close();
});

t.test('idempotent producer state survives a clean restart and a crash', async (t) => {
  const e = env();
  let log = await e.open();
  const pid = 7;
  for (let i = 0; i < 30; i++) await appendOk(log, values(2, `p${i}-`), { producerId: pid, epoch: 0, seq: i * 2 });
  await log.close();
  log = await e.open();
  const dup = append(log, batch(values(2, 'p29-'), { producerId: pid, epoch: 0, seq: 58 }));
  t.ok('duplicate' in dup && dup.baseOffset === 58, 'a retry of the last batch is still recognised after a restart');
  const gap = append(log, batch(['x'], { producerId: pid, epoch: 0, seq: 99 }));
  t.ok('errorCode' in gap && gap.errorCode === 45, 'a gap is still refused');
  await appendOk(log, values(2, 'p30-'), { producerId: pid, epoch: 0, seq: 60 });
  e.fs.crash();
  log = await e.open();
  const dup2 = append(log, batch(values(2, 'p30-'), { producerId: pid, epoch: 0, seq: 60 }));
  t.ok('duplicate' in dup2 && dup2.baseOffset === 60, 'after a crash the state is rebuilt from a snapshot and the log');
  await log.close();
});

t.test('retention by size and by time deletes whole old segments', async (t) => {
  const e = env();
  let log = await e.open({ retentionBytes: 10_000 });
  for (let i = 0; i < 60; i++) await appendOk(log, values(5, `b${i}-`));
  const before = log.sizeInBytes;
  const deleted = await log.applyRetention(Date.now());
  t.ok(deleted > 0, `deleted ${deleted} segments`);
  t.ok(log.sizeInBytes <= 10_000 + log.segmentList[0]!.size && log.sizeInBytes < before, `size ${log.sizeInBytes} is back near retention.bytes`);
  t.equal(log.logStartOffset, log.segmentList[0]!.baseOffset, 'the log start offset advanced to the first remaining segment');
  const read = await readAll(log);
  t.equal(read[0]!.offset, log.logStartOffset);
  t.equal(read[read.length - 1]!.offset, 299);
  await log.close();

  const e2 = env();
  log = await e2.open({ retentionMs: 60_000 });
  const old = Date.now() - 120_000;
  for (let i = 0; i < 30; i++) await appendOk(log, values(5, `old${i}-`), { timestamp: old });
  for (let i = 0; i < 10; i++) await appendOk(log, values(5, `new${i}-`));
  await log.applyRetention(Date.now());
  t.ok(log.logStartOffset > 0, `old segments deleted (start ${log.logStartOffset})`);
  const rest = await readAll(log);
  t.ok(rest.every((r) => r.offset >= log.logStartOffset));
  t.ok(rest.some((r) => r.value!.startsWith('new')), 'recent records kept');
  await log.close();

  const e3 = env();
  log = await e3.open({ retentionMs: 60_000 });
  for (let i = 0; i < 30; i++) await appendOk(log, values(5, `old${i}-`), { timestamp: old });
  await log.applyRetention(Date.now());
  t.equal(log.logStartOffset, 150, 'when everything expired, the active segment rolls and goes too');
  t.equal(log.logEndOffset, 150, 'offsets continue');
  t.equal(await appendOk(log, ['next']), 150);
  await log.close();
  log = await e3.open();
  t.equal(log.logStartOffset, 150, 'the log start offset survives a restart');
  await log.close();
});

t.test('DeleteRecords moves the log start offset and frees whole segments', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 40; i++) await appendOk(log, values(5, `b${i}-`));
  const segments = log.segmentList.length;
  await log.deleteRecordsBefore(130);
  t.equal(log.logStartOffset, 130);
  t.ok(log.segmentList.length < segments, 'segments below the start offset are removed');
  t.equal((await readAll(log))[0]!.offset, 130, 'reads start at the new start offset');
  t.same((await log.read(10, 100, { minOneBatch: true, upperBound: log.highWatermark })).records, [], 'nothing below it is served');
  await log.close();
  log = await e.open();
  t.equal(log.logStartOffset, 130, 'survives a restart');
  await log.close();
});

t.test('a failed write is an error for the producer and leaves the log readable', async (t) => {
  const e = env();
  const log = await e.open();
  await appendOk(log, values(3));
  e.fs.failNextWrite(undefined, { partialBytes: 20 });
  const out = append(log, batch(values(3, 'fail-')));
  t.ok('written' in out);
  if ('written' in out) await t.rejects(out.written, 'the write rejects');
  const after = append(log, batch(['later']));
  t.ok('errorCode' in after && after.errorCode === 56, 'later appends get KAFKA_STORAGE_ERROR instead of a silent success');
  t.same(
    (await readAll(log)).map((r) => r.value),
    values(3),
    'acknowledged data still reads back',
  );
  await log.close();
});

t.test('a failed fsync is an error for acks=all', async (t) => {
  const e = env();
  const log = await e.open();
  await appendOk(log, values(2));
  // Let the first append's leader-epoch checkpoint finish: its fsync must not take the fault.
  await new Promise((r) => setTimeout(r, 20));
  e.fs.failNextSync();
  const out = append(log, batch(values(2, 'nosync-')));
  t.ok('durable' in out);
  if ('durable' in out) await t.rejects(out.durable, 'durability is never claimed');
  const after = append(log, batch(['later']));
  t.ok('errorCode' in after && after.errorCode === 56, 'the log refuses appends after an fsync failure');
  t.equal((await readAll(log)).length >= 2, true, 'earlier data still reads back');
  await log.close();
});

t.test('group commit: concurrent acks=all appends share fsyncs', async (t) => {
  const e = env();
  const log = await e.open({ segmentBytes: 1 << 20 });
  await appendOk(log, ['warm-up']);
  const syncsBefore = e.fs.syncCount;
  const outs = Array.from({ length: 50 }, (_, i) => append(log, batch([`c${i}`])));
  await Promise.all(outs.map((o) => ('durable' in o ? o.durable : Promise.reject(new Error('not appended')))));
  const syncs = e.fs.syncCount - syncsBefore;
  t.ok(syncs < 25, `50 appends took ${syncs} fsyncs`);
  await log.close();
});

/** Positions and offsets of the batches of a segment file. */
function batchesOf(e: Env, path: string): Array<{ position: number; baseOffset: number; lastOffset: number; size: number }> {
  return scanBatches(e.fs.fileBytes(path)!).map((b) => ({ position: b.position, baseOffset: b.baseOffset, lastOffset: b.baseOffset + b.lastOffsetDelta, size: b.size }));
}

t.test('a flipped byte in the last segment after a clean shutdown is found at open and truncated', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 30; i++) await appendOk(log, values(5, `b${i}-`));
  const active = log.activeSegment.path;
  await log.close();
  const batches = batchesOf(e, active);
  t.ok(batches.length >= 3);
  const victim = batches[1]!;
  e.fs.corruptByte(active, victim.position + victim.size - 3);
  log = await e.open();
  t.equal(log.logEndOffset, victim.baseOffset, 'the log ends before the corrupt batch');
  t.ok(e.messages.some((m) => m.includes('CRC mismatch') && m.includes(`truncating the log at offset ${victim.baseOffset}`)), `logged: ${e.messages.join(' / ')}`);
  t.equal((await readAll(log)).length, victim.baseOffset, 'everything before it reads back, CRCs intact');
  t.equal(await appendOk(log, ['after']), victim.baseOffset, 'appends continue where the log now ends');
  const tail = await readAll(log, victim.baseOffset);
  t.same(tail.map((r) => r.value), ['after'], 'and are readable');
  await log.close();
});

t.test('a flipped byte in a sealed segment after a clean shutdown is not served; later records stay reachable', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 60; i++) await appendOk(log, values(5, `b${i}-`));
  const segs = log.segmentList.map((s) => s.path);
  t.ok(segs.length >= 3);
  await log.close();
  const batches = batchesOf(e, segs[0]!);
  const victim = batches[2]!;
  const after = batches[3]!;
  e.fs.corruptByte(segs[0]!, victim.position + victim.size - 3);
  log = await e.open();
  t.equal(log.logEndOffset, 300, 'a sealed segment is not scanned at open');

  // Reading from the start stops before the corrupt batch: only intact batches are served.
  const first = await log.read(0, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
  t.equal(first.errorCode, undefined);
  const served = scanBatches(Buffer.concat(first.records));
  t.equal(served[served.length - 1]!.baseOffset + served[served.length - 1]!.lastOffsetDelta + 1, victim.baseOffset, 'served up to the corrupt batch');
  for (const offset of [victim.baseOffset, victim.lastOffset]) {
    const bad = await log.read(offset, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
    t.equal(bad.errorCode, 2, `offset ${offset}: CORRUPT_MESSAGE`);
    t.equal(bad.records.length, 0, 'nothing served');
    t.equal(bad.corruptEnd, after.baseOffset, 'names where reads go on');
  }
  t.equal(e.messages.filter((m) => m.includes('CRC mismatch')).length, 1, `logged once: ${e.messages.join(' / ')}`);
  const rest = await readAll(log, after.baseOffset);
  t.equal(rest.length, 300 - after.baseOffset, 'every later record, in this segment and the next ones, reads back');
  t.equal(await appendOk(log, ['new']), 300);
  t.same((await readAll(log, 300)).map((r) => r.value), ['new'], 'records appended later are readable');
  await log.close();
});

t.test('a damaged batch length in a sealed segment neither hangs reads nor hides later batches', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 60; i++) await appendOk(log, values(5, `b${i}-`));
  const segs = log.segmentList.map((s) => s.path);
  await log.close();
  const batches = batchesOf(e, segs[0]!);
  const victim = batches[2]!;
  // The high byte of the length: the batch claims a negative size.
  e.fs.corruptByte(segs[0]!, victim.position + 8);
  log = await e.open();
  const bad = await log.read(victim.baseOffset, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
  t.equal(bad.errorCode, 2, 'CORRUPT_MESSAGE');
  t.equal(bad.corruptEnd, batches[3]!.baseOffset, 'the next intact batch is found');
  const rest = await readAll(log, batches[3]!.baseOffset + 1);
  t.equal(rest.length, 300 - batches[3]!.baseOffset - 1, 'later offsets read on');
  await log.close();
});

t.test('batches read from disk are CRC-checked once, appended ones never', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 60; i++) await appendOk(log, values(5, `b${i}-`));
  await log.close();
  log = await e.open();
  const sealed = log.segmentList[0]!;
  t.equal(sealed.validated.checkedFrom(0), 0, 'a sealed segment from disk starts unchecked');
  t.equal(log.activeSegment.validated.checkedFrom(0), Infinity, 'the last segment was checked at open, and appends are checked at produce');
  await readAll(log, 0);
  t.equal(sealed.validated.checkedFrom(0), sealed.size, 'a read checks what it takes from disk and remembers it');
  // A byte flipped after the check is not looked for again: the check is paid once.
  const bytes = e.fs.fileBytes(sealed.path)!;
  e.fs.corruptByte(sealed.path, bytes.length - 3);
  const again = await log.read(0, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
  t.equal(again.errorCode, undefined, 'the second read does not recompute CRCs');
  await log.close();
});

t.test('a damaged header in a sealed segment found at open (its index check fails) sets the batch aside instead of dropping later segments', async (t) => {
  const e = env();
  let log = await e.open();
  for (let i = 0; i < 60; i++) await appendOk(log, values(5, `b${i}-`));
  const segs = log.segmentList.map((s) => s.path);
  t.ok(segs.length >= 3);
  await log.close();
  const batches = batchesOf(e, segs[0]!);
  const last = batches[batches.length - 1]!;
  // The last batch's length: open walks it from the last index entry and finds it bad.
  e.fs.corruptByte(segs[0]!, last.position + 8);
  log = await e.open();
  t.equal(log.logEndOffset, 300, 'nothing is truncated');
  t.equal(log.segmentList.length, segs.length, 'no later segment is dropped');
  t.ok(e.messages.some((m) => m.includes(`at byte ${last.position}`) && m.includes('not served')), `logged: ${e.messages.join(' / ')}`);
  const bad = await log.read(last.baseOffset, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
  t.equal(bad.errorCode, 2, 'its offsets get CORRUPT_MESSAGE');
  t.equal(bad.corruptEnd, last.lastOffset + 1, 'reads go on at the next segment');
  t.equal((await readAll(log, 0)).length, last.baseOffset, 'the batches before it read back');
  t.equal((await readAll(log, last.lastOffset + 1)).length, 300 - last.lastOffset - 1, 'every later record reads back');
  await log.close();
});

t.test('an append made the moment the previous write completes is written too (no lost wake-up)', async (t) => {
  const e = env();
  const log = await e.open();
  const first = append(log, batch(['first']), false);
  if (!('written' in first)) throw new Error('append failed');
  await first.written;
  // This continuation runs before the writer that completed `first` has marked itself idle.
  const second = append(log, batch(['second']), false);
  if (!('written' in second)) throw new Error('append failed');
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([second.written.then(() => 'written'), new Promise((r) => (timer = setTimeout(() => r('still queued after 2 s'), 2000)))]);
  clearTimeout(timer);
  t.equal(outcome, 'written');
  await log.close();
});
