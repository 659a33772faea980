import type { UnknownTaggedField } from './reader.js';

/** Buffers at least this large are referenced, not copied, so record data reaches writev untouched. */
const RAW_REFERENCE_THRESHOLD = 512;
const INITIAL_CHUNK = 256;
const MAX_CHUNK = 64 * 1024;

const textEncoder = new TextEncoder();

/**
 * Growable output that ends as a list of buffers: small fields are packed into chunks, large byte
 * slices (record batches read from segment files) are kept by reference. `finish()` hands the list
 * to `socket.writev`/`cork` without ever concatenating.
 */
export class Writer {
  private readonly out: Buffer[] = [];
  private chunk: Buffer;
  /** Size of the last chunk allocated: the next is twice that, up to MAX_CHUNK. */
  private chunkSize: number;
  private pos = 0;
  private flushedBytes = 0;

  constructor(initialSize = INITIAL_CHUNK) {
    this.chunk = Buffer.allocUnsafe(initialSize);
    this.chunkSize = initialSize;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushedBytes + this.pos;
  }

  private ensure(n: number): void {
    if (this.chunk.length - this.pos >= n) return;
    this.flushChunk();
    // Grow from the last allocation, not from the tail left after a flush: sizing by the tail
    // shrank chunks to a few bytes, so a response of many small fields became a buffer each.
    this.chunkSize = Math.max(n, Math.min(MAX_CHUNK, this.chunkSize * 2));
    this.chunk = Buffer.allocUnsafe(this.chunkSize);
  }

  private flushChunk(): void {
    if (this.pos > 0) {
      this.out.push(this.chunk.subarray(0, this.pos));
      this.flushedBytes += this.pos;
      this.chunk = this.chunk.subarray(this.pos);
      this.pos = 0;
    }
  }

  int8(v: number): void {
    this.ensure(1);
    this.chunk.writeInt8(v, this.pos);
    this.pos += 1;
  }

  uint8(v: number): void {
    this.ensure(1);
    this.chunk[this.pos++] = v;
  }

  bool(v: boolean): void {
    this.uint8(v ? 1 : 0);
  }

  int16(v: number): void {
    this.ensure(2);
    this.chunk.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.chunk.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.chunk.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.chunk.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  int64(v: bigint): void {
    this.ensure(8);
    this.chunk.writeBigInt64BE(v, this.pos);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.chunk.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  uvarint(v: number): void {
    this.ensure(5);
    let u = v >>> 0;
    while (u >= 0x80) {
      this.chunk[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.chunk[this.pos++] = u;
  }

  varint(v: number): void {
    this.uvarint((v << 1) ^ (v >> 31));
  }

  varlong(v: number | bigint): void {
    let u = BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n));
    this.ensure(10);
    while (u >= 0x80n) {
      this.chunk[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.chunk[this.pos++] = Number(u);
  }

  uuid(v: string): void {
    this.ensure(16);
    const written = this.chunk.write(v, this.pos, 16, 'base64url');
    if (written !== 16) throw new RangeError(`invalid uuid ${JSON.stringify(v)}`);
    this.pos += 16;
  }

  private utf8(v: string): Buffer | null {
    // ASCII fast path: one byte per char, written straight into the chunk by the caller.
    for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) > 0x7f) return Buffer.from(textEncoder.encode(v));
    return null;
  }

  string(v: string, compact: boolean): void {
    const encoded = this.utf8(v);
    const n = encoded === null ? v.length : encoded.length;
    if (compact) this.uvarint(n + 1);
    else {
      if (n > 0x7fff) throw new RangeError(`string of ${n} bytes is too long for an int16 length`);
      this.int16(n);
    }
    if (encoded === null) {
      this.ensure(n);
      this.chunk.write(v, this.pos, n, 'latin1');
      this.pos += n;
    } else this.raw(encoded);
  }

  nullableString(v: string | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int16(-1);
    } else this.string(v, compact);
  }

  bytes(v: Buffer, compact: boolean): void {
    if (compact) this.uvarint(v.length + 1);
    else this.int32(v.length);
    this.raw(v);
  }

  nullableBytes(v: Buffer | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
    } else this.bytes(v, compact);
  }

  /** Record data: one buffer or a list of buffers written back to back, with one length prefix. */
  records(v: Buffer | readonly Buffer[] | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
      return;
    }
    if (Buffer.isBuffer(v)) {
      this.bytes(v, compact);
      return;
    }
    let n = 0;
    for (const b of v) n += b.length;
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
    for (const b of v) this.raw(b);
  }

  arrayLength(n: number, compact: boolean): void {
    if (compact) this.uvarint(n + 1);
    else this.int32(n);
  }

  nullArrayLength(compact: boolean): void {
    if (compact) this.uvarint(0);
    else this.int32(-1);
  }

  array<T>(xs: readonly T[], compact: boolean, writeElement: (w: Writer, x: T) => void): void {
    this.arrayLength(xs.length, compact);
    for (let i = 0; i < xs.length; i++) writeElement(this, xs[i]!);
  }

  nullableArray<T>(xs: readonly T[] | null, compact: boolean, writeElement: (w: Writer, x: T) => void): void {
    if (xs === null) this.nullArrayLength(compact);
    else this.array(xs, compact, writeElement);
  }

  /** Appends bytes: small ones are copied into the current chunk, large ones referenced. */
  raw(b: Buffer): void {
    if (b.length >= RAW_REFERENCE_THRESHOLD) {
      this.flushChunk();
      this.out.push(b);
      this.flushedBytes += b.length;
      return;
    }
    this.ensure(b.length);
    b.copy(this.chunk, this.pos);
    this.pos += b.length;
  }

  /** Reserves 4 bytes for an int32 filled in later (a frame's size prefix); returns a setter. */
  reserveInt32(): (v: number) => void {
    this.ensure(4);
    const target = this.chunk;
    const at = this.pos;
    this.pos += 4;
    return (v: number) => {
      target.writeInt32BE(v, at);
    };
  }

  /**
   * Writes a tagged-field section: `known` are [tag, encoder] pairs for tags with non-default
   * values, already in ascending tag order; `unknown` are fields read and kept from the wire.
   */
  taggedFields(known: ReadonlyArray<readonly [number, (w: Writer) => void]> | null, unknown: readonly UnknownTaggedField[] | undefined): void {
    const knownCount = known === null ? 0 : known.length;
    const unknownCount = unknown === undefined ? 0 : unknown.length;
    this.uvarint(knownCount + unknownCount);
    if (knownCount + unknownCount === 0) return;
    const entries: Array<{ tag: number; write: () => void }> = [];
    if (known !== null) {
      for (const [tag, enc] of known) {
        entries.push({
          tag,
          write: () => {
            const sub = new Writer(64);
            enc(sub);
            this.uvarint(tag);
            this.uvarint(sub.length);
            for (const b of sub.finish()) this.raw(b);
          },
        });
      }
    }
    if (unknown !== undefined) {
      for (const f of unknown) {
        entries.push({
          tag: f.tag,
          write: () => {
            this.uvarint(f.tag);
            this.uvarint(f.data.length);
            this.raw(f.data);
          },
        });
      }
    }
    entries.sort((a, b) => a.tag - b.tag);
    for (const e of entries) e.write();
  }

  /** The written bytes as a list of buffers, for writev. The writer must not be used after. */
  finish(): Buffer[] {
    this.flushChunk();
    return this.out;
  }

  /** The written bytes as one buffer (tests and small control messages; not for hot paths). */
  toBuffer(): Buffer {
    const parts = this.finish();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.flushedBytes);
  }
}
