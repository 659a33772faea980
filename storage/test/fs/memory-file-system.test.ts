/**
 * MemoryFileSystem: the same scenarios give the same results as NodeFileSystem on a real disk, and
 * the fault injection and crash() simulation behave as documented.
 */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSystem, type FileSystem, type StorageFile } from '../../fs/file-system.js';
import { MemoryFileSystem } from '../../fs/memory-file-system.js';

/** The error code a promise rejects with, or 'ok'. */
async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return String((e as NodeJS.ErrnoException).code);
  }
}

async function readAll(f: StorageFile): Promise<string> {
  const buf = Buffer.alloc(await f.size());
  const n = await f.read(buf, 0, buf.length, 0);
  return buf.subarray(0, n).toString('hex');
}

/** Runs one scenario and records every observable result, to compare two file systems. */
async function scenario(fs: FileSystem, root: string): Promise<unknown[]> {
  const out: unknown[] = [];
  const rec = (label: string, ...v: unknown[]): void => void out.push([label, ...v]);

  await fs.mkdirp(`${root}/d/e`);
  rec('mkdirp twice', await outcome(fs.mkdirp(`${root}/d/e`)));
  const f = await fs.openFile(`${root}/d/a.log`);
  rec('new size', await f.size());
  await f.writev([Buffer.from('hello'), Buffer.alloc(0), Buffer.from(' world')], 0);
  rec('size', await f.size());
  await f.writev([Buffer.from('XY')], 20);
  rec('size after gap write', await f.size());
  const buf = Buffer.alloc(30, 0xaa);
  rec('read all into offset', await f.read(buf, 2, 28, 0), buf.toString('hex'));
  const small = Buffer.alloc(10, 0xaa);
  rec('read across end', await f.read(small, 0, 10, 18), small.toString('hex'));
  rec('read past end', await f.read(small, 0, 5, 100));
  rec('read length 0', await f.read(small, 0, 0, 0));
  rec('read out of range', await outcome(f.read(small, 8, 4, 0)));
  await f.writev([Buffer.from('HE')], 0);
  rec('overwrite', await readAll(f));
  await f.truncate(8);
  rec('truncate shrink', await f.size(), await readAll(f));
  await f.truncate(12);
  rec('truncate extend', await f.size(), await readAll(f));
  await f.writev([Buffer.from('Z')], 15);
  rec('write after extend', await readAll(f));
  await f.datasync();
  await f.close();
  rec('closed write', await outcome(f.writev([Buffer.from('a')], 0)));
  rec('closed read', await outcome(f.read(small, 0, 1, 0)));
  rec('closed twice', await outcome(f.close()));

  const g = await fs.openFile(`${root}/d/a.log`);
  rec('reopen keeps bytes', await g.size());
  await g.writev([Buffer.from('q')], 1);
  rec('positioned, not appended', await readAll(g));
  await g.close();
  rec('readFile', (await fs.readFile(`${root}/d/a.log`))?.toString('hex'));
  rec('readFile missing', await fs.readFile(`${root}/d/none`));
  rec('readFile in missing dir', await fs.readFile(`${root}/nodir/none`));
  rec('readFile of dir', await outcome(fs.readFile(`${root}/d`)));
  rec('readFile through file', await outcome(fs.readFile(`${root}/d/a.log/x`)));
  rec('open in missing dir', await outcome(fs.openFile(`${root}/nodir/x`)));
  rec('open a dir', await outcome(fs.openFile(`${root}/d`)));

  await fs.writeFileAtomic(`${root}/d/meta`, Buffer.from('v1'), true);
  rec('atomic v1', (await fs.readFile(`${root}/d/meta`))?.toString());
  await fs.writeFileAtomic(`${root}/d/meta`, Buffer.from('version two'), false);
  rec('atomic v2', (await fs.readFile(`${root}/d/meta`))?.toString());
  await fs.writeFileAtomic(`${root}/d/meta`, Buffer.from('v3'), true);
  rec('atomic shorter', (await fs.readFile(`${root}/d/meta`))?.toString());
  await fs.writeFileAtomic(`${root}/d/empty`, Buffer.alloc(0), true);
  rec('atomic empty', (await fs.readFile(`${root}/d/empty`))?.length);
  rec('readdir', (await fs.readdir(`${root}/d`)).sort());
  rec('readdir missing', await fs.readdir(`${root}/nodir`));
  rec('readdir of file', await outcome(fs.readdir(`${root}/d/a.log`)));
  rec('readdir trailing slash', (await fs.readdir(`${root}/d/`)).sort());
  rec('exists', await fs.exists(`${root}/d/a.log`), await fs.exists(`${root}/d/e`), await fs.exists(`${root}/d/nope`), await fs.exists(`${root}/d/a.log/x`));
  rec('mkdirp over file', await outcome(fs.mkdirp(`${root}/d/a.log`)));
  rec('mkdirp through file', await outcome(fs.mkdirp(`${root}/d/a.log/x`)));
  rec('syncDir', await outcome(fs.syncDir(`${root}/d`)), await outcome(fs.syncDir(`${root}/nodir`)));

  if (typeof (fs as Partial<FileSystem>).rename === 'function') {
    await fs.writeFileAtomic(`${root}/d/r1`, Buffer.from('r1'), false);
    await fs.rename(`${root}/d/r1`, `${root}/d/r2`);
    rec('rename', await fs.exists(`${root}/d/r1`), (await fs.readFile(`${root}/d/r2`))?.toString());
    await fs.rename(`${root}/d/r2`, `${root}/d/meta`);
    rec('rename over', (await fs.readFile(`${root}/d/meta`))?.toString(), (await fs.readdir(`${root}/d`)).sort());
    rec('rename missing', await outcome(fs.rename(`${root}/d/r1`, `${root}/d/r3`)));
    rec('rename file over dir', await outcome(fs.rename(`${root}/d/meta`, `${root}/d/e`)));
    rec('rename into missing dir', await outcome(fs.rename(`${root}/d/meta`, `${root}/nodir/x`)));
    await fs.mkdirp(`${root}/d/e2/f`);
    await fs.rename(`${root}/d/e2`, `${root}/d/e3`);
    rec('rename dir', (await fs.readdir(`${root}/d`)).sort(), await fs.readdir(`${root}/d/e3`));
    rec('rename dir into itself', await outcome(fs.rename(`${root}/d/e3`, `${root}/d/e3/f/g`)));
    rec('rename dir over file', await outcome(fs.rename(`${root}/d/e3`, `${root}/d/meta`)));
    rec('rename dir over non-empty dir', await outcome(fs.rename(`${root}/d/e`, `${root}/d/e3`)));
    await fs.remove(`${root}/d/e3`);
  }

  await fs.remove(`${root}/d/e`);
  rec('remove missing', await outcome(fs.remove(`${root}/d/e`)));
  rec('after remove dir', (await fs.readdir(`${root}/d`)).sort());
  const h = await fs.openFile(`${root}/d/a.log`);
  await fs.remove(`${root}/d/a.log`);
  rec('unlinked handle still reads', await readAll(h), await fs.exists(`${root}/d/a.log`));
  await h.close();
  await fs.remove(`${root}/d`);
  rec('remove recursive', await fs.exists(`${root}/d`), await fs.readdir(root));
  return out;
}

