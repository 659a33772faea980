/**
 * Samsa as a library: `startBroker()` runs a broker inside the test process (the same code path
 * as `samsa start`), a client uses it, and `close()` releases the port and keeps the data.
 */
import t from 'tap';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../index.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Kafka, logLevel } = require('kafkajs') as {
  Kafka: new (c: unknown) => {
    admin(): { connect(): Promise<void>; disconnect(): Promise<void>; createTopics(r: unknown): Promise<boolean>; fetchTopicOffsets(topic: string): Promise<Array<{ high: string }>> };
    producer(): { connect(): Promise<void>; disconnect(): Promise<void>; send(r: unknown): Promise<unknown> };
  };
  logLevel: { NOTHING: number };
};

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

t.test('startBroker serves clients in-process and close() frees the port', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-lib-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const broker = await startBroker({ port: 0, dataDir, overrides: { 'num.partitions': '2' } });
  t.equal(broker.bootstrap, `${broker.host}:${broker.port}`);
  t.ok(broker.port > 0, 'a free port was picked');

  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'lib-topic', messages: [{ value: 'a' }, { value: 'b' }] });
  await producer.disconnect();
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets('lib-topic');
  t.equal(offsets.length, 2, 'auto-created with num.partitions from the overrides');
  t.equal(offsets.reduce((n, o) => n + Number(o.high), 0), 2, 'both records stored');
  await admin.disconnect();

  await broker.close();
  t.notOk(await portOpen(broker.port), 'the port is closed after close()');

  const again = await startBroker({ port: 0, dataDir });
  const kafka2 = new Kafka({ brokers: [again.bootstrap], logLevel: logLevel.NOTHING });
  const admin2 = kafka2.admin();
  await admin2.connect();
  t.equal((await admin2.fetchTopicOffsets('lib-topic')).reduce((n, o) => n + Number(o.high), 0), 2, 'the data survives into a new broker on the same dir');
  await admin2.disconnect();
  await again.close();
});
