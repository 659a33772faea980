/**
 * One Segment on the in-memory file system, without a PartitionLog around it: finding the batch
 * that holds an offset (at, inside, between and after batches), reads bounded by max bytes, the
 * upper bound and the written end, recovery of a torn or corrupt tail, and truncation to an offset
 * with its index rebuild.
 */
import t from 'tap';
import { buildBatch, readRecords, scanBatches } from '../../../protocol/records/index.js';
import { MemoryFileSystem } from '../../fs/memory-file-system.js';
import { Segment, type ReadOptions } from '../../log/segment.js';
import { DIR } from './log-env.js';

/** Small enough that a few batches get several index entries. */
const INTERVAL = 256;
const ALL: ReadOptions = { minOneBatch: true, upperBound: Number.MAX_SAFE_INTEGER };

interface Env {
  fs: MemoryFileSystem;
  messages: string[];
  seg: Segment;
}

async function segment(baseOffset = 0): Promise<Env> {
  const fs = new MemoryFileSystem();
  await fs.mkdirp(DIR);
  const messages: string[] = [];
  return { fs, messages, seg: new Segment(baseOffset, DIR, { fs, log: (m) => messages.push(m) }) };
}

/**
 * Appends a batch of `count` records from `baseOffset` (timestamps `timestamp`, +1, ...) as
 * PartitionLog does; returns its position. Batches of the same count have the same size.
 */
async function appendBatch(seg: Segment, baseOffset: number, count: number, timestamp = 1000): Promise<number> {
  const bytes = buildBatch({
    baseOffset,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`value-${String(baseOffset + i).padStart(8, '0')}-${'x'.repeat(30)}`), timestamp: timestamp + i })),
  });
  const position = seg.size;
  await (await seg.open()).writev([bytes], position);
  seg.indexBatch(position, baseOffset, baseOffset + count - 1, timestamp + count - 1, bytes.length, INTERVAL);
  seg.size += bytes.length;
  seg.writtenSize = seg.size;
  return position;
}

/** Ten batches of five records: offsets 0..49, batch i at offsets 5i..5i+4 with timestamps 1000 + 10i on. */
async function tenBatches(e: Env): Promise<number[]> {
  const positions: number[] = [];
  for (let i = 0; i < 10; i++) positions.push(await appendBatch(e.seg, i * 5, 5, 1000 + i * 10));
  return positions;
}

