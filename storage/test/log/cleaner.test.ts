/**
 * Compaction on the in-memory file system: the last value per key survives with its offset,
 * tombstones go after delete.retention.ms, dirty-ratio and lag settings are honoured, compressed
 * batches keep their codec, and a crash mid-swap recovers to a consistent log.
 */
import t from 'tap';
import { MemoryFileSystem } from '../../fs/memory-file-system.js';
import { Flusher } from '../../log/flusher.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../log/log-config.js';
import { LogCleaner } from '../../log/cleaner.js';
import { PartitionLog } from '../../log/partition-log.js';
import { buildBatch, CompressionType, readRecords, scanBatches } from '../../../protocol/records/index.js';

const DIR = '/data/compacted-0';

function setup(over: Partial<LogConfig> = {}) {
  const fs = new MemoryFileSystem();
  const messages: string[] = [];
  const config: LogConfig = { ...DEFAULT_LOG_CONFIG, segmentBytes: 2048, indexIntervalBytes: 256, cleanupPolicy: ['compact'], minCleanableDirtyRatio: 0.1, ...over };
  const open = () => PartitionLog.open(DIR, 'compacted-0', config, { fs, flusher: new Flusher(true), log: (m) => messages.push(m) });
  const cleaner = new LogCleaner({ fs, log: (m) => messages.push(m) });
  return { fs, messages, open, cleaner };
}

async function put(log: PartitionLog, entries: Array<[string, string | null]>, opts: { timestamp?: number; compression?: number } = {}): Promise<number> {
  const ts = opts.timestamp ?? Date.now();
  const buf = buildBatch({
    baseOffset: 0,
    compression: opts.compression ?? 0,
    records: entries.map(([k, v]) => ({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v), timestamp: ts, headers: [{ key: 'h', value: Buffer.from(k) }] })),
  });
  const out = log.append(buf, scanBatches(buf), { leaderEpoch: 0, requireDurable: true });
  if (!('durable' in out)) throw new Error('append failed');
  await out.durable;
  return out.baseOffset;
}

async function readAll(log: PartitionLog): Promise<Array<{ offset: number; key: string; value: string | null; header: string | undefined }>> {
  const out: Array<{ offset: number; key: string; value: string | null; header: string | undefined }> = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { records } = await log.read(offset, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
    if (records.length === 0) break;
    for (const buf of records) {
      for (const b of scanBatches(buf)) {
        for (const r of readRecords(buf, b)) out.push({ offset: r.offset, key: r.key!.toString(), value: r.value?.toString() ?? null, header: r.headers[0]?.value?.toString() });
        offset = b.baseOffset + b.lastOffsetDelta + 1;
      }
    }
  }
  return out;
}

