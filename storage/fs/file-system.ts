/**
 * The small file-system surface storage needs. Storage code uses only this interface, so tests can
 * substitute a file system that fails writes or syncs, or loses unsynced bytes in a "crash".
 */
import { constants, readSync, writevSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';

export interface StorageFile {
  /** Writes the buffers back to back at `position`; resolves once the OS has them. */
  writev(buffers: readonly Buffer[], position: number): Promise<void>;
  /** Reads up to `length` bytes at `position` into `into` at `offset`; resolves to bytes read. */
  read(into: Buffer, offset: number, length: number, position: number): Promise<number>;
  datasync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/** Whether `e` says the disk (or the user's quota) is full: the write may succeed once space is freed. */
export function isOutOfSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export interface FileSystem {
  /** Opens for reading and writing, creating the file when missing. */
  openFile(path: string): Promise<StorageFile>;
  readFile(path: string): Promise<Buffer | null>;
  /** Writes a whole file atomically: temp file, fsync, rename, fsync the directory. */
  writeFileAtomic(path: string, data: Buffer, sync: boolean): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** Renames a file; the directory entry is durable only after syncDir. */
  rename(from: string, to: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  syncDir(path: string): Promise<void>;
}

/**
 * Decides whether a segment read or write runs as a plain system call on the event loop or on
 * libuv's threadpool. A write into the page cache, or a read of data still cached, takes a few
 * microseconds; handing it to the threadpool costs more than that in thread wake-ups, locks and
 * promise machinery (most of the broker's system time under produce load went there). But a call
 * that blocks (writeback throttling, a read that misses the page cache) stalls every connection,
 * so two slow calls within a second send I/O to the threadpool for a cool-down, doubled when the
 * calls are slow again soon after it. One slow call alone does not count: on a busy machine the
 * loop is sometimes descheduled in the middle of a call, which the threadpool would not avoid.
 */
export interface InlineIoOptions {
  /** An inline call slower than this (ms) is slow. */
  slowCallMs?: number;
  /** A second slow call within this many ms of the first moves I/O to the threadpool. */
  strikeWindowMs?: number;
  /** Cool-down on the threadpool (ms); doubles up to maxCoolDownMs when needed again soon after. */
  minCoolDownMs?: number;
  maxCoolDownMs?: number;
  /** Calls of more bytes always go to the threadpool. */
  maxInlineBytes?: number;
  now?: () => number;
}

export class InlineIoPolicy {
  readonly slowCallMs: number;
  readonly strikeWindowMs: number;
  readonly minCoolDownMs: number;
  readonly maxCoolDownMs: number;
  readonly maxInlineBytes: number;
  private readonly now: () => number;
  private threadpoolUntil = 0;
  private coolDownMs: number;
  private lastSlowAt = -1;
  /** Inline calls that were slow. */
  slowCalls = 0;

  constructor(opts: InlineIoOptions = {}) {
    this.slowCallMs = opts.slowCallMs ?? 2;
    this.strikeWindowMs = opts.strikeWindowMs ?? 1000;
    this.minCoolDownMs = opts.minCoolDownMs ?? 1000;
    this.maxCoolDownMs = opts.maxCoolDownMs ?? 30_000;
    this.maxInlineBytes = opts.maxInlineBytes ?? 4 << 20;
    this.now = opts.now ?? (() => performance.now());
    this.coolDownMs = this.minCoolDownMs;
  }

  /** Whether an I/O of `bytes` may run inline now: the start time to pass to `done`, or -1. */
  begin(bytes: number): number {
    if (bytes > this.maxInlineBytes) return -1;
    const now = this.now();
    if (now < this.threadpoolUntil) return -1;
    return now;
  }

  /** Called after every inline call, failed or not, with what `begin` returned. */
  done(startedAt: number): void {
    const end = this.now();
    if (end - startedAt <= this.slowCallMs) return;
    this.slowCalls++;
    const second = this.lastSlowAt >= 0 && end - this.lastSlowAt <= this.strikeWindowMs;
    this.lastSlowAt = second ? -1 : end;
    if (!second) return;
    const soonAfterLast = this.threadpoolUntil > 0 && end - this.threadpoolUntil < this.coolDownMs;
    this.coolDownMs = soonAfterLast ? Math.min(this.coolDownMs * 2, this.maxCoolDownMs) : this.minCoolDownMs;
    this.threadpoolUntil = end + this.coolDownMs;
  }
}

/**
 * A file read and written inline or on the threadpool as its InlineIoPolicy says. Writes go to
 * the threadpool while the file is being fsynced: a write into a page that is under writeback
 * waits for that I/O (stable pages), which must not stall the event loop. A closed file uses the
 * threadpool too, for FileHandle's error.
 */
class NodeFile implements StorageFile {
  private syncsInFlight = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly inline: InlineIoPolicy,
  ) {}

  async writev(buffers: readonly Buffer[], position: number): Promise<void> {
    let pos = position;
    let list = buffers as Buffer[];
    let total = 0;
    for (const b of list) total += b.length;
    // writev may write less than asked (large writes, signals): continue where it stopped.
    for (;;) {
      const startedAt = this.fh.fd < 0 || this.syncsInFlight > 0 ? -1 : this.inline.begin(total);
      let bytesWritten: number;
      if (startedAt >= 0) {
        try {
          bytesWritten = writevSync(this.fh.fd, list, pos);
        } finally {
          this.inline.done(startedAt);
        }
      } else {
        bytesWritten = (await this.fh.writev(list, pos)).bytesWritten;
      }
      if (bytesWritten >= total) return;
      pos += bytesWritten;
      total -= bytesWritten;
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const b of list) {
        if (skip >= b.length) skip -= b.length;
        else {
          rest.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
      }
      list = rest;
    }
  }

  async read(into: Buffer, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const startedAt = this.fh.fd < 0 ? -1 : this.inline.begin(length - done);
      let bytesRead: number;
      if (startedAt >= 0) {
        try {
          bytesRead = readSync(this.fh.fd, into, offset + done, length - done, position + done);
        } finally {
          this.inline.done(startedAt);
        }
      } else {
        bytesRead = (await this.fh.read(into, offset + done, length - done, position + done)).bytesRead;
      }
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  async datasync(): Promise<void> {
    this.syncsInFlight++;
    try {
      await this.fh.datasync();
    } finally {
      this.syncsInFlight--;
    }
  }

  truncate(size: number): Promise<void> {
    return this.fh.truncate(size);
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Shared by every NodeFileSystem: writeback throttling and a busy disk are not per file. */
const processInlineIo = new InlineIoPolicy();

export class NodeFileSystem implements FileSystem {
  constructor(readonly inlineIo: InlineIoPolicy = processInlineIo) {}

  async openFile(path: string): Promise<StorageFile> {
    // O_RDWR | O_CREAT without O_APPEND: writes go to explicit positions.
    return new NodeFile(await open(path, constants.O_RDWR | constants.O_CREAT, 0o644), this.inlineIo);
  }

  async readFile(path: string): Promise<Buffer | null> {
    try {
      return await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async writeFileAtomic(path: string, data: Buffer, sync: boolean): Promise<void> {
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(data);
      if (sync) await fh.datasync();
    } catch (e) {
      await fh.close();
      // A partial temp file keeps the blocks it took (ENOSPC): give them back.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(tmp, path);
    if (sync) await this.syncDir(dirname(path));
  }

  async readdir(path: string): Promise<string[]> {
    try {
      return await readdir(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  rename(from: string, to: string): Promise<void> {
    return rename(from, to);
  }

  async mkdirp(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  async exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  }

  async syncDir(path: string): Promise<void> {
    const fh = await open(path, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
