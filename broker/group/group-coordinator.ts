/**
 * The group coordinator runtime (Kafka's CoordinatorRuntime for groups). Groups live in the
 * partition of `__consumer_offsets` their id hashes to; each partition has a GroupShard holding
 * its state. An operation runs against the shard synchronously and returns records; the records
 * are appended to the partition through the ordinary log (acks=all), replayed into the shard in
 * log order once durable, and only then is the response released. At start the shards are
 * rebuilt by replaying their partitions.
 *
 * The topic is created on first use (as Kafka does on the first FindCoordinator), compacted, with
 * `offsets.topic.num.partitions` partitions.
 */
import type { ServerConfig } from '../../config/server-config.js';
import type { Logger } from '../logger.js';
import type { QuorumController } from '../../controller/quorum-controller.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { BATCH_OVERHEAD, buildBatch, readRecords, scanBatches, type RecordInput } from '../../protocol/records/index.js';
import { AppendOrigin, type ReplicaManager } from '../replica-manager.js';
import { decodeCoordinatorRecord, encodeCoordinatorRecord, type CoordinatorRecord } from './coordinator-records.js';
import type { OpResult, TopicResolver } from './group-ops.js';
import { GroupShard, type GroupConfig } from './group-shard.js';

export const GROUP_TOPIC = '__consumer_offsets';
const TICK_MS = 200;
const LOAD_CHUNK = 1024 * 1024;

/** Kafka's partitionFor: Utils.abs(groupId.hashCode) % partitions, with Java's String.hashCode. */
export function groupPartition(groupId: string, partitions: number): number {
  let h = 0;
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(h, 31) + groupId.charCodeAt(i)) | 0;
  return (h & 0x7fffffff) % partitions;
}

export class CoordinatorError extends Error {
  constructor(readonly errorCode: number, message: string) {
    super(message);
  }
}

/** An operation refused before any of its records was written: the shard state is untouched. */
export class CoordinatorRefusal extends CoordinatorError {}

/**
 * What a coordinator answers when its append to `__consumer_offsets` fails, as Kafka's
 * GroupMetadataManager.storeOffsets and GroupCoordinatorService.handleOperationException map it:
 * a partition whose log cannot be written (KAFKA_STORAGE_ERROR, a full disk) or that is led
 * elsewhere is NOT_COORDINATOR, so the client looks the coordinator up again and retries; any
 * other failure is COORDINATOR_NOT_AVAILABLE, also retriable.
 */
