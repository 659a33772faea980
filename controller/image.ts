/**
 * The metadata image: the cluster's state as of one offset of the metadata log (Kafka's
 * MetadataImage). Immutable: replaying records builds a new image through an ImageBuilder, which
 * copies only the maps a record touches and notes what changed, so the broker can react to just
 * that (Kafka's MetadataDelta).
 */
import type { MetadataRecord } from './metadata-records.js';

export interface PartitionImage {
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly id: string;
  readonly partitions: readonly PartitionImage[];
}

export interface BrokerListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: number;
}

export interface BrokerRegistration {
  readonly id: number;
  readonly epoch: bigint;
  readonly incarnationId: string;
  readonly listeners: readonly BrokerListener[];
  readonly rack: string | null;
  readonly fenced: boolean;
}

/** ConfigRecord resource types (Kafka's ConfigResource.Type). */
export const BROKER_RESOURCE = 4;
export const TOPIC_RESOURCE = 2;

/** Key of a config resource in `MetadataImage.configs`: `topic:<name>`, `broker:<id>` or `broker:` for the cluster default. */
export function configKey(resourceType: number, name: string): string {
  return `${resourceType === TOPIC_RESOURCE ? 'topic' : 'broker'}:${name}`;
}

export interface MetadataImage {
  readonly clusterId: string;
  readonly controllerId: number;
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
  readonly topics: ReadonlyMap<string, TopicImage>;
  readonly topicsById: ReadonlyMap<string, TopicImage>;
  readonly configs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** metadata.version feature level (Kafka's MetadataVersion; 21 is 3.9-IV0). */
  readonly metadataVersion: number;
  readonly features: ReadonlyMap<string, number>;
  /** First producer id not yet handed out to any broker. */
  readonly nextProducerId: bigint;
  /** Offset of the last record applied; -1 for the empty image. */
  readonly offset: number;
}

export interface ImageChanges {
  readonly createdTopics: readonly string[];
  readonly deletedTopics: readonly string[];
  /** Topics whose partitions changed (new partitions, leader or ISR changes). */
  readonly changedTopics: readonly string[];
  /** Topics whose configs changed. */
  readonly changedConfigs: readonly string[];
  readonly brokersChanged: boolean;
}

export function emptyImage(clusterId: string, controllerId: number): MetadataImage {
  return {
    clusterId,
    controllerId,
    brokers: new Map(),
    topics: new Map(),
    topicsById: new Map(),
    configs: new Map(),
    metadataVersion: 0,
    features: new Map(),
    nextProducerId: 0n,
    offset: -1,
  };
}

/** Applies records to an image, copy-on-write, remembering what changed. */
export class ImageBuilder {
  private brokers: Map<number, BrokerRegistration> | null = null;
  private topics: Map<string, TopicImage> | null = null;
  private topicsById: Map<string, TopicImage> | null = null;
  private configs: Map<string, ReadonlyMap<string, string>> | null = null;
  private features: Map<string, number> | null = null;
  private nextProducerId: bigint;
  private offset: number;
  private readonly created = new Set<string>();
  private readonly deleted = new Set<string>();
  private readonly changed = new Set<string>();
  private readonly changedConfigs = new Set<string>();
  private brokersChanged = false;

  constructor(private readonly base: MetadataImage) {
    this.nextProducerId = base.nextProducerId;
    this.offset = base.offset;
  }

  private topicMaps(): { byName: Map<string, TopicImage>; byId: Map<string, TopicImage> } {
    this.topics ??= new Map(this.base.topics);
    this.topicsById ??= new Map(this.base.topicsById);
    return { byName: this.topics, byId: this.topicsById };
  }

  private topicById(id: string): TopicImage | undefined {
    return (this.topicsById ?? this.base.topicsById).get(id);
  }

  private putTopic(t: TopicImage): void {
    const { byName, byId } = this.topicMaps();
    byName.set(t.name, t);
    byId.set(t.id, t);
  }

