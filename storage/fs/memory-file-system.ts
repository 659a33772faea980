/**
 * An in-memory FileSystem for fault-injection tests: writes and syncs can be made to fail, and
 * crash() simulates power loss, keeping only what was made durable.
 *
 * Model (a small tree of inodes, like a real file system):
 *  - A directory has `entries` (what lookups see now) and `durableEntries` (its entries as of its
 *    last syncDir). A file has `data` (what reads see) and `durable` (its bytes as of its last
 *    successful datasync). Handles refer to the inode, so a removed or renamed file stays usable.
 *  - syncDir(dir) makes the directory's current entries durable (additions, removals, renames).
 *  - datasync of a file whose entry is not yet durable also makes that entry durable, together with
 *    the entries of every directory above it (an ext4 journal commit carries the earlier creates).
 *  - crash() rebuilds every directory from its durable entries and every file from its durable
 *    bytes; whatever is unreachable is gone. Open handles from before the crash fail with EBADF.
 *  - setCapacity(bytes) makes the disk finite: the bytes of every reachable file plus one 4 KiB
 *    block per directory count against it. A write that does not fit writes what fits and fails
 *    with ENOSPC (as write(2) returns a short count and the next call fails); mkdir fails with
 *    ENOSPC without a free block. Creating an empty file, truncating, removing and renaming need no
 *    space, as on ext4 or tmpfs (inodes are separate from blocks).
 *  - Open handles are counted (`openHandles`), so tests can check that every failure path closes
 *    what it opened.
 * Paths are normalized with path.posix; absolute paths hang off '/', relative ones off '.', two
 * separate roots that always exist (a leading '..' is treated as an ordinary name).
 */
import { posix } from 'node:path';
import type { FileSystem, StorageFile } from './file-system.js';

interface DirNode {
  kind: 'dir';
  parent: DirNode | null;
  name: string;
  entries: Map<string, Node>;
  durableEntries: Map<string, Node>;
}

interface FileNode {
  kind: 'file';
  parent: DirNode | null;
  name: string;
  /** Bytes [0, length) are the file; bytes beyond `length` are kept zero. */
  data: Buffer;
  length: number;
  durable: Buffer;
}

type Node = DirNode | FileNode;

const MESSAGES: Record<string, string> = {
  EBADF: 'bad file descriptor',
  EEXIST: 'file already exists',
  EIO: 'i/o error',
  EINVAL: 'invalid argument',
  EISDIR: 'illegal operation on a directory',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
  EPERM: 'operation not permitted',
};

