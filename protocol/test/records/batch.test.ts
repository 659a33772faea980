/**
 * Round trips through the hand-written record codecs: v2 batches (buildBatch / scanBatches /
 * readBatchInfo / readRecords / setBaseOffset / recordsHaveNullKey), every compression codec,
 * legacy magic 0/1 message sets (buildMessageSet / readMessageSet / upConvertToV2 / downConvert)
 * and Kafka's xerial snappy framing built by hand.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import {
  buildBatch,
  readBatchInfo,
  readRecords,
  recordsHaveNullKey,
  scanBatches,
  setBaseOffset,
  setPartitionLeaderEpoch,
  setLogAppendTime,
  BATCH_OVERHEAD,
  type RecordInput,
  type Record as BatchRecord,
} from '../../records/batch.js';
import { compress, decompress, CompressionType, COMPRESSION_NAMES } from '../../records/compression.js';
import { crc32, crc32c } from '../../records/crc.js';
import { buildMessageSet, downConvert, readMessageSet, upConvertToV2 } from '../../records/legacy.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappy') as { compressSync(b: Buffer): Buffer };

type TapTest = Pick<typeof t, 'equal' | 'same' | 'ok' | 'notOk'>;

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd] as const;

/** A deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Plain {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Array<{ key: string; value: string | null }>;
}

const hex = (b: Buffer | null): string | null => (b === null ? null : b.toString('hex'));

function plain(r: BatchRecord): Plain {
  return { offset: r.offset, timestamp: r.timestamp, key: hex(r.key), value: hex(r.value), headers: r.headers.map((h) => ({ key: h.key, value: hex(h.value) })) };
}

function expected(baseOffset: number, recs: RecordInput[]): Plain[] {
  return recs.map((r, i) => ({
    offset: baseOffset + (r.offsetDelta ?? i),
    timestamp: r.timestamp,
    key: hex(r.key),
    value: hex(r.value),
    headers: (r.headers ?? []).map((h) => ({ key: h.key, value: hex(h.value) })),
  }));
}

/** build -> scan (with CRC) -> read, checking records and header fields. */
function roundTrip(t: TapTest, recs: RecordInput[], compression: number, what: string, baseOffset = 0): Buffer {
  const buf = buildBatch({ baseOffset, records: recs, compression });
  const infos = scanBatches(buf);
  t.equal(infos.length, 1, `${what}: one batch`);
  const info = infos[0]!;
  t.equal(info.size, buf.length, `${what}: size`);
  t.equal(info.compression, compression, `${what}: compression attribute`);
  t.equal(info.recordCount, recs.length, `${what}: record count`);
  t.equal(info.baseOffset, baseOffset, `${what}: base offset`);
  t.same(readRecords(buf, info).map(plain), expected(baseOffset, recs), `${what}: records`);
  t.same(readBatchInfo(buf, 0), info, `${what}: readBatchInfo equals the scanned info`);
  return buf;
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

const MIXED: RecordInput[] = [
  { key: b('k0'), value: b('v0'), headers: [], timestamp: 1_700_000_000_000 },
  { key: null, value: b('value with null key'), timestamp: 1_700_000_000_001 },
  { key: b('tombstone'), value: null, timestamp: 1_700_000_000_002 },
  { key: null, value: null, timestamp: 1_700_000_000_003 },
  { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: 1_700_000_000_004 },
  {
    key: b('with-headers'),
    value: b('héllo wörld ✓'),
    headers: [
      { key: 'a', value: b('1') },
      { key: 'null-valued', value: null },
      { key: '', value: Buffer.alloc(0) },
      { key: 'ünïcode-key', value: Buffer.from([0, 255, 128, 1]) },
      { key: 'a', value: b('duplicate key kept in order') },
    ],
    timestamp: 1_700_000_000_005,
  },
  { key: Buffer.alloc(300, 7), value: Buffer.alloc(70_000, 'x'), headers: [{ key: 'big', value: Buffer.alloc(200, 1) }], timestamp: 1_700_000_000_006 },
];

t.test('keys, values and headers, null and non-null, under every codec', (t) => {
  for (const c of CODECS) roundTrip(t, MIXED, c, COMPRESSION_NAMES[c]);
  t.end();
});

t.test('an empty batch and a single record', (t) => {
  for (const c of CODECS) {
    const empty = roundTrip(t, [], c, `${COMPRESSION_NAMES[c]} empty`);
    const info = scanBatches(empty)[0]!;
    t.equal(info.lastOffsetDelta, 0, 'empty: last offset delta 0');
    t.equal(info.baseTimestamp, -1, 'empty: base timestamp -1');
    t.equal(info.maxTimestamp, -1, 'empty: max timestamp -1');
    roundTrip(t, [{ key: null, value: b('only'), timestamp: 5 }], c, `${COMPRESSION_NAMES[c]} single`);
  }
  t.end();
});

t.test('negative and large timestamp deltas', (t) => {
  const recs: RecordInput[] = [
    { key: null, value: b('a'), timestamp: 1_700_000_000_000 },
    { key: null, value: b('earlier'), timestamp: 1_600_000_000_000 },
    { key: null, value: b('zero'), timestamp: 0 },
    { key: null, value: b('no timestamp'), timestamp: -1 },
    { key: null, value: b('far future'), timestamp: 2 ** 52 },
    { key: null, value: b('far past'), timestamp: -(2 ** 52) },
    { key: null, value: b('max safe'), timestamp: Number.MAX_SAFE_INTEGER - 1_700_000_000_000 },
    { key: null, value: b('back'), timestamp: 1_700_000_000_001 },
  ];
  for (const c of CODECS) {
    const buf = roundTrip(t, recs, c, COMPRESSION_NAMES[c]);
    const info = scanBatches(buf)[0]!;
    t.equal(info.baseTimestamp, 1_700_000_000_000, 'base timestamp is the first record');
    t.equal(info.maxTimestamp, Number.MAX_SAFE_INTEGER - 1_700_000_000_000, 'max timestamp is the largest');
  }
  // Deltas of 2^53 in either direction still decode exactly.
  roundTrip(
    t,
    [
      { key: null, value: null, timestamp: -(2 ** 52) },
      { key: null, value: null, timestamp: 2 ** 52 },
    ],
    0,
    'delta 2^53',
  );
  roundTrip(
    t,
    [
      { key: null, value: null, timestamp: 2 ** 52 },
      { key: null, value: null, timestamp: -(2 ** 52) },
    ],
    0,
    'delta -2^53',
  );
  t.end();
});

t.test('many records of random shapes', (t) => {
  const rand = rng(42);
  const recs: RecordInput[] = [];
  const base = 1_700_000_000_000;
  for (let i = 0; i < 5000; i++) {
    const keyLen = Math.floor(rand() * 40) - 1;
    const valLen = Math.floor(rand() * (rand() < 0.05 ? 3000 : 200)) - 1;
    const hCount = Math.floor(rand() * 4);
    const fill = (n: number): Buffer | null => {
      if (n < 0) return null;
      const out = Buffer.allocUnsafe(n);
      for (let j = 0; j < n; j++) out[j] = rand() < 0.7 ? 97 + (j % 5) : Math.floor(rand() * 256);
      return out;
    };
    recs.push({
      key: fill(keyLen),
      value: fill(valLen),
      headers: Array.from({ length: hCount }, (_, h) => ({ key: `h${h}-${i % 7}`, value: fill(Math.floor(rand() * 20) - 1) })),
      timestamp: base + Math.floor((rand() - 0.5) * 1e9),
    });
  }
  for (const c of CODECS) {
    const buf = roundTrip(t, recs, c, `${COMPRESSION_NAMES[c]} 5000 records`, 1_000_000_000_000);
    const info = scanBatches(buf)[0]!;
    t.equal(info.lastOffsetDelta, 4999, 'last offset delta');
    t.equal(recordsHaveNullKey(buf, info), true, 'some key is null');
  }
  t.end();
});

t.test('every compression type compresses and decompresses', (t) => {
  const repetitive = Buffer.from('abcdefgh'.repeat(20_000));
  const random = Buffer.allocUnsafe(100_000);
  const rand = rng(7);
  for (let i = 0; i < random.length; i++) random[i] = Math.floor(rand() * 256);
  for (const c of CODECS) {
    for (const data of [Buffer.alloc(0), Buffer.from('x'), repetitive, random]) {
      const packed = compress(c, data);
      t.ok(decompress(c, packed).equals(data), `${COMPRESSION_NAMES[c]}: ${data.length} bytes round-trip`);
    }
    if (c !== CompressionType.None) t.ok(compress(c, repetitive).length < repetitive.length / 10, `${COMPRESSION_NAMES[c]} really compresses`);
    // A batch built with it is smaller than the uncompressed one for repetitive records.
    const recs = Array.from({ length: 200 }, (_, i) => ({ key: b(`key-${i}`), value: b('the same value '.repeat(10)), timestamp: 1000 + i }));
    const buf = buildBatch({ baseOffset: 0, records: recs, compression: c });
    if (c !== CompressionType.None) t.ok(buf.length < buildBatch({ baseOffset: 0, records: recs }).length / 3, `${COMPRESSION_NAMES[c]} batch is compressed`);
  }
  t.equal(CompressionType.None, 0);
  t.equal(CompressionType.Gzip, 1);
  t.equal(CompressionType.Snappy, 2);
  t.equal(CompressionType.Lz4, 3);
  t.equal(CompressionType.Zstd, 4);
  t.end();
});

t.test('transactional and control flags, producer id, epoch and sequence', (t) => {
  for (const c of CODECS) {
    const buf = buildBatch({
      baseOffset: 77,
      records: [
        { key: b('k'), value: b('v'), timestamp: 10 },
        { key: b('k2'), value: b('v2'), timestamp: 12 },
      ],
      compression: c,
      producerId: 2 ** 40 + 3,
      producerEpoch: 32767,
      baseSequence: 2 ** 31 - 1,
      isTransactional: true,
      partitionLeaderEpoch: 9,
    });
    const info = scanBatches(buf)[0]!;
    t.same(
      {
        producerId: info.producerId,
        producerEpoch: info.producerEpoch,
        baseSequence: info.baseSequence,
        isTransactional: info.isTransactional,
        isControl: info.isControl,
        partitionLeaderEpoch: info.partitionLeaderEpoch,
        timestampType: info.timestampType,
        attributes: info.attributes,
        baseTimestamp: info.baseTimestamp,
        maxTimestamp: info.maxTimestamp,
        lastOffsetDelta: info.lastOffsetDelta,
      },
      {
        producerId: 2 ** 40 + 3,
        producerEpoch: 32767,
        baseSequence: 2 ** 31 - 1,
        isTransactional: true,
        isControl: false,
        partitionLeaderEpoch: 9,
        timestampType: 0,
        attributes: c | 0x10,
        baseTimestamp: 10,
        maxTimestamp: 12,
        lastOffsetDelta: 1,
      },
      `${COMPRESSION_NAMES[c]}: transactional batch fields`,
    );
  }
  // A COMMIT control record: key = version 0, type 1; value = version 0, coordinator epoch 5.
  const key = Buffer.from([0, 0, 0, 1]);
  const value = Buffer.from([0, 0, 0, 0, 0, 5]);
  const ctrl = buildBatch({ baseOffset: 5, records: [{ key, value, timestamp: 99 }], producerId: 1234, producerEpoch: 0, isTransactional: true, isControl: true });
  const info = scanBatches(ctrl)[0]!;
  t.equal(info.isControl, true, 'control flag');
  t.equal(info.isTransactional, true, 'transactional flag');
  t.equal(info.attributes, 0x30, 'attributes 0x30');
  t.same(readRecords(ctrl, info).map(plain), [{ offset: 5, timestamp: 99, key: '00000001', value: '000000000005', headers: [] }], 'control record');
  // Defaults: no producer.
  const none = scanBatches(buildBatch({ baseOffset: 0, records: [{ key: null, value: null, timestamp: 1 }] }))[0]!;
  t.same([none.producerId, none.producerEpoch, none.baseSequence, none.partitionLeaderEpoch, none.attributes], [-1, -1, -1, -1, 0], 'defaults');
  // Log append time.
  const lat = buildBatch({ baseOffset: 0, records: [{ key: null, value: b('x'), timestamp: 1 }], logAppendTime: true });
  t.equal(scanBatches(lat)[0]!.timestampType, 1, 'logAppendTime flag');
  const ct = buildBatch({ baseOffset: 0, records: [{ key: null, value: b('x'), timestamp: 1 }] });
  setLogAppendTime(ct, 0, 5555);
  const ctInfo = scanBatches(ct)[0]!;
  t.same([ctInfo.timestampType, ctInfo.maxTimestamp], [1, 5555], 'setLogAppendTime keeps the CRC valid');
  t.end();
});

t.test('setBaseOffset and setPartitionLeaderEpoch leave the CRC valid', (t) => {
  const parts = CODECS.map((c, i) =>
    buildBatch({ baseOffset: 0, compression: c, records: Array.from({ length: 3 + i }, (_, j) => ({ key: b(`k${i}.${j}`), value: b(`v${i}.${j}`), timestamp: 100 + j })) }),
  );
  const all = Buffer.concat(parts);
  const before = scanBatches(all);
  t.equal(before.length, CODECS.length, 'all batches scanned');
  let next = 2 ** 40;
  for (const info of before) {
    setBaseOffset(all, info.position, next);
    setPartitionLeaderEpoch(all, info.position, 42);
    next += info.lastOffsetDelta + 1;
  }
  const after = scanBatches(all); // CRC checked
  t.same(
    after.map((i) => i.position),
    before.map((i) => i.position),
    'positions unchanged',
  );
  let expectOffset = 2 ** 40;
  after.forEach((info, i) => {
    t.equal(info.baseOffset, expectOffset, `batch ${i} base offset`);
    t.equal(info.partitionLeaderEpoch, 42, `batch ${i} leader epoch`);
    t.equal(info.compression, CODECS[i], `batch ${i} codec`);
    const recs = readRecords(all, info);
    t.same(
      recs.map((r) => [r.offset, r.key?.toString(), r.value?.toString()]),
      recs.map((_, j) => [expectOffset + j, `k${i}.${j}`, `v${i}.${j}`]),
      `batch ${i} records carry the new offsets`,
    );
    expectOffset += info.recordCount;
  });
  // Setting the base offset to the largest safe integer still reads back.
  const one = buildBatch({ baseOffset: 0, records: [{ key: null, value: null, timestamp: 0 }] });
  setBaseOffset(one, 0, Number.MAX_SAFE_INTEGER);
  t.equal(scanBatches(one)[0]!.baseOffset, Number.MAX_SAFE_INTEGER, 'base offset 2^53-1');
  t.end();
});

t.test('custom offset deltas (compacted batches) and recordsHaveNullKey', (t) => {
  const recs: RecordInput[] = [
    { key: b('a'), value: b('1'), timestamp: 1, offsetDelta: 0 },
    { key: b('b'), value: b('2'), timestamp: 2, offsetDelta: 5 },
    { key: b('c'), value: null, timestamp: 3, offsetDelta: 100_000 },
  ];
  for (const c of CODECS) {
    const buf = roundTrip(t, recs, c, `${COMPRESSION_NAMES[c]} gaps`, 10);
    const info = scanBatches(buf)[0]!;
    t.equal(info.lastOffsetDelta, 100_000, 'last offset delta from the last record');
    t.equal(recordsHaveNullKey(buf, info), false, `${COMPRESSION_NAMES[c]}: no null key`);
    const withNull = buildBatch({ baseOffset: 0, compression: c, records: [...recs.slice(0, 2), { key: null, value: b('x'), timestamp: 4, offsetDelta: 6 }] });
    t.equal(recordsHaveNullKey(withNull, scanBatches(withNull)[0]!), true, `${COMPRESSION_NAMES[c]}: null key found at the end`);
  }
  t.end();
});

t.test('scanning concatenations, a partial tail and batches at an offset in the buffer', (t) => {
  const a = buildBatch({ baseOffset: 0, records: [{ key: b('a'), value: b('1'), timestamp: 1 }] });
  const c = buildBatch({ baseOffset: 1, compression: CompressionType.Zstd, records: [{ key: b('c'), value: b('3'), timestamp: 3 }] });
  const all = Buffer.concat([a, c]);
  const infos = scanBatches(all);
  t.same(
    infos.map((i) => [i.position, i.size]),
    [
      [0, a.length],
      [a.length, c.length],
    ],
    'positions and sizes',
  );
  t.same(readRecords(all, infos[1]!).map(plain), [{ offset: 1, timestamp: 3, key: hex(b('c')), value: hex(b('3')), headers: [] }], 'second batch reads');
  for (const cut of [1, 30, BATCH_OVERHEAD, c.length - 1]) {
    const partial = all.subarray(0, a.length + cut);
    t.equal(scanBatches(partial, { allowPartialTail: true }).length, 1, `partial tail of ${cut} bytes skipped`);
  }
  t.same(scanBatches(Buffer.alloc(0)), [], 'empty buffer: no batches');
  // skipCrc tolerates a stale CRC.
  const stale = Buffer.from(a);
  stale[stale.length - 1] ^= 0xff;
  t.equal(scanBatches(stale, { skipCrc: true }).length, 1, 'skipCrc');
  t.end();
});

t.test('CRC helpers', (t) => {
  // Standard check values for "123456789".
  const check = Buffer.from('123456789');
  t.equal(crc32(check), 0xcbf43926, 'CRC-32 check value');
  t.equal(crc32c(check), 0xe3069283, 'CRC-32C check value');
  const padded = Buffer.concat([Buffer.from('xx'), check, Buffer.from('yy')]);
  t.equal(crc32c(padded, 2, 11), 0xe3069283, 'CRC-32C over a range');
  t.equal(crc32(padded, 2, 11), 0xcbf43926, 'CRC-32 over a range');
  t.end();
});

// ---- legacy message sets ---------------------------------------------------------------------

const LEGACY = [
  { key: b('k0'), value: b('v0'), timestamp: 1_600_000_000_000 },
  { key: null, value: b('null key'), timestamp: 1_600_000_000_100 },
  { key: b('tombstone'), value: null, timestamp: 1_600_000_000_050 },
  { key: Buffer.alloc(0), value: Buffer.alloc(2000, 'z'), timestamp: 1_600_000_000_200 },
];

t.test('legacy message sets: magic 0 and 1, plain and compressed, read and up-converted', (t) => {
  for (const magic of [0, 1] as const) {
    for (const codec of [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4]) {
      const what = `magic ${magic} ${COMPRESSION_NAMES[codec]}`;
      const set = buildMessageSet(magic, LEGACY, codec);
      const msgs = readMessageSet(set);
      t.same(
        msgs.map((m) => ({ offset: m.offset, magic: m.magic, timestamp: m.timestamp, key: hex(m.key), value: hex(m.value) })),
        LEGACY.map((m, i) => ({ offset: i, magic, timestamp: magic === 1 ? m.timestamp : -1, key: hex(m.key), value: hex(m.value) })),
        `${what}: readMessageSet`,
      );
      const v2 = upConvertToV2(set);
      const infos = scanBatches(v2);
      t.equal(infos.length, 1, `${what}: one v2 batch`);
      t.equal(infos[0]!.compression, codec, `${what}: keeps the wrapper codec`);
      t.same(
        readRecords(v2, infos[0]!).map(plain),
        LEGACY.map((m, i) => ({ offset: i, timestamp: magic === 1 ? m.timestamp : -1, key: hex(m.key), value: hex(m.value), headers: [] })),
        `${what}: upConvertToV2 records`,
      );
    }
  }
  // Magic 1 wrapper offsets are relative: a wrapper at absolute offset 1003 with 4 inner messages.
  const set = buildMessageSet(1, LEGACY, CompressionType.Gzip);
  set.writeBigInt64BE(1003n, 0); // outside the CRC
  t.same(
    readMessageSet(set).map((m) => m.offset),
    [1000, 1001, 1002, 1003],
    'magic 1 wrapper: absolute offsets from the last inner offset',
  );
  // Several uncompressed messages with their own offsets.
  const first = buildMessageSet(0, [LEGACY[0]!]);
  const second = buildMessageSet(0, [LEGACY[1]!]);
  second.writeBigInt64BE(7n, 0);
  t.same(
    readMessageSet(Buffer.concat([first, second])).map((m) => m.offset),
    [0, 7],
    'offsets of plain messages are kept',
  );
  t.same(readMessageSet(Buffer.alloc(0)), [], 'empty set');
  // A magic 1 wrapper marked LogAppendTime: Kafka gives every inner message the wrapper's timestamp.
  const lat = buildMessageSet(1, LEGACY, CompressionType.Gzip);
  lat[17] = lat[17]! | 0x08;
  lat.writeBigInt64BE(999n, 18);
  lat.writeUInt32BE(crc32(lat, 16, lat.length), 12);
  t.same(
    readMessageSet(lat).map((m) => m.timestamp),
    LEGACY.map(() => 999),
    'LogAppendTime wrapper timestamps override the inner ones',
  );
  t.end();
});

t.test('down-conversion to magic 0/1 and back', (t) => {
  const recs: RecordInput[] = MIXED.map((r) => ({ ...r, headers: [] }));
  const batches = CODECS.map((c, i) => buildBatch({ baseOffset: 100 + i * recs.length, records: recs, compression: c }));
  const ctrl = buildBatch({ baseOffset: 100 + CODECS.length * recs.length, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]), timestamp: 1 }], isControl: true, isTransactional: true, producerId: 1, producerEpoch: 0 });
  const all = Buffer.concat([...batches, ctrl]);
  const n = CODECS.length * recs.length;
  for (const magic of [0, 1] as const) {
    const down = downConvert(all, magic);
    const msgs = readMessageSet(down);
    t.equal(msgs.length, n, `magic ${magic}: control batch dropped, every record converted`);
    t.same(
      msgs.map((m) => ({ offset: m.offset, magic: m.magic, timestamp: m.timestamp, key: hex(m.key), value: hex(m.value) })),
      Array.from({ length: n }, (_, i) => {
        const r = recs[i % recs.length]!;
        return { offset: 100 + i, magic, timestamp: magic === 1 ? r.timestamp : -1, key: hex(r.key), value: hex(r.value) };
      }),
      `magic ${magic}: offsets, keys, values${magic === 1 ? ', timestamps' : ''}`,
    );
    const back = upConvertToV2(down);
    const info = scanBatches(back)[0]!;
    t.equal(info.compression, 0, `magic ${magic}: down-converted data is uncompressed`);
    t.same(
      readRecords(back, info).map((r) => [hex(r.key), hex(r.value), r.timestamp]),
      Array.from({ length: n }, (_, i) => {
        const r = recs[i % recs.length]!;
        return [hex(r.key), hex(r.value), magic === 1 ? r.timestamp : -1];
      }),
      `magic ${magic}: up-converted again gives the same records`,
    );
    // A partial trailing batch (as in a fetch response) is ignored.
    const partial = downConvert(Buffer.concat([batches[0]!, batches[1]!.subarray(0, 40)]), magic);
    t.equal(readMessageSet(partial).length, recs.length, `magic ${magic}: partial tail ignored`);
  }
  // LogAppendTime batches down-convert with the batch's max timestamp.
  const lat = buildBatch({ baseOffset: 0, records: [{ key: null, value: b('x'), timestamp: 1 }] });
  setLogAppendTime(lat, 0, 123_456);
  const m1 = readMessageSet(downConvert(lat, 1));
  t.same([m1[0]!.timestamp], [123_456], 'LogAppendTime: the append time');
  t.equal(downConvert(Buffer.alloc(0), 1).length, 0, 'nothing to convert');
  t.end();
});

