import { ProtocolError } from './errors.js';

/** A tagged field the reader did not know, kept so it can be written back unchanged. */
export interface UnknownTaggedField {
  tag: number;
  data: Buffer;
}

/**
 * Sequential reader over one Kafka frame. It never allocates more than the frame holds: every
 * length is checked against the bytes left before anything is sized from it, and byte-like fields
 * come back as views into the frame (no copy).
 */
export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (this.end - this.pos < n) {
      throw new ProtocolError('TRUNCATED', `needed ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128 varint of at most 5 bytes (32 bits), as Kafka's ByteUtils.readUnsignedVarint. */
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new ProtocolError('TRUNCATED', `varint runs past the end at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
    throw new ProtocolError('INVALID_VARINT', `varint longer than 5 bytes at offset ${this.pos}`);
  }

  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag signed varlong (64 bits), returned as a JS number: callers use it for deltas and lengths. */
  varlong(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtocolError('TRUNCATED', `varlong runs past the end at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if ((b & 0x80) === 0) {
        const u = BigInt.asUintN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
        const signed = (u >> 1n) ^ -(u & 1n);
        return Number(signed);
      }
      shift += 7;
    }
    throw new ProtocolError('INVALID_VARINT', `varlong longer than 10 bytes at offset ${this.pos}`);
  }

  uuid(): string {
    this.need(16);
    const s = this.buf.toString('base64url', this.pos, this.pos + 16);
    this.pos += 16;
    return s;
  }

  /** Length of a classic (int16) or compact (uvarint+1) string; -1 means null. */
  private stringLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int16();
    if (n < -1) throw new ProtocolError('NEGATIVE_LENGTH', `string length ${n} at offset ${this.pos}`);
    if (n > this.end - this.pos) throw new ProtocolError('LENGTH_TOO_LARGE', `string length ${n} exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }

  string(compact: boolean): string {
    const n = this.stringLength(compact);
    if (n < 0) throw new ProtocolError('NULL_NOT_ALLOWED', `null string where the field is not nullable, offset ${this.pos}`);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  nullableString(compact: boolean): string | null {
    const n = this.stringLength(compact);
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  private bytesLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new ProtocolError('NEGATIVE_LENGTH', `bytes length ${n} at offset ${this.pos}`);
    if (n > this.end - this.pos) throw new ProtocolError('LENGTH_TOO_LARGE', `bytes length ${n} exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }

  /** A view into the frame, not a copy. */
  bytes(compact: boolean): Buffer {
    const n = this.bytesLength(compact);
    if (n < 0) throw new ProtocolError('NULL_NOT_ALLOWED', `null bytes where the field is not nullable, offset ${this.pos}`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  nullableBytes(compact: boolean): Buffer | null {
    const n = this.bytesLength(compact);
    if (n < 0) return null;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Raw view of the next n bytes. */
  raw(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /**
   * Array length; -1 means null. Each element takes at least one byte on the wire, so a count
   * above the bytes left is malformed: checking it here bounds every allocation by the frame size.
   */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new ProtocolError('NEGATIVE_LENGTH', `array length ${n} at offset ${this.pos}`);
    if (n > this.end - this.pos) throw new ProtocolError('LENGTH_TOO_LARGE', `array length ${n} exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }

  nonNullArrayLength(compact: boolean): number {
    const n = this.arrayLength(compact);
    if (n < 0) throw new ProtocolError('NULL_NOT_ALLOWED', `null array where the field is not nullable, offset ${this.pos}`);
    return n;
  }

  array<T>(compact: boolean, readElement: (r: Reader) => T): T[] {
    const n = this.nonNullArrayLength(compact);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }

  nullableArray<T>(compact: boolean, readElement: (r: Reader) => T): T[] | null {
    const n = this.arrayLength(compact);
    if (n < 0) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = readElement(this);
    return out;
  }

  /**
   * Reads a tagged-field section, handing each known tag to `onTag` with a reader bounded to that
   * field's bytes. Tags `onTag` does not claim are returned so they can be written back.
   */
  taggedFields(onTag: ((tag: number, r: Reader) => boolean) | null): UnknownTaggedField[] | undefined {
    const count = this.uvarint();
    if (count > this.end - this.pos) throw new ProtocolError('LENGTH_TOO_LARGE', `tagged field count ${count} exceeds the bytes left`);
    let unknown: UnknownTaggedField[] | undefined;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      if (size > this.end - this.pos) throw new ProtocolError('LENGTH_TOO_LARGE', `tagged field ${tag} size ${size} exceeds the bytes left`);
      const fieldEnd = this.pos + size;
      if (onTag !== null) {
        const sub = new Reader(this.buf, this.pos, fieldEnd);
        if (onTag(tag, sub)) {
          this.pos = fieldEnd;
          continue;
        }
      }
      (unknown ??= []).push({ tag, data: this.buf.subarray(this.pos, fieldEnd) });
      this.pos = fieldEnd;
    }
    return unknown;
  }

  /** Throws unless the whole frame was consumed. */
  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new ProtocolError('TRAILING_BYTES', `${this.end - this.pos} bytes left over after ${what}`);
    }
  }
}
