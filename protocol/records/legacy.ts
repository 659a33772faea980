/**
 * Legacy message sets, magic 0 and 1 (Kafka's LegacyRecord / AbstractLegacyRecordBatch):
 *
 *   offset int64, messageSize int32, then the message:
 *   crc uint32 (CRC-32 of the rest), magic int8, attributes int8 (bits 0-2 compression, bit 3
 *   LogAppendTime in magic 1), [timestamp int64: magic 1 only], key bytes (int32 length, -1 null),
 *   value bytes (int32 length, -1 null).
 *
 * A compressed message wraps a whole inner message set in its value; in magic 1 the inner offsets
 * are relative and the wrapper carries the last absolute offset.
 *
 * Samsa stores only v2 batches: v0-v2 Produce requests are converted up on the way in, and Fetch
 * v0-v3 consumers get messages converted down, uncompressed (Kafka's down-conversion also
 * recompresses; an uncompressed answer is always readable and avoids burning CPU for old clients).
 */
import { ProtocolError } from '../codec/errors.js';
import { buildBatch, readRecords, scanBatches, type RecordInput } from './batch.js';
import { compress, decompress, DEFAULT_MAX_DECOMPRESSED_BYTES } from './compression.js';
import { crc32 } from './crc.js';

const OFFSET_AND_SIZE = 12;

export interface LegacyMessage {
  offset: number;
  magic: number;
  timestamp: number;
  /** 1 when a magic 1 wrapper marked its messages LogAppendTime. */
  timestampType: 0 | 1;
  key: Buffer | null;
  value: Buffer | null;
}

function corrupt(msg: string): ProtocolError {
  return new ProtocolError('CORRUPT_RECORD', msg);
}

function lengthPrefixed(buf: Buffer, pos: number, end: number): [Buffer | null, number] {
  if (end - pos < 4) throw corrupt('truncated legacy message field');
  const n = buf.readInt32BE(pos);
  pos += 4;
  if (n < 0) return [null, pos];
  if (n > end - pos) throw corrupt(`legacy message field of ${n} bytes overruns the message`);
  return [buf.subarray(pos, pos + n), pos + n];
}

/**
 * Reads a message set, flattening compressed wrappers; validates sizes and CRC-32s. A wrapper's
 * messages may take at most `maxDecompressedBytes` once decompressed.
 */
export function readMessageSet(buf: Buffer, depth = 0, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < OFFSET_AND_SIZE) throw corrupt('truncated legacy message header');
    const offset = Number(buf.readBigInt64BE(pos));
    const size = buf.readInt32BE(pos + 8);
    const start = pos + OFFSET_AND_SIZE;
    const end = start + size;
    if (size < 14 || end > buf.length) throw corrupt(`legacy message of ${size} bytes at byte ${pos} overruns the set`);
    const crc = buf.readUInt32BE(start);
    if (crc !== crc32(buf, start + 4, end)) throw corrupt(`legacy message at byte ${pos} fails its CRC`);
    const magic = buf[start + 4]!;
    if (magic > 1) throw new ProtocolError('UNSUPPORTED_MAGIC', `magic ${magic} inside a legacy message set`);
    const attributes = buf[start + 5]!;
    let p = start + 6;
    let timestamp = -1;
    if (magic === 1) {
      if (end - p < 8) throw corrupt('truncated legacy timestamp');
      timestamp = Number(buf.readBigInt64BE(p));
      p += 8;
    }
    const [key, afterKey] = lengthPrefixed(buf, p, end);
    const [value] = lengthPrefixed(buf, afterKey, end);
    const codec = attributes & 0x07;
    const logAppendTime = magic === 1 && (attributes & 0x08) !== 0;
    if (codec === 0) out.push({ offset, magic, timestamp, timestampType: logAppendTime ? 1 : 0, key, value });
    else {
      if (depth > 0) throw corrupt('nested compressed legacy message');
      if (value === null) throw corrupt('compressed legacy message without a value');
      const inner = readMessageSet(decompress(codec, value, maxDecompressedBytes), depth + 1);
      // Magic 1 wrappers hold the absolute offset of their last inner message (KIP-31).
      const base = magic === 1 && inner.length > 0 ? offset - inner[inner.length - 1]!.offset : 0;
      // A LogAppendTime wrapper's timestamp replaces its messages' own (Kafka's AbstractLegacyRecordBatch).
      for (const m of inner) {
        out.push({
          ...m,
          offset: magic === 1 ? base + m.offset : m.offset,
          timestamp: logAppendTime || m.timestamp < 0 ? timestamp : m.timestamp,
          timestampType: logAppendTime ? 1 : 0,
        });
      }
    }
    pos = end;
  }
  return out;
}

