/**
 * Large buffers for the data path, reused once nothing refers to them: request frames that hold
 * produced batches, and the buffers Fetch reads segment data into.
 *
 * Under load the broker takes in and sends out buffers of 64 KiB to 1 MiB at hundreds of megabytes
 * a second. Fresh ones come from malloc's heap once glibc has raised its mmap threshold, and freed
 * ones stay resident, so the resident set grew by tens of megabytes; their off-heap bytes also
 * count against V8's old-generation limit and triggered full collections every few scavenges.
 * Reusing a few buffers per size class bounds that memory and spares the allocations.
 *
 * Sizes from 16 KiB to 1 MiB are rounded up to a power of two; others are plain allocations the
 * pool never takes back. `give` accepts the buffer or any view of it. A buffer given back twice,
 * or not made here, is ignored rather than handed out twice. At most `maxIdleBytes` wait in the
 * pool, the sizes given back most recently first; the rest is left to the garbage collector.
 *
 * Debugging (`samsa.debug.poison.buffers`): a pool made with a poison byte fills every buffer it
 * takes back with it, kept or not, so a view still read after its release (a socket write not yet
 * done, a log append still queued) carries the pattern to the client or into the log instead of
 * passing unnoticed; and a buffer given back while already idle, a double release, throws. Off, it
 * costs one comparison per buffer given back.
 */
export const MIN_POOLED = 16 << 10;
export const MAX_POOLED = 1 << 20;

export class BufferPool {
  private readonly idleByClass: Buffer[][] = [];
  private readonly idle = new Set<Buffer>();
  /** Every buffer this pool made, by its memory, so a view finds its buffer. */
  private readonly made = new WeakMap<ArrayBufferLike, Buffer>();
  private idleBytes = 0;

  constructor(
    readonly maxIdleBytes = 16 << 20,
    /** Byte every returned buffer is filled with (debugging); null: returned buffers are left as they are. */
    readonly poison: number | null = null,
  ) {}

  /** A buffer of at least `size` bytes (exactly `size` when not pooled). */
  take(size: number): Buffer {
    if (size < MIN_POOLED || size > MAX_POOLED) return Buffer.allocUnsafe(size);
    let classSize = MIN_POOLED;
    let cls = 0;
    while (classSize < size) {
      classSize <<= 1;
      cls++;
    }
    const reused = this.idleByClass[cls]?.pop();
    if (reused !== undefined) {
      this.idle.delete(reused);
      this.idleBytes -= reused.length;
      return reused;
    }
    // allocUnsafeSlow: memory of its own, never a slice of Node's shared pool.
    const fresh = Buffer.allocUnsafeSlow(classSize);
    this.made.set(fresh.buffer, fresh);
    return fresh;
  }

  /** Hands a buffer (or a view of one) back; nothing may use its memory afterwards. */
  give(bufOrView: Buffer): void {
    const buf = this.made.get(bufOrView.buffer);
    if (buf === undefined) return;
    if (this.poison !== null) {
      if (this.idle.has(buf)) throw new Error(`a pooled buffer of ${buf.length} bytes was given back twice`);
      buf.fill(this.poison);
    }
    if (this.idle.has(buf)) return;
    const cls = Math.log2(buf.length / MIN_POOLED);
    // The load changes (produce frames, then 1 MiB fetch reads): make room by dropping idle
    // buffers of other sizes, else a full pool of the old sizes would turn every new buffer into
    // garbage, which V8 collects only after tens of megabytes.
    while (this.idleBytes + buf.length > this.maxIdleBytes) {
      if (!this.dropIdleOtherThan(cls)) return;
    }
    (this.idleByClass[cls] ??= []).push(buf);
    this.idle.add(buf);
    this.idleBytes += buf.length;
  }

  /** Drops one idle buffer of the class holding the most idle bytes, other than `keep`. */
  private dropIdleOtherThan(keep: number): boolean {
    let victim = -1;
    let most = 0;
    for (let c = 0; c < this.idleByClass.length; c++) {
      const list = this.idleByClass[c];
      if (c === keep || list === undefined || list.length === 0) continue;
      const bytes = list.length * list[0]!.length;
      if (bytes > most) {
        most = bytes;
        victim = c;
      }
    }
    if (victim < 0) return false;
    const dropped = this.idleByClass[victim]!.pop()!;
    this.idle.delete(dropped);
    this.idleBytes -= dropped.length;
    return true;
  }

  /** Bytes waiting to be reused. */
  get idleSize(): number {
    return this.idleBytes;
  }
}
