/**
 * Idle expiry and the least recently used idle connection, on plain objects.
 */
import t from 'tap';
import { IdleConnections } from '../../network/idle-connections.js';

class Fake {
  constructor(
    public idleSince: number,
    public idle = true,
  ) {}
}

t.test('expired: idle for at least the idle time, and not busy', async (t) => {
  const live = new Map<Fake, string>();
  const old = new Fake(0);
  const busy = new Fake(0, false);
  const recent = new Fake(900);
  for (const c of [old, busy, recent]) live.set(c, '');
  const idle = new IdleConnections(live);
  t.same(idle.expired(1000, 1000), [old]);
  t.same(idle.expired(1899, 1000), [old]);
  t.same(idle.expired(1900, 1000), [old, recent]);
});

t.test('least recently used: exact order, skipping busy, active and gone connections', async (t) => {
  const live = new Map<Fake, string>();
  const conns: Fake[] = [];
  // 200 connections, idle since a shuffled time each, so more than one candidate list is used.
  for (let i = 0; i < 200; i++) conns.push(new Fake(((i * 7919) % 200) + 1));
  for (const c of conns) live.set(c, '');
  const idle = new IdleConnections(live);
  const busy = conns.find((c) => c.idleSince === 1)!;
  busy.idle = false;
  const active = conns.find((c) => c.idleSince === 2)!;
  const gone = conns.find((c) => c.idleSince === 3)!;
  t.equal(idle.leastRecentlyUsed()?.idleSince, 2, 'a busy connection is never picked');
  // Taken: the caller closes it. Then activity on one candidate and a close of another.
  live.delete(active);
  const four = conns.find((c) => c.idleSince === 4)!;
  four.idleSince = 10_000;
  live.delete(gone);
  const order: number[] = [];
  for (let c = idle.leastRecentlyUsed(); c !== undefined; c = idle.leastRecentlyUsed()) {
    order.push(c.idleSince);
    live.delete(c);
  }
  t.same(order.slice(0, 3), [5, 6, 7], 'the oldest first');
  t.equal(order[order.length - 1], 10_000, 'the one with recent activity last');
  t.same(order, [...order].sort((a, b) => a - b), 'in order of idle time');
  t.equal(order.length, 197, 'all but the busy, the gone and the first taken');
  t.ok(live.has(busy) && live.size === 1, 'only the busy one is left');
  busy.idle = true;
  t.equal(idle.leastRecentlyUsed(), busy, 'once idle it can be picked');
});

t.test('none idle', async (t) => {
  const live = new Map<Fake, string>([[new Fake(0, false), '']]);
  t.equal(new IdleConnections(live).leastRecentlyUsed(), undefined);
  t.equal(new IdleConnections(new Map<Fake, string>()).leastRecentlyUsed(), undefined);
});