t.test('same results as NodeFileSystem', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-memfs-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const real = await scenario(new NodeFileSystem(), dir);
  const memFs = new MemoryFileSystem();
  await memFs.mkdirp('/mem');
  const mem = await scenario(memFs, '/mem');
  t.equal(mem.length, real.length, 'same number of observations');
  for (let i = 0; i < real.length; i++) t.same(mem[i], real[i], String((real[i] as unknown[])[0]));
  // Relative paths live under their own root.
  const rel = new MemoryFileSystem();
  await rel.mkdirp('rel');
  t.same(await scenario(rel, 'rel'), real, 'relative root gives the same results');
});

t.test('readdir lists immediate children; paths lists files', async (t) => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data/t-0');
  await fs.mkdirp('/data/t-1/sub');
  await (await fs.openFile('/data/t-0/00.log')).close();
  await fs.writeFileAtomic('/data/meta', Buffer.from('m'), false);
  t.same(await fs.readdir('/data'), ['meta', 't-0', 't-1']);
  t.same(await fs.readdir('/data/t-1'), ['sub']);
  t.same(await fs.readdir('/data/t-1/sub'), []);
  t.same(await fs.readdir('/nothing'), []);
  t.same(await fs.readdir('/data/./t-0/../t-0'), ['00.log'], 'paths are normalized');
  t.same(await fs.readdir('/'), ['data']);
  t.same(fs.paths(), ['/data/meta', '/data/t-0/00.log']);
  t.equal(fs.fileBytes('/data/meta')?.toString(), 'm');
  t.equal(fs.fileBytes('/data/t-1'), undefined, 'directories have no bytes');
  t.equal(fs.fileBytes('/data/none'), undefined);
});

