/**
 * Malformed record data gives a ProtocolError, never another error type and never a hang: bad
 * CRCs, impossible lengths, unknown codecs, broken varints, lying record counts, corrupt or
 * bomb-sized compressed payloads, broken legacy message sets, and 2,000+ random mutations of
 * valid batches (through scanBatches and straight into the record decoder).
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { ProtocolError, type ProtocolErrorCode } from '../../codec/errors.js';
import {
  buildBatch,
  readBatchInfo,
  readRecords,
  recordsHaveNullKey,
  scanBatches,
  BATCH_OVERHEAD,
  type BatchInfo,
  type RecordInput,
} from '../../records/batch.js';
import { compress, decompress, CompressionType, COMPRESSION_NAMES } from '../../records/compression.js';
import { crc32, crc32c } from '../../records/crc.js';
import { buildMessageSet, downConvert, readMessageSet, upConvertToV2 } from '../../records/legacy.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappy') as { compressSync(b: Buffer): Buffer };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const zstd = require('zstd-napi') as { Compressor: new () => { setParameters(p: object): void; compress(b: Buffer): Buffer } };

type TapTest = Pick<typeof t, 'ok' | 'fail' | 'pass' | 'equal'>;

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd] as const;

/** Asserts that `fn` throws a ProtocolError (with `code` when given) and nothing else. */
function rejects(t: TapTest, fn: () => unknown, what: string, code?: ProtocolErrorCode | ProtocolErrorCode[]): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ProtocolError)) {
      t.fail(`${what}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of a ProtocolError`);
      return;
    }
    if (code === undefined) t.pass(`${what}: ProtocolError ${e.code}`);
    else {
      const codes = Array.isArray(code) ? code : [code];
      t.ok(codes.includes(e.code), `${what}: ProtocolError ${e.code} (want ${codes.join(' or ')}): ${e.message}`);
    }
    return;
  }
  t.fail(`${what}: did not throw`);
}

/** Runs `fn`; passing or throwing a ProtocolError are both fine, anything else is recorded. */
function decodeOrProtocolError(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof ProtocolError) return null;
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
}

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

function fixCrc(buf: Buffer, pos = 0): void {
  const size = buf.readInt32BE(pos + 8) + 12;
  buf.writeUInt32BE(crc32c(buf, pos + 21, pos + size), pos + 17);
}

