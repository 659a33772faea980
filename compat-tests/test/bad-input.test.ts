/**
 * Bad input against a real Samsa process: each case gets Kafka's error code or a closed
 * connection, is logged, and leaves the broker serving other connections with its data intact.
 */
import t from 'tap';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  apiVersionsApi,
  createTopicsApi,
  defaultApiVersionsRequest,
  defaultCreateTopicsRequest,
  defaultFetchRequest,
  defaultMetadataRequest,
  defaultProduceRequest,
  fetchApi,
  metadataApi,
  produceApi,
} from '../../protocol/messages/index.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';

const MAX_REQUEST = 1024 * 1024;
const samsa = await SamsaProcess.start({ overrides: { 'socket.request.max.bytes': String(MAX_REQUEST), 'auto.create.topics.enable': 'false' } });
t.teardown(() => samsa.close());

const open = (): Promise<RawConnection> => RawConnection.open(samsa.host, samsa.port);

function produceRequest(topic: string, records: Buffer): ReturnType<typeof defaultProduceRequest> {
  return { ...defaultProduceRequest(), acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
}

const values = ['a', 'b', 'c', 'd', 'e'];
function batch(): Buffer {
  return buildBatch({ baseOffset: 0, records: values.map((v) => ({ key: Buffer.from(`k${v}`), value: Buffer.from(v), timestamp: Date.now() })) });
}

/** The broker still answers and still holds the records produced before the bad input. */
async function assertHealthy(t: Pick<typeof import('tap').t, 'equal' | 'same'>): Promise<void> {
  const c = await open();
  try {
    const av = await c.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'check', clientSoftwareVersion: '1' });
    t.equal(av.errorCode, ErrorCode.NONE, 'a new connection is served');
    const fetched = await c.request(fetchApi, 12, {
      ...defaultFetchRequest(),
      maxWaitMs: 0,
      minBytes: 0,
      topics: [{ topic: 'bad-input-data', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ ...defaultFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    });
    const p = fetched.responses[0]!.partitions[0]!;
    t.equal(p.errorCode, ErrorCode.NONE);
    const records = Buffer.concat(Array.isArray(p.records) ? p.records : [p.records as Buffer]);
    const read = scanBatches(records).flatMap((b) => readRecords(records, b));
    t.same(
      read.map((r) => r.value?.toString()),
      values,
      'earlier records are intact',
    );
  } finally {
    c.close();
  }
}

function defaultFetchPartition(): { partition: number; currentLeaderEpoch: number; fetchOffset: bigint; lastFetchedEpoch: number; logStartOffset: bigint; partitionMaxBytes: number; replicaDirectoryId: string } {
  return { partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 0, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' };
}

t.before(async () => {
  const c = await open();
  const created = await c.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics: [{ name: 'bad-input-data', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
  if (created.topics[0]!.errorCode !== 0) throw new Error(`create failed: ${created.topics[0]!.errorCode}`);
  const produced = await c.request(produceApi, 9, produceRequest('bad-input-data', batch()));
  if (produced.responses[0]!.partitionResponses[0]!.errorCode !== 0) throw new Error('produce failed');
  c.close();
});

t.test('garbage bytes close the connection', async (t) => {
  const c = await open();
  c.write(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
  t.ok(await c.closedWithin(5000), 'closed');
  await assertHealthy(t);
});

t.test('a frame over socket.request.max.bytes is refused before it arrives', async (t) => {
  const c = await open();
  const size = Buffer.alloc(4);
  size.writeInt32BE(MAX_REQUEST + 1);
  c.write(size);
  t.ok(await c.closedWithin(5000), 'closed on the size prefix alone');
  t.match(samsa.stderr, /exceeds|too large|socket\.request\.max\.bytes/i, 'logged');
  await assertHealthy(t);
});

t.test('a negative size closes the connection', async (t) => {
  const c = await open();
  c.write(Buffer.from([0xff, 0xff, 0xff, 0xf0, 1, 2, 3]));
  t.ok(await c.closedWithin(5000), 'closed');
  await assertHealthy(t);
});

t.test('a truncated frame: the broker waits, then closes when the client gives up', async (t) => {
  const c = await open();
  const full = c.frame(metadataApi, 12, { ...defaultMetadataRequest(), topics: null });
  c.write(full.subarray(0, full.length - 3));
  t.notOk(await c.closedWithin(300), 'an incomplete frame is waited for');
  c.socket.end();
  t.ok(await c.closedWithin(5000), 'closed once the client half-closes');
  await assertHealthy(t);
});

t.test('a request body cut short inside a complete frame closes the connection', async (t) => {
  const c = await open();
  const full = c.frame(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics: [{ name: 'never', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }] });
  const cut = Buffer.from(full.subarray(0, full.length - 10));
  cut.writeInt32BE(cut.length - 4, 0);
  c.write(cut);
  t.ok(await c.closedWithin(5000), 'closed');
  t.match(samsa.stderr, /malformed CreateTopics v7 request/, 'logged');
  await assertHealthy(t);
});

t.test('an unknown API key closes the connection and is logged once per client, naming it', async (t) => {
  for (let i = 0; i < 2; i++) {
    const c = await open();
    const av = await c.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'odd-client', clientSoftwareVersion: '9.9' });
    t.equal(av.errorCode, ErrorCode.NONE);
    const frame = c.frame(metadataApi, 12, { ...defaultMetadataRequest(), topics: null }, 'odd-app');
    frame.writeInt16BE(999, 4);
    c.write(frame);
    t.ok(await c.closedWithin(5000), 'closed');
  }
  const lines = samsa.stderr.split('\n').filter((l) => l.includes('unknown API key 999'));
  t.equal(lines.length, 1, 'one line for two connections of the same client');
  t.match(lines[0] ?? '', /client 'odd-app' \(odd-client 9\.9\)/, 'the line names the client id and the client software');
  await assertHealthy(t);
});

t.test('an unsupported version: ApiVersions answers UNSUPPORTED_VERSION in v0, other APIs close', async (t) => {
  const c = await open();
  const frame = c.frame(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'x', clientSoftwareVersion: '1' });
  frame.writeInt16BE(99, 6);
  c.write(frame);
  const body = await c.readFrame();
  t.ok(body !== null, 'answered');
  // v0 body after the 4-byte correlation id: int16 error code, then the API list.
  t.equal(body!.readInt16BE(4), ErrorCode.UNSUPPORTED_VERSION, 'UNSUPPORTED_VERSION');
  t.ok(body!.readInt32BE(6) > 10, 'lists the supported APIs');

  const m = c.frame(metadataApi, 12, { ...defaultMetadataRequest(), topics: null });
  m.writeInt16BE(99, 6);
  c.write(m);
  t.ok(await c.closedWithin(5000), 'Metadata v99 closes the connection');
  await assertHealthy(t);
});

t.test('invalid topic names get INVALID_TOPIC_EXCEPTION', async (t) => {
  const c = await open();
  t.teardown(() => c.close());
  const created = await c.request(createTopicsApi, 7, {
    ...defaultCreateTopicsRequest(),
    topics: ['bad name!', '', '..', 'x'.repeat(250)].map((name) => ({ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] })),
  });
  t.same(
    created.topics.map((x) => x.errorCode),
    [17, 17, 17, 17],
  );
  const meta = await c.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'bad name!' }], allowAutoTopicCreation: true });
  t.equal(meta.topics[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
});

t.test('produce to a missing topic with auto-create off gets UNKNOWN_TOPIC_OR_PARTITION', async (t) => {
  const c = await open();
  t.teardown(() => c.close());
  const res = await c.request(produceApi, 9, produceRequest('no-such-topic', batch()));
  t.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const meta = await c.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'no-such-topic' }], allowAutoTopicCreation: true });
  t.equal(meta.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'metadata does not create it either');
});

t.test('a corrupt batch gets CORRUPT_MESSAGE and nothing is appended', async (t) => {
  const c = await open();
  t.teardown(() => c.close());
  const bad = batch();
  bad[bad.length - 1]! ^= 0xff;
  const res = await c.request(produceApi, 9, produceRequest('bad-input-data', bad));
  t.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
  await assertHealthy(t);
});