t.test('writeFileAtomic mirrors the real sequence', async (t) => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  await fs.writeFileAtomic('/d/x', Buffer.from('abc'), true);
  t.equal(fs.syncCount, 2, 'datasync of the temp file and fsync of the directory');
  t.equal(fs.writeCount, 1);
  t.same(fs.paths(), ['/d/x'], 'no temp file left');
  await fs.writeFileAtomic('/d/x', Buffer.from('de'), false);
  t.equal(fs.syncCount, 2, 'no syncs when sync is false');
  t.equal(fs.fileBytes('/d/x')?.toString(), 'de');

  // A failing write leaves the target untouched and removes the temp file (as NodeFileSystem
  // does: a partial temp file would hold on to space on a full disk).
  fs.failNextWrite(undefined, { partialBytes: 2 });
  t.equal(await outcome(fs.writeFileAtomic('/d/x', Buffer.from('zzz'), true)), 'EIO');
  t.equal(fs.fileBytes('/d/x')?.toString(), 'de');
  t.same(fs.paths(), ['/d/x'], 'the partial temp file is removed');
  fs.failNextSync();
  t.equal(await outcome(fs.writeFileAtomic('/d/x', Buffer.from('zzz'), true)), 'EIO');
  t.equal(fs.fileBytes('/d/x')?.toString(), 'de', 'not renamed when the datasync failed');
  t.same(fs.paths(), ['/d/x']);
  t.equal(fs.openHandles, 0, 'the temp file is closed on both failures');
  await fs.writeFileAtomic('/d/x', Buffer.from('ok'), true);
  t.same(fs.paths(), ['/d/x']);
});

t.test('failNextWrite, partial writes and failWritesFrom', async (t) => {
  const fs = new MemoryFileSystem();
  const f = await fs.openFile('f');
  await f.writev([Buffer.from('0123')], 0);

  fs.failNextWrite();
  const err = await f.writev([Buffer.from('abcd')], 4).catch((e: NodeJS.ErrnoException) => e);
  t.ok(err instanceof Error);
  t.equal((err as NodeJS.ErrnoException).code, 'EIO');
  t.equal(await f.size(), 4, 'nothing written');
  await f.writev([Buffer.from('abcd')], 4);
  t.equal(fs.fileBytes('f')?.toString(), '0123abcd', 'the fault fires once');

  const custom = Object.assign(new Error('custom'), { code: 'EFOO' });
  fs.failNextWrite(custom, { partialBytes: 5 });
  const got = await f.writev([Buffer.from('ABC'), Buffer.from('DEFG')], 8).catch((e: unknown) => e);
  t.equal(got, custom, 'rejects with the given error');
  t.equal(fs.fileBytes('f')?.toString(), '0123abcdABCDE', 'a prefix spanning two buffers was written');
  fs.failNextWrite(undefined, { partialBytes: 100 });
  t.equal(await outcome(f.writev([Buffer.from('xy')], 0)), 'EIO', 'fails even when the whole write landed');
  t.equal(fs.fileBytes('f')?.toString(), 'xy23abcdABCDE');

  const before = fs.writeCount;
  fs.failWritesFrom(2);
  await f.writev([Buffer.from('1')], 0);
  await f.writev([Buffer.from('2')], 0);
  t.equal(await outcome(f.writev([Buffer.from('3')], 0)), 'ENOSPC');
  t.equal(await outcome(f.writev([Buffer.from('4')], 0)), 'ENOSPC');
  t.equal(fs.writeCount, before + 2, 'writeCount counts successful writes');
  t.equal(fs.fileBytes('f')?.[0], '2'.charCodeAt(0));
  fs.clearFaults();
  await f.writev([Buffer.from('5')], 0);
  t.equal(fs.fileBytes('f')?.[0], '5'.charCodeAt(0), 'writes succeed again after clearFaults');
});

t.test('failNextSync', async (t) => {
  const fs = new MemoryFileSystem();
  const f = await fs.openFile('/f');
  await f.writev([Buffer.from('data')], 0);
  fs.failNextSync();
  t.equal(await outcome(f.datasync()), 'EIO');
  t.equal(fs.syncCount, 0, 'a failed sync is not counted');
  fs.crash();
  t.same(fs.paths(), [], 'a failed datasync made nothing durable');

  const g = await fs.openFile('/g');
  await g.writev([Buffer.from('data')], 0);
  const custom = new Error('sync failed');
  fs.failNextSync(custom);
  t.equal(await g.datasync().catch((e: unknown) => e), custom);
  await g.datasync();
  t.equal(fs.syncCount, 1);
  fs.failNextSync();
  t.equal(await outcome(fs.syncDir('/')), 'EIO', 'syncDir is a sync too');
  t.equal(await outcome(fs.syncDir('/')), 'ok');
  t.equal(await outcome(fs.syncDir('/missing')), 'ENOENT');
});

