/**
 * LogDirLock: one holder per data directory, whether the other would-be holder is a broker in
 * this process or another process; a lock left by a process that is gone (dead pid, a pid given to
 * a later process, a zombie, an unreadable file from long ago) is taken over, also when several
 * processes race for it; a directory that cannot be created or written is named in the error.
 */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogDirLock } from '../log-dir-lock.js';
import { StartupError } from '../startup-error.js';

const scratch = mkdtempSync(join(tmpdir(), 'samsa-lock-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(scratch, `d${dirs++}`);
const lockFiles = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('.lock')).sort();
const hasProc = existsSync('/proc/self/stat');
/** Child processes start without the test runner's preloaded modules (seconds under load). */
const env = { ...process.env, NODE_OPTIONS: '' };

function startTimeOf(pid: number): string {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** A pid no process has any more (a child that ran and was reaped). */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', ''], { env }).pid!;
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StartupError) return e.message;
    throw e;
  }
  throw new Error('expected a StartupError');
}

t.test('held: creates the directory, refuses a second broker in this process until released', async (t) => {
  const dir = join(freshDir(), 'nested', 'data');
  const lock = await LogDirLock.acquire(dir);
  t.ok(existsSync(dir), 'the directory and its missing parents were created');
  t.same(lockFiles(dir), ['.lock.0'], 'one lock file, no temporary left');
  t.match(readFileSync(lock.file, 'utf8'), new RegExp(`^${process.pid} \\S+ \\S+\\n$`), 'it names this process');

  const msg = await refusal(LogDirLock.acquire(dir));
  t.match(msg, dir, 'the refusal names the directory');
  t.match(msg, /in use by another broker in this process/);
  t.notMatch(msg, /\n/, 'on one line');

  await lock.release();
  t.same(lockFiles(dir), [], 'released: no lock file');
  const again = await LogDirLock.acquire(dir);
  t.pass('taken again after release');
  await again.release();
});

t.test('a live holder in another process refuses us, naming its pid', async (t) => {
  const dir = freshDir();
  const moduleUrl = new URL('../log-dir-lock.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `const { LogDirLock } = await import(${JSON.stringify(moduleUrl)}); await LogDirLock.acquire(${JSON.stringify(dir)}); console.log('held'); setTimeout(() => {}, 20000);`],
    { stdio: ['ignore', 'pipe', 'inherit'], env },
  );
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  const msg = await refusal(LogDirLock.acquire(dir));
  t.match(msg, `process ${child.pid}`, 'names the holder');
  t.match(msg, dir, 'and the directory');

  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const lock = await LogDirLock.acquire(dir);
  t.same(lockFiles(dir), ['.lock.1'], "the killed holder's lock was taken over and removed");
  await lock.release();
});

