/**
 * Request builders and uncompared preparation shared by the differential scenarios, the raw
 * protocol samples and the randomised sequences.
 */
import type { Differential, Side } from '../harness/differential.js';
import {
  createTopicsApi,
  defaultCreateTopicsRequest,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultMetadataRequest,
  defaultProduceRequest,
  findCoordinatorApi,
  defaultListOffsetsRequestListOffsetsPartition,
  initProducerIdApi,
  listOffsetsApi,
  metadataApi,
  offsetFetchApi,
  type CreateTopicsRequest,
  type FetchRequest,
  type ProduceRequest,
} from '../../protocol/messages/index.js';
import { buildBatch, type BuildBatchOptions } from '../../protocol/records/index.js';
import { ZERO_UUID } from '../../protocol/uuid.js';

/**
 * Record timestamps are fixed for the run, so ListOffsets by time and fetched batches compare
 * exactly; a minute in the past, so neither broker's retention (7 days) nor the limit on
 * timestamps in the future (Kafka 4: one hour) applies to them.
 */
export const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;

export function createTopicRequest(name: string, numPartitions: number, configs: Record<string, string> = {}, extra: Partial<CreateTopicsRequest> = {}): CreateTopicsRequest {
  return {
    ...defaultCreateTopicsRequest(),
    timeoutMs: 30_000,
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    ...extra,
  };
}

/** `count` records with keys k<first>.., values v<first>.., timestamps T0 + index. */
export function records(count: number, first = 0, size = 0): BuildBatchOptions['records'] {
  return Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${first + i}`),
    value: Buffer.from(`v${first + i}`.padEnd(size, '.')),
    timestamp: T0 + first + i,
  }));
}

export function produceRequest(topic: string, partition: number, batch: Buffer, acks = -1): ProduceRequest {
  return { ...defaultProduceRequest(), acks, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] };
}

export function batch(opts: Partial<BuildBatchOptions> & { records: BuildBatchOptions['records'] }): Buffer {
  return buildBatch({ baseOffset: 0, ...opts });
}

/** A side's topic id for a name, learnt by `settleTopic`. */
export function topicId(side: Side, topic: string): string {
  return side.get<string>(`topicId:${topic}`);
}

/**
 * A Fetch for a list of partitions, by name (v0-12) or by the side's topic id (v13+), that
 * answers at once; `extra` overrides request fields.
 */
export function fetchRequest(side: Side, version: number, parts: Array<{ topic: string; partition: number; offset: number; maxBytes?: number }>, extra: Partial<FetchRequest> = {}): FetchRequest {
  const byTopic = new Map<string, typeof parts>();
  for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  return {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    sessionEpoch: -1,
    topics: [...byTopic].map(([topic, ps]) => ({
      topic: version < 13 ? topic : '',
      topicId: version >= 13 ? topicId(side, topic) : ZERO_UUID,
      partitions: ps.map((p) => ({ ...defaultFetchRequestFetchPartition(), partition: p.partition, fetchOffset: BigInt(p.offset), partitionMaxBytes: p.maxBytes ?? 1 << 20 })),
    })),
    ...extra,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (uncompared) until every partition of the topic has a leader on the side, and remembers
 * its topic id: Kafka applies a CreateTopics to its metadata image asynchronously.
 */
export async function settleTopic(side: Side, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const md = await side.conn.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false });
    const t = md.topics[0];
    if (t !== undefined && t.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leaderId >= 0)) {
      // Kafka's metadata cache learns of the topic before its replica manager makes the partitions.
      const lo = await side.conn.request(listOffsetsApi, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: t.partitions.map((p) => ({ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: p.partitionIndex, timestamp: -1n })) }],
      });
      if (lo.topics[0]?.partitions.every((p) => p.errorCode === 0)) {
        side.vars.set(`topicId:${topic}`, t.topicId);
        return;
      }
    }
    if (Date.now() > deadline) throw new Error(`${side.name}: ${topic} has no leaders for ${partitions} partitions after 20 s`);
    await sleep(50);
  }
}

/** Waits (uncompared) until Metadata no longer lists the topic (Kafka deletes asynchronously). */
export async function settleDeleted(side: Side, topic: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const md = await side.conn.request(metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false });
    if (md.topics[0]?.errorCode === 3) return;
    if (Date.now() > deadline) throw new Error(`${side.name}: ${topic} is still listed 20 s after its deletion (error ${md.topics[0]?.errorCode})`);
    await sleep(50);
  }
}

/** Waits (uncompared) until the side names a group coordinator (Kafka creates __consumer_offsets first). */
export async function settleCoordinator(side: Side, group: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await side.conn.request(findCoordinatorApi, 3, { key: group, keyType: 0, coordinatorKeys: [] });
    // Kafka names the coordinator before it has loaded the offsets partition; OffsetFetch says when it has.
    const loaded =
      r.errorCode === 0 &&
      (await side.conn.request(offsetFetchApi, 8, { groupId: '', topics: [], groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: false })).groups[0]?.errorCode === 0;
    if (loaded) return;
    if (Date.now() > deadline) throw new Error(`${side.name}: no coordinator for ${group} after 30 s (error ${r.errorCode})`);
    await sleep(100);
  }
}

/** Creates a topic on both sides, compared, and waits for its leaders. */
export async function createTopic(d: Differential, step: string, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  await d.exchange(step, createTopicsApi, 7, createTopicRequest(name, partitions, configs));
  await d.each((s) => settleTopic(s, name, partitions));
}

/**
 * Waits (uncompared) until the side hands out a producer id, taking exactly one: Kafka's broker
 * first fetches a block of ids from the controller and answers COORDINATOR_LOAD_IN_PROGRESS until then.
 */
export async function settleProducerIds(side: Side): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await side.conn.request(initProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    if (r.errorCode === 0) return;
    if (Date.now() > deadline) throw new Error(`${side.name}: no producer id after 30 s (error ${r.errorCode})`);
    await sleep(100);
  }
}
