/**
 * Metadata records and images for the controller tests: short builders for the records the
 * controller writes, and an image built by replaying a list of them.
 */
import { defaultPartitionChangeRecord, defaultPartitionRecord, defaultRegisterBrokerRecord, type PartitionChangeRecord } from '../../protocol/metadata/index.js';
import { emptyImage, ImageBuilder, TOPIC_RESOURCE, type MetadataImage } from '../image.js';
import type { MetadataRecord } from '../metadata-records.js';

export const CLUSTER_ID = 'test-cluster-id-aaaaaa';
/** Two fixed topic ids (22-character base64url, as the codecs carry them). */
export const ID_A = 'AAAAAAAAAAAAAAAAAAAAAg';
export const ID_B = 'AAAAAAAAAAAAAAAAAAAAAw';

export function registerBroker(id: number, opts: { fenced?: boolean; epoch?: bigint; host?: string; port?: number } = {}): MetadataRecord {
  return {
    type: 'RegisterBrokerRecord',
    data: {
      ...defaultRegisterBrokerRecord(),
      brokerId: id,
      brokerEpoch: opts.epoch ?? 0n,
      endPoints: [{ name: 'PLAINTEXT', host: opts.host ?? `host-${id}`, port: opts.port ?? 9092 + id, securityProtocol: 0 }],
      rack: null,
      fenced: opts.fenced ?? false,
    },
  };
}

export function topic(name: string, topicId: string): MetadataRecord {
  return { type: 'TopicRecord', data: { name, topicId } };
}

export function partition(topicId: string, partitionId: number, replicas: number[], leader = replicas[0]!): MetadataRecord {
  return {
    type: 'PartitionRecord',
    data: { ...defaultPartitionRecord(), topicId, partitionId, replicas, isr: [...replicas], leader, leaderEpoch: 0, partitionEpoch: 0 },
  };
}

export function partitionChange(topicId: string, partitionId: number, change: Partial<PartitionChangeRecord>): MetadataRecord {
  return { type: 'PartitionChangeRecord', data: { ...defaultPartitionChangeRecord(), topicId, partitionId, ...change } };
}

export function removeTopic(topicId: string): MetadataRecord {
  return { type: 'RemoveTopicRecord', data: { topicId } };
}

export function config(resourceType: number, resourceName: string, name: string, value: string | null): MetadataRecord {
  return { type: 'ConfigRecord', data: { resourceType, resourceName, name, value } };
}

export function topicConfig(topicName: string, name: string, value: string | null): MetadataRecord {
  return config(TOPIC_RESOURCE, topicName, name, value);
}

/** Applies `records` to `base` (the empty image by default) at offsets following the base's. */
export function replay(records: readonly MetadataRecord[], base: MetadataImage = emptyImage(CLUSTER_ID, 1)): { image: MetadataImage; builder: ImageBuilder } {
  const builder = new ImageBuilder(base);
  records.forEach((r, i) => builder.apply(r, base.offset + 1 + i));
  return { image: builder.build(), builder };
}

/** An image of `brokers` unfenced brokers (ids 1..n) and nothing else. */
export function clusterOf(brokers: number): MetadataImage {
  const records: MetadataRecord[] = [];
  for (let id = 1; id <= brokers; id++) records.push(registerBroker(id));
  return replay(records).image;
}