t.test('stale locks are taken over: dead pid, reused pid, zombie, old unreadable file', async (t) => {
  const takeOver = async (what: string, content: string, old = false): Promise<void> => {
    const dir = freshDir();
    await LogDirLock.acquire(dir).then((l) => l.release());
    writeFileSync(join(dir, '.lock.4'), content);
    if (old) utimesSync(join(dir, '.lock.4'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const lock = await LogDirLock.acquire(dir);
    t.same(lockFiles(dir), ['.lock.5'], `${what}: taken over with the next generation, the stale one removed`);
    await lock.release();
  };
  await takeOver('dead pid', `${deadPid()} 12345 x\n`);
  await takeOver('unreadable and a minute old', 'garbage', true);
  if (hasProc) {
    await takeOver('this pid with another start time (pid reused)', `${process.pid} 1 x\n`);

    // `sh` starts a short sleep, then becomes a long sleep that never reaps it: a zombie.
    const sh = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    t.teardown(() => sh.kill('SIGKILL'));
    const zombie = Number(await new Promise<string>((resolve) => sh.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
    const start = startTimeOf(zombie);
    for (let i = 0; i < 100 && !/\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
    t.match(readFileSync(`/proc/${zombie}/stat`, 'utf8'), /\) Z /, `pid ${zombie} is a zombie`);
    await takeOver('zombie holder', `${zombie} ${start} x\n`);
    sh.kill('SIGKILL');
  }
});

t.test('an unreadable lock file just written counts as held (a holder may be writing it)', async (t) => {
  const dir = freshDir();
  await LogDirLock.acquire(dir).then((l) => l.release());
  writeFileSync(join(dir, '.lock.0'), '');
  const msg = await refusal(LogDirLock.acquire(dir));
  t.match(msg, /being locked by another process/);
});

t.test('processes racing for a fresh or a stale lock: exactly one wins each round', async (t) => {
  const moduleUrl = new URL('../log-dir-lock.js', import.meta.url).href;
  const contenders = 4;
  const rounds = 20;
  // Each contender takes a directory per stdin line and reports; what it wins it holds until it
  // exits, so each round's losers must find a live holder.
  const script = `
    const { LogDirLock } = await import(${JSON.stringify(moduleUrl)});
    const lines = (await import('node:readline')).createInterface({ input: process.stdin });
    lines.on('line', (dir) => LogDirLock.acquire(dir).then(
      () => console.log('held'),
      (e) => console.log(e.name === 'StartupError' ? 'refused' : 'error ' + JSON.stringify(e.stack)),
    ));
    lines.once('close', () => process.exit(0));
    console.log('ready');`;
  const children = Array.from({ length: contenders }, () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'], env });
    const lines: string[] = [];
    const waiters: Array<() => void> = [];
    let partial = '';
    child.stdout!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      lines.push(...parts);
      for (const w of waiters.splice(0)) w();
    });
    const line = async (n: number): Promise<string> => {
      while (lines.length <= n) await new Promise<void>((r) => waiters.push(r));
      return lines[n]!;
    };
    const exited = new Promise((r) => child.on('exit', r));
    return { child, line, exited };
  });
  t.teardown(() => children.forEach((c) => c.child.kill('SIGKILL')));
  await Promise.all(children.map((c) => c.line(0)));
  const dead = deadPid();
  let oneHolderEachRound = true;
  for (let round = 1; round <= rounds; round++) {
    const dir = freshDir();
    mkdirSync(dir);
    // Odd rounds race for a directory with a stale lock left by a process that is gone.
    if (round % 2 === 1) writeFileSync(join(dir, `.lock.${round}`), `${dead} 12345 stale\n`);
    for (const c of children) c.child.stdin!.write(`${dir}\n`);
    const outcomes = await Promise.all(children.map((c) => c.line(round)));
    const held = outcomes.filter((o) => o === 'held').length;
    const refused = outcomes.filter((o) => o === 'refused').length;
    if (held !== 1 || refused !== contenders - 1) {
      oneHolderEachRound = false;
      t.fail(`round ${round}${round % 2 === 1 ? ' (stale lock)' : ''}: ${outcomes.join(', ')}`);
    }
    const files = readdirSync(dir).filter((n) => n.startsWith('.lock'));
    if (files.length !== 1) {
      oneHolderEachRound = false;
      t.fail(`round ${round}: one lock file left, not ${JSON.stringify(files)}`);
    }
  }
  t.ok(oneHolderEachRound, `${rounds} rounds of ${contenders} processes: one holder each, the others refused`);
  for (const c of children) c.child.stdin!.end();
  await Promise.all(children.map((c) => c.exited));
});

t.test('a directory that cannot be created or written is named', async (t) => {
  const file = join(scratch, 'a-file');
  writeFileSync(file, '');
  const under = await refusal(LogDirLock.acquire(join(file, 'data')));
  t.equal(under, `log.dirs ${join(file, 'data')}: cannot create the directory: ${file} is not a directory`);
  t.match(await refusal(LogDirLock.acquire(file)), `${file} exists and is not a directory`);
  if (hasProc) {
    // mkdir reports ENOENT under /proc, where Node's recursive mkdir would loop forever.
    t.match(await refusal(LogDirLock.acquire('/proc/samsa-no-such-dir/data')), 'log.dirs /proc/samsa-no-such-dir/data: cannot create the directory');
    t.match(await refusal(LogDirLock.acquire('/proc')), 'log.dirs /proc is not writable');
  }
});
