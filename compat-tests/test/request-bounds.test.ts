/**
 * Cheap requests that claim huge counts get Kafka's error code at once, validate-only included,
 * and the broker keeps serving: CreateTopics and CreatePartitions are bounded by
 * samsa.max.partitions.per.request (Kafka's MAX_PARTITIONS_PER_BATCH, POLICY_VIOLATION with
 * "Excessively large number of partitions per request") and samsa.max.partitions. Work that grows
 * with a request's lists stays linear, a Fetch response is at most fetch.max.bytes, a partition
 * repeated in ListOffsets or DeleteRecords is looked at once, and an OffsetCommit too large for one
 * batch gets INVALID_COMMIT_OFFSET_SIZE. A config resource named twice gets INVALID_REQUEST.
 */
import { connect } from 'node:net';
import t from 'tap';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { Reader } from '../../protocol/codec/reader.js';
import { buildBatch } from '../../protocol/records/index.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  createPartitionsApi,
  createTopicsApi,
  decodeResponseHeader,
  defaultCreatePartitionsRequest,
  defaultCreateTopicsRequest,
  defaultCreateTopicsRequestCreatableTopic,
  defaultDeleteRecordsRequest,
  defaultDescribeConfigsRequest,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultIncrementalAlterConfigsRequest,
  defaultListOffsetsRequest,
  defaultListOffsetsRequestListOffsetsPartition,
  defaultMetadataRequest,
  defaultOffsetCommitRequest,
  defaultOffsetCommitRequestPartition,
  defaultOffsetFetchRequest,
  deleteRecordsApi,
  describeConfigsApi,
  defaultProduceRequest,
  fetchApi,
  incrementalAlterConfigsApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  produceApi,
  responseHeaderVersion,
  type ApiCodec,
  type CreatePartitionsResponse,
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponse,
} from '../../protocol/messages/index.js';

/** Generous for a request that must be refused before any work; the unbounded broker took 4-45 s. */
const ANSWER_WITHIN_MS = 3000;
const MAX_PARTITIONS = 200;

const samsa = await SamsaProcess.start({ overrides: { 'samsa.max.partitions': String(MAX_PARTITIONS), 'auto.create.topics.enable': 'false' } });
t.teardown(() => samsa.close());

/** Sends one request on a fresh connection and decodes the answer, which must come within ANSWER_WITHIN_MS. */
async function promptly<Req, Resp>(api: ApiCodec<Req, Resp>, version: number, body: Req): Promise<Resp> {
  const c = await RawConnection.open(samsa.host, samsa.port);
  try {
    c.write(c.frame(api, version, body));
    const frame = await c.readFrame(ANSWER_WITHIN_MS);
    if (frame === null) throw new Error(`connection closed instead of answering ${api.name} v${version}`);
    const r = new Reader(frame);
    decodeResponseHeader(r, responseHeaderVersion(api.key, version));
    return api.decodeResponse(r, version);
  } finally {
    c.close();
  }
}

function topic(name: string, numPartitions: number): CreateTopicsRequestCreatableTopic {
  return { ...defaultCreateTopicsRequestCreatableTopic(), name, numPartitions, replicationFactor: 1, assignments: [], configs: [] };
}

function createTopics(topics: CreateTopicsRequestCreatableTopic[], validateOnly: boolean): Promise<CreateTopicsResponse> {
  return promptly(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics, timeoutMs: 5000, validateOnly });
}

function createPartitions(name: string, count: number, validateOnly: boolean): Promise<CreatePartitionsResponse> {
  return promptly(createPartitionsApi, 3, { ...defaultCreatePartitionsRequest(), topics: [{ name, count, assignments: null }], timeoutMs: 5000, validateOnly });
}

/** The broker still creates a topic and describes it. */
async function assertServing(t: Pick<typeof import('tap').t, 'equal'>, name: string): Promise<void> {
  const created = await createTopics([topic(name, 2)], false);
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE, `${name} created afterwards`);
  const md = await promptly(metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name }] });
  t.equal(md.topics[0]!.partitions.length, 2, `${name} has its 2 partitions`);
}

for (const numPartitions of [2147483647, 1_000_000]) {
  for (const validateOnly of [true, false]) {
    t.test(`CreateTopics with num_partitions=${numPartitions}, validate_only=${validateOnly}`, async (t) => {
      const res = await createTopics([topic(`huge-${numPartitions}-${validateOnly}`, numPartitions)], validateOnly);
      const r = res.topics[0]!;
      t.equal(r.errorCode, ErrorCode.POLICY_VIOLATION);
      t.match(r.errorMessage, /Excessively large number of partitions per request: \d+ requested, at most 10000 allowed/);
      await assertServing(t, `after-huge-${numPartitions}-${validateOnly}`);
    });
  }
}

t.test('the per-request cap counts every topic of the request', async (t) => {
  const res = await createTopics([topic('sum-a', 6000), topic('sum-b', 6000)], true);
  t.same(
    res.topics.map((r) => r.errorCode),
    [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION],
    'the whole request is refused, as Kafka does',
  );
  t.match(res.topics[0]!.errorMessage, /12000 requested/);
});

