/**
 * Record batches, magic 2 (Kafka's DefaultRecordBatch); the header layout and its field readers
 * are in batch-header.ts. attributes: bits 0-2 compression, bit 3 timestamp type
 * (1 = LogAppendTime), bit 4 transactional, bit 5 control, bit 6 delete horizon set. Each record:
 * varint length, int8 attributes, varlong timestampDelta, varint offsetDelta, varint keyLength +
 * key, varint valueLength + value, varint header count, then per header varint keyLength + key,
 * varint valueLength + value (-1 = null).
 *
 * The produce and fetch paths treat batches as opaque: `scanBatches` validates headers and CRCs
 * without touching records; base offset and leader epoch sit outside the CRC and are rewritten in
 * place. Offsets and timestamps are JS numbers, checked to stay within 2^53.
 */
import { ProtocolError } from '../codec/errors.js';
import { compress, decompress } from './compression.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  BATCH_OVERHEAD,
  batchAttributes,
  batchBaseSequence,
  batchCrc,
  batchLastOffsetDelta,
  batchLength,
  batchMagic,
  batchPartitionLeaderEpoch,
  batchProducerEpoch,
  batchRecordCount,
  batchSize,
  computeBatchCrc,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_COUNT_OFFSET,
} from './batch-header.js';

// Sizes that users of buildBatch and scanBatches need alongside them.
export { BATCH_OVERHEAD, LOG_OVERHEAD, MAGIC_OFFSET } from './batch-header.js';

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_LOG_APPEND_TIME = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

/** Header facts of one batch and where it sits in the buffer that was scanned. */
export interface BatchInfo {
  position: number;
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  recordCount: number;
  attributes: number;
  compression: number;
  timestampType: 0 | 1;
  isTransactional: boolean;
  isControl: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  partitionLeaderEpoch: number;
}

function corrupt(msg: string): ProtocolError {
  return new ProtocolError('CORRUPT_RECORD', msg);
}

function safeInt64(buf: Buffer, at: number, what: string): number {
  const v = buf.readBigInt64BE(at);
  if (v > 9007199254740991n || v < -9007199254740991n) throw corrupt(`${what} ${v} is beyond 2^53`);
  return Number(v);
}

export function readBatchInfo(buf: Buffer, pos: number): BatchInfo {
  const attributes = batchAttributes(buf, pos);
  return {
    position: pos,
    size: batchSize(buf, pos),
    baseOffset: safeInt64(buf, pos, 'base offset'),
    lastOffsetDelta: batchLastOffsetDelta(buf, pos),
    recordCount: batchRecordCount(buf, pos),
    attributes,
    compression: attributes & ATTR_COMPRESSION_MASK,
    timestampType: attributes & ATTR_LOG_APPEND_TIME ? 1 : 0,
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    baseTimestamp: safeInt64(buf, pos + BASE_TIMESTAMP_OFFSET, 'base timestamp'),
    maxTimestamp: safeInt64(buf, pos + MAX_TIMESTAMP_OFFSET, 'max timestamp'),
    producerId: safeInt64(buf, pos + PRODUCER_ID_OFFSET, 'producer id'),
    producerEpoch: batchProducerEpoch(buf, pos),
    baseSequence: batchBaseSequence(buf, pos),
    partitionLeaderEpoch: batchPartitionLeaderEpoch(buf, pos),
  };
}

export interface ScanOptions {
  /** Stop quietly at a trailing partial batch (fetch responses and torn log tails have them). */
  allowPartialTail?: boolean;
  /** Skip CRC checks (the log re-reading batches it validated itself). */
  skipCrc?: boolean;
}

/**
 * Validates a concatenation of v2 batches (sizes, magic, CRC-32C, counts) and returns their
 * headers. No record is decoded and nothing is copied.
 */
export function scanBatches(buf: Buffer, opts: ScanOptions = {}): BatchInfo[] {
  const out: BatchInfo[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const left = buf.length - pos;
    if (left < BATCH_OVERHEAD) {
      if (opts.allowPartialTail) break;
      throw corrupt(`${left} trailing bytes are too few for a record batch`);
    }
    const length = batchLength(buf, pos);
    const size = length + LOG_OVERHEAD;
    if (length < BATCH_OVERHEAD - LOG_OVERHEAD) throw corrupt(`batch length ${length} at byte ${pos} is below the minimum`);
    if (size > left) {
      if (opts.allowPartialTail) break;
      throw corrupt(`batch of ${size} bytes at byte ${pos} overruns the ${left} bytes left`);
    }
    const magic = batchMagic(buf, pos);
    if (magic !== CURRENT_MAGIC) throw new ProtocolError('UNSUPPORTED_MAGIC', `record batch magic ${magic} at byte ${pos}; expected 2`);
    if (!opts.skipCrc) {
      const stored = batchCrc(buf, pos);
      const computed = computeBatchCrc(buf, pos, size);
      if (stored !== computed) throw corrupt(`record batch at byte ${pos} has CRC ${stored.toString(16)}, computed ${computed.toString(16)}`);
    }
    const info = readBatchInfo(buf, pos);
    if (info.compression > 4) throw new ProtocolError('UNSUPPORTED_COMPRESSION', `unknown compression type ${info.compression} in batch at byte ${pos}`);
    if (info.recordCount < 0) throw corrupt(`negative record count ${info.recordCount}`);
    if (info.lastOffsetDelta < 0) throw corrupt(`negative last offset delta ${info.lastOffsetDelta}`);
    if (info.compression === 0 && info.recordCount > size - BATCH_OVERHEAD) throw corrupt(`record count ${info.recordCount} cannot fit in ${size} bytes`);
    out.push(info);
    pos += size;
  }
  return out;
}

