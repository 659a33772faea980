/**
 * One broker per data directory. Kafka's `LogManager.lockLogDirs` holds a `FileLock` (flock) on
 * `<dir>/.lock` for its lifetime; two brokers appending to the same partition files would
 * overwrite each other's acknowledged records. Node has no flock, so the lock is a file naming its
 * holder, and a lock whose holder is gone (killed, crashed) is stale and taken over.
 *
 * The lock file is `.lock.<generation>` and holds `<pid> <start time> <token>`. The start time
 * (field 22 of /proc/<pid>/stat, in clock ticks since boot) tells the holder from a later process
 * that was given the same pid. A holder is alive while /proc/<pid> exists, is not a zombie and
 * has that start time; without /proc, while the pid exists. A second broker in the same process
 * finds its own pid and start time and is refused like any other.
 *
 * Why generations: POSIX has no compare-and-delete, so "remove the stale lock, then create mine"
 * lets two processes that both read the same stale lock both succeed (the second deletes the
 * first's fresh lock). A stale lock is therefore never replaced: the next generation is created
 * beside it, and exclusive creation is the only arbiter. A process that read generation n as
 * stale can only create n + 1, so while a live holder owns the highest generation nobody can
 * create a higher one; after creating its file a process lists again and backs off if a higher
 * generation exists (it was slow and someone else won). The winner then removes the generations
 * below its own. Each file is written in full under a temporary name and hard-linked into place
 * (link fails if the name exists), so a lock file is never seen half-written; where the file
 * system has no hard links it is created with O_EXCL and written, and a lock file that cannot be
 * parsed counts as held for a few seconds after its last change.
 *
 * Limits: the holder is judged by its pid on this machine, so processes in different pid
 * namespaces, or on different hosts sharing a network file system, are not kept apart.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describeErrno, errnoCode, StartupError } from './startup-error.js';

const GENERATION = /^\.lock\.(\d{1,15})$/;
const TEMPORARY = /^\.lock\.tmp\.(\d+)\./;
/** An unparseable lock file younger than this may be one being written (O_EXCL fallback). */
const UNPARSEABLE_GRACE_MS = 5000;
const MAX_ATTEMPTS = 100;

interface Holder {
  pid: number;
  /** '-' where the system has no /proc. */
  startTime: string;
  token: string;
}

interface ProcStat {
  state: string;
  startTime: string;
}

/** /proc/<pid>/stat: null if there is no such process, undefined if there is no /proc. */
async function procStat(pid: number | 'self'): Promise<ProcStat | null | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ESRCH') return (await procAvailable()) ? null : undefined;
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces; the rest are plain fields.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', startTime: fields[19] ?? '-' };
}

let procChecked: boolean | null = null;
async function procAvailable(): Promise<boolean> {
  if (procChecked === null) {
    try {
      await stat('/proc/self/stat');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}

let ownStartTime: Promise<string> | null = null;
function startTimeOfThisProcess(): Promise<string> {
  ownStartTime ??= procStat('self').then((s) => s?.startTime ?? '-');
  return ownStartTime;
}

async function isAlive(h: Holder): Promise<boolean> {
  if (h.pid === process.pid && h.startTime === (await startTimeOfThisProcess())) return true;
  const s = await procStat(h.pid);
  if (s === undefined) return pidExists(h.pid);
  if (s === null) return false;
  // A zombie has exited and holds nothing; its parent just has not reaped it yet.
  if (s.state === 'Z' || s.state === 'X' || s.state === 'x') return false;
  return h.startTime === '-' || s.startTime === h.startTime;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

function parseHolder(text: string): Holder | null {
  const m = /^(\d+) (\S+) (\S+)\n$/.exec(text);
  if (!m) return null;
  return { pid: Number(m[1]), startTime: m[2]!, token: m[3]! };
}

type Judged = { kind: 'gone' } | { kind: 'stale' } | { kind: 'held'; holder: Holder | null };

async function judge(file: string): Promise<Judged> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'gone' };
    throw e;
  }
  const holder = parseHolder(text);
  if (holder === null) {
    let recent = false;
    try {
      recent = Date.now() - (await stat(file)).mtimeMs < UNPARSEABLE_GRACE_MS;
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return { kind: 'gone' };
      throw e;
    }
    return recent ? { kind: 'held', holder: null } : { kind: 'stale' };
  }
  return (await isAlive(holder)) ? { kind: 'held', holder } : { kind: 'stale' };
}