// ---- xerial snappy ---------------------------------------------------------------------------

/** Kafka's xerial framing as Java's SnappyOutputStream writes it, built by hand. */
function xerial(data: Buffer, chunk: number): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  for (let pos = 0; pos < data.length; pos += chunk) {
    const block = snappy.compressSync(data.subarray(pos, Math.min(data.length, pos + chunk)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

t.test('snappy in xerial framing decompresses', (t) => {
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i} of text\n`).join(''));
  for (const chunk of [1, 100, 4096, 32 * 1024, data.length]) {
    t.ok(decompress(CompressionType.Snappy, xerial(data, chunk)).equals(data), `blocks of ${chunk} bytes`);
  }
  t.equal(decompress(CompressionType.Snappy, xerial(Buffer.alloc(0), 10)).length, 0, 'header only: empty');
  t.ok(decompress(CompressionType.Snappy, snappy.compressSync(data)).equals(data), 'raw snappy (librdkafka, kafkajs-snappy)');
  // The compressor writes xerial framing itself.
  const ours = compress(CompressionType.Snappy, data);
  t.ok(ours.subarray(0, 8).equals(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])), 'compress writes the xerial magic');

  // A batch whose records area is hand-framed xerial decodes.
  const recs = Array.from({ length: 500 }, (_, i) => ({ key: b(`key-${i}`), value: b(`value-${i}-`.repeat(20)), timestamp: 1000 + i }));
  const plainBatch = buildBatch({ baseOffset: 0, records: recs });
  const area = xerial(plainBatch.subarray(BATCH_OVERHEAD), 8192);
  const batch = Buffer.concat([plainBatch.subarray(0, BATCH_OVERHEAD), area]);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt16BE(CompressionType.Snappy, 21);
  batch.writeUInt32BE(crc32c(batch, 21, batch.length), 17);
  const info = scanBatches(batch)[0]!;
  t.equal(info.compression, CompressionType.Snappy, 'snappy attribute');
  t.same(readRecords(batch, info).map(plain), expected(0, recs), 'records from a hand-framed xerial batch');
  t.end();
});
