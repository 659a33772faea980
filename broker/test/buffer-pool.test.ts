/**
 * BufferPool: sizes round up to a power of two between 64 KiB and 1 MiB, buffers (or views of
 * them) come back for reuse, one returned twice or not made by the pool is never handed out again,
 * and idle memory is bounded.
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