/** Converts a magic 0/1 message set into one v2 batch, keeping the wrapper's compression. */
export function upConvertToV2(buf: Buffer, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  const messages = readMessageSet(buf, 0, maxDecompressedBytes);
  if (messages.length === 0) throw corrupt('empty legacy message set');
  let codec = 0;
  if (buf.length >= OFFSET_AND_SIZE + 6) codec = buf[OFFSET_AND_SIZE + 5]! & 0x07;
  const records: RecordInput[] = messages.map((m, i) => ({ key: m.key, value: m.value, headers: [], timestamp: m.timestamp, offsetDelta: i }));
  return buildBatch({ baseOffset: 0, records, compression: codec, logAppendTime: messages.every((m) => m.timestampType === 1) });
}

function writeMessage(offset: number, magic: 0 | 1, timestamp: number, key: Buffer | null, value: Buffer | null, attributes: number): Buffer {
  const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0);
  const out = Buffer.allocUnsafe(OFFSET_AND_SIZE + size);
  out.writeBigInt64BE(BigInt(offset), 0);
  out.writeInt32BE(size, 8);
  let p = OFFSET_AND_SIZE + 4;
  out[p++] = magic;
  out[p++] = attributes;
  if (magic === 1) {
    out.writeBigInt64BE(BigInt(timestamp), p);
    p += 8;
  }
  for (const b of [key, value]) {
    if (b === null) {
      out.writeInt32BE(-1, p);
      p += 4;
    } else {
      out.writeInt32BE(b.length, p);
      p += 4;
      b.copy(out, p);
      p += b.length;
    }
  }
  out.writeUInt32BE(crc32(out, OFFSET_AND_SIZE + 4, out.length), OFFSET_AND_SIZE);
  return out;
}

/**
 * Converts v2 batches (a fetch's record data, possibly ending in a partial batch) into an
 * uncompressed magic 0 or 1 message set with absolute offsets. Control batches are dropped, as old
 * consumers cannot read them.
 */
export function downConvert(buf: Buffer, magic: 0 | 1): Buffer {
  const parts: Buffer[] = [];
  for (const b of scanBatches(buf, { allowPartialTail: true, skipCrc: true })) {
    if (b.isControl) continue;
    const attributes = magic === 1 && b.timestampType === 1 ? 0x08 : 0;
    for (const r of readRecords(buf, b)) {
      const ts = b.timestampType === 1 ? b.maxTimestamp : r.timestamp;
      parts.push(writeMessage(r.offset, magic, ts, r.key, r.value, attributes));
    }
  }
  return Buffer.concat(parts);
}

/** Builds a legacy message set (tests and tools), optionally compressed in one wrapper. */
export function buildMessageSet(magic: 0 | 1, messages: Array<{ key: Buffer | null; value: Buffer | null; timestamp?: number }>, codec = 0): Buffer {
  const inner = Buffer.concat(messages.map((m, i) => writeMessage(i, magic, m.timestamp ?? -1, m.key, m.value, 0)));
  if (codec === 0) return inner;
  const last = messages.length - 1;
  return writeMessage(magic === 1 ? last : last, magic, messages[last]?.timestamp ?? -1, null, compress(codec, inner), codec);
}