/** A batch around a hand-written records area, with a valid CRC. */
function batchFromArea(area: Buffer, recordCount: number, compression = 0): Buffer {
  const head = buildBatch({ baseOffset: 0, records: [] });
  const out = Buffer.concat([head, area]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(compression, 21);
  out.writeInt32BE(Math.max(0, recordCount - 1), 23);
  out.writeInt32BE(recordCount, 57);
  out.writeBigInt64BE(0n, 27);
  fixCrc(out);
  return out;
}

function zigzag(v: number): number[] {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  const out: number[] = [];
  while (u >= 0x80) {
    out.push((u & 0x7f) | 0x80);
    u >>>= 7;
  }
  out.push(u);
  return out;
}

/** One record's bytes (without its length prefix) from raw parts. */
function recordBody(parts: number[][]): number[] {
  return ([] as number[]).concat(...parts);
}

function withLength(body: number[]): Buffer {
  return Buffer.from([...zigzag(body.length), ...body]);
}

const GOOD_BODY = recordBody([[0], zigzag(0), zigzag(0), zigzag(1), [0x6b], zigzag(1), [0x76], zigzag(0)]);

const SAMPLE: RecordInput[] = [
  { key: Buffer.from('key-1'), value: Buffer.from('value one'), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: 1_700_000_000_000 },
  { key: null, value: Buffer.from('value two '.repeat(20)), headers: [{ key: 'n', value: null }], timestamp: 1_699_999_999_000 },
  { key: Buffer.from('k3'), value: null, timestamp: 1_700_000_000_500 },
];

t.test('bad CRC', (t) => {
  for (const c of CODECS) {
    const buf = buildBatch({ baseOffset: 0, records: SAMPLE, compression: c });
    for (const at of [21, 30, 57, BATCH_OVERHEAD, buf.length - 1]) {
      const bad = Buffer.from(buf);
      bad[at] ^= 0x01;
      rejects(t, () => scanBatches(bad), `${COMPRESSION_NAMES[c]}: flipped byte ${at}`, 'CORRUPT_RECORD');
    }
    const bad = Buffer.from(buf);
    bad.writeUInt32BE((bad.readUInt32BE(17) + 1) >>> 0, 17);
    rejects(t, () => scanBatches(bad), `${COMPRESSION_NAMES[c]}: stored CRC off by one`, 'CORRUPT_RECORD');
  }
  // The second batch of a concatenation.
  const a = buildBatch({ baseOffset: 0, records: SAMPLE });
  const b = buildBatch({ baseOffset: 3, records: SAMPLE });
  b[b.length - 2] ^= 0x40;
  rejects(t, () => scanBatches(Buffer.concat([a, b])), 'second batch', 'CORRUPT_RECORD');
  t.end();
});

t.test('lengths beyond the buffer and below the minimum', (t) => {
  const buf = buildBatch({ baseOffset: 0, records: SAMPLE });
  for (const extra of [1, 100, 2 ** 31 - 1 - (buf.length - 12)]) {
    const bad = Buffer.from(buf);
    bad.writeInt32BE(buf.length - 12 + extra, 8);
    rejects(t, () => scanBatches(bad), `batch length +${extra}`, 'CORRUPT_RECORD');
    t.equal(scanBatches(bad, { allowPartialTail: true }).length, 0, `batch length +${extra}: partial tail tolerated when allowed`);
  }
  for (const len of [48, 0, -1, -12, -(2 ** 31)]) {
    const bad = Buffer.from(buf);
    bad.writeInt32BE(len, 8);
    rejects(t, () => scanBatches(bad), `batch length ${len}`, 'CORRUPT_RECORD');
    rejects(t, () => scanBatches(bad, { allowPartialTail: true }), `batch length ${len} with allowPartialTail`, 'CORRUPT_RECORD');
  }
  rejects(t, () => scanBatches(buf.subarray(0, 60)), '60 bytes', 'CORRUPT_RECORD');
  rejects(t, () => scanBatches(Buffer.concat([buf, Buffer.alloc(10)])), '10 trailing bytes', 'CORRUPT_RECORD');
  rejects(t, () => scanBatches(buf.subarray(0, buf.length - 1)), 'truncated batch', 'CORRUPT_RECORD');
  for (const magic of [0, 1, 3, 255]) {
    const bad = Buffer.from(buf);
    bad[16] = magic;
    rejects(t, () => scanBatches(bad), `magic ${magic}`, 'UNSUPPORTED_MAGIC');
  }
  t.end();
});

t.test('header fields out of range', (t) => {
  const buf = buildBatch({ baseOffset: 0, records: SAMPLE });
  const cases: Array<[string, (b: Buffer) => void]> = [
    ['negative record count', (b) => b.writeInt32BE(-1, 57)],
    ['negative last offset delta', (b) => b.writeInt32BE(-5, 23)],
    ['record count larger than the bytes', (b) => b.writeInt32BE(2 ** 31 - 1, 57)],
    ['base timestamp beyond 2^53', (b) => b.writeBigInt64BE(2n ** 60n, 27)],
    ['max timestamp beyond 2^53', (b) => b.writeBigInt64BE(-(2n ** 62n), 35)],
    ['producer id beyond 2^53', (b) => b.writeBigInt64BE(2n ** 63n - 1n, 43)],
  ];
  for (const [what, mutate] of cases) {
    const bad = Buffer.from(buf);
    mutate(bad);
    fixCrc(bad);
    rejects(t, () => scanBatches(bad), what, 'CORRUPT_RECORD');
  }
  const bad = Buffer.from(buf);
  bad.writeBigInt64BE(2n ** 63n - 1n, 0); // base offset is outside the CRC
  rejects(t, () => scanBatches(bad), 'base offset beyond 2^53', 'CORRUPT_RECORD');
  t.end();
});

t.test('unknown compression types 5..7', (t) => {
  const buf = buildBatch({ baseOffset: 0, records: SAMPLE });
  for (const codec of [5, 6, 7]) {
    const bad = Buffer.from(buf);
    bad.writeInt16BE(codec | 0x10, 21);
    fixCrc(bad);
    rejects(t, () => scanBatches(bad), `scanBatches, codec ${codec}`, 'UNSUPPORTED_COMPRESSION');
    const info = readBatchInfo(bad, 0);
    t.equal(info.compression, codec, 'readBatchInfo reports the raw codec');
    rejects(t, () => readRecords(bad, info), `readRecords, codec ${codec}`, 'UNSUPPORTED_COMPRESSION');
    rejects(t, () => recordsHaveNullKey(bad, info), `recordsHaveNullKey, codec ${codec}`, 'UNSUPPORTED_COMPRESSION');
    rejects(t, () => decompress(codec, Buffer.from('abc')), `decompress(${codec})`, 'UNSUPPORTED_COMPRESSION');
    rejects(t, () => compress(codec, Buffer.from('abc')), `compress(${codec})`, 'UNSUPPORTED_COMPRESSION');
  }
  rejects(t, () => decompress(-1, Buffer.from('abc')), 'decompress(-1)', 'UNSUPPORTED_COMPRESSION');
  t.end();
});

t.test('invalid, overlong and truncated varints and lengths in records', (t) => {
  const cases: Array<[string, Buffer, number, ProtocolErrorCode[]]> = [
    ['record length varint of 6 bytes', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 1, ['INVALID_VARINT']],
    ['record length varint cut off', Buffer.from([0x80, 0x80]), 1, ['TRUNCATED']],
    ['negative record length', Buffer.from([...zigzag(-2), ...GOOD_BODY]), 1, ['CORRUPT_RECORD']],
    ['record length beyond the batch', Buffer.from([...zigzag(GOOD_BODY.length + 1), ...GOOD_BODY]), 1, ['CORRUPT_RECORD']],
    ['huge record length', Buffer.from([...zigzag(2 ** 30), ...GOOD_BODY]), 1, ['CORRUPT_RECORD']],
    ['empty record', withLength([]), 1, ['TRUNCATED']],
    ['record of only attributes', withLength([0]), 1, ['TRUNCATED']],
    ['timestamp varlong of 11 bytes', withLength([0, ...Array(10).fill(0x80), 0x01, ...GOOD_BODY.slice(2)]), 1, ['INVALID_VARINT']],
    ['timestamp varlong cut off at the record end', withLength([0, 0x80, 0x80]), 1, ['TRUNCATED']],
    ['offset delta varint of 6 bytes', withLength([0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, ...GOOD_BODY.slice(3)]), 1, ['INVALID_VARINT']],
    ['key length beyond the record', withLength([0, 0, 0, ...zigzag(50), 0x6b]), 1, ['CORRUPT_RECORD']],
    ['key length varint overlong', withLength([0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), 1, ['INVALID_VARINT']],
    ['value length beyond the record', withLength([0, 0, 0, ...zigzag(-1), ...zigzag(3), 0x61]), 1, ['CORRUPT_RECORD']],
    ['header count beyond the record', withLength([0, 0, 0, ...zigzag(-1), ...zigzag(-1), ...zigzag(1000)]), 1, ['CORRUPT_RECORD']],
    ['negative header count', withLength([0, 0, 0, ...zigzag(-1), ...zigzag(-1), ...zigzag(-3)]), 1, ['CORRUPT_RECORD']],
    ['header count without headers', withLength([0, 0, 0, ...zigzag(-1), ...zigzag(-1), ...zigzag(2), 0, 0]), 1, ['TRUNCATED', 'CORRUPT_RECORD']],
    ['null header key', withLength([0, 0, 0, ...zigzag(-1), ...zigzag(-1), ...zigzag(1), ...zigzag(-1), ...zigzag(-1)]), 1, ['CORRUPT_RECORD']],
    ['header key beyond the record', withLength([0, 0, 0, ...zigzag(-1), ...zigzag(-1), ...zigzag(1), ...zigzag(9), 0x61]), 1, ['CORRUPT_RECORD']],
    ['header value cut off', withLength([0, 0, 0, ...zigzag(-1), ...zigzag(-1), ...zigzag(1), ...zigzag(1), 0x61]), 1, ['TRUNCATED']],
    ['record count one more than the records', withLength(GOOD_BODY), 2, ['TRUNCATED']],
    ['record count far more than the records', Buffer.concat([withLength(GOOD_BODY), withLength(GOOD_BODY)]), 20, ['TRUNCATED']],
  ];
  for (const [what, area, count, codes] of cases) {
    for (const c of CODECS) {
      const buf = batchFromArea(c === 0 ? area : compress(c, area), count, c);
      let info: BatchInfo;
      try {
        info = scanBatches(buf)[0]!;
      } catch (e) {
        // The header check may already refuse it (counts that cannot fit); it must be typed.
        t.ok(e instanceof ProtocolError, `${what} (${COMPRESSION_NAMES[c]}): scanBatches ProtocolError`);
        info = readBatchInfo(buf, 0);
      }
      rejects(t, () => readRecords(buf, info), `${what} (${COMPRESSION_NAMES[c]})`, codes);
    }
  }
  // The good body really is good, so the cases above fail for the reason named.
  const good = batchFromArea(withLength(GOOD_BODY), 1);
  const recs = readRecords(good, scanBatches(good)[0]!);
  t.same(
    recs.map((r) => [r.key?.toString(), r.value?.toString(), r.headers.length]),
    [['k', 'v', 0]],
    'control case decodes',
  );
  t.end();
});

t.test('record counts larger than the data', (t) => {
  const keyed = SAMPLE.map((r) => ({ ...r, key: r.key ?? Buffer.from('not null') }));
  for (const c of CODECS) {
    const buf = buildBatch({ baseOffset: 0, records: keyed, compression: c });
    for (const count of [4, 1000, 2 ** 31 - 1]) {
      const bad = Buffer.from(buf);
      bad.writeInt32BE(count, 57);
      fixCrc(bad);
      const err = decodeOrProtocolError(() => {
        for (const info of scanBatches(bad)) readRecords(bad, info);
      });
      t.equal(err, null, `${COMPRESSION_NAMES[c]}: count ${count} through scanBatches`);
      rejects(t, () => readRecords(bad, readBatchInfo(bad, 0)), `${COMPRESSION_NAMES[c]}: count ${count} straight to readRecords`, ['TRUNCATED', 'CORRUPT_RECORD']);
      rejects(t, () => recordsHaveNullKey(bad, { ...readBatchInfo(bad, 0), recordCount: count }), `${COMPRESSION_NAMES[c]}: recordsHaveNullKey, count ${count}`, ['TRUNCATED', 'CORRUPT_RECORD']);
    }
  }
  t.end();
});

t.test('bytes left over after the declared records', (t) => {
  // Kafka's DefaultRecordBatch iterator rejects these ("Incorrect declared batch size, records
  // still remaining in file"); readRecords returns the declared records and ignores the rest.
  for (const c of CODECS) {
    const full = buildBatch({ baseOffset: 0, records: SAMPLE, compression: c });
    const area = c === 0 ? full.subarray(BATCH_OVERHEAD) : decompress(c, full.subarray(BATCH_OVERHEAD));
    const short = batchFromArea(c === 0 ? area : compress(c, area), SAMPLE.length - 1, c);
    const info = scanBatches(short)[0]!;
    t.equal(decodeOrProtocolError(() => readRecords(short, info)), null, `${COMPRESSION_NAMES[c]}: count one short decodes or throws ProtocolError`);
    let threw = false;
    try {
      readRecords(short, info);
    } catch {
      threw = true;
    }
    t.ok(threw, `${COMPRESSION_NAMES[c]}: a record beyond the declared count is rejected`);
    if (c !== 0) {
      // Two concatenated compressed streams (valid for gzip/lz4/zstd) put the records twice.
      const doubled = batchFromArea(Buffer.concat([compress(c, area), compress(c, area)]), SAMPLE.length, c);
      t.equal(decodeOrProtocolError(() => readRecords(doubled, scanBatches(doubled)[0]!)), null, `${COMPRESSION_NAMES[c]}: doubled stream decodes or throws ProtocolError`);
    }
  }
  t.end();
});

t.test('corrupt compressed payloads', (t) => {
  const area = buildBatch({ baseOffset: 0, records: SAMPLE }).subarray(BATCH_OVERHEAD);
  const rand = rng(99);
  const garbage = Buffer.from(Array.from({ length: 200 }, () => Math.floor(rand() * 256)));
  for (const c of CODECS.slice(1)) {
    const packed = compress(c, Buffer.from(area));
    const variants: Array<[string, Buffer]> = [
      ['random garbage', garbage],
      ['empty', Buffer.alloc(0)],
      ['one byte', Buffer.from([0x00])],
      ['truncated to half', packed.subarray(0, packed.length >> 1)],
      ['truncated by five bytes', packed.subarray(0, packed.length - 5)],
      ['header only', packed.subarray(0, Math.min(packed.length, 16))],
    ];
    for (const [what, payload] of variants) {
      const buf = batchFromArea(payload, SAMPLE.length, c);
      const info = scanBatches(buf)[0]!;
      rejects(t, () => readRecords(buf, info), `${COMPRESSION_NAMES[c]}: ${what}`);
      // decompress alone may accept some of these (e.g. a doubled gzip stream), but must not throw
      // anything else.
      t.equal(
        decodeOrProtocolError(() => decompress(c, payload)),
        null,
        `${COMPRESSION_NAMES[c]}: decompress of ${what} throws only ProtocolError`,
      );
    }
    rejects(t, () => decompress(c, garbage), `${COMPRESSION_NAMES[c]}: decompress of garbage`, 'CORRUPT_RECORD');
  }
  // Xerial framing with bad block lengths or bad blocks.
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const block = snappy.compressSync(Buffer.from('hello hello hello hello'));
  const len = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n, 0);
    return b;
  };
  const xerialCases: Array<[string, Buffer]> = [
    ['block length beyond the data', Buffer.concat([header, len(block.length + 1), block])],
    ['negative block length', Buffer.concat([header, len(-1), block])],
    ['truncated block length', Buffer.concat([header, len(block.length), block, Buffer.from([0, 0])])],
    ['zero-length block', Buffer.concat([header, len(0)])],
    ['garbage block', Buffer.concat([header, len(garbage.length), garbage])],
    ['block length varint too long', Buffer.concat([header, len(6), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])])],
  ];
  for (const [what, payload] of xerialCases) rejects(t, () => decompress(CompressionType.Snappy, payload), `xerial: ${what}`, 'CORRUPT_RECORD');
  t.end();
});