t.test('CreatePartitions to 1,000,000 is refused at once', async (t) => {
  t.equal((await createTopics([topic('grow', 1)], false)).topics[0]!.errorCode, ErrorCode.NONE);
  for (const validateOnly of [true, false]) {
    const res = await createPartitions('grow', 1_000_000, validateOnly);
    t.equal(res.results[0]!.errorCode, ErrorCode.POLICY_VIOLATION, `validate_only=${validateOnly}`);
    t.match(res.results[0]!.errorMessage, /Excessively large number of partitions per request: 999999 requested/);
  }
  const ok = await createPartitions('grow', 3, false);
  t.equal(ok.results[0]!.errorCode, ErrorCode.NONE, 'a modest increase still works');
  await assertServing(t, 'after-grow');
});

t.test('IncrementalAlterConfigs APPEND and SUBTRACT on long lists answer at once', async (t) => {
  t.equal((await createTopics([topic('long-lists', 1)], false)).topics[0]!.errorCode, ErrorCode.NONE);
  const OP_SET = 0;
  const OP_APPEND = 2;
  const OP_SUBTRACT = 3;
  const items = 100_000;
  const alter = async (configOperation: number, value: string): Promise<number> => {
    const res = await promptly(incrementalAlterConfigsApi, 1, {
      ...defaultIncrementalAlterConfigsRequest(),
      resources: [{ resourceType: 2, resourceName: 'long-lists', configs: [{ name: 'cleanup.policy', configOperation, value }] }],
      validateOnly: false,
    });
    return res.responses[0]!.errorCode;
  };
  // cleanup.policy accepts a list naming delete and compact any number of times.
  t.equal(await alter(OP_SET, Array(items).fill('delete').join(',')), ErrorCode.NONE, 'a long list is stored');
  t.equal(await alter(OP_APPEND, Array(items).fill('compact').join(',')), ErrorCode.NONE, 'appending a long list to it answers at once');
  t.equal(await alter(OP_SUBTRACT, Array(items).fill('compact').join(',')), ErrorCode.NONE, 'subtracting a long list answers at once');
  await assertServing(t, 'after-long-lists');
});

t.test('a Fetch response is bounded by fetch.max.bytes whatever the request asks', async (t) => {
  const FETCH_MAX_BYTES = 57671680; // Kafka's default
  t.equal((await createTopics([topic('big-fetch', 1)], false)).topics[0]!.errorCode, ErrorCode.NONE);
  const batch = buildBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.alloc(1_000_000, 7), timestamp: Date.now() }] });
  const produced = await promptly(produceApi, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: 'big-fetch', partitionData: [{ index: 0, records: batch }] }],
  });
  t.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
  // One small request naming the same 1 MB partition 100 times, with no response limit of its own.
  const partition = { ...defaultFetchRequestFetchPartition(), partition: 0, fetchOffset: 0n, partitionMaxBytes: 2 << 20 };
  const framer = await RawConnection.open(samsa.host, samsa.port);
  const request = framer.frame(fetchApi, 4, {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 0x7fffffff,
    topics: [{ topic: 'big-fetch', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: Array.from({ length: 100 }, () => partition) }],
  });
  framer.close();
  t.ok(request.length < 4096, `a ${request.length}-byte request`);
  // Only the size prefix is read: the answer's size is what the broker gathered in memory.
  const size = await new Promise<number>((resolve, reject) => {
    const s = connect(samsa.port, samsa.host, () => s.write(request));
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('no answer in time')), 10_000);
    s.on('data', (d: Buffer) => {
      head = Buffer.concat([head, d]);
      if (head.length >= 4) {
        clearTimeout(timer);
        resolve(head.readInt32BE(0));
        s.destroy();
      }
    });
    s.on('error', reject);
  });
  t.ok(size > 1_000_000, `the answer holds data (${size} bytes)`);
  t.ok(size <= FETCH_MAX_BYTES + 100_000, `the answer, ${size} bytes, is within fetch.max.bytes`);
  await assertServing(t, 'after-big-fetch');
});

t.test('ListOffsets: a partition named twice gets INVALID_REQUEST (Kafka), each once', async (t) => {
  t.equal((await createTopics([topic('lo-dup', 2)], false)).topics[0]!.errorCode, ErrorCode.NONE);
  const at = (partitionIndex: number) => ({ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex, timestamp: -1n });
  const res = await promptly(listOffsetsApi, 7, {
    ...defaultListOffsetsRequest(),
    replicaId: -1,
    topics: [{ name: 'lo-dup', partitions: [at(0)].concat(Array.from({ length: 10_000 }, () => at(1))) }],
  });
  const codes = res.topics[0]!.partitions.map((p) => p.errorCode);
  t.equal(codes[0], ErrorCode.NONE, 'the partition named once is answered');
  t.ok(
    codes.slice(1).every((c) => c === ErrorCode.INVALID_REQUEST),
    'every entry of the repeated partition is INVALID_REQUEST',
  );
});

