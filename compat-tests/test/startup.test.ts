/**
 * Start-up and shutdown as an operator sees them, against real `bin/samsa` processes: a data dir
 * already used by a running broker is refused (and its data untouched), a broker killed with
 * SIGKILL does not block its restart, and every start-up failure (data dir in use, not creatable,
 * not writable; port in use; bad setting) is one line naming the setting and the path or port,
 * with a non-zero exit and no stack trace. The log has one line per explicitly created topic, a
 * final "stopped" line, and one line per rejected request frame. In a library process, a second
 * broker on the same data dir is refused too.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunResult } from '../harness/command.js';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess, samsaBin } from '../harness/samsa-process.js';
import { createTopicsApi, defaultCreateTopicsRequest, defaultProduceRequest, fetchApi, produceApi } from '../../protocol/messages/index.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';
import { startBroker, StartupError } from '../../index.js';

const scratch = mkdtempSync(join(tmpdir(), 'samsa-startup-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

/** `samsa start` that must fail, killed after 20 s (a hang fails the test rather than blocking it). */
function failingStart(args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [samsaBin, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => {
      stderr += `(still running after 20 s: killed)\n`;
      child.kill('SIGKILL');
    }, 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Non-zero exit, never ready, exactly one stderr line (returned), no stack trace. */
function oneLineFailure(t: Test, what: string, r: RunResult, code = 1): string {
  t.equal(r.code, code, `${what}: exit code ${code}`);
  t.notMatch(r.stdout, /samsa ready/, `${what}: never ready`);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  t.equal(lines.length, 1, `${what}: one stderr line: ${JSON.stringify(r.stderr)}`);
  t.notMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
  return lines[0] ?? '';
}

const TOPIC = 'locked';

async function createTopic(conn: RawConnection): Promise<void> {
  const res = await conn.request(createTopicsApi, 7, {
    ...defaultCreateTopicsRequest(),
    topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
  });
  if (res.topics[0]!.errorCode !== 0) throw new Error(`create ${TOPIC}: ${res.topics[0]!.errorCode}`);
}

async function produce(conn: RawConnection, values: string[]): Promise<void> {
  const res = await conn.request(produceApi, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: buildBatch({ baseOffset: 0, records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })) }) }] }],
  });
  const pr = res.responses[0]!.partitionResponses[0]!;
  if (pr.errorCode !== 0) throw new Error(`produce: error ${pr.errorCode}`);
}

/** Every value in partition 0, in offset order. */
async function values(conn: RawConnection): Promise<string[]> {
  const res = await conn.request(fetchApi, 12, fetchRequest({ topic: TOPIC, partition: 0, offset: 0 }));
  const pd = res.responses[0]!.partitions[0]!;
  if (pd.errorCode !== 0) throw new Error(`fetch: error ${pd.errorCode}`);
  const buf = Buffer.concat(Array.isArray(pd.records) ? pd.records : pd.records === null ? [] : [pd.records as Buffer]);
  const out: string[] = [];
  for (const b of scanBatches(buf, { allowPartialTail: true })) for (const r of readRecords(buf, b)) out.push(r.value?.toString('utf8') ?? 'null');
  return out;
}