async function generations(dir: string): Promise<{ all: number[]; max: number; temporaries: string[] }> {
  const all: number[] = [];
  const temporaries: string[] = [];
  for (const name of await readdir(dir)) {
    const m = GENERATION.exec(name);
    if (m) all.push(Number(m[1]));
    else if (TEMPORARY.test(name)) temporaries.push(name);
  }
  let max = -1;
  for (const g of all) if (g > max) max = g;
  return { all, max, temporaries };
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

/**
 * Creates `dir` and any missing parents. Node's own recursive mkdir loops forever where mkdir
 * reports ENOENT for a parent that exists (under /proc, for one), so each level is tried once.
 */
async function makeDirectory(path: string, depth: number): Promise<void> {
  try {
    await mkdir(path);
    return;
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST' && (await stat(path)).isDirectory()) return;
    const parent = dirname(path);
    if (code !== 'ENOENT' || parent === path || depth > 255) throw e;
    await makeDirectory(parent, depth + 1);
  }
  try {
    await mkdir(path);
  } catch (e) {
    if (errnoCode(e) === 'EEXIST' && (await stat(path)).isDirectory()) return;
    throw e;
  }
}

/** Why `dir` could not be created, naming the path at fault where it is not `dir` itself. */
async function whyNotCreated(dir: string, e: unknown): Promise<string> {
  const code = errnoCode(e);
  if (code === 'EEXIST') return `${dir} exists and is not a directory`;
  if (code === 'ENOTDIR') {
    for (let p = dirname(dir); p !== dirname(p); p = dirname(p)) {
      try {
        if (!(await stat(p)).isDirectory()) return `${p} is not a directory`;
      } catch {
        continue;
      }
    }
  }
  if (code === 'ENOENT') return `the file system does not allow creating it here (ENOENT)`;
  return describeErrno(e);
}

function heldError(dir: string, file: string, holder: Holder | null): StartupError {
  if (holder === null) return new StartupError(`log.dirs ${dir} is being locked by another process starting on it (${file})`);
  if (holder.pid === process.pid) return new StartupError(`log.dirs ${dir} is already in use by another broker in this process (${file})`);
  return new StartupError(`log.dirs ${dir} is already in use by another broker, process ${holder.pid} (lock file ${file})`);
}

export class LogDirLock {
  private released = false;

  private constructor(
    /** The data directory, absolute. */
    readonly dir: string,
    /** The lock file this broker holds. */
    readonly file: string,
    private readonly token: string,
  ) {}

  /**
   * Creates `dataDir` if needed and takes it for this broker. Throws a `StartupError` naming the
   * directory when it cannot be created or written, or another live process holds it.
   */
  static async acquire(dataDir: string): Promise<LogDirLock> {
    const dir = resolve(dataDir);
    try {
      await makeDirectory(dir, 0);
    } catch (e) {
      throw new StartupError(`log.dirs ${dir}: cannot create the directory: ${await whyNotCreated(dir, e)}`);
    }
    // Hex: no '-', so no name here ever looks like a partition directory (`<topic>-<n>`).
    const token = randomBytes(8).toString('hex');
    const content = `${process.pid} ${await startTimeOfThisProcess()} ${token}\n`;
    const tmp = join(dir, `.lock.tmp.${process.pid}.${token}`);
    try {
      await writeFile(tmp, content, { flag: 'wx' });
    } catch (e) {
      const reason = errnoCode(e) === 'ENOENT' ? 'the file system does not allow creating files in it (ENOENT)' : describeErrno(e);
      throw new StartupError(`log.dirs ${dir} is not writable: ${reason}`);
    }
    try {
      return await LogDirLock.race(dir, tmp, content, token);
    } finally {
      await removeIfPresent(tmp).catch(() => undefined);
    }
  }

  private static async race(dir: string, tmp: string, content: string, token: string): Promise<LogDirLock> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { max } = await generations(dir);
      if (max >= 0) {
        const current = join(dir, `.lock.${max}`);
        const j = await judge(current);
        if (j.kind === 'gone') continue;
        if (j.kind === 'held') throw heldError(dir, current, j.holder);
      }
      const mine = join(dir, `.lock.${max + 1}`);
      if (!(await createExclusive(tmp, mine, content))) continue;
      const after = await generations(dir);
      if (after.max > max + 1) {
        // Someone took a higher generation meanwhile: it wins; look at it again.
        await removeIfPresent(mine);
        continue;
      }
      for (const g of after.all) if (g <= max) await removeIfPresent(join(dir, `.lock.${g}`));
      for (const name of after.temporaries) {
        const pid = Number(TEMPORARY.exec(name)![1]);
        if (pid !== process.pid && !pidExists(pid)) await removeIfPresent(join(dir, name));
      }
      return new LogDirLock(dir, mine, token);
    }
    throw new StartupError(`log.dirs ${dir}: could not take the lock after ${MAX_ATTEMPTS} attempts while other processes kept taking it`);
  }

  /** Releases the lock (clean shutdown). A crashed holder's lock is taken over by the next start. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return;
    }
    if (parseHolder(text)?.token === this.token) await removeIfPresent(this.file);
  }
}

/** Puts the lock file in place only if no file has that name; false if one has. */
async function createExclusive(tmp: string, file: string, content: string): Promise<boolean> {
  try {
    await link(tmp, file);
    return true;
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
  }
  // No hard links here: O_EXCL creation, the content written right after.
  try {
    await writeFile(file, content, { flag: 'wx' });
    return true;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw e;
  }
}
