/**
 * Buffers that Fetch reads segment data into, reused once the response holding them is written.
 *
 * A consumer reading at full speed makes the broker read up to `partition_max_bytes` (1 MiB for
 * most clients) per partition per fetch. Fresh buffers of that size come from malloc's heap once
 * glibc has raised its mmap threshold, and freed ones stay resident; the resident set grew by tens
 * of megabytes under consumer load. Reusing a few buffers per size class bounds that memory and
 * spares the allocations.
 *
 * Sizes from 64 KiB to 1 MiB are rounded up to a power of two; others are plain allocations the
 * pool never takes back. A buffer returned twice, or not made here, is ignored rather than handed
 * out twice. At most `maxIdleBytes` wait in the pool; the rest is left to the garbage collector.
 */
const MIN_POOLED = 64 << 10;
const MAX_POOLED = 1 << 20;

export class ReadBufferPool {
  private readonly idleByClass: Buffer[][] = [];
  private readonly idle = new Set<Buffer>();
  private readonly made = new WeakSet<Buffer>();
  private idleBytes = 0;

  constructor(readonly maxIdleBytes = 16 << 20) {}

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
    const fresh = Buffer.allocUnsafeSlow(classSize);
    this.made.add(fresh);
    return fresh;
  }

  /** Hands a buffer back; nothing may use it afterwards. */
  give(buf: Buffer): void {
    if (!this.made.has(buf) || this.idle.has(buf) || this.idleBytes + buf.length > this.maxIdleBytes) return;
    const cls = Math.log2(buf.length / MIN_POOLED);
    (this.idleByClass[cls] ??= []).push(buf);
    this.idle.add(buf);
    this.idleBytes += buf.length;
  }

  /** Bytes waiting to be reused. */
  get idleSize(): number {
    return this.idleBytes;
  }
}