t.test('DeleteRecords: a partition repeated 10,000 times is trimmed once and answered once', async (t) => {
  const res = await promptly(deleteRecordsApi, 2, {
    ...defaultDeleteRecordsRequest(),
    timeoutMs: 5000,
    topics: [{ name: 'big-fetch', partitions: Array.from({ length: 10_000 }, () => ({ partitionIndex: 0, offset: 0n })) }],
  });
  t.same(
    res.topics.map((x) => x.partitions.map((p) => [p.partitionIndex, p.errorCode, p.lowWatermark])),
    [[[0, ErrorCode.NONE, 0n]]],
  );
});

t.test('an OffsetCommit too large for one batch gets INVALID_COMMIT_OFFSET_SIZE; the group still works', async (t) => {
  const commit = (count: number, metadata: string) =>
    promptly(offsetCommitApi, 8, {
      ...defaultOffsetCommitRequest(),
      groupId: 'big-commit',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      topics: [{ name: 'big-fetch', partitions: Array.from({ length: count }, () => ({ ...defaultOffsetCommitRequestPartition(), partitionIndex: 0, committedOffset: 1n, committedMetadata: metadata })) }],
    });
  // 20,000 records of ~150 bytes: about 3 MB, over max.message.bytes of __consumer_offsets.
  const big = await commit(20_000, 'm'.repeat(100));
  const codes = new Set(big.topics[0]!.partitions.map((p) => p.errorCode));
  t.same([...codes], [ErrorCode.INVALID_COMMIT_OFFSET_SIZE], 'every entry gets Kafka\'s code');
  const small = await commit(1, 'ok');
  t.equal(small.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE, 'a normal commit is stored');
  const fetched = await promptly(offsetFetchApi, 7, { ...defaultOffsetFetchRequest(), groupId: 'big-commit', topics: [{ name: 'big-fetch', partitionIndexes: [0] }] });
  t.equal(fetched.topics[0]!.partitions[0]!.committedOffset, 1n);
  t.equal(fetched.topics[0]!.partitions[0]!.metadata, 'ok', 'the refused commit left nothing behind');
});

t.test('a config resource named twice gets INVALID_REQUEST', async (t) => {
  const resource = { resourceType: 2, resourceName: 'big-fetch', configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }] };
  const altered = await promptly(incrementalAlterConfigsApi, 1, {
    ...defaultIncrementalAlterConfigsRequest(),
    resources: Array.from({ length: 10_000 }, () => resource),
    validateOnly: false,
  });
  t.ok(
    altered.responses.every((r) => r.errorCode === ErrorCode.INVALID_REQUEST && r.errorMessage === 'Duplicate resource.'),
    'IncrementalAlterConfigs (Kafka: "Duplicate resource.")',
  );
  const described = await promptly(describeConfigsApi, 4, {
    ...defaultDescribeConfigsRequest(),
    resources: Array.from({ length: 10_000 }, () => ({ resourceType: 2, resourceName: 'big-fetch', configurationKeys: null })),
    includeSynonyms: true,
    includeDocumentation: true,
  });
  t.ok(
    described.results.every((r) => r.errorCode === ErrorCode.INVALID_REQUEST && r.configs.length === 0),
    'DescribeConfigs: no repeated 5 KB answer',
  );
  const once = await promptly(describeConfigsApi, 4, {
    ...defaultDescribeConfigsRequest(),
    resources: [{ resourceType: 2, resourceName: 'big-fetch', configurationKeys: ['retention.ms'] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  t.same(
    once.results[0]!.configs.map((c) => [c.name, c.value]),
    [['retention.ms', '604800000']],
    'named once, a resource is described, and the repeated alteration changed nothing',
  );
});

t.test('samsa.max.partitions bounds the cluster', async (t) => {
  const md = await promptly(metadataApi, 12, { ...defaultMetadataRequest(), topics: null });
  const existing = md.topics.reduce((n, x) => n + x.partitions.length, 0);
  const room = MAX_PARTITIONS - existing;
  const over = await createTopics([topic('fill-over', room + 1)], true);
  t.equal(over.topics[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
  t.match(over.topics[0]!.errorMessage, new RegExp(`over the limit of ${MAX_PARTITIONS} \\(samsa\\.max\\.partitions\\)`));
  const fill = await createTopics([topic('fill', room - 1), topic('fill-too-many', 2)], false);
  t.same(
    fill.topics.map((r) => r.errorCode),
    [ErrorCode.NONE, ErrorCode.POLICY_VIOLATION],
    'a topic that fits is created; the next, which no longer fits, is refused',
  );
  const grow = await createPartitions('fill', room + 1, false);
  t.equal(grow.results[0]!.errorCode, ErrorCode.POLICY_VIOLATION, 'CreatePartitions beyond the limit is refused');
  const last = await createPartitions('fill', room, false);
  t.equal(last.results[0]!.errorCode, ErrorCode.NONE, 'up to the limit is fine');
});
