/**
 * Produce validation from batch headers alone: a record count the bytes cannot hold is
 * CORRUPT_MESSAGE, an offset range that disagrees with the record count is INVALID_RECORD (Kafka's
 * LogValidator.validateBatch), and neither costs work per claimed record.
 */
import t from 'tap';
import { ErrorCode } from '../../../protocol/error-codes.js';
import { buildBatch, crc32c, CompressionType } from '../../../protocol/records/index.js';
import { loadServerConfig } from '../../config/server-config.js';
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
  t.equal(prepareBatches(lyingBatch(1, 0), 9, settings).errorCode, ErrorCode.NONE);
});

t.test('a record count the batch bytes cannot hold is CORRUPT_MESSAGE', async (t) => {
  const b = lyingBatch(0x7fffffff, 0x7ffffffe);
  t.ok(b.length < 100, `a ${b.length}-byte batch`);
  const res = prepareBatches(b, 9, settings);
  t.equal(res.errorCode, ErrorCode.CORRUPT_MESSAGE);
  t.match(res.errorMessage, /record count 2147483647 cannot fit/);
  t.equal(prepareBatches(lyingBatch(-0x80000000, 0), 9, settings).errorCode, ErrorCode.CORRUPT_MESSAGE, 'a count of 2^31 reads as negative');
  // On a compacted topic the records are decoded; the claim must not drive the work.
  t.equal(prepareBatches(lyingBatch(0x7fffffff, 0x7ffffffe, CompressionType.Gzip), 9, compactedSettings).errorCode, ErrorCode.CORRUPT_MESSAGE, 'compressed, compacted');
});

t.test('an offset range that disagrees with the record count is INVALID_RECORD', async (t) => {
  const jump = prepareBatches(lyingBatch(1, 0x7fffffff - 1), 9, settings);
  t.equal(jump.errorCode, ErrorCode.INVALID_RECORD, 'one record may not claim 2^31 offsets');
  t.match(jump.errorMessage, /Inconsistent batch offset range \[0, 2147483646\] and count of records 1/);
  t.equal(prepareBatches(lyingBatch(0, 0), 9, settings).errorCode, ErrorCode.INVALID_RECORD, 'an empty batch');
});