async function withConnection<T>(samsa: SamsaProcess, fn: (c: RawConnection) => Promise<T>): Promise<T> {
  const conn = await RawConnection.open(samsa.host, samsa.port);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/** Waits (up to 5 s) for the broker's log to match. */
async function logShows(samsa: SamsaProcess, re: RegExp): Promise<boolean> {
  for (let i = 0; i < 250 && !re.test(samsa.stderr); i++) await new Promise((r) => setTimeout(r, 20));
  return re.test(samsa.stderr);
}

t.test('a data dir in use by a running broker is refused; a SIGKILLed holder does not block the restart', async (t) => {
  const samsa = await SamsaProcess.start();
  t.teardown(() => samsa.close());
  await withConnection(samsa, async (c) => {
    await createTopic(c);
    await produce(c, ['a', 'b', 'c']);
  });
  t.ok(await logShows(samsa, new RegExp(`INFO created topic ${TOPIC} with 2 partitions\\n`)), `the log says the topic was created:\n${samsa.stderr}`);

  const second = await failingStart(['--port', '0', '--data-dir', samsa.dataDir]);
  const line = oneLineFailure(t, 'second broker on the same data dir', second);
  t.match(line, `log.dirs ${samsa.dataDir} is already in use by another broker`, 'names the setting and the directory');

  await withConnection(samsa, async (c) => {
    await produce(c, ['d']);
    t.same(await values(c), ['a', 'b', 'c', 'd'], 'the first broker still serves, its records intact');
  });

  await samsa.restart('SIGKILL');
  t.pass('restarted after SIGKILL: the stale lock did not block it');
  await withConnection(samsa, async (c) => {
    t.same(await values(c), ['a', 'b', 'c', 'd'], 'every acknowledged record is there after the crash');
    await produce(c, ['e']);
    t.same(await values(c), ['a', 'b', 'c', 'd', 'e'], 'and appends continue');
  });

  t.equal(await samsa.stop('SIGTERM'), 0, 'clean stop exits 0');
  const last = samsa.stderr.trimEnd().split('\n').pop() ?? '';
  t.match(last, new RegExp(`^\\S+ INFO stopped; data in ${samsa.dataDir}$`), `the last log line says it stopped: ${JSON.stringify(last)}`);
  t.same(
    readdirSync(samsa.dataDir).filter((n) => n.startsWith('.lock')),
    [],
    'a clean stop releases the lock',
  );
});

t.test('a rejected request frame logs one line', async (t) => {
  const samsa = await SamsaProcess.start();
  t.teardown(() => samsa.close());
  const conn = await RawConnection.open(samsa.host, samsa.port);
  const client = `127.0.0.1:${conn.socket.localPort}`;
  // Metadata v99: a version no broker supports (only ApiVersions answers those, KIP-511).
  const frame = Buffer.alloc(14);
  frame.writeInt32BE(10, 0);
  frame.writeInt16BE(3, 4);
  frame.writeInt16BE(99, 6);
  frame.writeInt32BE(1, 8);
  frame.writeInt16BE(-1, 12);
  conn.write(frame);
  t.ok(await conn.closedWithin(5000), 'the broker closes the connection');
  t.ok(await logShows(samsa, new RegExp(client)), 'the rejection is logged');
  await new Promise((r) => setTimeout(r, 200));
  const lines = samsa.stderr.split('\n').filter((l) => l.includes(client));
  t.equal(lines.length, 1, `one line: ${JSON.stringify(lines)}`);
  t.match(lines[0] ?? '', /sent Metadata v99 \(supported: v0-12\)/, 'saying why');
});

t.test('a port in use is one line naming the port', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const r = await failingStart(['--port', String(port), '--data-dir', join(scratch, 'port-in-use')]);
  const line = oneLineFailure(t, 'port in use', r);
  t.equal(line, `samsa: listeners: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE)`);
  // The directory was locked before listening and released on the way out.
  await failingStart(['--port', String(port), '--data-dir', join(scratch, 'port-in-use')]).then((again) => {
    t.match(again.stderr, 'address already in use', 'a second try fails on the port again, not on a left-over lock');
  });
});

t.test('a data dir that cannot be created or written is one line naming the path', async (t) => {
  const file = join(scratch, 'regular-file');
  writeFileSync(file, 'not a directory');
  const cases: Array<{ what: string; dir: string; says: string }> = [
    { what: 'parent is a regular file', dir: join(file, 'data'), says: `samsa: log.dirs ${join(file, 'data')}: cannot create the directory: ${file} is not a directory` },
    { what: 'the path is a regular file', dir: file, says: `samsa: log.dirs ${file}: cannot create the directory: ${file} exists and is not a directory` },
  ];
  if (existsSync('/proc/self')) {
    // Root can write anywhere chmod allows nothing, but not under /proc: a directory there cannot
    // be made (Node's own recursive mkdir loops forever on it), nor a file written.
    cases.push({ what: 'not creatable (under /proc)', dir: '/proc/samsa-data', says: 'samsa: log.dirs /proc/samsa-data: cannot create the directory: ' });
    cases.push({ what: 'existing, not writable (/proc)', dir: '/proc', says: 'samsa: log.dirs /proc is not writable: the file system does not allow creating files in it (ENOENT)' });
  }
  for (const c of cases) {
    const r = await failingStart(['--port', '0', '--data-dir', c.dir]);
    t.match(oneLineFailure(t, c.what, r), c.says, `${c.what}: names the setting and the path`);
  }
});

t.test('a bad setting value is one line naming the setting', async (t) => {
  const r = await failingStart(['--port', '0', '--data-dir', join(scratch, 'bad-value'), '--override', 'num.partitions=abc']);
  t.equal(oneLineFailure(t, 'num.partitions=abc', r, 2), 'samsa: invalid value "abc" for num.partitions: expected an integer');
  t.notOk(existsSync(join(scratch, 'bad-value')), 'the data dir was not touched');
});

t.test('library: a second broker in this process on the same data dir is refused', async (t) => {
  const dataDir = join(scratch, 'library');
  const first = await startBroker({ dataDir });
  t.teardown(() => first.close());
  let refused: unknown = null;
  try {
    const second = await startBroker({ dataDir });
    await second.close();
  } catch (e) {
    refused = e;
  }
  t.ok(refused instanceof StartupError, 'startBroker rejects with a StartupError');
  t.match((refused as Error).message, `log.dirs ${dataDir} is already in use by another broker in this process`);
  await first.close();
  const again = await startBroker({ dataDir });
  t.pass('after close() the data dir can be used again');

  // A start that fails after taking the data dir (its port is taken) gives it back.
  let portTaken: unknown = null;
  await startBroker({ dataDir: join(scratch, 'library-2'), port: again.port }).then(
    (b) => b.close(),
    (e: unknown) => (portTaken = e),
  );
  t.match((portTaken as Error | null)?.message, `listeners: cannot listen on 127.0.0.1:${again.port}: address already in use`);
  await again.close();
  const later = await startBroker({ dataDir: join(scratch, 'library-2') });
  t.pass('the data dir of the failed start is free');
  await later.close();
});
