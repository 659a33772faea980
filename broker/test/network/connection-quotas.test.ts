/**
 * Connection limits: per-IP limits with overrides, the broker-wide count, and the creation rate
 * as a token bucket of one second.
 */
import t from 'tap';
import { ConnectionQuotas, normalizeIp, resolveHostLimits, UNLIMITED } from '../../network/connection-quotas.js';

const config = (o: Partial<ConstructorParameters<typeof ConnectionQuotas>[0]> = {}): ConstructorParameters<typeof ConnectionQuotas>[0] => ({
  maxConnections: UNLIMITED,
  maxConnectionsPerIp: UNLIMITED,
  maxConnectionsPerIpOverrides: new Map(),
  maxConnectionCreationRate: UNLIMITED,
  ...o,
});

t.test('per-IP limits, with overrides', async (t) => {
  const q = new ConnectionQuotas(config({ maxConnectionsPerIp: 2, maxConnectionsPerIpOverrides: new Map([['10.0.0.9', 0], ['10.0.0.8', 3]]) }), 0);
  t.notOk(q.ipLimitReached('10.0.0.1'));
  q.inc('10.0.0.1');
  q.inc('10.0.0.1');
  t.ok(q.ipLimitReached('10.0.0.1'), 'the default limit');
  t.notOk(q.ipLimitReached('10.0.0.2'), 'another address has its own count');
  t.ok(q.ipLimitReached('10.0.0.9'), 'an override of 0 admits nothing');
  for (let i = 0; i < 3; i++) q.inc('10.0.0.8');
  t.ok(q.ipLimitReached('10.0.0.8'), 'an override above the default');
  q.dec('10.0.0.1');
  t.notOk(q.ipLimitReached('10.0.0.1'), 'a closed connection frees its slot');
  t.equal(q.totalCount, 4);
});

t.test('broker-wide limit', async (t) => {
  const q = new ConnectionQuotas(config({ maxConnections: 2 }), 0);
  q.inc('a');
  t.notOk(q.brokerLimitReached());
  q.inc('b');
  t.ok(q.brokerLimitReached());
  q.dec('a');
  t.notOk(q.brokerLimitReached());
  q.dec('b');
  q.dec('b');
  t.equal(q.totalCount, 0, 'never negative');
});

t.test('creation rate: a burst of one second, then the rate', async (t) => {
  const q = new ConnectionQuotas(config({ maxConnectionCreationRate: 4 }), 1000);
  let admitted = 0;
  while (q.tryCreate(1000)) admitted++;
  t.equal(admitted, 4, 'one second of connections at once');
  t.equal(q.msUntilCreate(1000), 250, 'the next one in a quarter second');
  t.notOk(q.tryCreate(1200));
  t.ok(q.tryCreate(1250));
  t.notOk(q.tryCreate(1250));
  admitted = 0;
  while (q.tryCreate(60_000)) admitted++;
  t.equal(admitted, 4, 'a long pause refills no more than one second');
  t.equal(q.maxWaiting, 4, 'one second of connections may wait');
});

t.test('creation rate 0 admits nothing; unlimited admits all', async (t) => {
  const none = new ConnectionQuotas(config({ maxConnectionCreationRate: 0 }), 0);
  t.notOk(none.tryCreate(0));
  t.notOk(none.tryCreate(10_000));
  t.equal(none.msUntilCreate(10_000), Infinity);
  const all = new ConnectionQuotas(config(), 0);
  for (let i = 0; i < 100_000; i++) if (!all.tryCreate(0)) t.fail('refused');
  t.equal(all.msUntilCreate(0), 0);
});

t.test('addresses', async (t) => {
  t.equal(normalizeIp('::ffff:127.0.0.1'), '127.0.0.1', 'IPv4-mapped IPv6 is the IPv4 address');
  t.equal(normalizeIp('::1'), '::1');
  t.equal(normalizeIp(undefined), '?');
  const resolved = await resolveHostLimits(new Map([['127.0.0.5', 3], ['localhost', 7]]));
  t.equal(resolved.get('127.0.0.5'), 3, 'an address stays itself');
  t.equal(resolved.get('127.0.0.1'), 7, 'a host name limits its addresses');
  await t.rejects(resolveHostLimits(new Map([['no-such-host.invalid', 1]])), /cannot resolve no-such-host.invalid/);
});
