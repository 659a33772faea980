/**
 * The controller as a quorum of one, on a temporary directory: the first start writes the
 * metadata version and registers the node; operations commit their records and tell listeners
 * what changed, validate-only ones commit nothing; a restart replays the log into the same image,
 * registers the node again with a new epoch and keeps the cluster id; a data directory of another
 * cluster is refused; producer id blocks never overlap, across restarts too.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig } from '../../config/server-config.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { OP_SET } from '../config-control.js';
import type { ImageChanges, MetadataImage } from '../image.js';
import { ClusterIdMismatchError, METADATA_VERSION_LEVEL, QuorumController } from '../quorum-controller.js';

function open(dataDir: string, overrides: Record<string, string> = {}): Promise<QuorumController> {
  const config = loadServerConfig({ overrides: { 'log.dirs': dataDir, 'node.id': '1', ...overrides } });
  return QuorumController.open({ dataDir, nodeId: 1, listeners: [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 'PLAINTEXT' }], config, fsync: true });
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-controller-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const topicRequest = (name: string, numPartitions = 2) => ({ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] });

/** What a test compares across restarts: everything but the broker registrations, which change. */
function durable(image: MetadataImage): unknown {
  return {
    clusterId: image.clusterId,
    topics: [...image.topics.values()],
    configs: [...image.configs].map(([k, v]) => [k, [...v]]),
    metadataVersion: image.metadataVersion,
    nextProducerId: image.nextProducerId,
  };
}

t.test('the first start writes the metadata version and registers the node', async (t) => {
  const c = await open(tempDir(t));
  const image = c.image();
  t.equal(image.metadataVersion, METADATA_VERSION_LEVEL);
  t.match(image.brokers.get(1), { id: 1, epoch: 1n, fenced: false, listeners: [{ name: 'PLAINTEXT', host: 'localhost', port: 9092 }] }, 'the epoch is the offset of the registration');
  t.equal(image.offset, 1);
  t.same(c.quorumState(), { leaderId: 1, leaderEpoch: 1, highWatermark: 2 });
  t.match(image.clusterId, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  await c.close();
});

t.test('operations commit and tell listeners; validate-only and failed ones commit nothing', async (t) => {
  const c = await open(tempDir(t));
  const seen: ImageChanges[] = [];
  const unsubscribe = c.onImage((image, changes) => {
    t.equal(image, c.image(), 'listeners get the new image');
    seen.push(changes);
  });

  const dry = await c.createTopics([topicRequest('orders')], true);
  t.equal(dry[0]!.errorCode, ErrorCode.NONE);
  t.notOk(c.image().topics.has('orders'), 'validate-only: not created');
  t.same(seen, []);

  const [created] = await c.createTopics([topicRequest('orders')], false);
  t.equal(c.image().topics.get('orders')?.id, created!.topicId);
  t.same(seen.map((s) => s.createdTopics), [['orders']]);

  const [again] = await c.createTopics([topicRequest('orders')], false);
  t.equal(again!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  t.equal(seen.length, 1, 'a refused operation tells no one');

  t.same((await c.createPartitions([{ name: 'orders', count: 3, assignments: null }], true)).map((r) => r.errorCode), [ErrorCode.NONE]);
  t.equal(c.image().topics.get('orders')!.partitions.length, 2, 'validate-only: no partition added');
  await c.createPartitions([{ name: 'orders', count: 3, assignments: null }], false);
  t.equal(c.image().topics.get('orders')!.partitions.length, 3);

  await c.alterConfigs([{ resourceType: 2, resourceName: 'orders', ops: [{ name: 'retention.ms', op: OP_SET, value: '1000' }] }], { validateOnly: true, replace: false });
  t.notOk(c.image().configs.has('topic:orders'), 'validate-only: no config set');
  await c.alterConfigs([{ resourceType: 2, resourceName: 'orders', ops: [{ name: 'retention.ms', op: OP_SET, value: '1000' }] }], { validateOnly: false, replace: false });
  t.same([...c.image().configs.get('topic:orders')!], [['retention.ms', '1000']]);

  unsubscribe();
  await c.deleteTopics([{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }]);
  t.notOk(c.image().topics.has('orders'));
  t.same(seen.map((s) => [s.createdTopics, s.changedTopics, s.changedConfigs]), [[['orders'], [], []], [[], ['orders'], []], [[], [], ['orders']]], 'unsubscribed: the delete was not seen');
  await c.close();
});

t.test('operations run one at a time in call order', async (t) => {
  const c = await open(tempDir(t));
  const results = await Promise.all([c.createTopics([topicRequest('same')], false), c.createTopics([topicRequest('same')], false)]);
  t.same(results.map((r) => r[0]!.errorCode), [ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS], 'the second sees the first one committed');
  await c.close();
});

t.test('a restart replays the log into the same image, with a new registration', async (t) => {
  const dir = tempDir(t);
  let c = await open(dir);
  await c.createTopics([topicRequest('a', 3), topicRequest('b', 1)], false);
  await c.alterConfigs([{ resourceType: 2, resourceName: 'a', ops: [{ name: 'cleanup.policy', op: OP_SET, value: 'compact' }] }], { validateOnly: false, replace: false });
  await c.deleteTopics([{ name: 'b', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }]);
  await c.allocateProducerIds(1, 1000);
  const before = c.image();
  await c.close();
  await t.rejects(c.createTopics([topicRequest('late')], false), /the controller is closed/, 'a closed controller refuses operations');

  c = await open(dir);
  const after = c.image();
  t.same(durable(after), durable(before), 'topics, configs, metadata version, producer ids and cluster id as before');
  t.equal(after.metadataVersion, METADATA_VERSION_LEVEL);
  t.equal(after.offset, before.offset + 1, 'only a new registration was appended');
  t.equal(after.brokers.get(1)!.epoch, BigInt(before.offset + 1), 'with the epoch of its offset');
  t.not(after.brokers.get(1)!.incarnationId, before.brokers.get(1)!.incarnationId);
  await c.close();
});

t.test('the cluster id is kept in meta.properties; another configured id is refused', async (t) => {
  const dir = tempDir(t);
  let c = await open(dir, { 'cluster.id': 'fixed-cluster-id-aaaaa' });
  t.equal(c.image().clusterId, 'fixed-cluster-id-aaaaa');
  await c.close();
  c = await open(dir);
  t.equal(c.image().clusterId, 'fixed-cluster-id-aaaaa', 'an unconfigured start takes the stored id');
  await c.close();
  const refused = await open(dir, { 'cluster.id': 'another-cluster-id-aaa' }).then(
    (c2) => c2.close(),
    (e: unknown) => e,
  );
  t.type(refused, ClusterIdMismatchError);
  t.match((refused as Error).message, /belongs to cluster fixed-cluster-id-aaaaa, but cluster.id is set to another-cluster-id-aaa/);
});

t.test('producer id blocks follow each other, across restarts too', async (t) => {
  const dir = tempDir(t);
  let c = await open(dir);
  t.same(await c.allocateProducerIds(1, 1000), { firstProducerId: 0n, size: 1000 });
  t.same(await c.allocateProducerIds(1, 10), { firstProducerId: 1000n, size: 10 });
  await c.close();
  c = await open(dir);
  t.same(await c.allocateProducerIds(1, 5), { firstProducerId: 1010n, size: 5 });
  await c.close();
});