function offsetsOf(records: Buffer[]): number[] {
  const out: number[] = [];
  for (const buf of records) for (const b of scanBatches(buf)) for (const r of readRecords(buf, b)) out.push(r.offset);
  return out;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

t.test('translateOffset finds the batch at, inside, between and after batches, with the index in memory or from its file', async (t) => {
  const e = await segment(100);
  const positions: number[] = [];
  // A gap at 110..119, as compaction leaves.
  for (const base of [100, 105, 120, 125, 130, 135, 140]) positions.push(await appendBatch(e.seg, base, 5));
  t.ok(e.seg.offsetIndex.length / 2 > 1, 'several index entries');
  await e.seg.writeIndexFiles(false);
  const files = await e.seg.loadIndexFiles(-1);
  t.ok(files !== null, 'the index files pass their checks');
  t.equal(e.seg.nextOffset, 145, 'the next offset comes from the last batch');

  for (const [name, index] of [
    ['in memory', e.seg.offsetIndex],
    ['from the file', files!.offsets],
  ] as const) {
    t.same(await e.seg.translateOffset(100, index), { position: positions[0], size: positions[1]! - positions[0]!, baseOffset: 100 }, `${name}: the first offset`);
    t.same(await e.seg.translateOffset(125, index), { position: positions[3], size: positions[4]! - positions[3]!, baseOffset: 125 }, `${name}: a batch's base offset`);
    t.same(await e.seg.translateOffset(138, index), { position: positions[5], size: positions[6]! - positions[5]!, baseOffset: 135 }, `${name}: inside a batch`);
    const inGap = await e.seg.translateOffset(112, index);
    t.equal(inGap !== null && 'position' in inGap ? inGap.baseOffset : -1, 120, `${name}: in a gap, the next batch`);
    t.equal(await e.seg.translateOffset(145, index), null, `${name}: after the last batch`);
    t.equal(await e.seg.translateOffset(50, index).then((f) => (f !== null && 'position' in f ? f.position : -1)), 0, `${name}: before the base offset, the first batch`);
  }
  await e.seg.close();
});

t.test('reads take whole batches bounded by max bytes, the upper bound and the written end', async (t) => {
  const e = await segment();
  const positions = await tenBatches(e);
  const batchBytes = positions[1]! - positions[0]!;
  const ends: Array<[number, number]> = [];
  const onEnd = (next: number, _seg: Segment, position: number): void => void ends.push([next, position]);

  const all = await e.seg.read(0, 0, 1 << 20, ALL, false, onEnd);
  t.same(offsetsOf(all!.records), range(0, 50), 'everything up to the segment end');
  t.same(ends.pop(), [50, e.seg.size], 'the end is reported: the next offset and its position');

  const two = await e.seg.read(positions[2]!, 12, batchBytes * 2 + Math.floor(batchBytes / 2), ALL, false, onEnd);
  t.same(offsetsOf(two!.records), range(10, 20), 'max bytes: only the whole batches that fit');
  t.same(ends.pop(), [20, positions[4]]);

  const big = await e.seg.read(positions[3]!, 15, 10, ALL, false);
  t.same(offsetsOf(big!.records), range(15, 20), 'the first batch whole when it alone is over max bytes (KIP-74)');
  const none = await e.seg.read(positions[3]!, 15, 10, { ...ALL, minOneBatch: false }, false);
  t.same(none!.records, [], 'but not without minOneBatch');

  const bounded = await e.seg.read(0, 0, 1 << 20, { ...ALL, upperBound: 23 }, false);
  t.same(offsetsOf(bounded!.records), range(0, 25), 'batches starting at or past the upper bound stay out');

  // A write in flight: the bytes past the written size are not read.
  const inFlight = await appendBatch(e.seg, 50, 5);
  e.seg.writtenSize = inFlight;
  const upToWritten = await e.seg.read(positions[8]!, 40, 1 << 20, ALL, false);
  t.same(offsetsOf(upToWritten!.records), range(40, 50), 'a write in flight is not read');

  t.equal(await e.seg.read(positions[4]!, 18, 1 << 20, ALL, true), null, 'a remembered position must hold the offset asked');
  t.same(offsetsOf((await e.seg.read(positions[4]!, 18, 1 << 20, ALL, false))!.records).slice(0, 1), [20], 'a looked-up one may start later (a gap)');
  t.equal(await e.seg.read(positions[4]!, 26, 1 << 20, ALL, false), null, 'a position whose batch ends before the offset is no answer');
  await e.seg.close();
});

t.test('recovery truncates a torn tail and rebuilds the indexes', async (t) => {
  const e = await segment();
  const positions = await tenBatches(e);
  const fullSize = e.seg.size;
  const indexBefore = [...e.seg.offsetIndex];
  const torn = buildBatch({ baseOffset: 50, records: [{ key: null, value: Buffer.alloc(100), timestamp: 5000 }] });
  e.fs.setFileBytes(e.seg.path, Buffer.concat([e.fs.fileBytes(e.seg.path)!, torn.subarray(0, 20)]));
  await e.seg.close();

  const seg = new Segment(0, DIR, { fs: e.fs, log: (m) => e.messages.push(m) });
  seg.size = seg.writtenSize = fullSize + 20;
  t.equal(await seg.recover(INTERVAL, true), false, 'a torn tail is reported');
  t.equal(seg.size, fullSize, 'and cut off');
  t.equal(e.fs.fileBytes(seg.path)!.length, fullSize, 'in the file too');
  t.equal(seg.nextOffset, 50);
  t.equal(seg.maxTimestamp, 1094, 'the max timestamp of the last batch kept');
  t.same(seg.offsetIndex, indexBefore, 'the index is rebuilt as the appends built it');
  t.ok(e.messages.some((m) => /segment 0 has a partial batch header; truncating the log at offset 50 \(dropping 20 bytes/.test(m)), e.messages.join(' / '));
  const found = await seg.translateOffset(47, seg.offsetIndex);
  t.equal(found !== null && 'position' in found ? found.position : -1, positions[9]);
  await seg.close();
});

t.test('recovery truncates at a corrupt batch, or sets it aside when the segment was durable', async (t) => {
  const e = await segment();
  const positions = await tenBatches(e);
  const fullSize = e.seg.size;
  const bytes = Buffer.from(e.fs.fileBytes(e.seg.path)!);
  await e.seg.close();
  // A flipped byte in the records of batch 6 (offsets 30..34): its CRC no longer matches.
  e.fs.corruptByte(e.seg.path, positions[6]! + 70);

  const torn = new Segment(0, DIR, { fs: e.fs, log: (m) => e.messages.push(m) });
  torn.size = torn.writtenSize = fullSize;
  t.equal(await torn.recover(INTERVAL, false), false, 'past the recovery point: the log ends before the bad batch');
  t.equal(torn.size, positions[6]);
  t.equal(torn.nextOffset, 30);
  t.ok(e.messages.some((m) => m.includes(`a CRC mismatch at byte ${positions[6]}`)), e.messages.join(' / '));
  await torn.close();

  e.fs.setFileBytes(e.seg.path, bytes);
  e.fs.corruptByte(e.seg.path, positions[6]! + 70);
  const durable = new Segment(0, DIR, { fs: e.fs, log: (m) => e.messages.push(m) });
  durable.size = durable.writtenSize = fullSize;
  t.equal(await durable.recover(INTERVAL, false, 50), true, 'a durable segment keeps its size');
  t.equal(durable.size, fullSize);
  t.equal(durable.nextOffset, 50, 'batches after the bad one are indexed');
  t.same(durable.corrupt, [{ start: positions[6], end: positions[7], nextOffset: 35 }], 'the bad batch is set aside up to the next intact one');
  const corrupt = await durable.read(positions[6]!, 30, 1 << 20, ALL, false);
  t.same(corrupt, { records: [], errorCode: 2, corruptEnd: 35 }, 'reads of it get CORRUPT_MESSAGE and where to go on');
  const after = await durable.translateOffset(35, durable.offsetIndex);
  t.equal(after !== null && 'position' in after ? after.position : -1, positions[7], 'the batches after it stay readable');
  const before = await durable.read(positions[4]!, 20, 1 << 20, ALL, false);
  t.same(offsetsOf(before!.records), range(20, 30), 'a read ends before the set-aside range');
  await durable.close();
});

t.test('truncateTo removes the batch holding the offset and all after it, and rebuilds the indexes', async (t) => {
  const e = await segment();
  const positions = await tenBatches(e);
  // The same batches appended afresh up to offset 19 make the indexes the truncation must rebuild.
  const expected = await segment();
  for (let i = 0; i < 4; i++) await appendBatch(expected.seg, i * 5, 5, 1000 + i * 10);

  t.equal(await e.seg.truncateTo(50, e.seg.offsetIndex, INTERVAL, true), 0, 'nothing at or after the segment end: nothing removed');
  const removed = await e.seg.truncateTo(23, e.seg.offsetIndex, INTERVAL, true);
  t.equal(removed, positions[9]! + (positions[1]! - positions[0]!) - positions[4]!, 'the bytes from the batch holding 23 on are removed');
  t.equal(e.seg.size, positions[4]);
  t.equal(e.seg.writtenSize, positions[4]);
  t.equal(e.fs.fileBytes(e.seg.path)!.length, positions[4], 'the file is cut');
  t.equal(e.seg.nextOffset, 20);
  t.equal(e.seg.maxTimestamp, 1034);
  t.equal(e.seg.maxTimestampBatchOffset, 15);
  t.same(e.seg.offsetIndex, expected.seg.offsetIndex, 'the offset index is as if only the kept batches had been appended');
  t.same(e.seg.timeIndex, expected.seg.timeIndex, 'and the time index too');
  t.equal(await e.seg.translateOffset(20, e.seg.offsetIndex), null, 'the removed offsets are gone');
  t.same(offsetsOf((await e.seg.read(0, 0, 1 << 20, ALL, false))!.records), range(0, 20), 'the kept ones read back');

  await appendBatch(e.seg, 20, 5, 2000);
  t.same(offsetsOf((await e.seg.read(positions[3]!, 15, 1 << 20, ALL, false))!.records), range(15, 25), 'appends go on at the cut');
  t.equal(await e.seg.truncateTo(0, e.seg.offsetIndex, INTERVAL, false), positions[5], 'truncating to the base offset empties the segment');
  t.equal(e.seg.size, 0);
  t.equal(e.seg.nextOffset, 0);
  t.same(e.seg.offsetIndex, []);
  await e.seg.close();
  await expected.seg.close();
});
