/**
 * Connection limits against a real Samsa process, with small limits: max.connections (a new
 * client closes the least recently used idle connection; refused only when none is idle),
 * max.connections.per.ip with overrides, connections.max.idle.ms, max.connection.creation.rate,
 * and the refusal log (one line of counts per interval). Clients connect from several loopback
 * addresses (127.0.0.0/8 on Linux) to have more than one IP.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { apiVersionsApi, createTopicsApi, defaultApiVersionsRequest, defaultCreateTopicsRequest, fetchApi } from '../../protocol/messages/index.js';

const require = createRequire(import.meta.url);
// kafkajs ships CommonJS without types; the shapes used here are declared below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajs = require('kafkajs') as {
  Kafka: new (config: unknown) => { producer(): { connect(): Promise<void>; disconnect(): Promise<void>; send(req: unknown): Promise<Array<{ errorCode: number }>> } };
  logLevel: { NOTHING: number };
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function apiVersions(c: RawConnection): Promise<number> {
  return (await c.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'limits', clientSoftwareVersion: '1' })).errorCode;
}

/** Sends ApiVersions; true when answered, false when the broker closed the connection instead. */
async function served(c: RawConnection, timeoutMs = 5000): Promise<boolean> {
  c.write(c.frame(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'limits', clientSoftwareVersion: '1' }));
  try {
    return (await c.readFrame(timeoutMs)) !== null;
  } catch {
    return false;
  }
}

async function createTopic(c: RawConnection, name: string): Promise<void> {
  const res = await c.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] });
  if (res.topics[0]!.errorCode !== ErrorCode.NONE) throw new Error(`create ${name}: ${res.topics[0]!.errorCode}`);
}

/** Lines of the broker's log matching `re`. */
function logLines(samsa: SamsaProcess, re: RegExp): string[] {
  return samsa.stderr.split('\n').filter((l) => re.test(l));
}

/** Waits until `cond` holds (checked every 20 ms), up to `ms`. */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(20);
  return cond();
}

t.test('max.connections and max.connections.per.ip', async (t) => {
  const samsa = await SamsaProcess.start({
    overrides: {
      'max.connections': '20',
      'max.connections.per.ip.overrides': '127.0.0.3:3',
      'samsa.connection.refusal.log.interval.ms': '1000',
    },
  });
  t.teardown(() => samsa.close());
  const opened: RawConnection[] = [];
  t.teardown(() => opened.forEach((c) => c.close()));
  const open = async (from?: string): Promise<RawConnection> => {
    const c = await RawConnection.open(samsa.host, samsa.port, from);
    opened.push(c);
    return c;
  };

  await t.test('at the limit a new client is served: the least recently used idle connection closes', async (t) => {
    const idle: RawConnection[] = [];
    for (let i = 0; i < 20; i++) {
      const c = await open();
      t.equal(await apiVersions(c), ErrorCode.NONE);
      idle.push(c); // used once, then idle: idle[0] is the least recently used
    }
    const kafka = new kafkajs.Kafka({ clientId: 'limits', brokers: [samsa.bootstrap], logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000 });
    const producer = kafka.producer();
    await producer.connect();
    const acks = await producer.send({ topic: 'limits', acks: 1, messages: [{ value: 'served' }] });
    t.equal(acks[0]!.errorCode, 0, 'a real client produces with 20 idle connections open');
    t.ok(await idle[0]!.closedWithin(2000), 'the least recently used idle connection was closed');
    await sleep(200);
    const closed = idle.map((c) => c.closed);
    const k = closed.indexOf(false);
    t.ok(k >= 1 && k <= 4, `one closed per connection of the client (${k})`);
    t.same(closed, idle.map((_, i) => i < k), 'the oldest first, the rest untouched');
    await producer.disconnect();
    for (const c of idle) c.close();
  });

  await t.test('when no connection is idle, the new one is refused', async (t) => {
    await sleep(300); // the broker sees the closes above
    const first = await open();
    await createTopic(first, 'long-poll');
    const busy = [first];
    for (let i = 1; i < 20; i++) busy.push(await open());
    // 20 long polls on an empty partition: every connection has a request in flight.
    const polls = busy.map((c) => c.request(fetchApi, 12, fetchRequest({ topic: 'long-poll', offset: 0 }, { maxWaitMs: 2000, minBytes: 1 })));
    await sleep(300);
    const extra = await open();
    t.notOk(await served(extra, 3000), 'a 21st connection is closed without an answer');
    const answers = await Promise.all(polls);
    t.ok(answers.every((a) => a.responses[0]!.partitions[0]!.errorCode === ErrorCode.NONE), 'every long poll was answered: busy connections are never closed');
    t.ok(await until(() => logLines(samsa, /refused .* over max\.connections \(20, none idle\)/).length > 0, 2000), 'the refusal is logged');
    t.match(logLines(samsa, /over max\.connections \(20/)[0]!, /WARN refused 1 connection in the last 1 s: 1 over max\.connections \(20, none idle\)/);
    for (const c of busy) c.close();
  });

  await t.test('per-IP limit (override): the excess closes at once; one log line of counts', async (t) => {
    await sleep(300);
    const allowed: RawConnection[] = [];
    for (let i = 0; i < 3; i++) allowed.push(await open('127.0.0.3'));
    for (const c of allowed) t.ok(await served(c), 'within the limit of 3');
    const before = logLines(samsa, /over max\.connections\.per\.ip/).length;
    const excess = await Promise.all(Array.from({ length: 5 }, () => open('127.0.0.3')));
    for (const c of excess) t.ok(await c.closedWithin(2000), 'over the limit: closed');
    t.ok(await served(await open('127.0.0.4')), 'another address is not limited');
    t.ok(await until(() => logLines(samsa, /over max\.connections\.per\.ip/).length > before, 2500), 'logged');
    await sleep(1200); // a second interval passes without refusals: no further line
    const lines = logLines(samsa, /over max\.connections\.per\.ip/).slice(before);
    t.equal(lines.length, 1, 'one line for five refusals');
    t.match(lines[0]!, /WARN refused 5 connections in the last 1 s: 5 over max\.connections\.per\.ip \(5 from 127\.0\.0\.3\)/);
  });
});

t.test('max.connections.per.ip', async (t) => {
  const samsa = await SamsaProcess.start({ overrides: { 'max.connections.per.ip': '2', 'samsa.connection.refusal.log.interval.ms': '1000' } });
  t.teardown(() => samsa.close());
  const conns = await Promise.all([1, 2, 3].map(() => RawConnection.open(samsa.host, samsa.port, '127.0.0.5')));
  t.teardown(() => conns.forEach((c) => c.close()));
  const answered = await Promise.all(conns.map((c) => served(c)));
  t.same(answered.filter(Boolean).length, 2, 'two of three connections from one address are served');
  t.ok(await until(() => logLines(samsa, /1 over max\.connections\.per\.ip \(1 from 127\.0\.0\.5\)/).length === 1, 2500), 'logged with its address');
});

t.test('connections.max.idle.ms', async (t) => {
  const samsa = await SamsaProcess.start({ overrides: { 'connections.max.idle.ms': '1000' } });
  t.teardown(() => samsa.close());
  const setup = await RawConnection.open(samsa.host, samsa.port);
  await createTopic(setup, 'idle');
  setup.close();

  const idle = await RawConnection.open(samsa.host, samsa.port);
  const polling = await RawConnection.open(samsa.host, samsa.port);
  const active = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => [idle, polling, active].forEach((c) => c.close()));

  const idleCheck = (async () => {
    await apiVersions(idle);
    const since = Date.now();
    t.ok(await idle.closedWithin(3000), 'an idle connection is closed');
    t.ok(Date.now() - since >= 900, `not before the idle time (${Date.now() - since} ms)`);
  })();
  const pollCheck = (async () => {
    const res = await polling.request(fetchApi, 12, fetchRequest({ topic: 'idle', offset: 0 }, { maxWaitMs: 2500, minBytes: 1 }));
    t.equal(res.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE, 'a 2.5 s long poll is answered: a request in flight is not idle');
    t.notOk(polling.closed, 'and its connection is open');
    t.ok(await polling.closedWithin(3000), 'idle after its answer, then closed');
  })();
  const activeCheck = (async () => {
    for (let i = 0; i < 9; i++) {
      t.equal(await apiVersions(active), ErrorCode.NONE);
      await sleep(300);
    }
    t.notOk(active.closed, 'a connection with a request every 300 ms stays open for 2.7 s');
  })();
  await Promise.all([idleCheck, pollCheck, activeCheck]);
});

