/**
 * The fixed 61-byte header of a v2 record batch (Kafka's DefaultRecordBatch): one named offset per
 * field and one plain read function per field on (buffer, batch position), so that code walking
 * batches in a segment or a request never spells a field as a number. The functions read in place:
 * no object, no copy, and no BigInt for the int64 fields (offsets and timestamps are JS numbers).
 * Layout, big-endian:
 *
 *   0  baseOffset int64          27 baseTimestamp int64
 *   8  batchLength int32         35 maxTimestamp int64
 *  12  partitionLeaderEpoch int32 43 producerId int64
 *  16  magic int8 (= 2)          51 producerEpoch int16
 *  17  crc uint32 (CRC-32C of    53 baseSequence int32
 *      bytes 21..end)            57 recordCount int32
 *  21  attributes int16          61 records...
 *  23  lastOffsetDelta int32
 *
 * batchLength counts the bytes after itself, so a batch takes batchLength + LOG_OVERHEAD bytes.
 */
import { crc32c } from './crc.js';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORD_COUNT_OFFSET = 57;
/** Header bytes before the records: also the size of the smallest batch. */
export const BATCH_OVERHEAD = 61;
/** Bytes before batchLength's coverage starts: baseOffset + batchLength. */
export const LOG_OVERHEAD = 12;
/** Header bytes through lastOffsetDelta: enough to walk from batch to batch and know its offsets. */
export const BATCH_WALK_HEADER = LAST_OFFSET_DELTA_OFFSET + 4;
/** The magic byte of the batches this header describes. */
export const CURRENT_MAGIC = 2;

/** The int64 at `at` as a Number (rounded beyond 2^53, as Number(readBigInt64BE) would be). */
function int64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 4294967296 + buf.readUInt32BE(at + 4);
}

/** The int64 at `at` as a Number, or null when it is beyond 2^53 and a Number cannot hold it exactly. */
export function readInt53(buf: Buffer, at: number): number | null {
  const hi = buf.readInt32BE(at);
  if (hi > 0x1fffff || hi < -0x200000) return null;
  return hi * 4294967296 + buf.readUInt32BE(at + 4);
}

export function batchBaseOffset(buf: Buffer, pos: number): number {
  return int64(buf, pos + BASE_OFFSET_OFFSET);
}

/** The batchLength field: the bytes after it. */
export function batchLength(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
}

/** The whole batch's size in bytes, as its header claims. */
export function batchSize(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
}

export function batchPartitionLeaderEpoch(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET);
}

export function batchMagic(buf: Buffer, pos: number): number {
  return buf[pos + MAGIC_OFFSET]!;
}

/** The stored CRC-32C. */
export function batchCrc(buf: Buffer, pos: number): number {
  return buf.readUInt32BE(pos + CRC_OFFSET);
}

/** The CRC-32C of the batch's bytes as they are (attributes to the end), to compare with batchCrc. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf, pos + ATTRIBUTES_OFFSET, pos + size);
}

export function batchAttributes(buf: Buffer, pos: number): number {
  return buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
}

export function batchLastOffsetDelta(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
}

/** baseOffset + lastOffsetDelta. */
export function batchLastOffset(buf: Buffer, pos: number): number {
  return int64(buf, pos + BASE_OFFSET_OFFSET) + buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
}

export function batchBaseTimestamp(buf: Buffer, pos: number): number {
  return int64(buf, pos + BASE_TIMESTAMP_OFFSET);
}

export function batchMaxTimestamp(buf: Buffer, pos: number): number {
  return int64(buf, pos + MAX_TIMESTAMP_OFFSET);
}

export function batchProducerId(buf: Buffer, pos: number): number {
  return int64(buf, pos + PRODUCER_ID_OFFSET);
}

export function batchProducerEpoch(buf: Buffer, pos: number): number {
  return buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET);
}

export function batchBaseSequence(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
}

export function batchRecordCount(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + RECORD_COUNT_OFFSET);
}