t.test('keeps exactly the last value per key, at its original offset', async (t) => {
  const { open, cleaner } = setup();
  const log = await open();
  const expected = new Map<string, { offset: number; value: string }>();
  for (let round = 0; round < 30; round++) {
    const entries: Array<[string, string]> = Array.from({ length: 5 }, (_, i) => [`key-${(round * 3 + i) % 12}`, `value-${round}-${i}-${'p'.repeat(30)}`]);
    const base = await put(log, entries);
    entries.forEach(([k, v], i) => expected.set(k, { offset: base + i, value: v }));
  }
  const activeBase = log.activeSegment.baseOffset;
  const stats = await cleaner.clean(log, Date.now());
  t.ok(stats !== null && stats.recordsRemoved > 0, `cleaned: ${JSON.stringify(stats)}`);
  const records = await readAll(log);
  const cleanedPart = records.filter((r) => r.offset < activeBase);
  const seen = new Set<string>();
  for (const r of cleanedPart) {
    t.notOk(seen.has(r.key), `${r.key} appears once in the cleaned part`);
    seen.add(r.key);
  }
  for (const r of records) t.equal(r.header, r.key, 'headers survive');
  // Every key's latest value is still readable at its original offset.
  for (const [k, want] of expected) {
    const got = records.filter((r) => r.key === k).pop();
    t.same(got && { offset: got.offset, value: got.value }, want, `${k} latest value and offset`);
  }
  const offsets = records.map((r) => r.offset);
  t.same(offsets, [...offsets].sort((a, b) => a - b), 'offsets stay increasing');
  // A read at an offset compaction removed returns the next surviving batch (a consumer in a gap).
  const gap = offsets.findIndex((o, i) => i > 0 && o > offsets[i - 1]! + 1);
  const missing = offsets[gap - 1]! + 1;
  const { records: atGap } = await log.read(missing, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
  t.equal(scanBatches(atGap[0]!)[0]!.baseOffset, offsets[gap], `a read at removed offset ${missing} starts at ${offsets[gap]}`);
  t.equal(log.logEndOffset, 150, 'the log end does not move');
  await log.close();
});

t.test('tombstones are removed only after delete.retention.ms', async (t) => {
  const { open, cleaner } = setup({ deleteRetentionMs: 60_000 });
  const log = await open();
  const old = Date.now() - 120_000;
  await put(log, [['a', 'a1'], ['b', 'b1'], ['c', 'c1']], { timestamp: old });
  await put(log, [['a', null]], { timestamp: old });
  await put(log, [['b', null]]);
  for (let i = 0; i < 40; i++) await put(log, [[`filler-${i}`, 'x'.repeat(60)]]);
  await cleaner.clean(log, Date.now());
  const keys = new Map((await readAll(log)).map((r) => [r.key, r.value]));
  t.notOk(keys.has('a'), 'an old tombstone and the value it deletes are gone');
  t.ok(keys.has('b') && keys.get('b') === null, 'a recent tombstone stays (consumers must see it)');
  t.equal(keys.get('c'), 'c1');
  await log.close();
});

t.test('min.cleanable.dirty.ratio and min.compaction.lag.ms', async (t) => {
  const { open, cleaner } = setup({ minCleanableDirtyRatio: 0.5 });
  const log = await open();
  for (let i = 0; i < 40; i++) await put(log, [[`k${i % 4}`, `v${i}-${'x'.repeat(50)}`]]);
  t.ok(await cleaner.clean(log, Date.now()), 'a fully dirty log is cleaned');
  t.equal(await cleaner.clean(log, Date.now()), null, 'right after, nothing is dirty');

  const lagged = setup({ minCompactionLagMs: 3_600_000 });
  const log2 = await lagged.open();
  for (let i = 0; i < 40; i++) await put(log2, [[`k${i % 4}`, `v${i}-${'x'.repeat(50)}`]]);
  t.equal(await lagged.cleaner.clean(log2, Date.now()), null, 'records younger than the lag are left alone');
  await log.close();
  await log2.close();
});

t.test('compressed batches are re-encoded with their codec', async (t) => {
  const { open, cleaner } = setup();
  const log = await open();
  for (let i = 0; i < 30; i++) await put(log, [[`k${i % 3}`, `v${i}-${'z'.repeat(80)}`], [`u${i}`, 'unique']], { compression: CompressionType.Zstd });
  await cleaner.clean(log, Date.now());
  let compressed = 0;
  let total = 0;
  for (const seg of log.segmentList) {
    const { records } = await log.read(seg.baseOffset, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
    for (const buf of records) {
      for (const b of scanBatches(buf)) {
        total++;
        if (b.compression === CompressionType.Zstd) compressed++;
      }
    }
  }
  t.equal(compressed, total, 'every batch is still zstd');
  const records = await readAll(log);
  t.equal(records.filter((r) => r.key.startsWith('u')).length, 30, 'unique keys all stay');
  await log.close();
});

t.test('compaction survives a restart, and a crash in the middle of a swap', async (t) => {
  const { fs, open, cleaner, messages } = setup();
  let log = await open();
  for (let i = 0; i < 40; i++) await put(log, [[`k${i % 5}`, `v${i}-${'x'.repeat(50)}`]]);
  const before = await readAll(log);
  await cleaner.clean(log, Date.now());
  const after = await readAll(log);
  await log.close();
  log = await open();
  t.same(await readAll(log), after, 'the compacted log reads the same after a restart');
  t.equal(log.cleanerOffset > 0, true, 'the cleaner offset is remembered');
  await log.close();

  // A swap interrupted after the replacement was synced and renamed to .swap.
  const fs2 = setup();
  log = await fs2.open();
  // Unique keys too, so every rewritten segment keeps records (an empty output is simply dropped).
  for (let i = 0; i < 40; i++) await put(log, [[`k${i % 5}`, `v${i}-${'x'.repeat(50)}`], [`u${i}`, 'unique']]);
  const original = await readAll(log);
  const realRename = fs2.fs.rename.bind(fs2.fs);
  const realRemove = fs2.fs.remove.bind(fs2.fs);
  let renames = 0;
  fs2.fs.rename = async (from: string, to: string) => {
    await realRename(from, to);
    if (to.endsWith('.swap') && ++renames === 1) {
      await fs2.fs.syncDir(DIR);
      fs2.fs.crash();
      // The process is gone: its error handling must not get to touch the disk.
      fs2.fs.remove = () => Promise.reject(new Error('process is dead'));
      throw new Error('power lost');
    }
  };
  await t.rejects(fs2.cleaner.clean(log, Date.now()));
  fs2.fs.rename = realRename;
  fs2.fs.remove = realRemove;
  log = await fs2.open();
  const recovered = await readAll(log);
  t.ok(fs2.messages.some((m) => m.includes('interrupted compaction')), 'the swap is completed at open');
  // Every key's latest value is intact and nothing is duplicated.
  const latest = (rs: typeof original) => new Map(rs.map((r) => [r.key, r.value]));
  t.same(latest(recovered), latest(original), 'latest values per key unchanged');
  t.same(
    recovered.map((r) => r.offset),
    [...new Set(recovered.map((r) => r.offset))].sort((a, b) => a - b),
    'offsets unique and increasing',
  );
  t.equal(log.logEndOffset, 80);
  await log.close();
  t.ok(before.length > after.length);
  t.ok(messages.some((m) => m.includes('compacted offsets')), 'compaction is logged');
  void fs;
});

/** Segment files of the log directory: 0-byte `.log` files and index files without their `.log`. */
function leftovers(fs: MemoryFileSystem): { empty: string[]; orphans: string[] } {
  const names = fs.paths().filter((p) => p.startsWith(`${DIR}/`)).map((p) => p.slice(DIR.length + 1));
  const empty = names.filter((n) => n.endsWith('.log') && fs.fileBytes(`${DIR}/${n}`)!.length === 0);
  const orphans = names.filter((n) => /^\d{20}\.(index|timeindex)$/.test(n) && !names.includes(`${n.slice(0, 20)}.log`));
  return { empty, orphans };
}

// A killed process (every completed rename stays) and a power loss (unsynced renames are undone).
for (const point of ['renaming the first old segment\'s index away', 'renaming the empty swap in'] as const) {
  const powerLoss = point === 'renaming the empty swap in';
  t.test(`a ${powerLoss ? 'power loss' : 'killed process'} while ${point}, with an empty .swap pending, keeps the log start offset and every record`, async (t) => {
    const { fs, open, cleaner, messages } = setup({ fileDeleteDelayMs: 0 });
    let log = await open();
    // The first segments hold only values overwritten later: their compacted output is empty.
    for (let i = 0; i < 60; i++) await put(log, [[`k${i % 3}`, `v${i}-${'x'.repeat(60)}`]]);
    t.ok(log.segmentList.length >= 4);
    const original = await readAll(log);
    const first = log.segmentList[0]!;
    const realRename = fs.rename.bind(fs);
    const realRemove = fs.remove.bind(fs);
    let crashed = false;
    fs.rename = async (from: string, to: string) => {
      const hit = point === 'renaming the empty swap in' ? from === `${first.path}.swap` : from === first.indexPath() && to.endsWith('.deleted');
      if (hit && !crashed) {
        crashed = true;
        t.equal(fs.fileBytes(`${first.path}.swap`)?.length, 0, 'the pending swap is empty');
        if (powerLoss) fs.crash();
        fs.remove = () => Promise.reject(new Error('process is dead'));
        throw new Error('power lost');
      }
      await realRename(from, to);
    };
    await t.rejects(cleaner.clean(log, Date.now()));
    fs.rename = realRename;
    fs.remove = realRemove;
    t.ok(crashed);
    log = await open();
    t.equal(log.logStartOffset, 0, `the log start offset stays (${messages.join(' / ')})`);
    const recovered = await readAll(log);
    const latest = (rs: typeof original) => new Map(rs.map((r) => [r.key, { offset: r.offset, value: r.value }]));
    t.same(latest(recovered), latest(original), 'every key keeps its latest value at its offset');
    t.equal(log.logEndOffset, 60);
    await log.close();
    t.same(leftovers(fs).orphans, [], 'no index file without its segment');
  });
}

t.test('compaction that empties segments never moves the log start offset nor leaves 0-byte segments', async (t) => {
  const { fs, open, cleaner } = setup({ fileDeleteDelayMs: 0 });
  let log = await open();
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 40; i++) await put(log, [[`k${i % 3}`, `v${round}-${i}-${'x'.repeat(60)}`]]);
    await cleaner.clean(log, Date.now());
    t.equal(log.logStartOffset, 0, `round ${round}: the log start offset stays`);
    await new Promise((r) => setTimeout(r, 5));
    await log.close();
    log = await open();
    t.equal(log.logStartOffset, 0, `round ${round}: also after a restart`);
    t.equal(log.segmentList[0]!.baseOffset, 0, 'the first segment keeps its base offset');
    const { empty, orphans } = leftovers(fs);
    t.ok(empty.length <= 1 && empty.every((n) => n === '00000000000000000000.log'), `round ${round}: at most the first segment is empty (${empty.join(', ')})`);
    t.same(orphans, []);
  }
  const keys = new Map((await readAll(log)).map((r) => [r.key, r.value]));
  t.same([...keys.keys()].sort(), ['k0', 'k1', 'k2']);
  t.match(keys.get('k0'), /^v4-39-/, 'the latest values survive');
  await log.close();
});

t.test('a corrupt batch is neither copied nor re-encoded by the cleaner', async (t) => {
  const { fs, open, cleaner, messages } = setup();
  let log = await open();
  for (let i = 0; i < 40; i++) await put(log, [[`k${i % 5}`, `v${i}-${'x'.repeat(50)}`]]);
  const first = log.segmentList[0]!.path;
  await log.close();
  const batches = scanBatches(fs.fileBytes(first)!);
  fs.corruptByte(first, batches[1]!.position + batches[1]!.size - 3);
  log = await open();
  t.equal(await cleaner.clean(log, Date.now()), null, 'nothing is cleaned');
  t.ok(messages.some((m) => m.includes('not compacting this log until restart')), 'the log is set aside, logged');
  const read = await log.read(batches[1]!.baseOffset, 1 << 20, { minOneBatch: true, upperBound: log.highWatermark });
  t.equal(read.errorCode, 2, 'the corrupt batch is still reported to readers, not laundered with a fresh CRC');
  t.equal(await cleaner.clean(log, Date.now()), null, 'and stays set aside');
  await log.close();
});
