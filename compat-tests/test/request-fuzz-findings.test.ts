/**
 * Requests the request fuzzer (compat-tests/fuzz) found mishandled, each sent as-is to a real
 * broker so the fix stays fixed whatever seeds later runs use.
 */
import t from 'tap';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { residentSetBytes } from '../fuzz/request-fuzzer.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  apiVersionsApi,
  createTopicsApi,
  defaultApiVersionsRequest,
  defaultCreateTopicsRequest,
  defaultProduceRequest,
  deleteTopicsApi,
  describeConfigsApi,
  produceApi,
} from '../../protocol/messages/index.js';
import { buildBatch } from '../../protocol/records/index.js';

const samsa = await SamsaProcess.start();
t.teardown(() => samsa.close());

t.test('DescribeConfigs naming one topic 50,000 times answers each copy INVALID_REQUEST, as AlterConfigs does', async (t) => {
  const c = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => c.close());
  const created = await c.request(createTopicsApi, 7, {
    ...defaultCreateTopicsRequest(),
    topics: [{ name: 'described', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
  });
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  // About 1 MB of request; answered in full it was every topic config 50,000 times over, with
  // synonyms: hundreds of megabytes of response and seconds of work.
  const resource = { resourceType: 2, resourceName: 'described', configurationKeys: null };
  const started = Date.now();
  const res = await c.request(describeConfigsApi, 4, {
    resources: Array.from({ length: 50_000 }, () => resource),
    includeSynonyms: true,
    includeDocumentation: true,
  });
  t.ok(Date.now() - started < 5000, `answered in ${Date.now() - started} ms`);
  t.equal(res.results.length, 50_000, 'one result per resource asked for');
  t.ok(
    res.results.every((r) => r.errorCode === ErrorCode.INVALID_REQUEST && r.configs.length === 0),
    'every copy is INVALID_REQUEST without configs',
  );
  const rss = residentSetBytes(samsa.pid!)!;
  t.ok(rss < 300 * 2 ** 20, `resident set ${(rss / 2 ** 20).toFixed(0)} MB`);
});

t.test('deleting a topic with a 249-character name (the longest legal) keeps the broker up', async (t) => {
  const c = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => c.close());
  const name = 'x'.repeat(249);
  const topics = [{ name, numPartitions: 12, replicationFactor: 1, assignments: [], configs: [] }];
  const created = await c.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics, timeoutMs: 5000 });
  t.equal(created.topics[0]!.errorCode, ErrorCode.NONE, 'created');
  // Partition directories are made on first use: write to two partitions.
  const records = buildBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('v'), timestamp: Date.now() }] });
  const produced = await c.request(produceApi, 9, {
    ...defaultProduceRequest(),
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name, partitionData: [0, 11].map((index) => ({ index, records })) }],
  });
  t.same(
    produced.responses[0]!.partitionResponses.map((p) => p.errorCode),
    [ErrorCode.NONE, ErrorCode.NONE],
    'produced',
  );
  // `<name>-11.<n>-delete` is longer than the 255 bytes a file name may have: the rename failed,
  // and the failure was an unhandled rejection that ended the process.
  const deleted = await c.request(deleteTopicsApi, 1, { topics: [], topicNames: [name], timeoutMs: 5000 });
  t.equal(deleted.responses[0]!.errorCode, ErrorCode.NONE, 'deleted');
  await new Promise((r) => setTimeout(r, 500));
  t.notOk(samsa.hasExited, 'the broker is still running');
  const again = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => again.close());
  const av = await again.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'check', clientSoftwareVersion: '1' });
  t.equal(av.errorCode, ErrorCode.NONE, 'and answers a new connection');
  const recreated = await again.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics, timeoutMs: 5000 });
  t.equal(recreated.topics[0]!.errorCode, ErrorCode.NONE, 'the name can be used again');
});

t.test('an answer too long to encode (an error message echoing a 32 KB name) is UNKNOWN_SERVER_ERROR, not a closed connection', async (t) => {
  const c = await RawConnection.open(samsa.host, samsa.port);
  t.teardown(() => c.close());
  // v3 is not flexible: the name fits the request's int16 string, the message quoting it does not.
  const name = 'n'.repeat(32_700);
  const res = await c.request(describeConfigsApi, 3, {
    resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  t.equal(res.results[0]?.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
  t.equal(res.results[0]?.resourceName, name, 'the resource is named in the answer');
  const av = await c.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'check', clientSoftwareVersion: '1' });
  t.equal(av.errorCode, ErrorCode.NONE, 'the connection stays open');
  t.match(samsa.stderr, /the answer to DescribeConfigs v3 from \S+ cannot be encoded/, 'logged once, as a warning');
});
