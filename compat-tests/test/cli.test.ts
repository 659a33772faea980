/**
 * `bin/samsa start` as an operator runs it: the ready line, signals and exit codes, rejected
 * settings, --config files, and data that survives a clean restart and a crash.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KCAT_RECORD_FORMAT, kcat, parseKcatRecords, run, type KcatMetadata as Metadata, type KcatRecord as Row } from '../harness/command.js';
import { SamsaProcess, samsaBin, repoRoot } from '../harness/samsa-process.js';

const READY = /^samsa ready on 127\.0\.0\.1:(\d+)$/;

const scratch = mkdtempSync(join(tmpdir(), 'samsa-cli-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

/** A `samsa start` child of this test, with its output and exit. */
class RawSamsa {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly child: ChildProcess;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [samsaBin, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString('utf8')));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      }),
    );
  }

  /** Resolves with the port of the ready line; rejects if the process exits first or after 30 s. */
  ready(): Promise<number> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = (): void => {
        const m = /samsa ready on 127\.0\.0\.1:(\d+)\n/.exec(this.stdout);
        if (m) return resolve(Number(m[1]));
        if (this.exitInfo) return reject(new Error(`samsa exited (${JSON.stringify(this.exitInfo)}) before it was ready:\n${this.stderr}`));
        if (Date.now() - started > 30_000) return reject(new Error(`samsa not ready in 30 s:\n${this.stderr}`));
        setTimeout(poll, 20);
      };
      poll();
    });
  }

  /** Sends `signal`; resolves with the exit, or null if the process is still running after 20 s. */
  async stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
    this.child.kill(signal);
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), 20_000).unref());
    const result = await Promise.race([this.exited, timeout]);
    if (result === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    return result;
  }

  kill(): void {
    if (!this.exitInfo) this.child.kill('SIGKILL');
  }
}

function tcpConnect(port: number): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`samsa start prints one ready line, serves TCP, and exits 0 on ${signal}`, async (tt) => {
    const dataDir = join(scratch, `start-${signal}`, 'data');
    const samsa = new RawSamsa(['start', '--port', '0', '--data-dir', dataDir]);
    tt.teardown(() => samsa.kill());
    const port = await samsa.ready();
    tt.ok(port > 0 && port < 65536, `listening on a real port (${port})`);

    const socket = await tcpConnect(port);
    tt.pass(`127.0.0.1:${port} accepts a TCP connection`);
    tt.ok(existsSync(dataDir), 'the data dir was created');
    // Keep the connection open (an idle client) over the shutdown for SIGTERM; close it for SIGINT.
    socket.on('error', () => {});
    if (signal === 'SIGINT') socket.destroy();
    await new Promise((r) => setTimeout(r, 200));

    const exit = await samsa.stop(signal);
    socket.destroy();
    tt.ok(exit, `samsa exits within 20 s of ${signal}${signal === 'SIGTERM' ? ' (with an idle client connected)' : ''}\n${samsa.stderr}`);
    tt.same(exit, { code: 0, signal: null }, `exit code 0 on ${signal}`);
    const lines = samsa.stdout.split('\n').filter((l) => l.length > 0);
    tt.equal(lines.length, 1, `exactly one stdout line: ${JSON.stringify(samsa.stdout)}`);
    tt.match(lines[0] ?? '', READY, 'the line is `samsa ready on 127.0.0.1:PORT`');
    tt.equal(Number(READY.exec(lines[0] ?? '')?.[1]), port, 'with the port that was served');
  });
}

t.test('unknown and invalid settings exit 2 naming the setting, before touching the data dir', async (tt) => {
  const badFile = join(scratch, 'bad.properties');
  writeFileSync(badFile, '# a comment\nnum.partitions=2\nbogus.file.setting=1\n');
  const cases: { what: string; args: string[]; names: string }[] = [
    { what: 'unknown --override', args: ['--override', 'no.such.setting=1'], names: 'no.such.setting' },
    { what: 'invalid --override value', args: ['--override', 'num.partitions=abc'], names: 'num.partitions' },
    { what: 'unknown setting in --config', args: ['--config', badFile], names: 'bogus.file.setting' },
  ];
  for (const [i, c] of cases.entries()) {
    const dataDir = join(scratch, `bad-${i}`, 'data');
    const r = await run(process.execPath, [samsaBin, 'start', '--port', '0', '--data-dir', dataDir, ...c.args]);
    tt.not(r.code, 0, `${c.what}: non-zero exit`);
    tt.equal(r.code, 2, `${c.what}: exit code 2`);
    tt.ok(r.stderr.includes(c.names), `${c.what}: stderr names ${c.names}: ${JSON.stringify(r.stderr)}`);
    tt.notMatch(r.stdout, /samsa ready/, `${c.what}: never ready`);
    tt.notOk(existsSync(dataDir), `${c.what}: ${dataDir} was not created`);
    tt.notOk(existsSync(join(scratch, `bad-${i}`)), `${c.what}: nor its parent`);
  }
});

