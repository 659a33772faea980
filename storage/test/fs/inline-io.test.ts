/**
 * InlineIoPolicy: segment reads and writes run inline until one is slow, then go to the threadpool
 * for a cool-down that doubles while inline calls stay slow; NodeFileSystem gives the same bytes on
 * either path.
 */
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InlineIoPolicy, NodeFileSystem } from '../../fs/file-system.js';

/** A policy on a hand-driven clock. */
function clocked(): { policy: InlineIoPolicy; clock: { now: number } } {
  const clock = { now: 0 };
  const policy = new InlineIoPolicy({ slowCallMs: 2, minCoolDownMs: 100, maxCoolDownMs: 350, maxInlineBytes: 1000, now: () => clock.now });
  return { policy, clock };
}

/** One inline call that takes `ms`. */
function call(policy: InlineIoPolicy, clock: { now: number }, ms: number): void {
  const s = policy.begin(1);
  if (s < 0) throw new Error('call was not inline');
  clock.now += ms;
  policy.done(s);
}

/** How long (ms) from now until calls are inline again. */
function coolDown(policy: InlineIoPolicy, clock: { now: number }): number {
  const from = clock.now;
  while (policy.begin(1) < 0) clock.now += 1;
  return clock.now - from;
}

t.test('fast calls and a lone slow call stay inline; two slow calls within a second do not', async (t) => {
  const { policy, clock } = clocked();
  call(policy, clock, 1);
  call(policy, clock, 5);
  t.equal(policy.slowCalls, 1);
  t.ok(policy.begin(1) >= 0, 'one slow call (a preemption, say) does not switch');
  clock.now += 1001;
  call(policy, clock, 5);
  t.ok(policy.begin(1) >= 0, 'nor does a second one more than a second later');
  call(policy, clock, 1);
  call(policy, clock, 5);
  t.equal(policy.slowCalls, 3);
  t.equal(policy.begin(1), -1, 'threadpool after the second slow call within the window');
  clock.now += 99;
  t.equal(policy.begin(1), -1, 'threadpool until the cool-down ends');
  clock.now += 1;
  t.ok(policy.begin(1) >= 0, 'inline again after 100 ms');
});

t.test('the cool-down doubles when needed again soon after, is capped, and resets after a quiet spell', async (t) => {
  const { policy, clock } = clocked();
  const twoSlow = (): void => {
    call(policy, clock, 3);
    call(policy, clock, 3);
  };
  twoSlow();
  t.equal(coolDown(policy, clock), 100, 'the first cool-down');
  twoSlow();
  t.equal(coolDown(policy, clock), 200, 'slow again right after: doubled');
  twoSlow();
  t.equal(coolDown(policy, clock), 350, 'capped at maxCoolDownMs');
  clock.now += 400;
  twoSlow();
  t.equal(coolDown(policy, clock), 100, 'after a spell longer than the cool-down: back to the minimum');
});

t.test('large calls always use the threadpool', async (t) => {
  const { policy } = clocked();
  t.equal(policy.begin(1001), -1);
  t.ok(policy.begin(1000) >= 0);
});

t.test('NodeFileSystem writes and reads the same bytes inline and on the threadpool', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-inline-io-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const clock = { now: 0 };
  const policy = new InlineIoPolicy({ slowCallMs: 2, minCoolDownMs: 1000, maxInlineBytes: 64, now: () => clock.now });
  const fs = new NodeFileSystem(policy);
  const f = await fs.openFile(join(dir, 'a.log'));
  const small = [Buffer.from('inline-'), Buffer.from('write|')];
  const big = Buffer.alloc(200, 0x61);
  await f.writev(small, 0);
  await f.writev([big], 13);
  const expected = Buffer.concat([...small, big]);
  t.same(await readFile(join(dir, 'a.log')), expected, 'file holds both writes');

  const inlineRead = Buffer.alloc(13);
  t.equal(await f.read(inlineRead, 0, 13, 0), 13);
  t.equal(inlineRead.toString(), 'inline-write|');
  const poolRead = Buffer.alloc(200);
  t.equal(await f.read(poolRead, 0, 200, 13), 200, 'a read over maxInlineBytes goes to the threadpool');
  t.same(poolRead, big);
  const pastEnd = Buffer.alloc(50);
  t.equal(await f.read(pastEnd, 0, 50, 200), 13, 'a read past the end returns what exists');
  t.equal(policy.slowCalls, 0);
  await f.close();
});

t.test('an inline call that fails still reports to the policy and rejects', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-inline-io-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const clock = { now: 0 };
  const policy = new InlineIoPolicy({ now: () => clock.now });
  const fs = new NodeFileSystem(policy);
  const f = await fs.openFile(join(dir, 'b.log'));
  await f.close();
  await t.rejects(f.writev([Buffer.from('x')], 0), { code: 'EBADF' }, 'write on a closed file fails cleanly');
  await t.rejects(f.read(Buffer.alloc(1), 0, 1, 0), { code: 'EBADF' });
  t.equal(policy.slowCalls, 0);
});

t.test('writes to a file being fsynced go to the threadpool', async (t) => {
  // A write into a page under writeback waits for it; that wait must not be on the event loop.
  const dir = await mkdtemp(join(tmpdir(), 'samsa-inline-io-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  class CountingPolicy extends InlineIoPolicy {
    asked = 0;
    override begin(bytes: number): number {
      this.asked++;
      return super.begin(bytes);
    }
  }
  const policy = new CountingPolicy();
  const fs = new NodeFileSystem(policy);
  const f = await fs.openFile(join(dir, 'c.log'));
  await f.writev([Buffer.from('before ')], 0);
  t.equal(policy.asked, 1, 'a write with no sync in flight may run inline');
  const syncing = f.datasync();
  await f.writev([Buffer.from('during ')], 7);
  t.equal(policy.asked, 1, 'a write during the sync does not even ask');
  await syncing;
  await f.writev([Buffer.from('after')], 14);
  t.equal(policy.asked, 2, 'inline again once the sync is done');
  t.equal((await readFile(join(dir, 'c.log'))).toString(), 'before during after');
  await f.close();
});
