/**
 * LogManager over several log directories on the in-memory file system: placement of new
 * partitions, the start-up scan (interrupted deletions, future replicas, a partition in two
 * directories), and moving a partition to another directory while it takes appends, including a
 * crash at every file-system step of the move.
 */
import t from 'tap';
import type { FileSystem, StorageFile } from '../fs/file-system.js';
import { MemoryFileSystem } from '../fs/memory-file-system.js';
import { DuplicateLogDirError, LogManager } from '../log-manager.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../log/log-config.js';
import type { PartitionLog } from '../log/partition-log.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';

const A = '/a';
const B = '/b';
const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

function config(over: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, segmentBytes: 2048, indexIntervalBytes: 256, ...over };
}

function open(fs: FileSystem, messages: string[] = []): Promise<LogManager> {
  return LogManager.open([A, B], { fsyncEnabled: true, logger: (m) => messages.push(m), fs });
}

function batch(value: string): Buffer {
  return buildBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }], producerId: -1, producerEpoch: -1, baseSequence: -1 });
}

/** Appends one record; resolves once it is durable (acknowledged with acks=all), rejects when refused. */
async function appendDurable(log: PartitionLog, value: string): Promise<void> {
  const buf = batch(value);
  const out = log.append(buf, scanBatches(buf), { leaderEpoch: 0, requireDurable: true });
  if ('errorCode' in out) throw new Error(`append refused: ${out.errorCode} ${out.errorMessage ?? ''}`);
  if ('duplicate' in out) throw new Error('unexpected duplicate');
  await out.written;
  await out.durable;
}

async function readValues(log: PartitionLog): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const { records } = await log.read(offset, 64 * 1024, { minOneBatch: true, upperBound: log.highWatermark });
    if (records.length === 0) break;
    for (const buf of records) {
      for (const b of scanBatches(buf)) {
        for (const r of readRecords(buf, b)) if (r.offset >= offset) out.push(r.value!.toString());
        offset = b.baseOffset + b.lastOffsetDelta + 1;
      }
    }
  }
  return out;
}

/**
 * What the replica manager does with a partition: appends go to its current log, and once a move
 * switches the log they wait for the next one, in the order they were made.
 */
class Holder {
  current: PartitionLog | Promise<PartitionLog>;
  constructor(log: PartitionLog) {
    this.current = log;
  }
  onSwitch = (next: Promise<PartitionLog>): void => {
    this.current = next;
    void next.then((l) => {
      if (this.current === next) this.current = l;
    }, () => undefined);
  };
  async append(value: string): Promise<void> {
    const c = this.current;
    await appendDurable(c instanceof Promise ? await c : c, value);
  }
}

const value = (i: number): string => `record-${i}-${'x'.repeat(60)}`;

t.test('new partitions go to the log directory holding the fewest, and stay there across a restart', async (t) => {
  const fs = new MemoryFileSystem();
  let m = await open(fs);
  for (let p = 0; p < 4; p++) await m.getOrCreate('t', p, TOPIC_ID, config());
  t.same([0, 1, 2, 3].map((p) => m.logDirOf(`t-${p}`)), [A, B, A, B]);
  t.ok(await fs.exists(`${B}/t-1/partition.metadata`));
  await m.closeAll();
  m = await open(fs);
  t.same([0, 1, 2, 3].map((p) => m.logDirOf(`t-${p}`)), [A, B, A, B], 'found where they were');
  t.equal(m.logDirNamed('/b/'), B, 'paths are compared as absolute paths');
  t.equal(m.logDirNamed('/c'), undefined);
  await m.closeAll();
});