  apply(record: MetadataRecord, offset: number): void {
    this.offset = offset;
    switch (record.type) {
      case 'TopicRecord': {
        const r = record.data;
        this.putTopic({ name: r.name, id: r.topicId, partitions: [] });
        this.created.add(r.name);
        this.deleted.delete(r.name);
        break;
      }
      case 'PartitionRecord': {
        const r = record.data;
        const t = this.topicById(r.topicId);
        if (t === undefined) break;
        const partitions = [...t.partitions];
        partitions[r.partitionId] = {
          partition: r.partitionId,
          replicas: r.replicas,
          isr: r.isr,
          leader: r.leader,
          leaderEpoch: r.leaderEpoch,
          partitionEpoch: r.partitionEpoch,
        };
        this.putTopic({ ...t, partitions });
        if (!this.created.has(t.name)) this.changed.add(t.name);
        break;
      }
      case 'PartitionChangeRecord': {
        const r = record.data;
        const t = this.topicById(r.topicId);
        const p = t?.partitions[r.partitionId];
        if (t === undefined || p === undefined) break;
        const partitions = [...t.partitions];
        const leaderChanged = r.leader !== -2 && r.leader !== p.leader;
        partitions[r.partitionId] = {
          ...p,
          replicas: r.replicas ?? p.replicas,
          isr: r.isr ?? p.isr,
          leader: r.leader === -2 ? p.leader : r.leader,
          leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
          partitionEpoch: p.partitionEpoch + 1,
        };
        this.putTopic({ ...t, partitions });
        if (!this.created.has(t.name)) this.changed.add(t.name);
        break;
      }
      case 'RemoveTopicRecord': {
        const t = this.topicById(record.data.topicId);
        if (t === undefined) break;
        const { byName, byId } = this.topicMaps();
        byName.delete(t.name);
        byId.delete(t.id);
        this.configs ??= new Map(this.base.configs);
        this.configs.delete(configKey(TOPIC_RESOURCE, t.name));
        if (this.created.has(t.name)) this.created.delete(t.name);
        else this.deleted.add(t.name);
        this.changed.delete(t.name);
        this.changedConfigs.delete(t.name);
        break;
      }
      case 'ConfigRecord': {
        const r = record.data;
        this.configs ??= new Map(this.base.configs);
        const key = configKey(r.resourceType, r.resourceName);
        const next = new Map(this.configs.get(key) ?? []);
        if (r.value === null) next.delete(r.name);
        else next.set(r.name, r.value);
        if (next.size === 0) this.configs.delete(key);
        else this.configs.set(key, next);
        if (r.resourceType === TOPIC_RESOURCE) this.changedConfigs.add(r.resourceName);
        else this.brokersChanged = true;
        break;
      }
      case 'RegisterBrokerRecord': {
        const r = record.data;
        this.brokers ??= new Map(this.base.brokers);
        this.brokers.set(r.brokerId, {
          id: r.brokerId,
          epoch: r.brokerEpoch,
          incarnationId: r.incarnationId,
          listeners: r.endPoints.map((e) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
          rack: r.rack,
          fenced: r.fenced,
        });
        this.brokersChanged = true;
        break;
      }
      case 'UnregisterBrokerRecord': {
        this.brokers ??= new Map(this.base.brokers);
        this.brokers.delete(record.data.brokerId);
        this.brokersChanged = true;
        break;
      }
      case 'FeatureLevelRecord': {
        this.features ??= new Map(this.base.features);
        if (record.data.featureLevel === 0) this.features.delete(record.data.name);
        else this.features.set(record.data.name, record.data.featureLevel);
        break;
      }
      case 'ProducerIdsRecord': {
        if (record.data.nextProducerId > this.nextProducerId) this.nextProducerId = record.data.nextProducerId;
        break;
      }
      case 'Other':
        break;
    }
  }

  changes(): ImageChanges {
    return {
      createdTopics: [...this.created],
      deletedTopics: [...this.deleted],
      changedTopics: [...this.changed],
      changedConfigs: [...this.changedConfigs].filter((n) => !this.deleted.has(n)),
      brokersChanged: this.brokersChanged,
    };
  }

  build(): MetadataImage {
    const features = this.features ?? this.base.features;
    return {
      clusterId: this.base.clusterId,
      controllerId: this.base.controllerId,
      brokers: this.brokers ?? this.base.brokers,
      topics: this.topics ?? this.base.topics,
      topicsById: this.topicsById ?? this.base.topicsById,
      configs: this.configs ?? this.base.configs,
      metadataVersion: features.get('metadata.version') ?? 0,
      features,
      nextProducerId: this.nextProducerId,
      offset: this.offset,
    };
  }
}