t.test('decompression bombs stop at maxBytes', (t) => {
  const big = Buffer.alloc(8 * 1024 * 1024); // zeros: compresses to almost nothing
  const max = 1024 * 1024;
  const zstdNoSize = new zstd.Compressor();
  zstdNoSize.setParameters({ contentSizeFlag: false });
  const bombs: Array<[string, number, Buffer]> = [
    ['gzip', CompressionType.Gzip, gzipSync(big)],
    ['zstd (declared size)', CompressionType.Zstd, compress(CompressionType.Zstd, big)],
    ['zstd (no declared size)', CompressionType.Zstd, zstdNoSize.compress(big)],
    ['snappy (raw)', CompressionType.Snappy, snappy.compressSync(big)],
    ['snappy (xerial)', CompressionType.Snappy, compress(CompressionType.Snappy, big)],
    ['lz4', CompressionType.Lz4, compress(CompressionType.Lz4, big)],
  ];
  for (const [what, codec, payload] of bombs) {
    t.ok(payload.length < big.length / 20, `${what}: ${payload.length} bytes of bomb`);
    rejects(t, () => decompress(codec, payload, max), `${what}: ${big.length} bytes > maxBytes ${max}`, 'CORRUPT_RECORD');
    t.equal(decompress(codec, payload, big.length).length, big.length, `${what}: exactly maxBytes is fine`);
    rejects(t, () => decompress(codec, payload, big.length - 1), `${what}: one byte over maxBytes`, 'CORRUPT_RECORD');
  }
  // Raw snappy announcing 2^32 bytes in its length varint, but holding none.
  rejects(t, () => decompress(CompressionType.Snappy, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10, 0x00]), max), 'snappy claiming 4 GiB', 'CORRUPT_RECORD');
  // A zstd frame header declaring 2^40 bytes of content (and 2 KiB, under a 1 KiB limit).
  rejects(t, () => decompress(CompressionType.Zstd, zstdFrameWithSize(2 ** 40), max), 'zstd declaring 2^40 bytes', 'CORRUPT_RECORD');
  rejects(t, () => decompress(CompressionType.Zstd, zstdFrameWithSize(2048), 1024), 'zstd declaring 2 KiB, limit 1 KiB', 'CORRUPT_RECORD');
  // Declaring a size it does not hold is corrupt, not an assertion failure.
  rejects(t, () => decompress(CompressionType.Zstd, zstdFrameWithSize(100), max), 'zstd declaring 100 bytes, holding 0', 'CORRUPT_RECORD');
  t.end();
});

