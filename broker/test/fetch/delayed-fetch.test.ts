/**
 * DelayedFetchPurgatory: a delayed fetch ends once enough bytes were appended, on timeout or on
 * abort; each purgatory counts and bounds only its own waiters, so brokers sharing a process do not
 * share the limit.
 */
import t from 'tap';
import { DelayedFetchPurgatory, type WatchedPartition } from '../../fetch/delayed-fetch.js';

class FakePartition implements WatchedPartition {
  appendedBytes = 0;
  private readonly watchers = new Set<() => void>();

  watch(fn: () => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  append(bytes: number): void {
    this.appendedBytes += bytes;
    for (const w of [...this.watchers]) w();
  }

  get watcherCount(): number {
    return this.watchers.size;
  }
}

t.test('ends once the missing bytes were appended, across partitions', async (t) => {
  const purgatory = new DelayedFetchPurgatory();
  const a = new FakePartition();
  const b = new FakePartition();
  let done = false;
  const wait = purgatory.waitForAppends([a, b], 100, 60_000, new AbortController().signal).then(() => (done = true));
  t.equal(purgatory.size, 1);
  a.append(60);
  await Promise.resolve();
  t.notOk(done, 'not enough yet');
  b.append(40);
  await wait;
  t.equal(purgatory.size, 0);
  t.equal(a.watcherCount + b.watcherCount, 0, 'stops watching');
});

t.test('ends on timeout and on abort', async (t) => {
  const purgatory = new DelayedFetchPurgatory();
  const p = new FakePartition();
  const start = Date.now();
  await purgatory.waitForAppends([p], 100, 20, new AbortController().signal);
  t.ok(Date.now() - start >= 15, 'waited for the timeout');
  const abort = new AbortController();
  const wait = purgatory.waitForAppends([p], 100, 60_000, abort.signal);
  abort.abort();
  await wait;
  t.equal(purgatory.size, 0);
  t.equal(p.watcherCount, 0);
});

t.test('each purgatory has its own bound', async (t) => {
  const full = new DelayedFetchPurgatory(1);
  const other = new DelayedFetchPurgatory(1);
  const abort = new AbortController();
  const p = new FakePartition();
  const waiting = full.waitForAppends([p], 1, 60_000, abort.signal);
  t.equal(full.size, 1);
  t.equal(other.size, 0, 'another broker does not see this one\'s waiters');
  let answered = false;
  await full.waitForAppends([p], 1, 60_000, abort.signal).then(() => (answered = true));
  t.ok(answered, 'past the bound a fetch is answered at once');
  const otherWait = other.waitForAppends([p], 1, 60_000, abort.signal);
  t.equal(other.size, 1, 'the other purgatory still delays its fetches');
  p.append(1);
  await Promise.all([waiting, otherWait]);
  t.equal(full.size + other.size, 0);
});
