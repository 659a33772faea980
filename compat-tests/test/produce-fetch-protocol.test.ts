/**
 * Produce and fetch semantics over raw requests, where client libraries hide the details:
 * idempotent sequence checks, acks=0 ordering, size limits, long polling, fetch sessions
 * (KIP-227), conversion for magic 0/1 clients, ListOffsets variants and OffsetForLeaderEpoch.
 */
import t from 'tap';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  createTopicsApi,
  defaultCreateTopicsRequest,
  defaultFetchRequest,
  defaultInitProducerIdRequest,
  defaultListOffsetsRequest,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultMetadataRequest,
  defaultOffsetForLeaderEpochRequest,
  defaultOffsetForLeaderEpochRequestOffsetForLeaderPartition,
  defaultProduceRequest,
  fetchApi,
  initProducerIdApi,
  listOffsetsApi,
  metadataApi,
  offsetForLeaderEpochApi,
  produceApi,
  type FetchResponse,
} from '../../protocol/messages/index.js';
import { buildBatch, buildMessageSet, readMessageSet, readRecords, scanBatches, type RecordInput } from '../../protocol/records/index.js';

const samsa = await SamsaProcess.start();
t.teardown(() => samsa.close());
const conn = await RawConnection.open(samsa.host, samsa.port);
t.teardown(() => conn.close());

async function createTopic(name: string, partitions = 1, configs: Array<{ name: string; value: string }> = []): Promise<string> {
  const res = await conn.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs }] });
  const r = res.topics[0]!;
  if (r.errorCode !== 0) throw new Error(`create ${name}: ${r.errorCode} ${r.errorMessage}`);
  return r.topicId;
}