/** A zstd frame header with an 8-byte content size and one empty raw last block. */
function zstdFrameWithSize(size: number): Buffer {
  const out = Buffer.alloc(4 + 1 + 1 + 8 + 3);
  out.writeUInt32LE(0xfd2fb528, 0);
  out[4] = 0xc0; // FCS 8 bytes, no single segment, no checksum, no dict
  out[5] = 0x50; // window descriptor
  out.writeBigUInt64LE(BigInt(size), 6);
  out[14] = 0x01; // last block, raw, size 0
  return out;
}

t.test('malformed legacy message sets', (t) => {
  const set0 = buildMessageSet(0, [{ key: Buffer.from('k'), value: Buffer.from('v') }]);
  const set1 = buildMessageSet(1, [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 5 }]);
  const fixLegacyCrc = (b: Buffer, pos = 0): void => {
    const size = b.readInt32BE(pos + 8);
    b.writeUInt32BE(crc32(b, pos + 16, pos + 12 + size), pos + 12);
  };
  const mutated = (src: Buffer, f: (b: Buffer) => void, fix = true): Buffer => {
    const b = Buffer.from(src);
    f(b);
    if (fix) fixLegacyCrc(b);
    return b;
  };
  const cases: Array<[string, Buffer, ProtocolErrorCode]> = [
    ['bad CRC', mutated(set0, (b) => (b[b.length - 1] ^= 1), false), 'CORRUPT_RECORD'],
    ['truncated header', set0.subarray(0, 11), 'CORRUPT_RECORD'],
    ['size below 14', mutated(set0, (b) => b.writeInt32BE(13, 8), false), 'CORRUPT_RECORD'],
    ['negative size', mutated(set0, (b) => b.writeInt32BE(-1, 8), false), 'CORRUPT_RECORD'],
    ['size beyond the set', mutated(set0, (b) => b.writeInt32BE(1000, 8), false), 'CORRUPT_RECORD'],
    ['truncated message', set0.subarray(0, set0.length - 1), 'CORRUPT_RECORD'],
    ['magic 2', mutated(set0, (b) => (b[16] = 2)), 'UNSUPPORTED_MAGIC'],
    ['magic 1 without room for a timestamp', mutated(set0, (b) => (b[16] = 1)), 'CORRUPT_RECORD'],
    ['key length beyond the message', mutated(set0, (b) => b.writeInt32BE(100, 18)), 'CORRUPT_RECORD'],
    ['value length beyond the message', mutated(set1, (b) => b.writeInt32BE(100, 31)), 'CORRUPT_RECORD'],
    ['unknown codec in the wrapper', mutated(set0, (b) => (b[17] = 6)), 'UNSUPPORTED_COMPRESSION'],
    ['compressed wrapper without a value', mutated(buildMessageSet(0, [{ key: null, value: null }]), (b) => (b[17] = 1)), 'CORRUPT_RECORD'],
    ['wrapper holding garbage', mutated(set0, (b) => (b[17] = 1)), 'CORRUPT_RECORD'],
  ];
  // A compressed wrapper inside a compressed wrapper.
  const inner = buildMessageSet(0, [{ key: null, value: Buffer.from('x') }], CompressionType.Gzip);
  const nestedValue = gzipSync(inner);
  const nestedMsg = Buffer.alloc(12 + 14 + nestedValue.length);
  nestedMsg.writeBigInt64BE(0n, 0);
  nestedMsg.writeInt32BE(14 + nestedValue.length, 8);
  nestedMsg[16] = 0;
  nestedMsg[17] = 1;
  nestedMsg.writeInt32BE(-1, 18);
  nestedMsg.writeInt32BE(nestedValue.length, 22);
  nestedValue.copy(nestedMsg, 26);
  fixLegacyCrc(nestedMsg);
  cases.push(['nested compressed wrappers', nestedMsg, 'CORRUPT_RECORD']);
  for (const [what, buf, code] of cases) {
    rejects(t, () => readMessageSet(buf), `readMessageSet: ${what}`, code);
    rejects(t, () => upConvertToV2(buf), `upConvertToV2: ${what}`, code);
  }
  rejects(t, () => upConvertToV2(Buffer.alloc(0)), 'upConvertToV2 of nothing', 'CORRUPT_RECORD');
  // downConvert only meets stored v2 data, but must still fail typed on garbage.
  const garbage = Buffer.alloc(100, 0xab);
  t.equal(
    decodeOrProtocolError(() => downConvert(garbage, 1)),
    null,
    'downConvert of garbage',
  );
  t.end();
});

