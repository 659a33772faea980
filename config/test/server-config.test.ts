/**
 * Connection limit and log directory settings: parsed with Kafka's names and rules.
 */
import t from 'tap';
import { loadServerConfig } from '../server-config.js';

t.test('connection limits: defaults are unlimited, idle connections close after 10 minutes', async (t) => {
  const c = loadServerConfig({});
  t.equal(c.maxConnections, 2147483647);
  t.equal(c.maxConnectionsPerIp, 2147483647);
  t.equal(c.maxConnectionCreationRate, 2147483647);
  t.equal(c.maxConnectionsPerIpOverrides.size, 0);
  t.equal(c.connectionsMaxIdleMs, 600000);
});

t.test('max.connections.per.ip.overrides: host:count, IPv6 hosts too', async (t) => {
  const c = loadServerConfig({ overrides: { 'max.connections.per.ip.overrides': ' 10.0.0.1:5, localhost:7,[::1]:9,fe80::1:2 ', 'max.connections': '20', 'connections.max.idle.ms': '-1' } });
  t.same([...c.maxConnectionsPerIpOverrides], [['10.0.0.1', 5], ['localhost', 7], ['::1', 9], ['fe80::1', 2]]);
  t.equal(c.maxConnections, 20);
  t.equal(c.connectionsMaxIdleMs, -1);
  t.throws(() => loadServerConfig({ overrides: { 'max.connections.per.ip.overrides': '10.0.0.1' } }), /not host:count/);
  t.throws(() => loadServerConfig({ overrides: { 'max.connections.per.ip.overrides': 'h:-1' } }), /not host:count/);
});

t.test('max.connections.per.ip of 0 needs overrides (Kafka rule)', async (t) => {
  t.throws(() => loadServerConfig({ overrides: { 'max.connections.per.ip': '0' } }), /only if max.connections.per.ip.overrides/);
  t.equal(loadServerConfig({ overrides: { 'max.connections.per.ip': '0', 'max.connections.per.ip.overrides': '127.0.0.1:10' } }).maxConnectionsPerIp, 0);
  t.throws(() => loadServerConfig({ overrides: { 'max.connection.creation.rate': '-1' } }), /at least 0/);
});

t.test('log.dirs: a comma list; a directory named twice is refused; metadata.log.dir defaults to the first', async (t) => {
  const c = loadServerConfig({ overrides: { 'log.dirs': '/x/a, /x/b ,/x/c' } });
  t.same(c.logDirs, ['/x/a', '/x/b', '/x/c']);
  t.equal(c.metadataLogDir, '/x/a');
  t.equal(loadServerConfig({ overrides: { 'log.dirs': '/x/a,/x/b', 'metadata.log.dir': '/x/m' } }).metadataLogDir, '/x/m');
  t.throws(() => loadServerConfig({ overrides: { 'log.dirs': '/x/a,/x/b,/x/a/' } }), /log.dirs names \/x\/a\/ twice/);
  t.throws(() => loadServerConfig({ overrides: { 'log.dirs': ' , ' } }), /at least one directory/);
});
