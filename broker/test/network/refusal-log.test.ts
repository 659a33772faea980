/**
 * Refused connections are logged as one line of counts per interval, never one line each.
 */
import t from 'tap';
import { RefusalLog } from '../../network/refusal-log.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('one line per interval, with counts by reason and address', async (t) => {
  const lines: string[] = [];
  const log = new RefusalLog(100, { maxConnections: 20, maxConnectionCreationRate: 5 }, (level, msg) => lines.push(`${level} ${msg}`));
  for (let i = 0; i < 1000; i++) log.refused('perIp', '10.0.0.1');
  log.refused('perIp', '10.0.0.2');
  log.refused('maxConnections', '10.0.0.3');
  log.refused('creationRate', '10.0.0.3');
  log.refused('creationRate', '10.0.0.4');
  log.evictedIdle();
  t.same(lines, [], 'nothing logged while the interval runs');
  await sleep(200);
  t.same(lines, [
    'warn refused 1004 connections in the last 100 ms: 1 over max.connections (20, none idle), 1001 over max.connections.per.ip (1000 from 10.0.0.1, 1 from 10.0.0.2), 2 over max.connection.creation.rate (5/s); closed 1 least recently used idle connection to stay within max.connections (20)',
  ]);
  await sleep(150);
  t.equal(lines.length, 1, 'a quiet interval logs nothing');
  log.refused('maxConnections', '10.0.0.3');
  await sleep(150);
  t.equal(lines.length, 2);
  t.match(lines[1]!, /^warn refused 1 connection in the last 100 ms: 1 over max.connections/);
  log.close();
});

t.test('the addresses named in a line are bounded', async (t) => {
  const lines: string[] = [];
  const log = new RefusalLog(1000, { maxConnections: 1, maxConnectionCreationRate: 1 }, (_level, msg) => lines.push(msg));
  for (let i = 0; i < 500; i++) log.refused('perIp', `10.0.${i >> 8}.${i & 255}`);
  log.flush();
  t.equal(lines.length, 1);
  t.equal((lines[0]!.match(/ from 10\./g) ?? []).length, 10, 'ten addresses named');
  t.match(lines[0]!, /490 from other addresses/);
  log.close();
});

t.test('evictions alone are an info line', async (t) => {
  const lines: string[] = [];
  const log = new RefusalLog(10_000, { maxConnections: 20, maxConnectionCreationRate: 1 }, (level, msg) => lines.push(`${level} ${msg}`));
  log.evictedIdle();
  log.evictedIdle();
  log.close();
  t.same(lines, ['info closed 2 least recently used idle connections to stay within max.connections (20) in the last 10 s']);
});
