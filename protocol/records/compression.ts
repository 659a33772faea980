/**
 * Record compression codecs, by the id in a batch's attributes (bits 0-2):
 *   1 gzip    node:zlib
 *   2 snappy  `snappy` (napi). Decompression accepts raw snappy (librdkafka, kafkajs-snappy) and
 *             Kafka's xerial framing (Java's SnappyOutputStream): 16-byte header
 *             [0x82 'SNAPPY' 0x00][int32 version][int32 compatible], then [int32 len][block]...
 *             Compression writes xerial framing, as the Java producer does; every client reads it.
 *   3 lz4     `lz4-napi`, LZ4 frame format (KafkaLZ4BlockOutputStream).
 *   4 zstd    `zstd-napi`.
 * Decompressed output is bounded by `maxBytes` so a small "bomb" cannot exhaust memory.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { ProtocolError } from '../codec/errors.js';

// The native codecs load on first use: most brokers never see some of them, and start-up
// should not pay for loading them.
const requireNative = createRequire(import.meta.url);
let lz4: typeof import('lz4-napi') | null = null;
let snappy: typeof import('snappy') | null = null;
let zstd: typeof import('zstd-napi') | null = null;
const lz4Lib = (): typeof import('lz4-napi') => (lz4 ??= requireNative('lz4-napi') as typeof import('lz4-napi'));
const snappyLib = (): typeof import('snappy') => (snappy ??= requireNative('snappy') as typeof import('snappy'));
const zstdLib = (): typeof import('zstd-napi') => (zstd ??= requireNative('zstd-napi') as typeof import('zstd-napi'));
const snappyCompress = (b: Buffer): Buffer => snappyLib().compressSync(b);
const snappyUncompress = (b: Buffer): Buffer => snappyLib().uncompressSync(b) as Buffer;

export const CompressionType = {
  None: 0,
  Gzip: 1,
  Snappy: 2,
  Lz4: 3,
  Zstd: 4,
} as const;
export type CompressionTypeValue = (typeof CompressionType)[keyof typeof CompressionType];

export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** Largest decompressed record set accepted (Kafka bounds it by the batch's own size limits). */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK_SIZE = 32 * 1024;

function tooLarge(size: number, max: number): ProtocolError {
  return new ProtocolError('CORRUPT_RECORD', `decompressed records of ${size} bytes exceed the limit of ${max}`);
}

function corrupt(codec: string, e: unknown): ProtocolError {
  return new ProtocolError('CORRUPT_RECORD', `invalid ${codec} data: ${e instanceof Error ? e.message : String(e)}`);
}

/** Raw snappy starts with the uncompressed length as a varint; check it before allocating. */
function snappyLength(buf: Buffer): number {
  let v = 0;
  for (let i = 0, shift = 0; i < 5 && i < buf.length; i++, shift += 7) {
    const b = buf[i]!;
    v += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return v;
  }
  throw new ProtocolError('CORRUPT_RECORD', 'invalid snappy length');
}

function snappyBlock(block: Buffer, max: number): Buffer {
  const n = snappyLength(block);
  if (n > max) throw tooLarge(n, max);
  try {
    return snappyUncompress(block);
  } catch (e) {
    throw corrupt('snappy', e);
  }
}

function snappyDecompress(data: Buffer, max: number): Buffer {
  if (data.length < XERIAL_HEADER_SIZE || !data.subarray(0, 8).equals(XERIAL_MAGIC)) return snappyBlock(data, max);
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw new ProtocolError('CORRUPT_RECORD', 'truncated xerial snappy block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) throw new ProtocolError('CORRUPT_RECORD', `xerial snappy block of ${len} bytes overruns the data`);
    const block = snappyBlock(data.subarray(pos, pos + len), max - total);
    parts.push(block);
    total += block.length;
    pos += len;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

function snappyCompressXerial(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    const block = snappyCompress(data.subarray(pos, Math.min(data.length, pos + XERIAL_BLOCK_SIZE)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** zstd frames may declare their content size; refuse a declared size over the limit. */
function zstdDeclaredSize(data: Buffer): number {
  if (data.length < 6 || data.readUInt32LE(0) !== 0xfd2fb528) return -1;
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdFlag = fhd & 3;
  let pos = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictIdFlag]!;
  const size = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [1, 2, 4, 8][fcsFlag]!;
  if (size === 0 || data.length < pos + size) return -1;
  switch (size) {
    case 1:
      return data[pos]!;
    case 2:
      return data.readUInt16LE(pos) + 256;
    case 4:
      return data.readUInt32LE(pos);
    default:
      pos += 0;
      return Number(data.readBigUInt64LE(pos));
  }
}

const ZSTD_CHUNK = 128 * 1024;
// The native binding is CommonJS with a computed require, so ESM cannot see its named exports.
let zstdBindingLib: typeof import('zstd-napi/binding.js') | null = null;
const zstdBinding = (): typeof import('zstd-napi/binding.js') => (zstdBindingLib ??= requireNative('zstd-napi/binding.js') as typeof import('zstd-napi/binding.js'));

/**
 * Streaming zstd decompression that stops as soon as the output passes `maxBytes`, so a frame
 * without a declared size cannot make us allocate more than the limit (a decompression bomb).
 */
function zstdDecompressBounded(data: Buffer, maxBytes: number): Buffer {
  const dctx = new (zstdBinding().DCtx)();
  const chunks: Buffer[] = [];
  let total = 0;
  let src: Buffer = data;
  let inFrame = false;
  try {
    for (;;) {
      const dst = Buffer.allocUnsafe(Math.min(ZSTD_CHUNK, maxBytes - total + 1));
      const [ret, produced, consumed] = dctx.decompressStream(dst, src);
      src = src.subarray(consumed);
      if (produced > 0) {
        total += produced;
        if (total > maxBytes) throw tooLarge(total, maxBytes);
        chunks.push(dst.subarray(0, produced));
      }
      inFrame = ret !== 0;
      if (src.length === 0 && (!inFrame || (produced === 0 && consumed === 0))) break;
      if (produced === 0 && consumed === 0) throw new Error('no progress');
    }
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw corrupt('zstd', e);
  }
  if (inFrame) throw corrupt('zstd', new Error('the frame is cut short'));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

export function decompress(type: number, data: Buffer, maxBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): Buffer {
  let out: Buffer;
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      try {
        out = gunzipSync(data, { maxOutputLength: maxBytes });
      } catch (e) {
        if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes + 1, maxBytes);
        throw corrupt('gzip', e);
      }
      return out;
    case CompressionType.Snappy:
      return snappyDecompress(data, maxBytes);
    case CompressionType.Lz4:
      try {
        out = lz4Lib().decompressFrameSync(data);
      } catch (e) {
        throw corrupt('lz4', e);
      }
      if (out.length > maxBytes) throw tooLarge(out.length, maxBytes);
      return out;
    case CompressionType.Zstd: {
      const declared = zstdDeclaredSize(data);
      if (declared > maxBytes) throw tooLarge(declared, maxBytes);
      return zstdDecompressBounded(data, maxBytes);
    }
    default:
      throw new ProtocolError('UNSUPPORTED_COMPRESSION', `unknown compression type ${type}`);
  }
}

export function compress(type: number, data: Buffer): Buffer {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return gzipSync(data);
    case CompressionType.Snappy:
      return snappyCompressXerial(data);
    case CompressionType.Lz4:
      return lz4Lib().compressFrameSync(data);
    case CompressionType.Zstd:
      return zstdLib().compress(data);
    default:
      throw new ProtocolError('UNSUPPORTED_COMPRESSION', `unknown compression type ${type}`);
  }
}