// ---- fuzzing ---------------------------------------------------------------------------------

function mutate(src: Buffer, rand: () => number, from = 0): Buffer {
  const out = Buffer.from(src);
  const flips = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < flips; i++) {
    const at = from + Math.floor(rand() * (out.length - from));
    if (rand() < 0.3) out[at] = Math.floor(rand() * 256);
    else out[at]! ^= 1 << Math.floor(rand() * 8);
  }
  return out;
}

function fuzzSamples(): Array<[number, Buffer]> {
  const rand = rng(1234);
  const recs: RecordInput[] = Array.from({ length: 40 }, (_, i) => ({
    key: i % 5 === 0 ? null : Buffer.from(`key-${i}`),
    value: i % 7 === 0 ? null : Buffer.from(`value-${i}-${'x'.repeat(Math.floor(rand() * 60))}`),
    headers: i % 3 === 0 ? [] : [{ key: `h${i}`, value: i % 2 ? null : Buffer.from('hv') }],
    timestamp: 1_700_000_000_000 + Math.floor((rand() - 0.5) * 1e6),
  }));
  return CODECS.map((c) => [c, buildBatch({ baseOffset: 1000, records: recs, compression: c, producerId: 7, producerEpoch: 1, baseSequence: 0 })]);
}

t.test('fuzz: 2,000 random mutations of valid batches decode or throw ProtocolError', (t) => {
  const rand = rng(2024);
  const samples = fuzzSamples();
  const failures: string[] = [];
  let decoded = 0;
  for (let i = 0; i < 2000; i++) {
    const [codec, src] = samples[i % samples.length]!;
    const m = mutate(src, rand);
    const err = decodeOrProtocolError(() => {
      for (const info of scanBatches(m)) {
        readRecords(m, info);
        recordsHaveNullKey(m, info);
      }
      decoded++;
    });
    if (err !== null && failures.length < 10) failures.push(`mutation ${i} (${COMPRESSION_NAMES[codec]}): ${err}`);
    const err2 = decodeOrProtocolError(() => downConvert(m, 1));
    if (err2 !== null && failures.length < 10) failures.push(`downConvert of mutation ${i} (${COMPRESSION_NAMES[codec]}): ${err2}`);
  }
  t.same(failures, [], 'only ProtocolErrors through scanBatches');
  t.ok(decoded < 2000, `the CRC caught most mutations (${decoded} decoded)`);
  t.end();
});

