/**
 * Splits a TCP byte stream into Kafka frames: a 4-byte big-endian size, then that many bytes.
 *
 * Chunks come either from the stream (a fresh buffer per read, which frames may keep as views) or
 * from a read buffer that the next read overwrites ("transient"), whose frames must be copied out.
 * Either way a frame is copied at most once: one wholly inside a transient chunk is copied to a
 * buffer of its size, and one spanning chunks is filled in place as its bytes arrive. A frame over
 * PREALLOCATE_LIMIT is instead kept as the pieces received and joined at its end, so a client that
 * sends only a large size holds no more memory than it has sent. The size is checked against the
 * limit (`socket.request.max.bytes`) before anything is allocated for it.
 */
export class FrameTooLargeError extends Error {
  constructor(readonly size: number, readonly limit: number) {
    super(size < 0 ? `negative frame size ${size}` : `frame of ${size} bytes exceeds socket.request.max.bytes ${limit}`);
    this.name = 'FrameTooLargeError';
  }
}

/** Frames up to this size get their whole buffer as soon as their size is known. */
export const PREALLOCATE_LIMIT = 1 << 20;

export class FrameDecoder {
  /** A size prefix split across chunks. */
  private readonly sizeBytes = Buffer.alloc(4);
  private sizeFill = 0;
  /** The frame being received: its size, and either its buffer or (large frames) its pieces. */
  private frameSize = -1;
  private frame: Buffer | null = null;
  private pieces: Buffer[] = [];
  private frameFill = 0;

  constructor(
    private readonly maxFrameBytes: number,
    /** Makes the buffer a frame is copied into (at least the size asked). */
    private readonly allocate: (size: number) => Buffer = Buffer.allocUnsafe,
  ) {}

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.sizeFill + this.frameFill;
  }

  /**
   * Feeds one chunk; calls `onFrame` for every complete frame. `transient`: the chunk's memory is
   * reused after this call, so nothing may keep a view of it. Throws FrameTooLargeError.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void, transient = false): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.frameSize >= 0) {
        pos = this.fill(chunk, pos, onFrame, transient);
        continue;
      }
      let size: number;
      if (this.sizeFill === 0 && end - pos >= 4) {
        size = chunk.readInt32BE(pos);
        pos += 4;
      } else {
        const n = Math.min(4 - this.sizeFill, end - pos);
        chunk.copy(this.sizeBytes, this.sizeFill, pos, pos + n);
        this.sizeFill += n;
        pos += n;
        if (this.sizeFill < 4) return;
        this.sizeFill = 0;
        size = this.sizeBytes.readInt32BE(0);
      }
      if (size < 0 || size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
      if (end - pos >= size) {
        const view = chunk.subarray(pos, pos + size);
        pos += size;
        onFrame(transient ? this.copy(view) : view);
      } else {
        this.frameSize = size;
        this.frameFill = 0;
        if (size <= PREALLOCATE_LIMIT) this.frame = this.allocate(size).subarray(0, size);
      }
    }
  }

  private copy(view: Buffer): Buffer {
    const out = this.allocate(view.length).subarray(0, view.length);
    view.copy(out);
    return out;
  }

  /** Adds bytes of `chunk` from `pos` to the frame being received; returns the new position. */
  private fill(chunk: Buffer, pos: number, onFrame: (frame: Buffer) => void, transient: boolean): number {
    const n = Math.min(this.frameSize - this.frameFill, chunk.length - pos);
    if (this.frame !== null) chunk.copy(this.frame, this.frameFill, pos, pos + n);
    else {
      const piece = chunk.subarray(pos, pos + n);
      this.pieces.push(transient ? Buffer.from(piece) : piece);
    }
    this.frameFill += n;
    if (this.frameFill === this.frameSize) {
      // Rare (frames over PREALLOCATE_LIMIT), so the join is not on the common path.
      const frame = this.frame ?? Buffer.concat(this.pieces, this.frameSize);
      this.frame = null;
      this.pieces = [];
      this.frameSize = -1;
      this.frameFill = 0;
      onFrame(frame);
    }
    return pos + n;
  }
}
