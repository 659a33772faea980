/**
 * kcat (librdkafka) against a real `bin/samsa start` process and the reference Kafka: metadata (-L -J), produce with keys,
 * headers and explicit partitions (-P), consume to the end (-C -e), offsets for times (-Q) and
 * every compression codec (-z).
 *
 * Both brokers of this file run with num.partitions=6, so every auto-created topic has six
 * partitions.
 */
import t, { type Test } from 'tap';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KCAT, KCAT_RECORD_FORMAT, kcat, parseKcatRecords, type KcatMetadata as Metadata, type KcatRecord as Row, type RunResult } from '../harness/command.js';
import { onEachBroker } from '../harness/target-broker.js';

type Tap = Test;

const PARTITIONS = 6;

if (!existsSync(KCAT)) {
  t.fail(`kcat not found at ${KCAT}: install the system packages with \`make system-deps\``);
} else {
  const partitions = { 'num.partitions': String(PARTITIONS) };
  await onEachBroker(t, { samsa: { overrides: partitions }, kafka: partitions }, async (t, broker) => {
    const B = broker.bootstrap;
    const brokerLog = (): string => `\n--- broker log ---\n${broker.log().slice(-4000)}`;

    /** Produces `lines` (key:value) to one partition; asserts kcat succeeded. */
    async function produce(tt: Tap, topic: string, partition: number, lines: string[], extra: string[] = []): Promise<void> {
      const r = await kcat(['-b', B, '-P', '-t', topic, '-p', String(partition), '-K:', ...extra], lines.map((l) => `${l}\n`).join(''));
      tt.equal(r.code, 0, `kcat -P ${topic}/${partition} ${extra.join(' ')} exits 0 (stderr: ${r.stderr})${r.code === 0 ? '' : brokerLog()}`);
    }

    async function consumeAll(tt: Tap, topic: string, extra: string[] = []): Promise<Row[]> {
      const r = await kcat(['-b', B, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', KCAT_RECORD_FORMAT, ...extra]);
      tt.equal(r.code, 0, `kcat -C ${topic} exits 0 (stderr: ${r.stderr})${r.code === 0 ? '' : brokerLog()}`);
      return parseKcatRecords(r.stdout);
    }

    async function metadata(topic?: string): Promise<{ r: RunResult; md: Metadata | null }> {
      const r = await kcat(['-b', B, '-L', '-J', ...(topic ? ['-t', topic] : [])]);
      let md: Metadata | null = null;
      try {
        md = JSON.parse(r.stdout) as Metadata;
      } catch {
        md = null;
      }
      return { r, md };
    }

    t.test('kcat -L -J lists the broker, and topics once they exist', async (tt) => {
      const before = await metadata();
      tt.equal(before.r.code, 0, `kcat -L exits 0 (stderr: ${before.r.stderr})`);
      tt.ok(before.md, `kcat -L -J prints JSON: ${before.r.stdout}`);
      if (!before.md) return;
      tt.equal(before.md.brokers.length, 1, 'one broker');
      tt.equal(before.md.brokers[0]!.id, 1, 'broker id 1');
      tt.equal(before.md.brokers[0]!.name, `${broker.host}:${broker.port}`, 'broker advertises the listening host:port');
      tt.notOk(before.md.topics.some((x) => x.topic === 'md-topic'), 'topic not there before producing');

      await produce(tt, 'md-topic', 0, ['a:1']);

      const after = await metadata();
      tt.equal(after.r.code, 0, 'kcat -L exits 0');
      const topic = after.md?.topics.find((x) => x.topic === 'md-topic');
      tt.ok(topic, `md-topic listed after producing: ${after.r.stdout}`);
      if (!topic) return;
      tt.notOk(topic.error, 'no topic error');
      tt.same(
        topic.partitions.map((p) => p.partition).sort((a, b) => a - b),
        [...Array(PARTITIONS).keys()],
        `${PARTITIONS} partitions`,
      );
      for (const p of topic.partitions) {
        tt.equal(p.leader, 1, `partition ${p.partition} leader 1`);
        tt.notOk(p.error, `partition ${p.partition} has no error`);
        tt.same(p.replicas.map((x) => x.id), [1], `partition ${p.partition} replicas [1]`);
        tt.same(p.isrs.map((x) => x.id), [1], `partition ${p.partition} isr [1]`);
      }

      // Asking for that one topic gives the same answer.
      const one = await metadata('md-topic');
      tt.equal(one.r.code, 0, 'kcat -L -t exits 0');
      tt.same(one.md?.topics.map((x) => x.topic), ['md-topic'], 'only the asked topic');
      tt.equal(one.md?.topics[0]?.partitions.length, PARTITIONS, `${PARTITIONS} partitions with -t`);
    });

    t.test('kcat -P with keys, headers and explicit partitions; kcat -C reads them back', async (tt) => {
      const topic = 'keyed';
      const start = Date.now();
      for (let p = 0; p < PARTITIONS; p++) {
        const lines = [0, 1, 2, 3, 4].map((i) => `key-${p}-${i}:value ${p}/${i}`);
        await produce(tt, topic, p, lines, ['-H', `part=${p}`, '-H', 'src=kcat']);
      }
      const end = Date.now();

      const rows = await consumeAll(tt, topic);
      tt.equal(rows.length, PARTITIONS * 5, `${PARTITIONS * 5} records`);
      for (let p = 0; p < PARTITIONS; p++) {
        const mine = rows.filter((r) => r.partition === p);
        tt.same(
          mine.map((r) => r.offset),
          [0, 1, 2, 3, 4],
          `partition ${p}: offsets 0..4 in order`,
        );
        tt.same(
          mine.map((r) => r.key),
          [0, 1, 2, 3, 4].map((i) => `key-${p}-${i}`),
          `partition ${p}: keys`,
        );
        tt.same(
          mine.map((r) => r.value),
          [0, 1, 2, 3, 4].map((i) => `value ${p}/${i}`),
          `partition ${p}: values`,
        );
        for (const r of mine) {
          tt.equal(r.headers, `part=${p},src=kcat`, `partition ${p} offset ${r.offset}: headers`);
          tt.ok(r.timestamp > 0, `partition ${p} offset ${r.offset}: timestamp ${r.timestamp} > 0`);
          tt.ok(
            r.timestamp >= start - 1000 && r.timestamp <= end + 1000,
            `partition ${p} offset ${r.offset}: timestamp ${r.timestamp} within the produce window ${start}..${end}`,
          );
        }
      }

      // One partition only, from an offset in the middle.
      const r = await kcat(['-b', B, '-C', '-t', topic, '-p', '3', '-o', '2', '-e', '-f', '%o|%k|%s\n']);
      tt.equal(r.code, 0, 'kcat -C -p 3 -o 2 exits 0');
      tt.same(
        r.stdout.split('\n').filter(Boolean),
        [2, 3, 4].map((i) => `${i}|key-3-${i}|value 3/${i}`),
        'partition 3 from offset 2',
      );

      // Records without key or headers.
      const plain = await kcat(['-b', B, '-P', '-t', 'plain', '-p', '0'], 'no key here\nnor here\n');
      tt.equal(plain.code, 0, 'kcat -P without -K exits 0');
      const back = await kcat(['-b', B, '-C', '-t', 'plain', '-p', '0', '-o', 'beginning', '-e', '-f', '%o|%K|%k|%s|%h\n']);
      tt.equal(back.code, 0, 'kcat -C plain exits 0');
      tt.same(back.stdout.split('\n').filter(Boolean), ['0|-1||no key here|', '1|-1||nor here|'], 'null keys (length -1), no headers');
    });

    t.test('kcat -Q returns offsets for times', async (tt) => {
      const topic = 'times';
      const parse = (out: string): number | null => {
        const m = new RegExp(`^${topic} \\[0\\] offset (-?\\d+)$`, 'm').exec(out);
        return m ? Number(m[1]) : null;
      };
      const query = async (ts: number): Promise<number | null> => {
        const r = await kcat(['-b', B, '-Q', '-t', `${topic}:0:${ts}`]);
        tt.equal(r.code, 0, `kcat -Q ${topic}:0:${ts} exits 0 (stderr: ${r.stderr})`);
        const off = parse(r.stdout);
        tt.not(off, null, `kcat -Q prints "${topic} [0] offset N": ${JSON.stringify(r.stdout)}`);
        return off;
      };

      const t0 = Date.now();
      await produce(tt, topic, 0, ['a:0', 'a:1', 'a:2']); // batch A: offsets 0..2
      const tA = Date.now();
      await new Promise((r) => setTimeout(r, 50));
      const tMid = tA + 25;
      const tB0 = Date.now();
      await produce(tt, topic, 0, ['b:3', 'b:4']); // batch B: offsets 3..4
      const tB = Date.now();

      const rows = await consumeAll(tt, topic, ['-p', '0']);
      tt.same(rows.map((r) => r.offset), [0, 1, 2, 3, 4], 'five records');
      for (const r of rows.slice(0, 3)) tt.ok(r.timestamp >= t0 - 1000 && r.timestamp <= tA, `batch A timestamp ${r.timestamp} <= ${tA}`);
      for (const r of rows.slice(3)) tt.ok(r.timestamp >= tB0 && r.timestamp <= tB + 1000, `batch B timestamp ${r.timestamp} >= ${tB0}`);

      tt.equal(await query(tMid), 3, 'a time between batch A and batch B gives batch B\'s first offset');
      tt.equal(await query(1), 0, 'a time before everything gives the first offset');
      tt.equal(await query(rows[0]!.timestamp), 0, 'the first record\'s own timestamp gives offset 0');
      tt.equal(await query(rows[3]!.timestamp), 3, 'batch B\'s first timestamp gives offset 3');
      tt.equal(await query(rows[4]!.timestamp), rows[4]!.timestamp === rows[3]!.timestamp ? 3 : 4, 'the last record\'s own timestamp');
      tt.equal(await query(Date.now() + 3_600_000), -1, 'a time in the future gives -1 (no such record: end)');
      tt.equal(await query(-1), 5, 'timestamp -1 (latest) gives the end offset');
      tt.equal(await query(-2), 0, 'timestamp -2 (earliest) gives the first offset');

      // Logical start offsets on the consumer side agree.
      const tail = await kcat(['-b', B, '-C', '-t', topic, '-p', '0', '-o', '-2', '-e', '-f', '%o|%k|%s\n']);
      tt.equal(tail.code, 0, 'kcat -C -o -2 exits 0');
      tt.same(tail.stdout.split('\n').filter(Boolean), ['3|b|3', '4|b|4'], '-o -2 reads the last two records');
      const fromTime = await kcat(['-b', B, '-C', '-t', topic, '-p', '0', '-o', `s@${tMid}`, '-e', '-f', '%o\n']);
      tt.equal(fromTime.code, 0, 'kcat -C -o s@TIME exits 0');
      tt.same(fromTime.stdout.split('\n').filter(Boolean), ['3', '4'], '-o s@TIME starts at batch B');
    });

    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      t.test(`kcat -P -z ${codec} round-trips exactly`, async (tt) => {
        const topic = `comp-${codec}`;
        // Compressible and incompressible values, an empty value, and non-ASCII text.
        const values = [
          'x'.repeat(5000),
          'hello',
          '',
          'ünïcødé ✓ 数据',
          ...Array.from({ length: 40 }, (_, i) => `record ${i} ${'abc'.repeat(i)} ${Math.random().toString(36)}`),
        ];
        const lines = values.map((v, i) => `k${i}:${v}`);
        await produce(tt, topic, 0, lines, ['-z', codec, '-X', 'linger.ms=100']);
        // A second batch, so the log holds more than one compressed batch.
        await produce(tt, topic, 0, ['last:final'], ['-z', codec]);
        const r = await kcat(['-b', B, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o|%k|%s\n']);
        tt.equal(r.code, 0, `kcat -C ${topic} exits 0 (stderr: ${r.stderr})`);
        const expected = [...lines, 'last:final'].map((l, i) => {
          const c = l.indexOf(':');
          return `${i}|${l.slice(0, c)}|${l.slice(c + 1)}`;
        });
        tt.same(r.stdout.split('\n').filter((l) => l.length > 0), expected, `${codec}: every record, in order, exactly`);

        // Reading from the middle of a compressed batch starts at the asked offset.
        const mid = await kcat(['-b', B, '-C', '-t', topic, '-p', '0', '-o', '10', '-c', '3', '-f', '%o|%k\n']);
        tt.equal(mid.code, 0, `kcat -C -o 10 -c 3 exits 0`);
        tt.same(mid.stdout.split('\n').filter(Boolean), ['10|k10', '11|k11', '12|k12'], `${codec}: from offset 10 inside a batch`);

        // The batches really were compressed: a Kafka broker keeps a producer's compressed batch as it
        // came, so 50 kB of one repeated byte takes far less than 50 kB in the partition's log. (A
        // client only compresses when it believes the broker can take the codec: librdkafka, for
        // one, disables LZ4 unless the broker's ApiVersions lists FindCoordinator.)
        const big = `${topic}-size`;
        await produce(tt, big, 0, [`big:${'x'.repeat(50_000)}`], ['-z', codec]);
        const dir = join(broker.logDir, `${big}-0`);
        const logBytes = existsSync(dir)
          ? readdirSync(dir)
              .filter((f) => f.endsWith('.log'))
              .reduce((n, f) => n + statSync(join(dir, f)).size, 0)
          : -1;
        tt.ok(logBytes > 0 && logBytes < 10_000, `${codec}: a 50 kB record of one repeated byte is stored compressed (${dir}/*.log holds ${logBytes} bytes)`);
        const back = await kcat(['-b', B, '-C', '-t', big, '-p', '0', '-o', 'beginning', '-e', '-f', '%s']);
        tt.equal(back.stdout, 'x'.repeat(50_000), `${codec}: the 50 kB record reads back exactly`);
      });
    }
  });
}