function fsError(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${MESSAGES[code] ?? code}, ${syscall}${path === undefined ? '' : ` '${path}'`}`) as NodeJS.ErrnoException;
  e.code = code;
  e.syscall = syscall;
  if (path !== undefined) e.path = path;
  return e;
}

function rangeError(message: string): RangeError {
  const e = new RangeError(message) as RangeError & { code: string };
  e.code = 'ERR_OUT_OF_RANGE';
  return e;
}

function checkPosition(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw rangeError(`The value of "${name}" is out of range. Received ${value}`);
}

/** Resolves on a later microtask, so callers interleave roughly as they would around real I/O. */
const tick = (): Promise<void> => Promise.resolve();

/** Space a directory takes (one ext4 block). */
const DIR_BLOCK = 4096;

function newDir(parent: DirNode | null, name: string): DirNode {
  return { kind: 'dir', parent, name, entries: new Map(), durableEntries: new Map() };
}

function newFile(parent: DirNode | null, name: string): FileNode {
  return { kind: 'file', parent, name, data: Buffer.alloc(0), length: 0, durable: Buffer.alloc(0) };
}

function normalizePath(path: string): string {
  const p = posix.normalize(path);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** All the state, shared by the file system and its handles. */
class Disk {
  epoch = 0;
  syncCount = 0;
  writeCount = 0;
  readonly roots = { abs: newDir(null, '/'), rel: newDir(null, '.') };
  nextWriteFault: { error: Error | null; partialBytes: number } | null = null;
  nextSyncFault: { error: Error | null } | null = null;
  /** Writes that still succeed before every write fails (null: no limit). */
  writesLeft: number | null = null;
  fullError: Error | null = null;
  /** Bytes the disk holds (null: unlimited). */
  capacity: number | null = null;
  /** Handles not closed yet, of this epoch. */
  readonly open = new Set<MemoryFile>();

  /** Bytes in use: reachable files' lengths plus a block per directory (walked: tests are small). */
  usedBytes(): number {
    let used = 0;
    const seen = new Set<Node>();
    const walk = (dir: DirNode): void => {
      for (const node of dir.entries.values()) {
        if (seen.has(node)) continue;
        seen.add(node);
        if (node.kind === 'file') used += node.length;
        else {
          used += DIR_BLOCK;
          walk(node);
        }
      }
    };
    walk(this.roots.abs);
    walk(this.roots.rel);
    return used;
  }

  /** Bytes that still fit (Infinity without a capacity). */
  freeBytes(): number {
    return this.capacity === null ? Infinity : Math.max(0, this.capacity - this.usedBytes());
  }

  split(path: string): { root: DirNode; parts: string[] } {
    const p = normalizePath(path);
    const parts = p.split('/').filter((x) => x !== '' && x !== '.');
    return { root: p.startsWith('/') ? this.roots.abs : this.roots.rel, parts };
  }

  /** The node at `path`, undefined when missing; ENOTDIR when a non-final component is a file. */
  lookup(path: string, syscall: string): Node | undefined {
    const { root, parts } = this.split(path);
    let node: Node = root;
    for (const part of parts) {
      if (node.kind !== 'dir') throw fsError('ENOTDIR', syscall, path);
      const next: Node | undefined = node.entries.get(part);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  /** The directory that holds (or would hold) `path` and the entry name; ENOENT when it is missing. */
  parentOf(path: string, syscall: string): { dir: DirNode; name: string } {
    const { root, parts } = this.split(path);
    if (parts.length === 0) throw fsError('EPERM', syscall, path);
    const name = parts[parts.length - 1]!;
    const dirPath = parts.length === 1 ? (root === this.roots.abs ? '/' : '.') : (root === this.roots.abs ? '/' : '') + parts.slice(0, -1).join('/');
    const dir = this.lookup(dirPath, syscall);
    if (dir === undefined) throw fsError('ENOENT', syscall, path);
    if (dir.kind !== 'dir') throw fsError('ENOTDIR', syscall, path);
    return { dir, name };
  }

  link(dir: DirNode, name: string, node: Node): void {
    const old = dir.entries.get(name);
    if (old !== undefined && old !== node) old.parent = null;
    dir.entries.set(name, node);
    node.parent = dir;
    node.name = name;
  }

  unlink(node: Node): void {
    if (node.parent !== null && node.parent.entries.get(node.name) === node) node.parent.entries.delete(node.name);
    node.parent = null;
  }

  /** Makes the node's entry, and the entries of all directories above it, durable. */
  linkDurably(node: Node): void {
    for (let n: Node = node; n.parent !== null; n = n.parent) {
      if (n.parent.durableEntries.get(n.name) !== n) n.parent.durableEntries.set(n.name, n);
    }
  }

  ensureCapacity(file: FileNode, size: number): void {
    if (size <= file.data.length) return;
    const grown = Buffer.alloc(Math.max(size, file.data.length * 2, 64));
    file.data.copy(grown, 0, 0, file.length);
    file.data = grown;
  }

  write(file: FileNode, buffers: readonly Buffer[], position: number): void {
    checkPosition('position', position);
    let total = 0;
    for (const b of buffers) total += b.length;
    let limit = total;
    let error: Error | null = null;
    if (this.nextWriteFault !== null) {
      const fault = this.nextWriteFault;
      this.nextWriteFault = null;
      error = fault.error ?? fsError('EIO', 'write');
      limit = Math.max(0, Math.min(fault.partialBytes, total));
    } else if (this.writesLeft !== null && this.writesLeft <= 0) {
      throw this.fullError ?? fsError('ENOSPC', 'write');
    }
    if (this.capacity !== null) {
      // Only growth takes space: rewriting bytes inside the file does not.
      const growth = Math.max(0, position + limit - file.length);
      const free = this.freeBytes();
      if (growth > free) {
        limit = Math.max(0, file.length + free - position);
        error ??= fsError('ENOSPC', 'write');
      }
    }
    if (limit > 0) {
      this.ensureCapacity(file, position + limit);
      let at = position;
      for (const b of buffers) {
        const n = Math.min(b.length, position + limit - at);
        if (n > 0) b.copy(file.data, at, 0, n);
        at += n;
      }
      file.length = Math.max(file.length, position + limit);
    }
    if (error !== null) throw error;
    if (this.writesLeft !== null) this.writesLeft--;
    this.writeCount++;
  }

  read(file: FileNode, into: Buffer, offset: number, length: number, position: number): number {
    checkPosition('offset', offset);
    checkPosition('length', length);
    checkPosition('position', position);
    if (offset + length > into.length) throw rangeError(`The value of "length" is out of range. Received ${length}`);
    const n = Math.max(0, Math.min(length, file.length - position));
    if (n > 0) file.data.copy(into, offset, position, position + n);
    return n;
  }

  truncate(file: FileNode, size: number): void {
    if (!Number.isSafeInteger(size)) throw rangeError(`The value of "len" is out of range. Received ${size}`);
    size = Math.max(0, size); // as FileHandle.truncate
    if (size < file.length) file.data.fill(0, size, file.length);
    else this.ensureCapacity(file, size);
    file.length = size;
  }

  /** Consumes an armed sync fault, if any, and counts the sync. */
  beginSync(syscall: string): void {
    if (this.nextSyncFault !== null) {
      const fault = this.nextSyncFault;
      this.nextSyncFault = null;
      throw fault.error ?? fsError('EIO', syscall);
    }
    this.syncCount++;
  }

  datasync(file: FileNode): void {
    this.beginSync('fdatasync');
    file.durable = Buffer.from(file.data.subarray(0, file.length));
    if (file.parent !== null && file.parent.durableEntries.get(file.name) !== file) this.linkDurably(file);
  }

  crash(): void {
    this.epoch++;
    this.open.clear();
    const seen = new Set<DirNode>(); // renamed directories can be durably reachable twice
    const restore = (dir: DirNode): void => {
      if (seen.has(dir)) return;
      seen.add(dir);
      dir.entries = new Map(dir.durableEntries);
      for (const [name, node] of dir.entries) {
        node.parent = dir;
        node.name = name;
        if (node.kind === 'dir') restore(node);
        else {
          node.data = Buffer.from(node.durable);
          node.length = node.durable.length;
        }
      }
    };
    restore(this.roots.abs);
    restore(this.roots.rel);
  }
}

class MemoryFile implements StorageFile {
  private closed = false;

  constructor(
    private readonly disk: Disk,
    private readonly node: FileNode,
    private readonly epoch: number,
    private readonly path: string,
  ) {
    disk.open.add(this);
  }

  private check(syscall: string): void {
    if (this.closed || this.epoch !== this.disk.epoch) throw fsError('EBADF', syscall);
  }

  async writev(buffers: readonly Buffer[], position: number): Promise<void> {
    await tick();
    this.check('write');
    this.disk.write(this.node, buffers, position);
  }

  async read(into: Buffer, offset: number, length: number, position: number): Promise<number> {
    await tick();
    this.check('read');
    return this.disk.read(this.node, into, offset, length, position);
  }

  async datasync(): Promise<void> {
    await tick();
    this.check('fdatasync');
    this.disk.datasync(this.node);
  }

  async truncate(size: number): Promise<void> {
    await tick();
    this.check('ftruncate');
    this.disk.truncate(this.node, size);
  }

  async size(): Promise<number> {
    await tick();
    this.check('fstat');
    return this.node.length;
  }

  /** Closing twice is harmless; closing a handle from before a crash fails with EBADF. */
  async close(): Promise<void> {
    await tick();
    if (this.epoch !== this.disk.epoch) throw fsError('EBADF', 'close');
    this.closed = true;
    this.disk.open.delete(this);
  }

  /** The path the handle was opened with (for reporting handles left open). */
  get openedAs(): string {
    return this.path;
  }
}

export interface PartialWrite {
  /** Bytes of the failing write that land in the file before it rejects. */
  partialBytes?: number;
}

export class MemoryFileSystem implements FileSystem {
  private readonly disk = new Disk();

  /** Successful writes (StorageFile.writev and the data write of writeFileAtomic). */
  get writeCount(): number {
    return this.disk.writeCount;
  }
  set writeCount(n: number) {
    this.disk.writeCount = n;
  }

  /** Successful syncs (StorageFile.datasync and syncDir, including those of writeFileAtomic). */
  get syncCount(): number {
    return this.disk.syncCount;
  }
  set syncCount(n: number) {
    this.disk.syncCount = n;
  }

  // ---- FileSystem ----

  async openFile(path: string): Promise<StorageFile> {
    await tick();
    const existing = this.disk.lookup(path, 'open');
    let file: FileNode;
    if (existing === undefined) {
      const { dir, name } = this.disk.parentOf(path, 'open');
      file = newFile(dir, name);
      this.disk.link(dir, name, file);
    } else if (existing.kind === 'dir') {
      throw fsError('EISDIR', 'open', path);
    } else {
      file = existing;
    }
    return new MemoryFile(this.disk, file, this.disk.epoch, path);
  }

  async readFile(path: string): Promise<Buffer | null> {
    await tick();
    const node = this.disk.lookup(path, 'open');
    if (node === undefined) return null;
    if (node.kind === 'dir') throw fsError('EISDIR', 'read');
    return Buffer.from(node.data.subarray(0, node.length));
  }

  /** As NodeFileSystem: write `${path}.tmp`, datasync it (sync), rename it over `path`, sync the directory (sync). */
  async writeFileAtomic(path: string, data: Buffer, sync: boolean): Promise<void> {
    const tmp = `${path}.tmp`;
    const f = await this.openFile(tmp);
    try {
      await f.truncate(0); // open(tmp, 'w') truncates
      if (data.length > 0) await f.writev([data], 0);
      if (sync) await f.datasync();
    } catch (e) {
      await f.close();
      await this.remove(tmp); // a partial temp file would hold on to the space it took
      throw e;
    }
    await f.close();
    await this.rename(tmp, path);
    if (sync) await this.syncDir(posix.dirname(normalizePath(path)));
  }

  /** rename(2): replaces the target's entry; both entries change durably only once their directories are synced. */
  async rename(from: string, to: string): Promise<void> {
    await tick();
    const node = this.disk.lookup(from, 'rename');
    if (node === undefined || node.parent === null) throw fsError(node === undefined ? 'ENOENT' : 'EPERM', 'rename', from);
    const target = this.disk.lookup(to, 'rename');
    if (target === node) return;
    const { dir, name } = this.disk.parentOf(to, 'rename');
    if (node.kind === 'file' && target?.kind === 'dir') throw fsError('EISDIR', 'rename', to);
    if (node.kind === 'dir') {
      if (target?.kind === 'file') throw fsError('ENOTDIR', 'rename', to);
      if (target?.kind === 'dir' && target.entries.size > 0) throw fsError('ENOTEMPTY', 'rename', to);
      for (let d: DirNode | null = dir; d !== null; d = d.parent) if (d === node) throw fsError('EINVAL', 'rename', from);
    }
    this.disk.unlink(node);
    this.disk.link(dir, name, node);
  }

  async readdir(path: string): Promise<string[]> {
    await tick();
    const node = this.disk.lookup(path, 'scandir');
    if (node === undefined) return [];
    if (node.kind !== 'dir') throw fsError('ENOTDIR', 'scandir', path);
    return [...node.entries.keys()].sort();
  }

  async mkdirp(path: string): Promise<void> {
    await tick();
    const { root, parts } = this.disk.split(path);
    let dir = root;
    parts.forEach((part, i) => {
      const next = dir.entries.get(part);
      if (next === undefined) {
        if (this.disk.freeBytes() < DIR_BLOCK) throw fsError('ENOSPC', 'mkdir', path);
        const created = newDir(dir, part);
        this.disk.link(dir, part, created);
        dir = created;
      } else if (next.kind === 'file') {
        throw fsError(i === parts.length - 1 ? 'EEXIST' : 'ENOTDIR', 'mkdir', path);
      } else {
        dir = next;
      }
    });
  }

  async remove(path: string): Promise<void> {
    await tick();
    const node = this.disk.lookup(path, 'rm');
    if (node === undefined) return;
    if (node.parent === null) throw fsError('EPERM', 'rm', path);
    this.disk.unlink(node);
  }

  async exists(path: string): Promise<boolean> {
    await tick();
    try {
      return this.disk.lookup(path, 'stat') !== undefined;
    } catch {
      return false;
    }
  }

  /** fsync of a directory makes its current entries durable; of a file, it is a datasync. */
  async syncDir(path: string): Promise<void> {
    await tick();
    const node = this.disk.lookup(path, 'open');
    if (node === undefined) throw fsError('ENOENT', 'open', path);
    if (node.kind === 'file') {
      this.disk.datasync(node);
      return;
    }
    this.disk.beginSync('fsync');
    node.durableEntries = new Map(node.entries);
  }

  // ---- Fault injection ----

  /** The next write (on any file) rejects with `error` (default EIO), after writing `partialBytes` bytes. */
  failNextWrite(error?: Error, opts: PartialWrite = {}): void {
    this.disk.nextWriteFault = { error: error ?? null, partialBytes: opts.partialBytes ?? 0 };
  }

  /** The next datasync or syncDir (of anything) rejects with `error` (default EIO). */
  failNextSync(error?: Error): void {
    this.disk.nextSyncFault = { error: error ?? null };
  }

  /** After `n` more successful writes, every write rejects (default ENOSPC) until clearFaults(). */
  failWritesFrom(n: number, error?: Error): void {
    this.disk.writesLeft = Math.max(0, n);
    this.disk.fullError = error ?? null;
  }

  /**
   * Makes the disk hold at most `bytes` (file bytes plus 4 KiB per directory); null removes the
   * limit. Lowering it below what is in use keeps the data: only growth fails. Not cleared by
   * clearFaults(): space comes back with setCapacity, or by removing or truncating files.
   */
  setCapacity(bytes: number | null): void {
    this.disk.capacity = bytes;
  }

  /** Leaves exactly `bytes` free from now on (a capacity of what is in use plus `bytes`). */
  leaveFree(bytes: number): void {
    this.disk.capacity = this.disk.usedBytes() + bytes;
  }

  /** Bytes in use (reachable files plus 4 KiB per directory). */
  get usedBytes(): number {
    return this.disk.usedBytes();
  }

  /** Handles opened and not closed yet (handles from before a crash are gone). */
  get openHandles(): number {
    return this.disk.open.size;
  }

  /** Paths of the handles still open, sorted (to say which one leaked). */
  openHandlePaths(): string[] {
    return [...this.disk.open].map((f) => f.openedAs).sort();
  }

  clearFaults(): void {
    this.disk.nextWriteFault = null;
    this.disk.nextSyncFault = null;
    this.disk.writesLeft = null;
    this.disk.fullError = null;
  }

  /**
   * Power loss: files revert to their durable bytes, entries never made durable vanish (and removed
   * or renamed ones whose directory was not synced come back), open handles fail with EBADF. Armed
   * faults are kept. Keep using this instance afterwards, as the rebooted machine's disk.
   */
  crash(): void {
    this.disk.crash();
  }

  // ---- Test helpers (synchronous) ----

  /** The file's current bytes (a copy), undefined when there is no file there. */
  fileBytes(path: string): Buffer | undefined {
    const node = this.lookupQuiet(path);
    return node?.kind === 'file' ? Buffer.from(node.data.subarray(0, node.length)) : undefined;
  }

  /** Sets a file's bytes as if written and synced, creating it and its directories durably if missing. */
  setFileBytes(path: string, data: Buffer): void {
    const { root, parts } = this.disk.split(path);
    if (parts.length === 0) throw fsError('EISDIR', 'open', path);
    let dir = root;
    for (const part of parts.slice(0, -1)) {
      let next = dir.entries.get(part);
      if (next === undefined) this.disk.link(dir, part, (next = newDir(dir, part)));
      if (next.kind !== 'dir') throw fsError('ENOTDIR', 'open', path);
      dir = next;
    }
    const name = parts[parts.length - 1]!;
    let file = dir.entries.get(name);
    if (file === undefined) this.disk.link(dir, name, (file = newFile(dir, name)));
    if (file.kind !== 'file') throw fsError('EISDIR', 'open', path);
    file.data = Buffer.from(data);
    file.length = data.length;
    file.durable = Buffer.from(data);
    this.disk.linkDurably(file);
  }

  /** Flips every bit of the byte at `position`, in both the current and the durable bytes. */
  corruptByte(path: string, position: number): void {
    const node = this.lookupQuiet(path);
    if (node?.kind !== 'file') throw fsError('ENOENT', 'open', path);
    if (!Number.isSafeInteger(position) || position < 0 || position >= node.length) {
      throw rangeError(`position ${position} is outside ${path} (${node.length} bytes)`);
    }
    node.data[position]! ^= 0xff;
    if (position < node.durable.length) node.durable[position]! ^= 0xff;
  }

  /** Paths of all files that currently exist (not directories), sorted. */
  paths(): string[] {
    const out: string[] = [];
    const walk = (dir: DirNode, prefix: string): void => {
      for (const [name, node] of dir.entries) {
        const p = prefix + name;
        if (node.kind === 'file') out.push(p);
        else walk(node, `${p}/`);
      }
    };
    walk(this.disk.roots.abs, '/');
    walk(this.disk.roots.rel, '');
    return out.sort();
  }

  private lookupQuiet(path: string): Node | undefined {
    try {
      return this.disk.lookup(path, 'open');
    } catch {
      return undefined;
    }
  }

}