export function setBaseOffset(buf: Buffer, position: number, offset: number): void {
  buf.writeBigInt64BE(BigInt(offset), position + BASE_OFFSET_OFFSET);
}

export function setPartitionLeaderEpoch(buf: Buffer, position: number, epoch: number): void {
  buf.writeInt32BE(epoch, position + PARTITION_LEADER_EPOCH_OFFSET);
}

/** Marks a batch LogAppendTime with `timestamp` as its max timestamp and recomputes its CRC. */
export function setLogAppendTime(buf: Buffer, position: number, timestamp: number): void {
  const size = batchSize(buf, position);
  buf.writeInt16BE(batchAttributes(buf, position) | ATTR_LOG_APPEND_TIME, position + ATTRIBUTES_OFFSET);
  buf.writeBigInt64BE(BigInt(timestamp), position + MAX_TIMESTAMP_OFFSET);
  buf.writeUInt32BE(computeBatchCrc(buf, position, size), position + CRC_OFFSET);
}

// ---- records ---------------------------------------------------------------------------------

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface Record {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Fast zig-zag varint reading over a bounded region; every length is checked against `end`. */
class VarReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  varint(): number {
    let u = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw new ProtocolError('TRUNCATED', 'varint runs past the record');
      const b = this.buf[this.pos++]!;
      u |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (u >>> 1) ^ -(u & 1);
    }
    throw new ProtocolError('INVALID_VARINT', 'varint longer than 5 bytes in a record');
  }

  varlong(): number {
    let u = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new ProtocolError('TRUNCATED', 'varlong runs past the record');
      const b = this.buf[this.pos++]!;
      u |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number((u >> 1n) ^ -(u & 1n));
    }
    throw new ProtocolError('INVALID_VARINT', 'varlong longer than 10 bytes in a record');
  }

  bytes(): Buffer | null {
    const n = this.varint();
    if (n < 0) return null;
    if (n > this.end - this.pos) throw corrupt(`record field of ${n} bytes overruns the record`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** The records area of a batch, decompressed when needed. */
function recordsArea(buf: Buffer, b: BatchInfo): Buffer {
  const area = buf.subarray(b.position + BATCH_OVERHEAD, b.position + b.size);
  return b.compression === 0 ? area : decompress(b.compression, area);
}

/** Decodes every record of a batch (decompressing it if needed). */
export function readRecords(buf: Buffer, b: BatchInfo): Record[] {
  const area = recordsArea(buf, b);
  const r = new VarReader(area, 0, area.length);
  const out: Record[] = [];
  for (let i = 0; i < b.recordCount; i++) {
    const len = r.varint();
    if (len < 0 || len > r.end - r.pos) throw corrupt(`record of ${len} bytes overruns the batch`);
    const rec = new VarReader(area, r.pos, r.pos + len);
    rec.pos++; // attributes: unused in v2
    const timestampDelta = rec.varlong();
    const offsetDelta = rec.varint();
    const key = rec.bytes();
    const value = rec.bytes();
    const headerCount = rec.varint();
    if (headerCount < 0 || headerCount > rec.end - rec.pos) throw corrupt(`header count ${headerCount} overruns the record`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const hk = rec.bytes();
      if (hk === null) throw corrupt('null header key');
      headers.push({ key: hk.toString('utf8'), value: rec.bytes() });
    }
    out.push({ offset: b.baseOffset + offsetDelta, timestamp: b.baseTimestamp + timestampDelta, key, value, headers });
    r.pos += len;
  }
  // Kafka: "Incorrect declared batch size, records still remaining in file".
  if (r.pos !== area.length) throw corrupt(`${area.length - r.pos} bytes remain after the ${b.recordCount} records the batch declares`);
  return out;
}

/**
 * Indexes within batch `b` of the records whose key is null (compacted topics reject those, and
 * Kafka names each one in the produce response's record errors, KIP-467).
 */
export function nullKeyRecordIndexes(buf: Buffer, b: BatchInfo): number[] {
  const area = recordsArea(buf, b);
  const r = new VarReader(area, 0, area.length);
  const out: number[] = [];
  for (let i = 0; i < b.recordCount; i++) {
    const len = r.varint();
    if (len < 0 || len > r.end - r.pos) throw corrupt(`record of ${len} bytes overruns the batch`);
    const rec = new VarReader(area, r.pos, r.pos + len);
    rec.pos++;
    rec.varlong();
    rec.varint();
    if (rec.varint() < 0) out.push(i);
    r.pos += len;
  }
  return out;
}

/** Whether any record of batch `b` has a null key (compacted topics reject those). */
export function recordsHaveNullKey(buf: Buffer, b: BatchInfo): boolean {
  return nullKeyRecordIndexes(buf, b).length > 0;
}

// ---- building --------------------------------------------------------------------------------

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp: number;
  offsetDelta?: number;
}

export interface BuildBatchOptions {
  baseOffset: number;
  records: RecordInput[];
  compression?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  partitionLeaderEpoch?: number;
  logAppendTime?: boolean;
}

function varintSize(v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

function varlongBytes(v: number): number[] {
  let u = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return out;
}

class GrowBuffer {
  buf = Buffer.allocUnsafe(1024);
  pos = 0;
  ensure(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  varint(v: number): void {
    this.ensure(5);
    let u = ((v << 1) ^ (v >> 31)) >>> 0;
    while (u >= 0x80) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
  }
  bytes(b: Buffer | null): void {
    if (b === null) {
      this.varint(-1);
      return;
    }
    this.varint(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  raw(bytes: number[]): void {
    this.ensure(bytes.length);
    for (const x of bytes) this.buf[this.pos++] = x;
  }
}

/** Encodes a v2 batch (compressing its records when asked) with a valid CRC. */
export function buildBatch(opts: BuildBatchOptions): Buffer {
  const records = opts.records;
  const baseTimestamp = records.length > 0 ? records[0]!.timestamp : -1;
  let maxTimestamp = -1;
  const body = new GrowBuffer();
  records.forEach((rec, i) => {
    const delta = rec.offsetDelta ?? i;
    if (rec.timestamp > maxTimestamp) maxTimestamp = rec.timestamp;
    const ts = varlongBytes(rec.timestamp - baseTimestamp);
    const keyLen = rec.key === null ? 1 : varintSize(rec.key.length) + rec.key.length;
    const valLen = rec.value === null ? 1 : varintSize(rec.value.length) + rec.value.length;
    const headers = rec.headers ?? [];
    let hLen = varintSize(headers.length);
    const hKeys = headers.map((h) => Buffer.from(h.key, 'utf8'));
    headers.forEach((h, k) => {
      hLen += varintSize(hKeys[k]!.length) + hKeys[k]!.length + (h.value === null ? 1 : varintSize(h.value.length) + h.value.length);
    });
    const len = 1 + ts.length + varintSize(delta) + keyLen + valLen + hLen;
    body.varint(len);
    body.raw([0]);
    body.raw(ts);
    body.varint(delta);
    body.bytes(rec.key);
    body.bytes(rec.value);
    body.varint(headers.length);
    headers.forEach((h, k) => {
      body.bytes(hKeys[k]!);
      body.bytes(h.value);
    });
  });
  const compression = opts.compression ?? 0;
  const area = compress(compression, body.buf.subarray(0, body.pos));
  const size = BATCH_OVERHEAD + area.length;
  const out = Buffer.allocUnsafe(size);
  out.writeBigInt64BE(BigInt(opts.baseOffset), BASE_OFFSET_OFFSET);
  out.writeInt32BE(size - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_OFFSET);
  out[MAGIC_OFFSET] = CURRENT_MAGIC;
  let attributes = compression;
  if (opts.logAppendTime) attributes |= ATTR_LOG_APPEND_TIME;
  if (opts.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.isControl) attributes |= ATTR_CONTROL;
  out.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  const lastDelta = records.length > 0 ? (records[records.length - 1]!.offsetDelta ?? records.length - 1) : 0;
  out.writeInt32BE(lastDelta, LAST_OFFSET_DELTA_OFFSET);
  out.writeBigInt64BE(BigInt(baseTimestamp), BASE_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(BigInt(maxTimestamp), MAX_TIMESTAMP_OFFSET);
  out.writeBigInt64BE(BigInt(opts.producerId ?? -1), PRODUCER_ID_OFFSET);
  out.writeInt16BE(opts.producerEpoch ?? -1, PRODUCER_EPOCH_OFFSET);
  out.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE_OFFSET);
  out.writeInt32BE(records.length, RECORD_COUNT_OFFSET);
  area.copy(out, BATCH_OVERHEAD);
  out.writeUInt32BE(computeBatchCrc(out, 0, size), CRC_OFFSET);
  return out;
}