t.test('crash keeps only durable bytes and entries', async (t) => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/data/p0');

  // Synced file: its bytes and (through the datasync) its entry survive; later bytes do not.
  const a = await fs.openFile('/data/p0/a.log');
  await a.writev([Buffer.from('synced')], 0);
  await a.datasync();
  await a.writev([Buffer.from('-lost')], 6);
  await a.truncate(3);
  await a.writev([Buffer.from('XYZ')], 0);

  // New file, directory synced but data not: exists, empty.
  const c = await fs.openFile('/data/p0/c.log');
  await c.writev([Buffer.from('bytes')], 0);
  await fs.syncDir('/data/p0');

  // Unsynced directory holding nothing durable: gone.
  await fs.mkdirp('/data/p1');

  // Durable file removed without a directory sync comes back; one removed and synced does not.
  fs.setFileBytes('/data/keep', Buffer.from('k'));
  fs.setFileBytes('/data/gone', Buffer.from('g'));
  await fs.remove('/data/keep');
  await fs.remove('/data/gone');
  await fs.syncDir('/data/p0'); // not the parent of those two
  t.notOk(fs.paths().includes('/data/keep'));

  // New file never synced (nor its directory after it was created): gone.
  const b = await fs.openFile('/data/p0/b.log');
  await b.writev([Buffer.from('unsynced')], 0);

  fs.crash();
  t.same(fs.paths(), ['/data/gone', '/data/keep', '/data/p0/a.log', '/data/p0/c.log']);
  t.equal(fs.fileBytes('/data/p0/a.log')?.toString(), 'synced');
  t.equal(fs.fileBytes('/data/p0/c.log')?.length, 0);
  t.same(await fs.readdir('/data'), ['gone', 'keep', 'p0']);

  await fs.remove('/data/gone');
  await fs.syncDir('/data');
  fs.crash();
  t.same(fs.paths(), ['/data/keep', '/data/p0/a.log', '/data/p0/c.log'], 'a synced removal stays removed');
});

t.test('crash and writeFileAtomic', async (t) => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  await fs.writeFileAtomic('/d/cp', Buffer.from('one'), true);
  await fs.writeFileAtomic('/d/cp', Buffer.from('two'), false);
  await fs.writeFileAtomic('/d/new', Buffer.from('x'), false);
  fs.crash();
  t.equal(fs.fileBytes('/d/cp')?.toString(), 'one', 'an unsynced replacement is lost, the old file is whole');
  t.equal(fs.fileBytes('/d/new'), undefined, 'an unsynced new file is lost');
  t.same(fs.paths(), ['/d/cp']);
  await fs.writeFileAtomic('/d/cp', Buffer.from('three'), true);
  fs.crash();
  t.equal(fs.fileBytes('/d/cp')?.toString(), 'three');
  t.same(fs.paths(), ['/d/cp']);
});

t.test('crash and rename', async (t) => {
  const fs = new MemoryFileSystem();
  fs.setFileBytes('/d/a', Buffer.from('a'));
  await fs.rename('/d/a', '/d/b');
  fs.crash();
  t.same(fs.paths(), ['/d/a'], 'a rename is lost without syncDir');
  await fs.rename('/d/a', '/d/b');
  await fs.syncDir('/d');
  fs.crash();
  t.same(fs.paths(), ['/d/b'], 'and kept with it');

  // Directories moved back and forth without syncs must not make crash() loop.
  await fs.mkdirp('/x/y');
  await fs.syncDir('/x');
  await fs.syncDir('/');
  await fs.rename('/x/y', '/z');
  await fs.syncDir('/');
  await fs.rename('/x', '/z/x');
  await fs.syncDir('/z');
  fs.crash();
  t.same(await fs.readdir('/'), ['d', 'x', 'z']);
});

t.test('handles are invalid after crash; the instance reboots', async (t) => {
  const fs = new MemoryFileSystem();
  const f = await fs.openFile('/f');
  await f.writev([Buffer.from('abc')], 0);
  await f.datasync();
  // An operation already issued when the power goes out fails too.
  const inFlight = outcome(f.writev([Buffer.from('zzz')], 0));
  fs.crash();
  t.equal(await inFlight, 'EBADF');
  for (const [name, op] of [
    ['writev', () => f.writev([Buffer.from('x')], 0)],
    ['read', () => f.read(Buffer.alloc(1), 0, 1, 0)],
    ['datasync', () => f.datasync()],
    ['truncate', () => f.truncate(0)],
    ['size', () => f.size()],
    ['close', () => f.close()],
  ] as const) {
    t.equal(await outcome(op()), 'EBADF', name);
  }
  t.equal(fs.fileBytes('/f')?.toString(), 'abc');
  const g = await fs.openFile('/f');
  t.equal(await readAll(g), Buffer.from('abc').toString('hex'), 'a new handle reads the durable bytes');
  await g.writev([Buffer.from('d')], 3);
  t.equal(fs.fileBytes('/f')?.toString(), 'abcd');
  await g.close();
});