function records(n: number, start = 0, ts = Date.now()): RecordInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${start + i}`), value: Buffer.from(`v${start + i}`), timestamp: ts + i }));
}

async function produce(c: RawConnection, topic: string, batch: Buffer, opts: { acks?: number; version?: number; partition?: number } = {}) {
  const res = await c.request(produceApi, opts.version ?? 9, {
    ...defaultProduceRequest(),
    acks: opts.acks ?? -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: opts.partition ?? 0, records: batch }] }],
  });
  return res.responses[0]!.partitionResponses[0]!;
}

function valuesOf(res: FetchResponse): string[] {
  const out: string[] = [];
  for (const topic of res.responses) {
    for (const p of topic.partitions) {
      const buf = Buffer.concat(Array.isArray(p.records) ? p.records : p.records === null ? [] : [p.records as Buffer]);
      for (const b of scanBatches(buf, { allowPartialTail: true })) for (const r of readRecords(buf, b)) out.push(r.value?.toString() ?? 'null');
    }
  }
  return out;
}

t.test('idempotent producer: duplicates, gaps and stale epochs', async (t) => {
  await createTopic('idem');
  const init = await conn.request(initProducerIdApi, 4, { ...defaultInitProducerIdRequest(), transactionalId: null, transactionTimeoutMs: 60000 });
  t.equal(init.errorCode, 0);
  const pid = Number(init.producerId);
  t.ok(pid >= 0, 'a producer id');
  t.equal(init.producerEpoch, 0);
  const second = await conn.request(initProducerIdApi, 4, { ...defaultInitProducerIdRequest(), transactionalId: null, transactionTimeoutMs: 60000 });
  t.not(Number(second.producerId), pid, 'each producer gets its own id');

  const batch = (seq: number, n: number, epoch = 0): Buffer => buildBatch({ baseOffset: 0, records: records(n, seq), producerId: pid, producerEpoch: epoch, baseSequence: seq });
  const first = await produce(conn, 'idem', batch(0, 5));
  t.equal(first.errorCode, 0);
  t.equal(first.baseOffset, 0n);
  const retry = await produce(conn, 'idem', batch(0, 5));
  t.equal(retry.errorCode, 0, 'a retried batch is acknowledged');
  t.equal(retry.baseOffset, 0n, 'with its original offset');
  const next = await produce(conn, 'idem', batch(5, 3));
  t.equal(next.baseOffset, 5n, 'the next batch follows, not after a duplicate');
  const gap = await produce(conn, 'idem', batch(20, 1));
  t.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'a gap is refused');
  const bumped = await produce(conn, 'idem', batch(0, 2, 1));
  t.equal(bumped.errorCode, 0, 'a new epoch starts again at sequence 0');
  t.equal(bumped.baseOffset, 8n);
  const stale = await produce(conn, 'idem', batch(8, 1, 0));
  t.equal(stale.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'the old epoch is fenced');

  const res = await conn.request(fetchApi, 12, fetchRequest({ topic: 'idem', offset: 0 }));
  t.same(valuesOf(res), ['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v0', 'v1'], 'nothing duplicated in the log');
});

t.test('acks=0: no response, order kept with the requests after it', async (t) => {
  await createTopic('acks0');
  const c = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => c.close());
  for (let i = 0; i < 3; i++) {
    c.write(c.frame(produceApi, 9, { ...defaultProduceRequest(), acks: 0, timeoutMs: 5000, topicData: [{ name: 'acks0', partitionData: [{ index: 0, records: buildBatch({ baseOffset: 0, records: records(1, i) }) }] }] }));
  }
  const meta = await c.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: null });
  t.ok(meta.topics.length > 0, 'the next response is the metadata answer: acks=0 wrote none');
  const res = await c.request(fetchApi, 12, fetchRequest({ topic: 'acks0', offset: 0 }));
  t.same(valuesOf(res), ['v0', 'v1', 'v2'], 'appended in request order');
});

t.test('max.message.bytes gives MESSAGE_TOO_LARGE', async (t) => {
  await createTopic('small', 1, [{ name: 'max.message.bytes', value: '1000' }]);
  const big = buildBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.alloc(2000, 1), timestamp: Date.now() }] });
  t.equal((await produce(conn, 'small', big)).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
  const ok = buildBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.alloc(500, 1), timestamp: Date.now() }] });
  t.equal((await produce(conn, 'small', ok)).errorCode, 0);
});

t.test('long polling answers as soon as an append arrives', async (t) => {
  const id = await createTopic('poll');
  const started = Date.now();
  const idle = await conn.request(fetchApi, 13, fetchRequest({ topicId: id, offset: 0 }, { maxWaitMs: 300, minBytes: 1 }));
  const waited = Date.now() - started;
  t.ok(waited >= 250, `an empty fetch waits max_wait_ms (waited ${waited} ms)`);
  t.same(valuesOf(idle), []);

  const fetcher = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => fetcher.close());
  const t0 = Date.now();
  const pending = fetcher.request(fetchApi, 13, fetchRequest({ topicId: id, offset: 0 }, { maxWaitMs: 10_000, minBytes: 1 }));
  await new Promise((r) => setTimeout(r, 200));
  await produce(conn, 'poll', buildBatch({ baseOffset: 0, records: records(2) }));
  const res = await pending;
  const elapsed = Date.now() - t0;
  t.same(valuesOf(res), ['v0', 'v1'], 'the appended records');
  t.ok(elapsed < 3000, `answered on the append, not at max_wait_ms (${elapsed} ms)`);
});

t.test('max_bytes still returns the first whole batch (KIP-74)', async (t) => {
  const id = await createTopic('kip74');
  await produce(conn, 'kip74', buildBatch({ baseOffset: 0, records: records(50) }));
  await produce(conn, 'kip74', buildBatch({ baseOffset: 0, records: records(50, 50) }));
  const req = fetchRequest({ topicId: id, offset: 0 }, { maxBytes: 10 });
  req.topics[0]!.partitions[0]!.partitionMaxBytes = 10;
  const res = await conn.request(fetchApi, 13, req);
  t.equal(valuesOf(res).length, 50, 'exactly the first batch');
  const mid = await conn.request(fetchApi, 13, fetchRequest({ topicId: id, offset: 20 }));
  t.equal(valuesOf(mid)[0], 'v0', 'a fetch from inside a batch returns the whole batch');
});

t.test('fetch sessions (KIP-227)', async (t) => {
  const id = await createTopic('sess');
  await produce(conn, 'sess', buildBatch({ baseOffset: 0, records: records(3) }));
  const full = await conn.request(fetchApi, 13, fetchRequest({ topicId: id, offset: 0 }, { sessionId: 0, sessionEpoch: 0 }));
  t.equal(full.errorCode, 0);
  t.ok(full.sessionId > 0, 'a new session');
  t.same(valuesOf(full), ['v0', 'v1', 'v2']);

  const incr = { ...defaultFetchRequest(), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: full.sessionId, sessionEpoch: 1, topics: [] };
  const quiet = await conn.request(fetchApi, 13, incr);
  t.equal(quiet.errorCode, 0);
  t.equal(quiet.sessionId, full.sessionId);
  // The session still fetches from offset 0 (the client did not move it): data is news again.
  t.same(valuesOf(quiet), ['v0', 'v1', 'v2'], 'session partitions are fetched without being named');

  const moved = await conn.request(fetchApi, 13, { ...fetchRequest({ topicId: id, offset: 3 }), sessionId: full.sessionId, sessionEpoch: 2 });
  t.same(moved.responses, [], 'nothing new: no partition in an incremental answer');
  await produce(conn, 'sess', buildBatch({ baseOffset: 0, records: records(1, 3) }));
  const news = await conn.request(fetchApi, 13, { ...incr, sessionEpoch: 3 });
  t.same(valuesOf(news), ['v3'], 'new data appears');

  const wrongEpoch = await conn.request(fetchApi, 13, { ...incr, sessionEpoch: 9 });
  t.equal(wrongEpoch.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
  const unknown = await conn.request(fetchApi, 13, { ...incr, sessionId: 987654, sessionEpoch: 1 });
  t.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  const sessionless = await conn.request(fetchApi, 13, fetchRequest({ topicId: id, offset: 0 }, { sessionId: 0, sessionEpoch: -1 }));
  t.equal(sessionless.sessionId, 0, 'epoch -1 fetches without a session');
  t.equal(valuesOf(sessionless).length, 4);
});

t.test('old clients: magic 0/1 message sets in, converted batches out', async (t) => {
  await createTopic('legacy');
  const set = buildMessageSet(1, [
    { key: Buffer.from('a'), value: Buffer.from('one'), timestamp: 1_700_000_000_000 },
    { key: Buffer.from('b'), value: Buffer.from('two'), timestamp: 1_700_000_000_001 },
  ]);
  const produced = await produce(conn, 'legacy', set, { version: 2 });
  t.equal(produced.errorCode, 0, 'produce v2 with a magic 1 message set');
  const v2 = await conn.request(fetchApi, 12, fetchRequest({ topic: 'legacy', offset: 0 }));
  t.same(valuesOf(v2), ['one', 'two'], 'stored as a v2 batch');

  for (const [version, magic] of [
    [2, 1],
    [0, 0],
  ] as const) {
    const res = await conn.request(fetchApi, version, fetchRequest({ topic: 'legacy', offset: 0 }));
    const p = res.responses[0]!.partitions[0]!;
    const buf = Buffer.concat(Array.isArray(p.records) ? p.records : [p.records as Buffer]);
    const msgs = readMessageSet(buf);
    t.same(
      msgs.map((m) => [m.magic, m.offset, m.key?.toString(), m.value?.toString()]),
      [
        [magic, 0, 'a', 'one'],
        [magic, 1, 'b', 'two'],
      ],
      `fetch v${version} gets magic ${magic}`,
    );
  }
  const v3batch = await produce(conn, 'legacy', set, { version: 3 });
  t.equal(v3batch.errorCode, ErrorCode.INVALID_RECORD, 'produce v3+ must carry magic 2');
});

t.test('ListOffsets: earliest, latest, by timestamp, max timestamp', async (t) => {
  await createTopic('times');
  const base = 1_700_000_000_000;
  await produce(conn, 'times', buildBatch({ baseOffset: 0, records: [0, 1, 2].map((i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: base + i * 10 })) }));
  await produce(conn, 'times', buildBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('late'), timestamp: base + 1000 }, { key: null, value: Buffer.from('x'), timestamp: base + 500 }] }));
  const ask = async (timestamp: bigint) => {
    const res = await conn.request(listOffsetsApi, 8, {
      ...defaultListOffsetsRequest(),
      replicaId: -1,
      topics: [{ name: 'times', partitions: [{ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: 0, timestamp }] }],
    });
    const p = res.topics[0]!.partitions[0]!;
    return [p.errorCode, Number(p.offset), Number(p.timestamp)];
  };
  t.same(await ask(-2n), [0, 0, -1], 'earliest');
  t.same(await ask(-1n), [0, 5, -1], 'latest');
  t.same(await ask(BigInt(base + 15)), [0, 2, base + 20], 'first record at or after a time');
  t.same(await ask(BigInt(base + 600)), [0, 3, base + 1000], 'a time inside a later batch');
  t.same(await ask(BigInt(base + 5000)), [0, -1, -1], 'after every record');
  t.same(await ask(-3n), [0, 3, base + 1000], 'max timestamp');
});

t.test('OffsetForLeaderEpoch', async (t) => {
  await createTopic('epochs');
  await produce(conn, 'epochs', buildBatch({ baseOffset: 0, records: records(4) }));
  const ask = async (leaderEpoch: number, currentLeaderEpoch: number) => {
    const res = await conn.request(offsetForLeaderEpochApi, 4, {
      ...defaultOffsetForLeaderEpochRequest(),
      replicaId: -1,
      topics: [{ topic: 'epochs', partitions: [{ ...defaultOffsetForLeaderEpochRequestOffsetForLeaderPartition(), partition: 0, leaderEpoch, currentLeaderEpoch }] }],
    });
    const p = res.topics[0]!.partitions[0]!;
    return [p.errorCode, p.leaderEpoch, Number(p.endOffset)];
  };
  t.same(await ask(0, 0), [0, 0, 4], 'the current epoch ends at the log end');
  t.same(await ask(0, 7), [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1], 'a newer current epoch is unknown to this leader');
  t.same(await ask(0, -1), [0, 0, 4], 'no current epoch: no check');
});

t.test('record errors name each invalid record by its index within the batch (KIP-467)', async (t) => {
  await createTopic('rec-err-compact', 1, [{ name: 'cleanup.policy', value: 'compact' }]);
  const withNullKeys = records(5).map((r, i) => (i === 1 || i === 3 ? { ...r, key: null } : r));
  const compacted = await produce(conn, 'rec-err-compact', buildBatch({ baseOffset: 0, records: withNullKeys }), { version: 8 });
  t.equal(compacted.errorCode, ErrorCode.INVALID_RECORD);
  t.same(
    compacted.recordErrors.map((e) => e.batchIndex),
    [1, 3],
    'only the two records without a key are named',
  );
  t.match(compacted.recordErrors[0]?.batchIndexErrorMessage ?? '', /Compacted topic cannot accept message without key in topic partition rec-err-compact-0/);
  t.match(compacted.errorMessage ?? '', /2 record errors in total/);

  await createTopic('rec-err-time', 1, [{ name: 'message.timestamp.after.max.ms', value: '60000' }]);
  const now = Date.now();
  const future = records(4, 0, now).map((r, i) => (i === 2 ? { ...r, timestamp: now + 3_600_000 } : r));
  const late = await produce(conn, 'rec-err-time', buildBatch({ baseOffset: 0, records: future }), { version: 9 });
  t.equal(late.errorCode, ErrorCode.INVALID_TIMESTAMP);
  t.same(late.recordErrors.map((e) => e.batchIndex), [2], 'the one record from the future is named');
  t.match(late.recordErrors[0]?.batchIndexErrorMessage ?? '', /of message with offset 2 is out of range/);
  const ok = await produce(conn, 'rec-err-time', buildBatch({ baseOffset: 0, records: records(3, 0, now) }), { version: 9 });
  t.equal(ok.errorCode, ErrorCode.NONE, 'the topic still takes valid records');
  t.same(ok.recordErrors, [], 'with no record errors');
});
