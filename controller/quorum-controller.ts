/**
 * The controller (Kafka's QuorumController), as a quorum of one. Every change to cluster metadata
 * is an operation run one at a time: it reads the current image, validates, and produces metadata
 * records; the records are appended to the metadata log as one batch and made durable, then
 * applied to build the next image, which listeners (the broker) receive with what changed.
 *
 * The broker only ever reads images and subscribes to changes, so replacing the single-node log
 * with a Raft-replicated one changes this class, not its readers.
 */
import { randomBytes } from 'node:crypto';
import type { Listener, ServerConfig } from '../config/server-config.js';
import { NodeFileSystem } from '../storage/fs/file-system.js';
import { defaultRegisterBrokerRecord } from '../protocol/metadata/index.js';
import { configChangeRecords, type ConfigChange, type ConfigChangeResult } from './config-control.js';
import { emptyImage, ImageBuilder, type ImageChanges, type MetadataImage } from './image.js';
import { MetadataLog } from './metadata-log.js';
import type { MetadataRecord } from './metadata-records.js';
import {
  createPartitionRecords,
  createTopicRecords,
  deleteTopicRecords,
  type CreatableTopic,
  type CreatePartitionsResult,
  type CreateTopicResult,
  type DeleteTopicResult,
  type NewPartitions,
  type PartitionLimits,
  type TopicRef,
} from './topic-control.js';

/** metadata.version of Kafka 3.9 (3.9-IV0). */
export const METADATA_VERSION_LEVEL = 21;
const META_PROPERTIES = 'meta.properties';
/** Controller epoch of a quorum of one; it never changes. */
const CONTROLLER_EPOCH = 1;
/** SecurityProtocol id of PLAINTEXT. */
const PLAINTEXT = 0;

export interface ControllerOptions {
  dataDir: string;
  nodeId: number;
  listeners: readonly Listener[];
  config: ServerConfig;
  fsync: boolean;
  log?: (msg: string) => void;
}

export type ImageListener = (image: MetadataImage, changes: ImageChanges) => void;

export interface ProducerIdBlock {
  firstProducerId: bigint;
  size: number;
}

export class ClusterIdMismatchError extends Error {}

/** Reads or creates `meta.properties` (Kafka's format) holding the cluster id of this data dir. */
async function loadClusterId(dataDir: string, nodeId: number, configured: string | null): Promise<string> {
  const fs = new NodeFileSystem();
  await fs.mkdirp(dataDir);
  const path = `${dataDir}/${META_PROPERTIES}`;
  const existing = await fs.readFile(path);
  if (existing !== null) {
    const id = /^cluster\.id=(.*)$/m.exec(existing.toString('utf8'))?.[1]?.trim();
    if (id !== undefined && id !== '') {
      if (configured !== null && configured !== id) {
        throw new ClusterIdMismatchError(`data dir ${dataDir} belongs to cluster ${id}, but cluster.id is set to ${configured}`);
      }
      return id;
    }
  }
  const id = configured ?? randomBytes(16).toString('base64url').replace(/^-/, 'A');
  await fs.writeFileAtomic(path, Buffer.from(`#Written by Samsa\nversion=1\ncluster.id=${id}\nnode.id=${nodeId}\n`), true);
  return id;
}

