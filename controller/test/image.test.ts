/**
 * ImageBuilder: replaying metadata records builds brokers, topics, partitions, configs, features
 * and the producer-id high mark; a topic's removal takes its configs with it and its name can be
 * taken again under a new id; partition changes bump the epochs as Kafka's do; what changed is
 * reported so the broker reacts to just that, and the base image is never modified.
 */
import t from 'tap';
import { BROKER_RESOURCE, configKey, emptyImage, ImageBuilder, TOPIC_RESOURCE } from '../image.js';
import { CLUSTER_ID, config, ID_A, ID_B, partition, partitionChange, registerBroker, removeTopic, replay, topic, topicConfig } from './records.js';

t.test('the empty image', async (t) => {
  const image = emptyImage(CLUSTER_ID, 3);
  t.equal(image.clusterId, CLUSTER_ID);
  t.equal(image.controllerId, 3);
  t.equal(image.offset, -1);
  t.equal(image.metadataVersion, 0);
  t.equal(image.nextProducerId, 0n);
  t.equal(image.topics.size + image.brokers.size + image.configs.size, 0);
});

t.test('replaying records builds brokers, topics, partitions and configs', async (t) => {
  const { image, builder } = replay([
    { type: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } },
    registerBroker(1, { epoch: 5n, host: 'a', port: 9001 }),
    registerBroker(2, { fenced: true }),
    topic('orders', ID_A),
    topicConfig('orders', 'cleanup.policy', 'compact'),
    partition(ID_A, 0, [1, 2]),
    partition(ID_A, 1, [2, 1]),
    config(BROKER_RESOURCE, '1', 'log.retention.ms', '1000'),
    config(BROKER_RESOURCE, '', 'message.max.bytes', '2000'),
    { type: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 5n, nextProducerId: 1000n } },
  ]);
  t.equal(image.offset, 9, 'the offset of the last record');
  t.equal(image.metadataVersion, 21);
  t.same([...image.features], [['metadata.version', 21]]);
  t.equal(image.nextProducerId, 1000n);

  t.same([...image.brokers.keys()].sort(), [1, 2]);
  t.same(image.brokers.get(1), { id: 1, epoch: 5n, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAA', listeners: [{ name: 'PLAINTEXT', host: 'a', port: 9001, securityProtocol: 0 }], rack: null, fenced: false });
  t.equal(image.brokers.get(2)!.fenced, true);

  const orders = image.topics.get('orders')!;
  t.equal(orders.id, ID_A);
  t.equal(image.topicsById.get(ID_A), orders, 'the same topic by name and by id');
  t.same(orders.partitions, [
    { partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
    { partition: 1, replicas: [2, 1], isr: [2, 1], leader: 2, leaderEpoch: 0, partitionEpoch: 0 },
  ]);

  t.same([...image.configs.get(configKey(TOPIC_RESOURCE, 'orders'))!], [['cleanup.policy', 'compact']]);
  t.same([...image.configs.get('broker:1')!], [['log.retention.ms', '1000']]);
  t.same([...image.configs.get('broker:')!], [['message.max.bytes', '2000']], 'the cluster default is keyed by the empty name');

  t.same(builder.changes(), { createdTopics: ['orders'], deletedTopics: [], changedTopics: [], changedConfigs: ['orders'], brokersChanged: true });
});

t.test('the base image is not modified, and untouched maps are shared', async (t) => {
  const { image: base } = replay([registerBroker(1), topic('a', ID_A), partition(ID_A, 0, [1]), topicConfig('a', 'retention.ms', '1')]);
  const topicsBefore = [...base.topics.entries()];
  const { image: next } = replay([topic('b', ID_B), partition(ID_B, 0, [1]), partitionChange(ID_A, 0, { isr: [] })], base);
  t.same([...base.topics.entries()], topicsBefore, 'the base keeps its topics');
  t.notOk(base.topics.has('b'));
  t.same(base.topics.get('a')!.partitions[0]!.isr, [1], 'and its partitions');
  t.equal(next.brokers, base.brokers, 'brokers untouched: the same map');
  t.equal(next.configs, base.configs, 'configs untouched: the same map');
  t.equal(next.features, base.features);
  t.not(next.topics, base.topics, 'topics touched: a copy');
  t.equal(next.offset, base.offset + 3);
});

t.test('a removed topic leaves both maps and takes its configs; its name can be created again', async (t) => {
  const { image: base } = replay([registerBroker(1), topic('a', ID_A), partition(ID_A, 0, [1]), topicConfig('a', 'retention.ms', '1'), topic('keep', ID_B), topicConfig('keep', 'retention.ms', '2')]);

  const removal = replay([removeTopic(ID_A)], base);
  t.notOk(removal.image.topics.has('a'));
  t.notOk(removal.image.topicsById.has(ID_A));
  t.notOk(removal.image.configs.has('topic:a'), 'its configs go with it');
  t.ok(removal.image.configs.has('topic:keep'), 'other topics keep theirs');
  t.same(removal.builder.changes(), { createdTopics: [], deletedTopics: ['a'], changedTopics: [], changedConfigs: [], brokersChanged: false });

  const NEW_ID = 'AAAAAAAAAAAAAAAAAAAABA';
  const again = replay([topic('a', NEW_ID), partition(NEW_ID, 0, [1]), partition(NEW_ID, 1, [1])], removal.image);
  const a = again.image.topics.get('a')!;
  t.equal(a.id, NEW_ID, 'the new topic has its new id');
  t.equal(a.partitions.length, 2, 'and only its own partitions');
  t.notOk(again.image.topicsById.has(ID_A), 'the old id is gone');
  t.notOk(again.image.configs.has('topic:a'), 'no configs carried over from the deleted topic');
  t.same(again.builder.changes().createdTopics, ['a']);
  t.same(again.builder.changes().deletedTopics, []);
});

t.test('create then remove in one delta reports neither; remove of an unknown id is ignored', async (t) => {
  const { image, builder } = replay([topic('x', ID_A), partition(ID_A, 0, [1]), topicConfig('x', 'retention.ms', '5'), removeTopic(ID_A), removeTopic(ID_B)]);
  t.equal(image.topics.size, 0);
  t.equal(image.configs.size, 0);
  t.same(builder.changes(), { createdTopics: [], deletedTopics: [], changedTopics: [], changedConfigs: [], brokersChanged: false });
});

t.test('a topic removed and created again in one delta is reported as created, with the new id', async (t) => {
  const { image: base } = replay([topic('a', ID_A), partition(ID_A, 0, [1])]);
  const { image, builder } = replay([removeTopic(ID_A), topic('a', ID_B)], base);
  t.equal(image.topics.get('a')!.id, ID_B);
  t.same(image.topics.get('a')!.partitions, []);
  t.same(builder.changes().createdTopics, ['a']);
  t.same(builder.changes().deletedTopics, [], 'the broker replaces the partitions, whose topic id differs');
});

t.test('partition changes: leader, ISR, replicas and the epochs', async (t) => {
  const { image: base } = replay([topic('a', ID_A), partition(ID_A, 0, [1, 2, 3]), partition(ID_A, 1, [2, 3, 1])]);

  const isrOnly = replay([partitionChange(ID_A, 0, { isr: [1, 2] })], base);
  t.same(isrOnly.image.topics.get('a')!.partitions[0], { partition: 0, replicas: [1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1 }, 'an ISR change bumps the partition epoch only');
  t.same(isrOnly.builder.changes().changedTopics, ['a'], 'reported as a changed topic');
  t.same(isrOnly.builder.changes().createdTopics, []);
  t.equal(isrOnly.image.topics.get('a')!.partitions[1], base.topics.get('a')!.partitions[1], 'the other partition is untouched');

  const leader = replay([partitionChange(ID_A, 0, { leader: 2 })], isrOnly.image);
  t.same(leader.image.topics.get('a')!.partitions[0], { partition: 0, replicas: [1, 2, 3], isr: [1, 2], leader: 2, leaderEpoch: 1, partitionEpoch: 2 }, 'a new leader bumps both epochs');

  const sameLeader = replay([partitionChange(ID_A, 0, { leader: 2 })], leader.image);
  t.equal(sameLeader.image.topics.get('a')!.partitions[0]!.leaderEpoch, 1, 'naming the current leader is no leader change');
  t.equal(sameLeader.image.topics.get('a')!.partitions[0]!.partitionEpoch, 3);

  const replicas = replay([partitionChange(ID_A, 0, { replicas: [2, 3], isr: [2] })], leader.image);
  const p = replicas.image.topics.get('a')!.partitions[0]!;
  t.same([p.replicas, p.isr, p.leader, p.leaderEpoch], [[2, 3], [2], 2, 1], 'replicas and ISR replaced; leader -2 keeps the leader');
});

t.test('partitions added to an existing topic are a change; records for unknown topics or partitions are ignored', async (t) => {
  const { image: base } = replay([topic('a', ID_A), partition(ID_A, 0, [1])]);
  const { image, builder } = replay([partition(ID_A, 1, [1]), partition(ID_B, 0, [1]), partitionChange(ID_B, 0, { leader: 5 }), partitionChange(ID_A, 7, { leader: 5 })], base);
  t.same(image.topics.get('a')!.partitions.map((p) => p.partition), [0, 1]);
  t.equal(image.topics.get('a')!.partitions.length, 2, 'no hole left for the unknown partition 7');
  t.equal(image.topics.size, 1);
  t.same(builder.changes().changedTopics, ['a']);
  t.equal(image.offset, base.offset + 4, 'ignored records still move the offset');
});

t.test('config records set, replace and delete values', async (t) => {
  const { image: base } = replay([topic('a', ID_A), topicConfig('a', 'retention.ms', '1'), topicConfig('a', 'segment.ms', '2')]);
  const { image, builder } = replay([topicConfig('a', 'retention.ms', '10'), topicConfig('a', 'segment.ms', null)], base);
  t.same([...image.configs.get('topic:a')!], [['retention.ms', '10']]);
  t.same([...base.configs.get('topic:a')!], [['retention.ms', '1'], ['segment.ms', '2']], 'the base keeps its values');
  t.same(builder.changes().changedConfigs, ['a']);
  t.equal(builder.changes().brokersChanged, false, 'a topic config is no broker change');

  const emptied = replay([topicConfig('a', 'retention.ms', null)], image);
  t.notOk(emptied.image.configs.has('topic:a'), 'a resource with no configs left has no entry');

  const broker = replay([config(BROKER_RESOURCE, '1', 'log.retention.ms', '5')], base);
  t.same(broker.builder.changes().changedConfigs, []);
  t.equal(broker.builder.changes().brokersChanged, true, 'a broker config is a broker change');
});

t.test('brokers register, re-register and unregister', async (t) => {
  const { image: base } = replay([registerBroker(1, { epoch: 1n }), registerBroker(2)]);
  const { image, builder } = replay([registerBroker(1, { epoch: 7n, host: 'moved' }), { type: 'UnregisterBrokerRecord', data: { brokerId: 2, brokerEpoch: 0n } }], base);
  t.same([...image.brokers.keys()], [1]);
  t.equal(image.brokers.get(1)!.epoch, 7n);
  t.equal(image.brokers.get(1)!.listeners[0]!.host, 'moved');
  t.equal(base.brokers.size, 2, 'the base keeps both');
  t.equal(builder.changes().brokersChanged, true);
});

t.test('feature levels and producer ids', async (t) => {
  const { image: base } = replay([
    { type: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } },
    { type: 'FeatureLevelRecord', data: { name: 'other.feature', featureLevel: 2 } },
    { type: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 0n, nextProducerId: 5000n } },
  ]);
  const { image, builder } = replay([
    { type: 'FeatureLevelRecord', data: { name: 'other.feature', featureLevel: 0 } },
    { type: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 0n, nextProducerId: 4000n } },
  ], base);
  t.same([...image.features], [['metadata.version', 21]], 'level 0 removes a feature');
  t.equal(image.nextProducerId, 5000n, 'the producer id mark never moves back');
  t.equal(replay([{ type: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 0n, nextProducerId: 6000n } }], image).image.nextProducerId, 6000n);
  t.same(builder.changes(), { createdTopics: [], deletedTopics: [], changedTopics: [], changedConfigs: [], brokersChanged: false });
});

t.test('records of types the image does not act on only move the offset', async (t) => {
  const base = emptyImage(CLUSTER_ID, 1);
  const builder = new ImageBuilder(base);
  builder.apply({ type: 'Other', apiKey: 20, version: 0, data: {} }, 41);
  const image = builder.build();
  t.equal(image.offset, 41);
  t.equal(image.topics, base.topics);
  t.equal(image.brokers, base.brokers);
});
