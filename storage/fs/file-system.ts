/**
 * The small file-system surface storage needs. Storage code uses only this interface, so tests can
 * substitute a file system that fails writes or syncs, or loses unsynced bytes in a "crash".
 */
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';

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

class NodeFile implements StorageFile {
  constructor(private readonly fh: FileHandle) {}

  async writev(buffers: readonly Buffer[], position: number): Promise<void> {
    let pos = position;
    let list = buffers as Buffer[];
    // writev may write less than asked (large writes, signals): continue where it stopped.
    for (;;) {
      const { bytesWritten } = await this.fh.writev(list, pos);
      let total = 0;
      for (const b of list) total += b.length;
      if (bytesWritten >= total) return;
      pos += bytesWritten;
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
      const { bytesRead } = await this.fh.read(into, offset + done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
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

export class NodeFileSystem implements FileSystem {
  async openFile(path: string): Promise<StorageFile> {
    // O_RDWR | O_CREAT without O_APPEND: writes go to explicit positions.
    return new NodeFile(await open(path, constants.O_RDWR | constants.O_CREAT, 0o644));
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
    } finally {
      await fh.close();
    }
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