t.test('max.connection.creation.rate', async (t) => {
  const samsa = await SamsaProcess.start({ overrides: { 'max.connection.creation.rate': '5', 'samsa.connection.refusal.log.interval.ms': '1000' } });
  t.teardown(() => samsa.close());
  const start = Date.now();
  const conns = await Promise.all(Array.from({ length: 20 }, () => RawConnection.open(samsa.host, samsa.port)));
  t.teardown(() => conns.forEach((c) => c.close()));
  const answeredAt = await Promise.all(conns.map(async (c) => ((await served(c, 4000)) ? Date.now() - start : null)));
  const answered = answeredAt.filter((ms): ms is number => ms !== null).sort((a, b) => a - b);
  // A burst of 5 (one second of the rate), then 5 more waiting their turn at 5/s; the rest refused.
  t.ok(answered.length >= 6 && answered.length <= 12, `about 10 of 20 served (${answered.length})`);
  t.ok(answered[answered.length - 1]! >= 600, `the waiting ones are served at the rate (last after ${answered[answered.length - 1]} ms)`);
  t.ok(await until(() => logLines(samsa, /over max\.connection\.creation\.rate \(5\/s\)/).length > 0, 2500), 'refusals logged');
  t.match(logLines(samsa, /over max\.connection\.creation\.rate/)[0]!, new RegExp(`refused ${20 - answered.length} connections .*: ${20 - answered.length} over max\\.connection\\.creation\\.rate`));
  await sleep(1000);
  t.ok(await served(await RawConnection.open(samsa.host, samsa.port)), 'after a quiet second a new connection is served');
});

/** The soft limit on open files of this process (the broker it starts inherits it). */
function openFileLimit(): number {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m === null ? 0 : m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return 0;
  }
}

const LOCKOUT = 10_050;
t.test(`${LOCKOUT} idle connections at the default settings do not lock new clients out`, { skip: openFileLimit() < LOCKOUT + 500 ? 'open file limit too low' : false }, async (t) => {
  const samsa = await SamsaProcess.start();
  t.teardown(() => samsa.close());
  const sockets: Socket[] = [];
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  for (let i = 0; i < LOCKOUT; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, LOCKOUT - i) }, () =>
        new Promise<void>((resolve, reject) => {
          const s = connect(samsa.port, samsa.host, () => resolve());
          s.on('error', reject);
          sockets.push(s);
        }),
      ),
    );
  }
  await sleep(300);
  const c = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => c.close());
  t.ok(await served(c), `a new client is served with ${LOCKOUT} idle connections open`);
});
