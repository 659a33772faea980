/**
 * BufferPool: sizes round up to a power of two between 16 KiB and 1 MiB, buffers (or views of
 * them) come back for reuse, one returned twice or not made by the pool is never handed out again,
 * idle memory is bounded, and a poisoning pool marks what it takes back.
 */
import t from 'tap';
import { BufferPool } from '../buffer-pool.js';

t.test('sizes round up to their class; others are plain allocations', async (t) => {
  const pool = new BufferPool();
  t.equal(pool.take(64 << 10).length, 64 << 10);
  t.equal(pool.take((64 << 10) + 1).length, 128 << 10);
  t.equal(pool.take(1 << 20).length, 1 << 20);
  t.equal(pool.take(1000).length, 1000, 'small: exact size, not pooled');
  t.equal(pool.take((1 << 20) + 1).length, (1 << 20) + 1, 'large: exact size, not pooled');
});

t.test('a returned buffer is reused for the same class only', async (t) => {
  const pool = new BufferPool();
  const a = pool.take(100_000);
  pool.give(a);
  t.equal(pool.idleSize, 128 << 10);
  t.not(pool.take(65_536), a, 'another class gets its own buffer');
  t.equal(pool.take(120_000), a, 'the same class reuses it');
  t.equal(pool.idleSize, 0);
});

t.test('double returns and foreign buffers are ignored', async (t) => {
  const pool = new BufferPool();
  const a = pool.take(200_000);
  pool.give(a);
  pool.give(a);
  t.equal(pool.idleSize, 256 << 10, 'counted once');
  const first = pool.take(200_000);
  const second = pool.take(200_000);
  t.equal(first, a);
  t.not(second, a, 'never handed out twice');
  pool.give(Buffer.allocUnsafe(256 << 10));
  pool.give(pool.take(1000));
  pool.give(Buffer.from('a slice of the shared pool'));
  t.equal(pool.idleSize, 0, 'buffers the pool did not make are not kept');
});

t.test('a view gives back the buffer it is a view of', async (t) => {
  const pool = new BufferPool();
  const a = pool.take(300_000);
  pool.give(a.subarray(10, 300_010));
  t.equal(pool.idleSize, 512 << 10);
  t.equal(pool.take(400_000), a);
});

t.test('idle memory is bounded', async (t) => {
  const pool = new BufferPool(2 << 20);
  const bufs = [pool.take(1 << 20), pool.take(1 << 20), pool.take(1 << 20)];
  for (const b of bufs) pool.give(b);
  t.equal(pool.idleSize, 2 << 20, 'the third is left to the garbage collector');
});

t.test('a full pool makes room for the size now being returned', async (t) => {
  const pool = new BufferPool(1 << 20);
  const small = Array.from({ length: 8 }, () => pool.take(128 << 10));
  for (const b of small) pool.give(b);
  t.equal(pool.idleSize, 1 << 20, 'full of 128 KiB buffers');
  const big = pool.take(1 << 20);
  pool.give(big);
  t.equal(pool.idleSize, 1 << 20);
  t.equal(pool.take(1 << 20), big, 'the 1 MiB buffer was kept; 128 KiB ones were dropped for it');
  const again = pool.take(128 << 10);
  t.notOk(small.includes(again), 'the dropped ones are not handed out');
});

t.test('a poisoning pool fills every buffer it takes back and refuses a double release', async (t) => {
  const pool = new BufferPool(1 << 20, 0x4c);
  const a = pool.take(20_000);
  a.fill(1);
  const view = a.subarray(100, 20_100);
  pool.give(view);
  t.ok(a.every((b) => b === 0x4c), 'the whole buffer, not only the view, is poisoned');
  t.throws(() => pool.give(a), /given back twice/, 'a second release while idle is an error');
  const big = Array.from({ length: 2 }, () => pool.take(1 << 20));
  for (const b of big) b.fill(2);
  for (const b of big) pool.give(b);
  t.ok(big[1]!.every((b) => b === 0x4c), 'poisoned even when the pool is full and does not keep it');
  const small = Buffer.alloc(1000, 3);
  pool.give(small);
  t.ok(small.every((b) => b === 3), 'buffers the pool did not make are left alone');
  const plain = new BufferPool();
  const c = plain.take(20_000);
  c.fill(5);
  plain.give(c);
  t.ok(c.every((b) => b === 5), 'without a poison byte nothing is written');
});
