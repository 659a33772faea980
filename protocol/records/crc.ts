/**
 * CRC-32C (Castagnoli; record batches v2) and CRC-32 (IEEE; legacy messages v0/v1), computed by
 * @node-rs/crc32's SIMD code over views into the caller's buffer: no copy.
 */
import { crc32 as crc32Ieee, crc32c as crc32Castagnoli } from '@node-rs/crc32';

export function crc32c(buf: Buffer, start = 0, end = buf.length): number {
  return crc32Castagnoli(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
}

export function crc32(buf: Buffer, start = 0, end = buf.length): number {
  return crc32Ieee(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
}