t.test('helpers: setFileBytes and corruptByte', async (t) => {
  const fs = new MemoryFileSystem();
  fs.setFileBytes('/a/b/c.log', Buffer.from([1, 2, 3]));
  t.same(await fs.readdir('/a/b'), ['c.log'], 'directories created');
  fs.crash();
  t.same(fs.fileBytes('/a/b/c.log'), Buffer.from([1, 2, 3]), 'setFileBytes is durable');
  const h = await fs.openFile('/a/b/c.log');
  fs.corruptByte('/a/b/c.log', 1);
  const buf = Buffer.alloc(3);
  await h.read(buf, 0, 3, 0);
  t.same(buf, Buffer.from([1, 0xfd, 3]), 'open handles see the corruption');
  fs.crash();
  t.same(fs.fileBytes('/a/b/c.log'), Buffer.from([1, 0xfd, 3]), 'the durable bytes are corrupt too');
  t.throws(() => fs.corruptByte('/a/b/c.log', 3), RangeError);
  t.throws(() => fs.corruptByte('/a/b/none', 0), { code: 'ENOENT' });
});

t.test('operations resolve on a later microtask', async (t) => {
  const fs = new MemoryFileSystem();
  const f = await fs.openFile('/f');
  let done = false;
  const p = f.writev([Buffer.from('x')], 0).then(() => (done = true));
  t.equal(done, false);
  t.equal(fs.fileBytes('/f')?.length, 0, 'the write lands later, as real I/O would');
  await p;
  t.equal(done, true);
  t.equal(fs.fileBytes('/f')?.toString(), 'x');
});

t.test('setCapacity: a full disk writes what fits, then ENOSPC; freed space is usable again', async (t) => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp('/d');
  t.equal(fs.usedBytes, 4096, 'a directory takes a block');
  const f = await fs.openFile('/d/f');
  await f.writev([Buffer.from('0123456789')], 0);
  fs.leaveFree(4);
  const err = (await f.writev([Buffer.from('abcdef')], 10).catch((e: NodeJS.ErrnoException) => e)) as NodeJS.ErrnoException;
  t.equal(err.code, 'ENOSPC');
  t.equal(fs.fileBytes('/d/f')?.toString(), '0123456789abcd', 'the bytes that fit landed, as a short write would');
  t.equal(await outcome(f.writev([Buffer.from('x')], 14)), 'ENOSPC', 'nothing fits any more');
  await f.writev([Buffer.from('ZZ')], 0);
  t.equal(fs.fileBytes('/d/f')?.toString(), 'ZZ23456789abcd', 'rewriting inside the file takes no space');
  t.equal(await outcome(fs.mkdirp('/d/e')), 'ENOSPC', 'a new directory needs a free block');
  const g = await fs.openFile('/d/empty');
  t.equal(await g.size(), 0, 'an empty file needs no block');
  t.equal(await outcome(fs.writeFileAtomic('/d/cp', Buffer.from('data'), true)), 'ENOSPC');
  t.same(fs.paths(), ['/d/empty', '/d/f'], 'the failed temp file is gone');

  await f.truncate(10);
  t.equal(await outcome(f.writev([Buffer.from('wxyz')], 10)), 'ok', 'truncating gave the space back');
  t.equal(await outcome(f.writev([Buffer.from('!')], 14)), 'ENOSPC');
  await fs.remove('/d/empty');
  fs.setCapacity(null);
  await f.writev([Buffer.alloc(100_000)], 14);
  t.equal(fs.fileBytes('/d/f')?.length, 100_014, 'no limit without a capacity');
  await f.close();
  await g.close();
});

t.test('openHandles counts handles until they are closed or a crash drops them', async (t) => {
  const fs = new MemoryFileSystem();
  t.equal(fs.openHandles, 0);
  const a = await fs.openFile('/a');
  const b = await fs.openFile('/b');
  t.equal(fs.openHandles, 2);
  t.same(fs.openHandlePaths(), ['/a', '/b']);
  await a.close();
  await a.close();
  t.equal(fs.openHandles, 1, 'closing twice counts once');
  fs.crash();
  t.equal(fs.openHandles, 0, 'handles from before a crash are gone');
  t.equal(await outcome(b.close()), 'EBADF');
});