export class QuorumController {
  private current: MetadataImage;
  private readonly listeners = new Set<ImageListener>();
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly opts: ControllerOptions,
    private readonly log: MetadataLog,
    image: MetadataImage,
  ) {
    this.current = image;
  }

  static async open(opts: ControllerOptions): Promise<QuorumController> {
    const clusterId = await loadClusterId(opts.dataDir, opts.nodeId, opts.config.clusterId);
    const logFn = opts.log ?? (() => undefined);
    const log = await MetadataLog.open(opts.dataDir, { fsync: opts.fsync, log: logFn });
    const builder = new ImageBuilder(emptyImage(clusterId, opts.nodeId));
    await log.replay((record, offset) => builder.apply(record, offset));
    const controller = new QuorumController(opts, log, builder.build());
    await controller.bootstrap();
    return controller;
  }

  /** First start: the metadata version. Every start: this node's registration, with a new epoch. */
  private async bootstrap(): Promise<void> {
    const records: MetadataRecord[] = [];
    if (this.current.metadataVersion === 0) {
      records.push({ type: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: METADATA_VERSION_LEVEL } });
    }
    records.push({
      type: 'RegisterBrokerRecord',
      data: {
        ...defaultRegisterBrokerRecord(),
        brokerId: this.opts.nodeId,
        incarnationId: randomBytes(16).toString('base64url'),
        // Kafka uses the registration's offset in the metadata log as the broker epoch.
        brokerEpoch: BigInt(this.log.endOffset + records.length),
        endPoints: this.opts.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: PLAINTEXT })),
        features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: METADATA_VERSION_LEVEL }],
        rack: null,
        fenced: false,
        logDirs: [],
      },
    });
    const registered = this.current.brokers.has(this.opts.nodeId);
    try {
      await this.commit(records);
    } catch (e) {
      // A restart on a full disk: the registration from the last run stands (this node's own
      // address is taken from its configuration anyway), so the broker still serves reads.
      if (!registered || records.length !== 1) throw e;
      (this.opts.log ?? (() => undefined))(`registering broker ${this.opts.nodeId} in the metadata log failed, keeping the previous registration: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  image(): MetadataImage {
    return this.current;
  }

  /**
   * The metadata quorum as DescribeQuorum reports it: this node is the only voter and the leader,
   * and every record is committed once appended, so the high watermark is the log end offset.
   */
  quorumState(): { leaderId: number; leaderEpoch: number; highWatermark: number } {
    return { leaderId: this.opts.nodeId, leaderEpoch: CONTROLLER_EPOCH, highWatermark: this.log.endOffset };
  }

  /** Calls `fn` after every change; returns the unsubscribe function. */
  onImage(fn: ImageListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Runs operations one at a time, in call order. */
  private run<T>(op: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      if (this.closed) throw new Error('the controller is closed');
      return op();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Appends records durably, then applies them and tells the listeners. */
  private async commit(records: readonly MetadataRecord[]): Promise<void> {
    if (records.length === 0) return;
    const lastOffset = await this.log.append(records, CONTROLLER_EPOCH);
    const firstOffset = lastOffset - records.length + 1;
    const builder = new ImageBuilder(this.current);
    records.forEach((r, i) => builder.apply(r, firstOffset + i));
    this.current = builder.build();
    const changes = builder.changes();
    for (const l of [...this.listeners]) l(this.current, changes);
  }

  private partitionLimits(): PartitionLimits {
    return { perRequest: this.opts.config.maxPartitionsPerRequest, total: this.opts.config.maxPartitions };
  }

  createTopics(topics: readonly CreatableTopic[], validateOnly: boolean): Promise<CreateTopicResult[]> {
    return this.run(async () => {
      const { records, results } = createTopicRecords(this.current, topics, {
        numPartitions: this.opts.config.numPartitions,
        replicationFactor: this.opts.config.defaultReplicationFactor,
      }, this.partitionLimits());
      if (!validateOnly) await this.commit(records);
      return results;
    });
  }

  deleteTopics(refs: readonly TopicRef[]): Promise<DeleteTopicResult[]> {
    return this.run(async () => {
      const { records, results } = deleteTopicRecords(this.current, refs, this.opts.config.deleteTopicEnable);
      await this.commit(records);
      return results;
    });
  }

  createPartitions(items: readonly NewPartitions[], validateOnly: boolean): Promise<CreatePartitionsResult[]> {
    return this.run(async () => {
      const { records, results } = createPartitionRecords(this.current, items, this.partitionLimits());
      if (!validateOnly) await this.commit(records);
      return results;
    });
  }

  alterConfigs(changes: readonly ConfigChange[], opts: { validateOnly: boolean; replace: boolean }): Promise<ConfigChangeResult[]> {
    return this.run(async () => {
      const { records, results } = configChangeRecords(this.current, changes, opts.replace);
      if (!opts.validateOnly) await this.commit(records);
      return results;
    });
  }

  /** Reserves a block of producer ids for `brokerId` (KIP-730). */
  allocateProducerIds(brokerId: number, size: number): Promise<ProducerIdBlock> {
    return this.run(async () => {
      const first = this.current.nextProducerId;
      const epoch = this.current.brokers.get(brokerId)?.epoch ?? -1n;
      await this.commit([{ type: 'ProducerIdsRecord', data: { brokerId, brokerEpoch: epoch, nextProducerId: first + BigInt(size) } }]);
      return { firstProducerId: first, size };
    });
  }

  async close(): Promise<void> {
    await this.tail;
    this.closed = true;
    this.listeners.clear();
    await this.log.close();
  }
}
