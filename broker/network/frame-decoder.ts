/**
 * Splits a TCP byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
 * A frame wholly inside one chunk is handed out as a view (no copy); one spanning chunks is
 * assembled once into a buffer of exactly its size. The size is checked against the limit
 * (`socket.request.max.bytes`) before anything is allocated for it.
 */
export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(size < 0 ? `negative frame size ${size}` : `frame of ${size} bytes exceeds socket.request.max.bytes ${limit}`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextSize = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Feeds one chunk; calls `onFrame` for every complete frame. Throws FrameTooLargeError. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    if (this.buffered === 0) {
      // Fast path: parse frames straight out of the chunk.
      let pos = 0;
      while (chunk.length - pos >= 4) {
        const size = chunk.readInt32BE(pos);
        this.check(size);
        if (chunk.length - pos - 4 < size) break;
        onFrame(chunk.subarray(pos + 4, pos + 4 + size));
        pos += 4 + size;
      }
      if (pos === chunk.length) return;
      chunk = chunk.subarray(pos);
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.drain(onFrame);
  }

  private check(size: number): void {
    if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
  }

  private drain(onFrame: (frame: Buffer) => void): void {
    for (;;) {
      if (this.nextSize < 0) {
        if (this.buffered < 4) return;
        const header = this.take(4);
        const size = header.readInt32BE(0);
        this.check(size);
        this.nextSize = size;
      }
      if (this.buffered < this.nextSize) return;
      const frame = this.take(this.nextSize);
      this.nextSize = -1;
      onFrame(frame);
    }
  }

  /** Removes n bytes from the front: a view when they sit in one chunk, else one exact copy. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0]!;
      const want = n - filled;
      if (c.length <= want) {
        c.copy(out, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, filled, 0, want);
        this.chunks[0] = c.subarray(want);
        filled += want;
      }
    }
    this.buffered -= n;
    return out;
  }
}