// The one long-running broker of this file: configured by a server.properties file.
const propsFile = join(scratch, 'server.properties');
writeFileSync(propsFile, '# test settings\nnum.partitions=3\nauto.create.topics.enable=true\n');
const samsa = await SamsaProcess.start({ args: ['--config', propsFile] });
t.teardown(() => samsa.close());

/** kcat -L -J -t topic, retried while the topic is still being created (as with Kafka). */
async function topicMetadata(tt: Test, topic: string): Promise<Metadata['topics'][number] | undefined> {
  let last = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const r = await kcat(['-b', samsa.bootstrap, '-L', '-J', '-t', topic]);
    last = `${r.stdout}${r.stderr}`;
    try {
      const md = JSON.parse(r.stdout) as Metadata;
      const found = md.topics.find((x) => x.topic === topic);
      if (found && !found.error && found.partitions.length > 0) return found;
    } catch {
      // not JSON yet
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  tt.fail(`metadata for ${topic} never showed partitions: ${last}\n--- broker log ---\n${samsa.stderr}`);
  return undefined;
}

t.test('--config FILE: an auto-created topic gets num.partitions from the file', async (tt) => {
  const byMetadata = await topicMetadata(tt, 'newtopic');
  tt.same(byMetadata?.partitions.map((p) => p.partition).sort(), [0, 1, 2], 'metadata request creates newtopic with 3 partitions');
  for (const p of byMetadata?.partitions ?? []) tt.equal(p.leader, 1, `newtopic partition ${p.partition} leader 1`);

  const r = await kcat(['-b', samsa.bootstrap, '-P', '-t', 'newtopic-produced'], 'one\ntwo\nthree\n');
  tt.equal(r.code, 0, `kcat -P to a new topic exits 0 (${r.stderr})`);
  const byProduce = await topicMetadata(tt, 'newtopic-produced');
  tt.equal(byProduce?.partitions.length, 3, 'a topic created by producing also has 3 partitions');
  const back = await kcat(['-b', samsa.bootstrap, '-C', '-t', 'newtopic-produced', '-o', 'beginning', '-e', '-f', '%s\n']);
  tt.same(back.stdout.split('\n').filter(Boolean).sort(), ['one', 'three', 'two'], 'the three records are there');
});

t.test('data survives a clean restart and a crash', async (tt) => {
  const topic = 'durable';
  const consume = async (): Promise<Row[]> => {
    const r = await kcat(['-b', samsa.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', KCAT_RECORD_FORMAT]);
    tt.equal(r.code, 0, `kcat -C exits 0 (${r.stderr})`);
    return parseKcatRecords(r.stdout).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  };
  const produce = async (round: string, n: number, extra: string[] = []): Promise<void> => {
    for (let p = 0; p < 3; p++) {
      const lines = Array.from({ length: n }, (_, i) => `${round}-${p}-${i}:value ${round} ${p} ${i} ${'z'.repeat(i * 10)}\n`).join('');
      const r = await kcat(['-b', samsa.bootstrap, '-P', '-t', topic, '-p', String(p), '-K:', '-H', `round=${round}`, ...extra], lines);
      tt.equal(r.code, 0, `kcat -P ${round} partition ${p} exits 0 (${r.stderr})`);
    }
  };

  await produce('first', 10);
  await produce('first-gzip', 5, ['-z', 'gzip']);
  const before = await consume();
  tt.equal(before.length, 45, '45 records before the restart');
  for (let p = 0; p < 3; p++) {
    tt.same(
      before.filter((r) => r.partition === p).map((r) => r.offset),
      [...Array(15).keys()],
      `partition ${p}: offsets 0..14`,
    );
  }

  await samsa.restart('SIGTERM');
  tt.pass(`restarted after SIGTERM on ${samsa.bootstrap}`);
  tt.same(await consume(), before, 'after a clean restart every record is there, unchanged (offsets, keys, values, headers, timestamps)');
  const md = await topicMetadata(tt, topic);
  tt.equal(md?.partitions.length, 3, 'the topic still has 3 partitions');

  await produce('second', 7);
  const acknowledged = await consume();
  tt.equal(acknowledged.length, 45 + 21, 'the new records were appended');
  for (let p = 0; p < 3; p++) {
    tt.same(
      acknowledged.filter((r) => r.partition === p).map((r) => r.offset),
      [...Array(22).keys()],
      `partition ${p}: offsets continue after the restart (0..21)`,
    );
  }

  await samsa.restart('SIGKILL');
  tt.pass(`restarted after SIGKILL on ${samsa.bootstrap}`);
  tt.same(await consume(), acknowledged, 'after a crash every acknowledged record is there, unchanged');

  await produce('third', 2);
  const after = await consume();
  for (let p = 0; p < 3; p++) {
    tt.same(
      after.filter((r) => r.partition === p).map((r) => r.offset),
      [...Array(24).keys()],
      `partition ${p}: appends continue at offset 22 after the crash`,
    );
  }
});