export function coordinatorErrorForAppend(errorCode: number): number {
  switch (errorCode) {
    case ErrorCode.KAFKA_STORAGE_ERROR:
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      return ErrorCode.NOT_COORDINATOR;
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

export class GroupCoordinator {
  private readonly shards = new Map<number, GroupShard>();
  private readonly loading = new Map<number, Promise<GroupShard>>();
  /** Per partition: replays happen in write order. */
  private readonly replayChains = new Map<number, Promise<void>>();
  private topicReady: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly groupConfig: GroupConfig;

  constructor(
    private readonly config: ServerConfig,
    private readonly controller: QuorumController,
    private readonly replicas: ReplicaManager,
    private readonly logger: Logger,
  ) {
    this.groupConfig = {
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: Number(config.get('group.min.session.timeout.ms')),
      maxSessionTimeoutMs: Number(config.get('group.max.session.timeout.ms')),
      maxGroupSize: Number(config.get('group.max.size')),
      offsetsRetentionMs: Number(config.get('offsets.retention.minutes')) * 60_000,
      offsetsRetentionCheckIntervalMs: Number(config.get('offsets.retention.check.interval.ms')),
      offsetMetadataMaxBytes: Number(config.get('offset.metadata.max.bytes')),
      consumer: {
        sessionTimeoutMs: Number(config.get('group.consumer.session.timeout.ms')),
        heartbeatIntervalMs: Number(config.get('group.consumer.heartbeat.interval.ms')),
      },
    };
  }

  /** Topics as the consumer group protocol names them: ids in assignments, names in subscriptions. */
  readonly topicResolver: TopicResolver = {
    byName: (name) => {
      const t = this.controller.image().topics.get(name);
      return t === undefined ? undefined : { id: t.id, partitions: t.partitions.length };
    },
    nameOf: (id) => this.controller.image().topicsById.get(id)?.name,
    allNames: () => this.controller.image().topics.keys(),
  };

  /** Starts the timers, and loads the shards in the background when the topic already exists. */
  start(): void {
    if (this.controller.image().topics.has(GROUP_TOPIC)) {
      this.topicReady = Promise.resolve();
      for (let p = 0; p < this.partitionCount(); p++) {
        // On a full disk every partition without a directory yet fails alike: one line says it.
        void this.shardFor(p).catch((e: unknown) => this.logger.throttled('error', `load:${GROUP_TOPIC}`, `loading ${GROUP_TOPIC}-${p}: ${String(e)}`));
      }
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  partitionCount(): number {
    return this.controller.image().topics.get(GROUP_TOPIC)?.partitions.length ?? this.config.offsetsTopicNumPartitions;
  }

  partitionFor(groupId: string): number {
    return groupPartition(groupId, this.partitionCount());
  }

  /** Creates `__consumer_offsets` if it does not exist yet. */
  ensureTopic(): Promise<void> {
    if (this.controller.image().topics.has(GROUP_TOPIC)) return Promise.resolve();
    this.topicReady ??= (async () => {
      const brokers = this.controller.image().brokers.size;
      const [result] = await this.controller.createTopics(
        [
          {
            name: GROUP_TOPIC,
            numPartitions: this.config.offsetsTopicNumPartitions,
            replicationFactor: Math.max(1, Math.min(Number(this.config.get('offsets.topic.replication.factor')), brokers)),
            assignments: [],
            configs: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'compression.type', value: 'producer' },
              { name: 'segment.bytes', value: String(this.config.get('offsets.topic.segment.bytes')) },
            ],
          },
        ],
        false,
      ).catch((e: unknown) => {
        // The metadata log could not be written (a full disk): clients look for the coordinator again.
        throw new CoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `creating ${GROUP_TOPIC} failed: ${e instanceof Error ? e.message : String(e)}`);
      });
      if (result!.errorCode !== ErrorCode.NONE && result!.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        throw new CoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `creating ${GROUP_TOPIC} failed: ${result!.errorMessage ?? result!.errorCode}`);
      }
      this.logger.info(`created ${GROUP_TOPIC} with ${this.config.offsetsTopicNumPartitions} partitions`);
    })();
    this.topicReady.catch(() => (this.topicReady = null));
    return this.topicReady;
  }

  private shardFor(partition: number): Promise<GroupShard> {
    const ready = this.shards.get(partition);
    if (ready !== undefined) return Promise.resolve(ready);
    let loading = this.loading.get(partition);
    if (loading === undefined) {
      loading = this.load(partition).then(
        (s) => {
          this.shards.set(partition, s);
          this.loading.delete(partition);
          return s;
        },
        (e: unknown) => {
          this.loading.delete(partition);
          throw e;
        },
      );
      this.loading.set(partition, loading);
    }
    return loading;
  }

  /** Rebuilds a shard by replaying its partition from the start. */
  private async load(partition: number): Promise<GroupShard> {
    const shard = new GroupShard(partition, this.groupConfig, (msg) => this.logger.info(msg), this.topicResolver);
    const p = this.replicas.partition(GROUP_TOPIC, partition);
    if (p === undefined) throw new CoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${GROUP_TOPIC}-${partition} is not hosted here`);
    let log;
    try {
      log = await p.getLog();
    } catch (e) {
      // The partition's log cannot be opened: this broker cannot coordinate its groups for now.
      throw new CoordinatorError(ErrorCode.NOT_COORDINATOR, `${GROUP_TOPIC}-${partition} cannot be loaded: ${e instanceof Error ? e.message : String(e)}`);
    }
    let offset = log.logStartOffset;
    let count = 0;
    const started = Date.now();
    while (offset < log.highWatermark) {
      const { records, corruptEnd } = await log.read(offset, LOAD_CHUNK, { minOneBatch: true, upperBound: log.highWatermark });
      if (corruptEnd !== undefined && corruptEnd > offset) {
        // A corrupt range on disk (logged by the log): what follows it still counts.
        offset = corruptEnd;
        continue;
      }
      if (records.length === 0) break;
      for (const buf of records) {
        for (const b of scanBatches(buf)) {
          if (!b.isControl) {
            for (const r of readRecords(buf, b)) {
              if (r.key === null) continue;
              const rec = decodeCoordinatorRecord(r.key, r.value);
              if (rec !== null) shard.replay(rec, true);
              count++;
            }
          }
          offset = b.baseOffset + b.lastOffsetDelta + 1;
        }
      }
    }
    shard.finishLoad();
    if (count > 0) this.logger.info(`loaded ${GROUP_TOPIC}-${partition}: ${count} records in ${Date.now() - started} ms`);
    return shard;
  }

  /** The shard coordinating `groupId`, creating the topic and loading the shard as needed. */
  async shardOf(groupId: string): Promise<GroupShard> {
    if (this.closed) throw new CoordinatorError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the broker is shutting down');
    await this.ensureTopic();
    return this.shardFor(this.partitionFor(groupId));
  }

  /**
   * Runs an operation on the shard of `groupId`: its records are written and replayed before the
   * response is released. A failed write is COORDINATOR_NOT_AVAILABLE unless the operation
   * handles it (afterWrite).
   */
  async run<T>(groupId: string, op: (shard: GroupShard) => OpResult<T>): Promise<T> {
    const shard = await this.shardOf(groupId);
    return this.execute(shard, op(shard));
  }

  private async execute<T>(shard: GroupShard, result: OpResult<T>): Promise<T> {
    const partition = shard.partition;
    if (result.records.length > 0) {
      const written = this.write(partition, result.records, result.oneBatchOr);
      const prev = this.replayChains.get(partition) ?? Promise.resolve();
      const replayed = prev.then(() =>
        written.then(
          () => {
            for (const r of result.records) shard.replay(r, false);
            result.afterWrite?.(true);
          },
          (e: unknown) => {
            // Refused before anything was written, by an operation that applies nothing ahead.
            if (e instanceof CoordinatorRefusal) throw e;
            this.logger.throttled('warn', `write:${GROUP_TOPIC}-${partition}`, `writing to ${GROUP_TOPIC}-${partition} failed: ${e instanceof Error ? e.message : String(e)}; its groups are reloaded from the log`);
            // Consumer-group state was applied ahead of the write: rebuild it from what is durable.
            if (this.shards.get(partition) === shard) this.shards.delete(partition);
            result.afterWrite?.(false);
            if (result.afterWrite === undefined) {
              throw new CoordinatorError(e instanceof CoordinatorError ? e.errorCode : ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the group state could not be written');
            }
          },
        ),
      );
      this.replayChains.set(
        partition,
        replayed.catch(() => undefined),
      );
      await replayed;
    } else result.afterWrite?.(true);
    return result.response;
  }

  /**
   * Appends an operation's records, as one batch when they fit the topic's max.message.bytes and
   * as consecutive batches otherwise (unless the operation asks for one batch, `oneBatchOr`): offset expiry may tombstone hundreds of thousands of offsets
   * at once, and one oversized batch would fail every time (the shard reloading after each try).
   * Every batch is handed to the log before any is awaited, so no other operation's records land
   * between them and a reload replays them in the order they were applied.
   */
  private async write(partition: number, records: readonly CoordinatorRecord[], oneBatchOr?: number): Promise<void> {
    const now = Date.now();
    const limit = (this.replicas.partition(GROUP_TOPIC, partition)?.settings.maxMessageBytes ?? 1_048_588) - BATCH_OVERHEAD;
    const batches: Buffer[] = [];
    let chunk: RecordInput[] = [];
    let bytes = 0;
    for (const r of records) {
      const { key, value } = encodeCoordinatorRecord(r);
      // A record's own framing (length, attributes, deltas, lengths) takes at most 25 bytes.
      const size = key.length + (value?.length ?? 0) + 25;
      if (chunk.length > 0 && bytes + size > limit) {
        batches.push(buildBatch({ baseOffset: 0, records: chunk }));
        chunk = [];
        bytes = 0;
      }
      chunk.push({ key, value, timestamp: now, offsetDelta: chunk.length });
      bytes += size;
    }
    if (chunk.length > 0) batches.push(buildBatch({ baseOffset: 0, records: chunk }));
    if (oneBatchOr !== undefined && batches.length > 1) {
      throw new CoordinatorRefusal(oneBatchOr, `${records.length} records exceed max.message.bytes ${limit + BATCH_OVERHEAD} of ${GROUP_TOPIC}`);
    }
    const appends = batches.map((batch) => this.replicas.appendRecords(GROUP_TOPIC, partition, batch, { acks: -1, transactionalId: null, origin: AppendOrigin.Coordinator }));
    for (const res of await Promise.all(appends)) {
      if (res.errorCode !== ErrorCode.NONE) {
        throw new CoordinatorError(coordinatorErrorForAppend(res.errorCode), `append returned error ${res.errorCode}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
      }
    }
  }

  /** Timeouts and offset expiry, for every loaded shard. */
  private tick(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const shard of this.shards.values()) {
      const records = shard.tick(now);
      if (records.length > 0) void this.execute(shard, { records, response: undefined }).catch(() => undefined);
    }
  }

  /** Every loaded shard (ListGroups, DescribeGroups of unknown ids). */
  async allShards(): Promise<GroupShard[]> {
    if (!this.controller.image().topics.has(GROUP_TOPIC)) return [];
    const out: GroupShard[] = [];
    for (let p = 0; p < this.partitionCount(); p++) out.push(await this.shardFor(p));
    return out;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
  }
}