t.test('a move copies the log while it takes appends; every acknowledged record is read back once, also after a restart', async (t) => {
  const fs = new MemoryFileSystem();
  const messages: string[] = [];
  const m = await open(fs, messages);
  const log = await m.getOrCreate('t', 0, TOPIC_ID, config());
  t.equal(m.logDirOf('t-0'), A);
  const holder = new Holder(log);
  let n = 0;
  for (; n < 200; n++) await holder.append(value(n));
  t.ok(log.segmentList.length > 5, `${log.segmentList.length} segments before the move`);

  let switched = false;
  const moved = m.moveLog('t', 0, B, (next) => {
    switched = true;
    holder.onSwitch(next);
  });
  t.equal(m.moveTarget('t-0'), B);
  // Appends keep coming during the copy and the switch, without waiting for each other.
  const inFlight: Array<Promise<void>> = [];
  let sawFuture = false;
  while (!switched || inFlight.length < 400) {
    inFlight.push(holder.append(value(n++)));
    if (m.futureOf('t-0') !== undefined) sawFuture = true;
    await new Promise((r) => setImmediate(r));
    if (n > 5000) break;
  }
  t.equal(await moved, true, 'moved');
  const oldValues = await readValues(log);
  t.equal(oldValues.length, log.logEndOffset, 'reads still in progress on the old log keep working');
  t.ok(fs.paths().some((p) => /^\/a\/t-0\.[0-9a-f]{32}-delete\//.test(p)), 'the old directory is set aside until reads are done');
  await Promise.all(inFlight);
  t.ok(sawFuture, 'the future replica was visible during the move');
  t.equal(m.logDirOf('t-0'), B);
  t.equal(m.futureOf('t-0'), undefined);
  const now = await (holder.current instanceof Promise ? holder.current : Promise.resolve(holder.current));
  t.not(now, log, 'the partition has a new log');
  t.equal(now.dir, `${B}/t-0`);
  for (; n < 2 * 1000 && n % 50 !== 0; n++) await holder.append(value(n));
  const expected = Array.from({ length: n }, (_, i) => value(i));
  t.same(await readValues(now), expected, 'every record once, in order');
  t.same(oldValues, expected.slice(0, oldValues.length), 'the old log held the records before the switch');
  await m.closeAll();
  t.notOk(fs.paths().some((p) => p.startsWith(`${A}/t-0`)), 'the old directory is gone');
  t.notOk(fs.paths().some((p) => p.includes('-future')), 'no future directory is left');

  const again = await open(fs);
  t.equal(again.logDirOf('t-0'), B);
  const reopened = await again.getOrCreate('t', 0, TOPIC_ID, config());
  t.same(await readValues(reopened), expected, 'the same after a restart');
  await appendDurable(reopened, 'after');
  t.equal(reopened.logEndOffset, n + 1);
  await again.closeAll();
});

t.test('moving to the current directory cancels a move in progress, and its copy is removed', async (t) => {
  const fs = new MemoryFileSystem();
  const m = await open(fs);
  const log = await m.getOrCreate('t', 0, TOPIC_ID, config({ segmentBytes: 1 << 20 }));
  for (let i = 0; i < 50; i++) await appendDurable(log, value(i));
  let switched = false;
  const moved = m.moveLog('t', 0, B, () => (switched = true));
  await m.cancelMove('t-0');
  t.equal(await moved, false);
  t.notOk(switched, 'never switched');
  t.equal(m.logDirOf('t-0'), A);
  t.notOk(fs.paths().some((p) => p.startsWith(B + '/')), 'nothing left in the target directory');
  await appendDurable(log, 'still here');
  t.equal(log.logEndOffset, 51);
  await m.closeAll();
});

/** Counts future replica directories that exist at the same time. */
class CountingFs extends MemoryFileSystem {
  private readonly futures = new Set<string>();
  most = 0;
  override async mkdirp(path: string): Promise<void> {
    await super.mkdirp(path);
    if (path.endsWith('-future')) this.futures.add(path);
    this.most = Math.max(this.most, this.futures.size);
  }
  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    this.futures.delete(from);
  }
  override async remove(path: string): Promise<void> {
    await super.remove(path);
    this.futures.delete(path);
  }
}

t.test('moves copy one partition per log directory at a time; a queued move can be cancelled', async (t) => {
  const fs = new CountingFs();
  const m = await open(fs);
  const logs: PartitionLog[] = [];
  for (let p = 0; p < 4; p++) {
    const log = await m.getOrCreate('t', p, TOPIC_ID, config());
    for (let i = 0; i < 30; i++) await appendDurable(log, value(i));
    logs.push(log);
  }
  t.same([0, 1, 2, 3].map((p) => m.logDirOf(`t-${p}`)), [A, B, A, B]);
  const holders = logs.map((l) => new Holder(l));
  const targets = [B, A, B, A];
  const moves = targets.map((dir, p) => m.moveLog('t', p, dir, holders[p]!.onSwitch));
  const cancelled = m.cancelMove('t-3');
  t.same(await Promise.all(moves.slice(0, 3)), [true, true, true], 'the others moved');
  t.equal(fs.most, 2, 'two copies at a time (two log directories)');
  await cancelled;
  t.equal(await moves[3], false, 'the cancelled move did not run');
  t.same([0, 1, 2, 3].map((p) => m.logDirOf(`t-${p}`)), [B, A, B, B]);
  for (const [p, h] of holders.entries()) {
    const log = h.current instanceof Promise ? await h.current : h.current;
    t.same(await readValues(log), Array.from({ length: 30 }, (_, i) => value(i)), `t-${p} intact`);
  }
  await m.closeAll();
});

t.test('start-up: a future replica is discarded while its partition is still current elsewhere, completed otherwise', async (t) => {
  const fs = new MemoryFileSystem();
  let m = await open(fs);
  const log = await m.getOrCreate('t', 0, TOPIC_ID, config());
  for (let i = 0; i < 30; i++) await appendDurable(log, value(i));
  await m.closeAll();
  const future = `${B}/t-0.0123456789abcdef0123456789abcdef-future`;
  // An interrupted copy: the current directory is still there.
  await fs.mkdirp(future);
  await fs.writeFileAtomic(`${future}/00000000000000000000.log`, Buffer.from('partial'), true);
  const messages: string[] = [];
  m = await open(fs, messages);
  t.equal(m.logDirOf('t-0'), A);
  t.notOk(await fs.exists(future), 'the interrupted copy is discarded');
  t.match(messages.join('\n'), /interrupted before it completed/);
  await m.closeAll();
  // A committed move: the current directory was set aside, the copy not renamed yet.
  await fs.rename(`${A}/t-0`, future);
  await fs.mkdirp(`${A}/t-0.0123456789abcdef0123456789abcdef-delete`);
  m = await open(fs, messages);
  t.equal(m.logDirOf('t-0'), B, 'the copy takes the partition');
  t.notOk(await fs.exists(`${A}/t-0.0123456789abcdef0123456789abcdef-delete`), 'the old directory is removed');
  t.same(await readValues(await m.getOrCreate('t', 0, TOPIC_ID, config())), Array.from({ length: 30 }, (_, i) => value(i)));
  await m.closeAll();
});

t.test('start-up refuses a partition with a current directory in two log directories', async (t) => {
  const fs = new MemoryFileSystem();
  await fs.mkdirp(`${A}/t-0`);
  await fs.mkdirp(`${B}/t-0`);
  const err = await open(fs).then(
    () => null,
    (e: unknown) => e,
  );
  t.ok(err instanceof DuplicateLogDirError, 'refused');
  t.match(String(err), /partition t-0 has a directory in both \/a and \/b/);
});

/**
 * A file system that crashes the memory file system at its `crashAt`-th change (a write, sync,
 * rename, removal or directory creation) and fails every call from then on, as a power loss
 * would end the process.
 */
class CrashingFs implements FileSystem {
  ops = 0;
  crashed = false;
  constructor(
    private readonly mem: MemoryFileSystem,
    private readonly crashAt: number,
  ) {}
  private step(): void {
    if (this.crashed) throw new Error('crashed');
    if (++this.ops === this.crashAt) {
      this.crashed = true;
      this.mem.crash();
      throw new Error('crashed');
    }
  }
  private live(): void {
    if (this.crashed) throw new Error('crashed');
  }
  async openFile(path: string): Promise<StorageFile> {
    this.live();
    const f = await this.mem.openFile(path);
    const step = (): void => this.step();
    const live = (): void => this.live();
    return {
      async writev(b, p) {
        step();
        return f.writev(b, p);
      },
      async read(into, o, l, p) {
        live();
        return f.read(into, o, l, p);
      },
      async datasync() {
        step();
        return f.datasync();
      },
      async truncate(s) {
        step();
        return f.truncate(s);
      },
      async size() {
        live();
        return f.size();
      },
      close: () => f.close(),
    };
  }
  async readFile(path: string): Promise<Buffer | null> {
    this.live();
    return this.mem.readFile(path);
  }
  async writeFileAtomic(path: string, data: Buffer, sync: boolean): Promise<void> {
    this.step();
    return this.mem.writeFileAtomic(path, data, sync);
  }
  async readdir(path: string): Promise<string[]> {
    this.live();
    return this.mem.readdir(path);
  }
  async rename(from: string, to: string): Promise<void> {
    this.step();
    return this.mem.rename(from, to);
  }
  async mkdirp(path: string): Promise<void> {
    this.step();
    return this.mem.mkdirp(path);
  }
  async remove(path: string): Promise<void> {
    this.step();
    return this.mem.remove(path);
  }
  async exists(path: string): Promise<boolean> {
    this.live();
    return this.mem.exists(path);
  }
  async syncDir(path: string): Promise<void> {
    this.step();
    return this.mem.syncDir(path);
  }
}

/** Builds a log in A, then moves it to B with appends during the move; the fs may crash on the way. */
async function moveWithAppends(fs: FileSystem, atMoveStart: () => void = () => undefined): Promise<{ acknowledged: Set<string>; moved: boolean }> {
  const acknowledged = new Set<string>();
  const m = await open(fs);
  const log = await m.getOrCreate('t', 0, TOPIC_ID, config());
  const holder = new Holder(log);
  for (let i = 0; i < 40; i++) {
    await holder.append(value(i));
    acknowledged.add(value(i));
  }
  let moved = false;
  atMoveStart();
  // Failures are expected once the file system crashed; handled at once (not only at the end).
  const done = m.moveLog('t', 0, B, holder.onSwitch).then(
    (ok) => void (moved = ok),
    () => undefined,
  );
  const appends: Array<Promise<void>> = [];
  for (let i = 40; i < 80; i++) {
    const v = value(i);
    appends.push(
      holder.append(v).then(
        () => void acknowledged.add(v),
        () => undefined,
      ),
    );
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all([done, ...appends]);
  await m.closeAll().catch(() => undefined);
  return { acknowledged, moved };
}

t.test('a crash at any step of a move keeps every acknowledged record exactly once, in one directory', async (t) => {
  const dry = new CrashingFs(new MemoryFileSystem(), -1);
  let first = 0;
  const { moved } = await moveWithAppends(dry, () => (first = dry.ops + 1));
  t.ok(moved, 'the move completes without a crash');
  const total = dry.ops;
  t.ok(total - first > 30, `${total - first} file-system changes from the start of the move`);
  let movedBefore = 0;
  for (let crashAt = first; crashAt <= total; crashAt++) {
    const mem = new MemoryFileSystem();
    const crashing = new CrashingFs(mem, crashAt);
    const { acknowledged } = await moveWithAppends(crashing);
    if (!crashing.crashed) continue;
    const messages: string[] = [];
    const m = await open(mem, messages);
    const where = m.logDirOf('t-0');
    if (where === undefined) {
      // Crashed before the log had anything durable: nothing can have been acknowledged.
      t.equal(acknowledged.size, 0, `crash at ${crashAt}: no log, nothing acknowledged`);
      await m.closeAll();
      continue;
    }
    if (where === B) movedBefore++;
    const log = await m.getOrCreate('t', 0, TOPIC_ID, config());
    const values = await readValues(log);
    const missing = [...acknowledged].filter((v) => !values.includes(v));
    if (missing.length > 0 || new Set(values).size !== values.length) {
      t.fail(`crash at ${crashAt} (log in ${where}): ${missing.length} acknowledged records missing, ${values.length - new Set(values).size} duplicated`);
    }
    const leftovers = mem.paths().filter((p) => /-future|-delete/.test(p));
    if (leftovers.length > 0) t.fail(`crash at ${crashAt}: left ${leftovers.join(', ')}`);
    const other = where === A ? B : A;
    if (await mem.exists(`${other}/t-0`)) t.fail(`crash at ${crashAt}: the partition is in both directories`);
    await m.closeAll();
  }
  t.ok(movedBefore > 0, `${movedBefore} crashes came after the commit point and found the partition moved`);
});
