/**
 * Produce validation from batch headers alone: a record count the bytes cannot hold is
 * CORRUPT_MESSAGE, an offset range that disagrees with the record count is INVALID_RECORD (Kafka's
 * LogValidator.validateBatch), and neither costs work per claimed record. A legacy message set
 * (produce v0-2) is converted only if its messages fit max.message.bytes once decompressed.
 */
import t from 'tap';
import { gzipSync } from 'node:zlib';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { buildBatch, buildMessageSet, crc32, crc32c, CompressionType } from '../../../protocol/records/index.js';
import { loadServerConfig } from '../../../config/server-config.js';
import { prepareBatches } from '../../produce/prepare-batches.js';
import { effectiveTopicConfig } from '../../topic-settings.js';

const settings = effectiveTopicConfig(loadServerConfig({}), undefined);
const compactedSettings = effectiveTopicConfig(loadServerConfig({}), new Map([['cleanup.policy', 'compact']]));
// v2 batch header layout (protocol/records/batch.ts).
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;
const LAST_OFFSET_DELTA_OFFSET = 23;
const RECORD_COUNT_OFFSET = 57;

/** A one-record batch whose header then claims `recordCount` records ending at `lastOffsetDelta`, CRC fixed up. */
function lyingBatch(recordCount: number, lastOffsetDelta: number, compression: number = CompressionType.None): Buffer {
  const b = buildBatch({ baseOffset: 0, compression, records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: Date.now() }] });
  b.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  b.writeInt32BE(recordCount, RECORD_COUNT_OFFSET);
  b.writeUInt32BE(crc32c(b, ATTRIBUTES_OFFSET, b.length), CRC_OFFSET);
  return b;
}

t.test('an honest batch is accepted', async (t) => {
  t.equal(prepareBatches(lyingBatch(1, 0), 9, settings, 't-0').errorCode, ErrorCode.NONE);
});

t.test('a record count the batch bytes cannot hold is CORRUPT_MESSAGE', async (t) => {
  const b = lyingBatch(0x7fffffff, 0x7ffffffe);
  t.ok(b.length < 100, `a ${b.length}-byte batch`);
  const res = prepareBatches(b, 9, settings, 't-0');
  t.equal(res.errorCode, ErrorCode.CORRUPT_MESSAGE);
  t.match(res.errorMessage, /record count 2147483647 cannot fit/);
  t.equal(prepareBatches(lyingBatch(-0x80000000, 0), 9, settings, 't-0').errorCode, ErrorCode.CORRUPT_MESSAGE, 'a count of 2^31 reads as negative');
  // On a compacted topic the records are decoded; the claim must not drive the work.
  t.equal(prepareBatches(lyingBatch(0x7fffffff, 0x7ffffffe, CompressionType.Gzip), 9, compactedSettings, 't-0').errorCode, ErrorCode.CORRUPT_MESSAGE, 'compressed, compacted');
});

t.test('an offset range that disagrees with the record count is INVALID_RECORD', async (t) => {
  const jump = prepareBatches(lyingBatch(1, 0x7fffffff - 1), 9, settings, 't-0');
  t.equal(jump.errorCode, ErrorCode.INVALID_RECORD, 'one record may not claim 2^31 offsets');
  t.match(jump.errorMessage, /Inconsistent batch offset range \[0, 2147483646\] and count of records 1/);
  t.equal(prepareBatches(lyingBatch(0, 0), 9, settings, 't-0').errorCode, ErrorCode.INVALID_RECORD, 'an empty batch');
});

/** A gzip-compressed magic 0 message set of `count` empty 26-byte messages, built without per-message objects. */
function legacyBomb(count: number): Buffer {
  const one = Buffer.alloc(26);
  one.writeInt32BE(14, 8); // size; offset 0, magic 0, attributes 0
  one.writeInt32BE(-1, 18); // null key
  one.writeInt32BE(-1, 22); // null value
  one.writeUInt32BE(crc32(one, 16, 26), 12);
  const inner = Buffer.alloc(26 * count);
  for (let i = 0; i < count; i++) one.copy(inner, i * 26);
  const z = gzipSync(inner);
  const wrapper = Buffer.alloc(26 + z.length);
  wrapper.writeBigInt64BE(BigInt(count - 1), 0);
  wrapper.writeInt32BE(14 + z.length, 8);
  wrapper[17] = CompressionType.Gzip;
  wrapper.writeInt32BE(-1, 18);
  wrapper.writeInt32BE(z.length, 22);
  z.copy(wrapper, 26);
  wrapper.writeUInt32BE(crc32(wrapper, 16, wrapper.length), 12);
  return wrapper;
}

t.test('a legacy message set is converted only if it fits max.message.bytes decompressed', async (t) => {
  const small = buildMessageSet(1, [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: Date.now() }], CompressionType.Gzip);
  t.equal(prepareBatches(small, 2, settings, 't-0').errorCode, ErrorCode.NONE, 'an ordinary compressed set');
  // 1,000,000 messages in about 60 KB: converting them took 11 s of event loop and 200 MB of heap.
  const bomb = legacyBomb(1_000_000);
  t.ok(bomb.length < 100_000, `a ${bomb.length}-byte message set`);
  const res = prepareBatches(bomb, 2, settings, 't-0');
  t.equal(res.errorCode, ErrorCode.CORRUPT_MESSAGE);
  t.match(res.errorMessage, /exceed the limit of 1048588/);
});