t.test('fuzz: mutated records areas straight into readRecords (header fixed up, CRC not checked)', (t) => {
  const rand = rng(77);
  const samples = fuzzSamples();
  const failures: string[] = [];
  let decoded = 0;
  let rejected = 0;
  for (let i = 0; i < 2000; i++) {
    const [codec, src] = samples[i % samples.length]!;
    const info = scanBatches(src)[0]!;
    // Mutate only the records area, and sometimes the record count, keeping the header sane.
    const m = mutate(src, rand, BATCH_OVERHEAD);
    const fixed: BatchInfo = rand() < 0.2 ? { ...info, recordCount: Math.floor(rand() * 100) } : info;
    let ok = true;
    for (const fn of [() => readRecords(m, fixed), () => recordsHaveNullKey(m, fixed)]) {
      try {
        fn();
      } catch (e) {
        ok = false;
        if (!(e instanceof ProtocolError) && failures.length < 10) failures.push(`mutation ${i} (${COMPRESSION_NAMES[codec]}): ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    }
    if (ok) decoded++;
    else rejected++;
  }
  t.same(failures, [], 'only ProtocolErrors from the record decoder');
  t.ok(decoded > 0 && rejected > 0, `both outcomes seen (${decoded} decoded, ${rejected} rejected)`);
  t.end();
});

t.test('fuzz: mutated legacy message sets', (t) => {
  const rand = rng(5);
  const msgs = Array.from({ length: 10 }, (_, i) => ({ key: i % 2 ? null : Buffer.from(`k${i}`), value: Buffer.from(`value ${i}`), timestamp: 1000 + i }));
  const sets = [buildMessageSet(0, msgs), buildMessageSet(1, msgs), buildMessageSet(0, msgs, CompressionType.Gzip), buildMessageSet(1, msgs, CompressionType.Snappy), buildMessageSet(1, msgs, CompressionType.Lz4)];
  const failures: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const src = sets[i % sets.length]!;
    const m = mutate(src, rand);
    // Recompute the first message's CRC half of the time so the body is actually parsed.
    if (rand() < 0.5 && m.length >= 26) {
      const size = m.readInt32BE(8);
      if (size >= 14 && 12 + size <= m.length) m.writeUInt32BE(crc32(m, 16, 12 + size), 12);
    }
    const err = decodeOrProtocolError(() => upConvertToV2(m));
    if (err !== null && failures.length < 10) failures.push(`mutation ${i}: ${err}`);
  }
  t.same(failures, [], 'only ProtocolErrors');
  t.end();
});
