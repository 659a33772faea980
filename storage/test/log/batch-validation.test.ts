/**
 * The checked byte ranges of a segment: merging, lookups and the bound on their number.
 */
import t from 'tap';
import { ValidatedRanges } from '../../log/batch-validation.js';

t.test('ranges merge and answer where checking must resume', async (t) => {
  const r = new ValidatedRanges();
  t.equal(r.checkedFrom(0), 0, 'nothing checked yet');
  r.add(0, 100);
  r.add(200, 300);
  t.equal(r.checkedFrom(0), 100);
  t.equal(r.checkedFrom(50), 100);
  t.equal(r.checkedFrom(100), 100, 'the end is not checked');
  t.equal(r.checkedFrom(250), 300);
  r.add(100, 200);
  t.equal(r.checkedFrom(0), 300, 'adjacent ranges merge');
  r.addAll();
  t.equal(r.checkedFrom(12345), Infinity);
});

t.test('the number of ranges is bounded; the shortest is forgotten', async (t) => {
  const r = new ValidatedRanges();
  r.add(0, 1000);
  for (let i = 0; i < 40; i++) r.add(2000 + i * 100, 2000 + i * 100 + 10);
  t.equal(r.checkedFrom(0), 1000, 'the long range stays');
  let kept = 0;
  for (let i = 0; i < 40; i++) if (r.checkedFrom(2000 + i * 100) > 2000 + i * 100) kept++;
  t.ok(kept <= 15, `at most 16 ranges in all (${kept} short ones kept)`);
});
