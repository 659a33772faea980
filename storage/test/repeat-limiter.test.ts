/** RepeatLimiter: one line per key per interval, with the count of repeats suppressed in between. */
import t from 'tap';
import { RepeatLimiter } from '../repeat-limiter.js';

t.test('the first line of a key is logged, repeats are counted until the interval has passed', async (t) => {
  let now = 1000;
  const r = new RepeatLimiter(10_000, 100, () => now);
  t.equal(r.admit('t-0'), 0, 'first line');
  t.equal(r.admit('t-0'), null);
  t.equal(r.admit('t-0'), null);
  t.equal(r.admit('t-1'), 0, 'keys are independent');
  now += 9_999;
  t.equal(r.admit('t-0'), null, 'still within the interval');
  now += 1;
  t.equal(r.admit('t-0'), 3, 'the next line reports the three suppressed repeats');
  t.equal(RepeatLimiter.describe('disk full', 3), 'disk full (3 similar messages suppressed)');
  t.equal(RepeatLimiter.describe('disk full', 1), 'disk full (1 similar message suppressed)');
  t.equal(RepeatLimiter.describe('disk full', 0), 'disk full');
});

t.test('the key map is bounded', async (t) => {
  const r = new RepeatLimiter(10_000, 3, () => 0);
  for (const k of ['a', 'b', 'c']) t.equal(r.admit(k), 0);
  t.equal(r.admit('d'), 0, 'a new key beyond the bound starts over');
  t.equal(r.admit('d'), null);
  t.equal(r.admit('a'), 0, 'older keys were forgotten');
});
