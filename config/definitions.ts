/**
 * Configuration definitions with Kafka's names, types, defaults and validation (Kafka's
 * KafkaConfig / ServerLogConfigs for the broker and LogConfig / TopicConfig for topics).
 *
 * Topic configs take their default from a broker config (the "synonym"): `retention.ms` from
 * `log.retention.ms`, then `log.retention.minutes`, then `log.retention.hours`. DescribeConfigs
 * reports that chain.
 */

export type ConfigType = 'boolean' | 'int' | 'short' | 'long' | 'double' | 'string' | 'list' | 'password' | 'class';

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's default as its string form; null means no default (null value). */
  readonly defaultValue: string | null;
  readonly doc: string;
  /** Returns an error message for an invalid (already type-checked) value, or null. */
  readonly validate?: (value: string) => string | null;
  readonly sensitive?: boolean;
  /** Broker configs that can change while running (dynamic); the rest are read-only. */
  readonly dynamic?: boolean;
  /** Accepted for compatibility but without effect in Samsa (said in the doc). */
  readonly noEffect?: boolean;
}

export interface TopicConfigDef extends ConfigDef {
  /** Broker configs that supply the default, most specific first; the value may need `fromBroker`. */
  readonly brokerSynonyms: readonly string[];
}

const MAX_LONG = '9223372036854775807';

export function typeError(def: ConfigDef, value: string): string | null {
  const v = value.trim();
  switch (def.type) {
    case 'boolean':
      return /^(true|false)$/i.test(v) ? null : `expected true or false`;
    case 'short':
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(v)) return `expected an integer`;
      const n = BigInt(v);
      const [lo, hi] = def.type === 'short' ? [-32768n, 32767n] : def.type === 'int' ? [-2147483648n, 2147483647n] : [-(2n ** 63n), 2n ** 63n - 1n];
      return n < lo || n > hi ? `out of range for ${def.type}` : null;
    }
    case 'double':
      return v !== '' && Number.isFinite(Number(v)) ? null : 'expected a number';
    default:
      return null;
  }
}

const atLeast =
  (min: number) =>
  (v: string): string | null =>
    Number(v) >= min ? null : `must be at least ${min}`;
const between =
  (min: number, max: number) =>
  (v: string): string | null =>
    Number(v) >= min && Number(v) <= max ? null : `must be between ${min} and ${max}`;
const oneOf =
  (...allowed: string[]) =>
  (v: string): string | null =>
    allowed.includes(v) ? null : `must be one of ${allowed.join(', ')}`;
const listOf =
  (...allowed: string[]) =>
  (v: string): string | null => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bad = items.filter((i) => !allowed.includes(i));
    return bad.length === 0 ? null : `has ${bad.join(', ')}; allowed: ${allowed.join(', ')}`;
  };

/** `host:count` pairs, comma separated (max.connections.per.ip.overrides); the host may be IPv6, so split at the last colon. */
export function parseHostCounts(v: string): Map<string, number> | string {
  const out = new Map<string, number>();
  for (const raw of v.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const colon = item.lastIndexOf(':');
    const host = item.slice(0, colon).trim().replace(/^\[|\]$/g, '');
    const count = item.slice(colon + 1).trim();
    if (colon <= 0 || host === '' || !/^\d+$/.test(count) || Number(count) > 2147483647) return `entry ${JSON.stringify(item)} is not host:count`;
    out.set(host, Number(count));
  }
  return out;
}
const hostCounts = (v: string): string | null => {
  const parsed = parseHostCounts(v);
  return typeof parsed === 'string' ? parsed : null;
};

const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

/** Kafka's MetadataVersionValidator accepts release versions such as `2.8`, `3.0-IV1` or `0.10.2`. */
const metadataVersion = (v: string): string | null => (/^\d+\.\d+(\.\d+)?(-IV\d+)?$/.test(v) ? null : `${v} is not a valid Kafka version`);

/**
 * Deprecated in Kafka 3.0 and removed in 4.0, but accepted by the 3.x request versions Samsa
 * speaks: the value is validated, stored and described, and has no effect (only the v2 record
 * format is written).
 */
const DEPRECATED_FORMAT_DOC = 'Deprecated since Kafka 3.0: accepted and ignored; batches are always stored in the v2 record format.';

function b(name: string, type: ConfigType, defaultValue: string | null, doc: string, extra: Partial<ConfigDef> = {}): ConfigDef {
  return { name, type, defaultValue, doc, ...extra };
}

export const BROKER_CONFIGS: readonly ConfigDef[] = [
  b('node.id', 'int', '1', 'The node id of this broker and controller.', { validate: atLeast(0) }),
  b('broker.id', 'int', '-1', 'Alias of node.id kept for old configurations.'),
  b('process.roles', 'list', 'broker,controller', 'Roles of this node; a single Samsa node is both.', { validate: listOf('broker', 'controller') }),
  b('controller.quorum.voters', 'list', '', 'Controller quorum voters (id@host:port); a single node is a quorum of one.'),
  b('controller.listener.names', 'list', 'CONTROLLER', 'Listener names used by the controller.'),
  b('listeners', 'list', 'PLAINTEXT://127.0.0.1:9092', 'Listeners as NAME://host:port; only PLAINTEXT is supported.'),
  b('advertised.listeners', 'list', null, 'Listeners advertised to clients; defaults to listeners.'),
  b('listener.security.protocol.map', 'string', 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT', 'Security protocol of each listener name.'),
  b('inter.broker.listener.name', 'string', null, 'Listener used between brokers.'),
  b('cluster.id', 'string', null, 'Cluster id; generated at first start when not set.'),
  b('log.dirs', 'list', './data', 'Directories holding partition logs (a comma list); a new partition goes to the one with the fewest partitions.'),
  b('metadata.log.dir', 'string', null, 'Directory of the metadata log; the first of log.dirs when not set.'),
  b('log.dir', 'string', '/tmp/kafka-logs', 'Used when log.dirs is not set.'),
  b('num.partitions', 'int', '1', 'Default number of partitions of new topics.', { validate: atLeast(1) }),
  b('default.replication.factor', 'short', '1', 'Default replication factor of new topics.', { validate: atLeast(1) }),
  b('auto.create.topics.enable', 'boolean', 'true', 'Create unknown topics when a client asks for their metadata.'),
  b('delete.topic.enable', 'boolean', 'true', 'Allow topic deletion.'),
  b('message.max.bytes', 'int', '1048588', 'Largest record batch accepted; default of max.message.bytes.', { validate: atLeast(0), dynamic: true }),
  b('socket.request.max.bytes', 'int', '104857600', 'Largest request frame accepted.', { validate: atLeast(1) }),
  b('socket.send.buffer.bytes', 'int', '102400', 'Accepted; the operating system sizes socket buffers.', { noEffect: true }),
  b('socket.receive.buffer.bytes', 'int', '102400', 'Accepted; the operating system sizes socket buffers.', { noEffect: true }),
  b('num.network.threads', 'int', '3', 'Accepted; Samsa serves the network from one event loop.', { noEffect: true, dynamic: true }),
  b('num.io.threads', 'int', '8', 'Accepted; Samsa does I/O asynchronously on one event loop.', { noEffect: true, dynamic: true }),
  b('num.recovery.threads.per.data.dir', 'int', '2', 'Accepted; recovery runs on the event loop.', { noEffect: true, dynamic: true }),
  b('log.segment.bytes', 'int', '1073741824', 'Segment size before a new one rolls.', { validate: atLeast(14), dynamic: true }),
  b('log.roll.ms', 'long', null, 'Age before a segment rolls (ms).', { dynamic: true }),
  b('log.roll.hours', 'int', '168', 'Age before a segment rolls (hours).', { validate: atLeast(1) }),
  b('log.roll.jitter.ms', 'long', null, 'Jitter subtracted from the roll time (ms).', { dynamic: true }),
  b('log.roll.jitter.hours', 'int', '0', 'Jitter subtracted from the roll time (hours).'),
  b('log.retention.ms', 'long', null, 'Time a segment is kept (ms); -1 keeps forever.', { dynamic: true }),
  b('log.retention.minutes', 'int', null, 'Time a segment is kept (minutes).'),
  b('log.retention.hours', 'int', '168', 'Time a segment is kept (hours).'),
  b('log.retention.bytes', 'long', '-1', 'Size a partition log may reach before old segments are deleted; -1 is no limit.', { dynamic: true }),
  b('log.retention.check.interval.ms', 'long', '300000', 'How often retention is checked.', { validate: atLeast(1) }),
  b('log.index.interval.bytes', 'int', '4096', 'Bytes between offset index entries.', { validate: atLeast(0), dynamic: true }),
  b('log.index.size.max.bytes', 'int', '10485760', 'Largest offset index before a segment rolls.', { validate: atLeast(4), dynamic: true }),
  b('log.flush.interval.messages', 'long', MAX_LONG, 'Records appended before a forced flush.', { validate: atLeast(1), dynamic: true }),
  b('log.flush.interval.ms', 'long', null, 'Time before a forced flush (ms).', { dynamic: true }),
  b('log.flush.scheduler.interval.ms', 'long', MAX_LONG, 'How often flush.ms is checked.'),
  b('log.cleanup.policy', 'list', 'delete', 'Default cleanup policy: delete, compact or both.', { validate: listOf('delete', 'compact'), dynamic: true }),
  b('log.cleaner.enable', 'boolean', 'true', 'Run the log cleaner for compacted topics.'),
  b('log.cleaner.delete.retention.ms', 'long', '86400000', 'How long tombstones are kept on compacted topics.', { validate: atLeast(0), dynamic: true }),
  b('log.cleaner.min.compaction.lag.ms', 'long', '0', 'Minimum age before a record can be compacted.', { validate: atLeast(0), dynamic: true }),
  b('log.cleaner.max.compaction.lag.ms', 'long', MAX_LONG, 'Maximum age before a record is compacted.', { validate: atLeast(1), dynamic: true }),
  b('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'Dirty ratio that triggers compaction.', { validate: between(0, 1), dynamic: true }),
  b('log.cleaner.backoff.ms', 'long', '15000', 'Cleaner sleep when there is nothing to clean.', { validate: atLeast(0) }),
  b('log.cleaner.threads', 'int', '1', 'Accepted; one cleaner runs.', { noEffect: true }),
  b('log.message.timestamp.type', 'string', 'CreateTime', 'Default timestamp type of new topics.', { validate: oneOf('CreateTime', 'LogAppendTime'), dynamic: true }),
  b('log.message.timestamp.before.max.ms', 'long', MAX_LONG, 'How far in the past a record timestamp may be.', { validate: atLeast(0), dynamic: true }),
  b('log.message.timestamp.after.max.ms', 'long', MAX_LONG, 'How far in the future a record timestamp may be.', { validate: atLeast(0), dynamic: true }),
  b('log.message.downconversion.enable', 'boolean', 'true', 'Convert records for old consumers.', { dynamic: true }),
  b('log.preallocate', 'boolean', 'false', 'Preallocate segment files.', { dynamic: true }),
  b('log.segment.delete.delay.ms', 'long', '60000', 'Delay before a deleted segment file is removed.', { validate: atLeast(0), dynamic: true }),
  b('log.message.timestamp.difference.max.ms', 'long', MAX_LONG, 'Deprecated: see log.message.timestamp.before.max.ms.', { validate: atLeast(0), dynamic: true }),
  b('log.local.retention.ms', 'long', '-2', 'Tiered storage: not supported; accepted.', { noEffect: true }),
  b('log.local.retention.bytes', 'long', '-2', 'Tiered storage: not supported; accepted.', { noEffect: true }),
  b('log.message.format.version', 'string', '3.0-IV1', DEPRECATED_FORMAT_DOC, { validate: metadataVersion, noEffect: true }),
  b('compression.gzip.level', 'int', '-1', 'Accepted; stored batches keep the compression the producer chose.', { validate: (v) => (v === '-1' || (Number(v) >= 1 && Number(v) <= 9) ? null : 'must be -1 or between 1 and 9'), noEffect: true, dynamic: true }),
  b('compression.lz4.level', 'int', '9', 'Accepted; stored batches keep the compression the producer chose.', { validate: between(1, 17), noEffect: true, dynamic: true }),
  b('compression.zstd.level', 'int', '3', 'Accepted; stored batches keep the compression the producer chose.', { validate: between(-131072, 22), noEffect: true, dynamic: true }),
  b('compression.type', 'string', 'producer', 'Default compression of new topics.', { validate: oneOf(...COMPRESSION_TYPES), dynamic: true }),
  b('min.insync.replicas', 'int', '1', 'Minimum in-sync replicas for acks=all.', { validate: atLeast(1), dynamic: true }),
  b('unclean.leader.election.enable', 'boolean', 'false', 'Allow out-of-sync replicas to become leader.', { dynamic: true }),
  b('offsets.topic.num.partitions', 'int', '50', 'Partitions of __consumer_offsets.', { validate: atLeast(1) }),
  b('offsets.topic.replication.factor', 'short', '1', 'Replication factor of __consumer_offsets.', { validate: atLeast(1) }),
  b('offsets.topic.segment.bytes', 'int', '104857600', 'Segment size of __consumer_offsets.', { validate: atLeast(1) }),
  b('offsets.retention.minutes', 'int', '10080', 'How long committed offsets of empty groups are kept.', { validate: atLeast(1) }),
  b('offsets.retention.check.interval.ms', 'long', '600000', 'How often expired offsets are removed.', { validate: atLeast(1) }),
  b('offset.metadata.max.bytes', 'int', '4096', 'Largest metadata string stored with a committed offset.', { validate: atLeast(0) }),
  b('offsets.commit.timeout.ms', 'int', '5000', 'Time an offset commit may wait for its write.', { validate: atLeast(1) }),
  b('group.initial.rebalance.delay.ms', 'int', '3000', 'Delay before the first rebalance of a new group.', { validate: atLeast(0) }),
  b('group.min.session.timeout.ms', 'int', '6000', 'Smallest session timeout a member may ask for.'),
  b('group.max.session.timeout.ms', 'int', '1800000', 'Largest session timeout a member may ask for.'),
  b('group.max.size', 'int', '2147483647', 'Largest number of members in a group.', { validate: atLeast(1) }),
  b('group.coordinator.rebalance.protocols', 'list', 'classic,consumer', 'Group protocols the coordinator speaks.', { validate: listOf('classic', 'consumer', 'share') }),
  b('group.consumer.session.timeout.ms', 'int', '45000', 'Session timeout of consumer-protocol groups.'),
  b('group.consumer.heartbeat.interval.ms', 'int', '5000', 'Heartbeat interval of consumer-protocol groups.'),
  b('transaction.state.log.num.partitions', 'int', '50', 'Partitions of __transaction_state.', { validate: atLeast(1) }),
  b('transaction.state.log.replication.factor', 'short', '1', 'Replication factor of __transaction_state.', { validate: atLeast(1) }),
  b('transaction.state.log.min.isr', 'int', '1', 'min.insync.replicas of __transaction_state.', { validate: atLeast(1) }),
  b('transaction.state.log.segment.bytes', 'int', '104857600', 'Segment size of __transaction_state.', { validate: atLeast(1) }),
  b('transaction.max.timeout.ms', 'int', '900000', 'Largest transaction timeout a producer may ask for.', { validate: atLeast(1) }),
  b('transactional.id.expiration.ms', 'int', '604800000', 'Idle time after which a transactional id expires.', { validate: atLeast(1) }),
  b('producer.id.expiration.ms', 'int', '86400000', 'Idle time after which an idempotent producer id expires.', { validate: atLeast(1), dynamic: true }),
  b('fetch.max.bytes', 'int', '57671680', 'Largest Fetch response, whatever the request asks (KIP-541); the first batch is returned even if larger.', { validate: atLeast(1024) }),
  b('max.incremental.fetch.session.cache.slots', 'int', '1000', 'Fetch sessions kept at most (KIP-227).', { validate: atLeast(0) }),
  b('max.connections', 'int', '2147483647', 'Connections open at most; at the limit a new connection closes the least recently used idle one, or is refused when none is idle.', { validate: atLeast(0), dynamic: true }),
  b('max.connections.per.ip', 'int', '2147483647', 'Connections open at most from one IP address; one more is closed at once.', { validate: atLeast(0), dynamic: true }),
  b('max.connections.per.ip.overrides', 'string', '', 'Per-IP limits overriding max.connections.per.ip, as a comma list of host:count.', { validate: hostCounts, dynamic: true }),
  b('max.connection.creation.rate', 'int', '2147483647', 'New connections accepted per second at most; a connection over the rate waits its turn up to one second, then is refused.', { validate: atLeast(0), dynamic: true }),
  b('connections.max.idle.ms', 'long', '600000', 'A connection with no request received and no response pending for this long is closed; -1 never closes idle connections.'),
  b('request.timeout.ms', 'int', '30000', 'Accepted for client-side compatibility.', { noEffect: true }),
  b(
    'samsa.max.partitions.per.request',
    'int',
    '10000',
    'Samsa: partitions one CreateTopics or CreatePartitions request may create, summed over its topics; more gets POLICY_VIOLATION (Kafka hard-codes 10000).',
    { validate: atLeast(1) },
  ),
  b('samsa.max.partitions', 'int', '100000', 'Samsa: partitions the cluster may hold in all, internal topics included; a creation beyond it gets POLICY_VIOLATION.', { validate: atLeast(1) }),
  b('samsa.log.fsync.enable', 'boolean', 'true', 'Samsa: false disables fsync entirely (throwaway local work only: a crash loses data).'),
  b('samsa.connection.refusal.log.interval.ms', 'long', '10000', 'Samsa: refused connections are logged as one line of counts per interval of this length.', { validate: atLeast(1) }),
  b('samsa.debug.poison.buffers', 'boolean', 'false', 'Samsa, debugging only: pooled request and fetch buffers are filled with 0x4C when released, so a use after release shows in responses and in the log; a double release stops the broker.'),
  b('samsa.log.level', 'string', 'info', 'Samsa: log level (debug, info, warn, error).', { validate: oneOf('debug', 'info', 'warn', 'error') }),
];

function t(
  name: string,
  type: ConfigType,
  defaultValue: string | null,
  brokerSynonyms: string[],
  doc: string,
  validate?: (v: string) => string | null,
  noEffect = false,
): TopicConfigDef {
  return { name, type, defaultValue, brokerSynonyms, doc, ...(validate ? { validate } : {}), dynamic: true, ...(noEffect ? { noEffect } : {}) };
}

const NO_RECOMPRESSION_DOC = 'Accepted; stored batches keep the compression the producer chose.';

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  t('cleanup.policy', 'list', 'delete', ['log.cleanup.policy'], 'delete, compact, or both.', listOf('delete', 'compact')),
  t('compression.type', 'string', 'producer', ['compression.type'], 'Compression of stored batches; producer keeps what the producer sent.', oneOf(...COMPRESSION_TYPES)),
  t('compression.gzip.level', 'int', '-1', ['compression.gzip.level'], NO_RECOMPRESSION_DOC, (v) => (v === '-1' || (Number(v) >= 1 && Number(v) <= 9) ? null : 'must be -1 or between 1 and 9'), true),
  t('compression.lz4.level', 'int', '9', ['compression.lz4.level'], NO_RECOMPRESSION_DOC, between(1, 17), true),
  t('compression.zstd.level', 'int', '3', ['compression.zstd.level'], NO_RECOMPRESSION_DOC, between(-131072, 22), true),
  t('delete.retention.ms', 'long', '86400000', ['log.cleaner.delete.retention.ms'], 'How long tombstones are kept on compacted topics.', atLeast(0)),
  t('file.delete.delay.ms', 'long', '60000', ['log.segment.delete.delay.ms'], 'Delay before a deleted segment file is removed.', atLeast(0)),
  t('flush.messages', 'long', MAX_LONG, ['log.flush.interval.messages'], 'Records appended before a forced flush.', atLeast(1)),
  t('flush.ms', 'long', MAX_LONG, ['log.flush.interval.ms'], 'Time before a forced flush (ms).', atLeast(0)),
  t('follower.replication.throttled.replicas', 'list', '', [], 'Accepted; replication throttling applies to multi-node clusters.', undefined, true),
  t('index.interval.bytes', 'int', '4096', ['log.index.interval.bytes'], 'Bytes between offset index entries.', atLeast(0)),
  t('leader.replication.throttled.replicas', 'list', '', [], 'Accepted; replication throttling applies to multi-node clusters.', undefined, true),
  t('max.compaction.lag.ms', 'long', MAX_LONG, ['log.cleaner.max.compaction.lag.ms'], 'Maximum age before a record is compacted.', atLeast(1)),
  t('max.message.bytes', 'int', '1048588', ['message.max.bytes'], 'Largest record batch accepted.', atLeast(0)),
  t('message.downconversion.enable', 'boolean', 'true', ['log.message.downconversion.enable'], 'Convert records for old consumers.'),
  t('message.format.version', 'string', '3.0-IV1', ['log.message.format.version'], DEPRECATED_FORMAT_DOC, metadataVersion, true),
  t('message.timestamp.after.max.ms', 'long', MAX_LONG, ['log.message.timestamp.after.max.ms'], 'How far in the future a record timestamp may be.', atLeast(0)),
  t('message.timestamp.before.max.ms', 'long', MAX_LONG, ['log.message.timestamp.before.max.ms'], 'How far in the past a record timestamp may be.', atLeast(0)),
  t('message.timestamp.difference.max.ms', 'long', MAX_LONG, ['log.message.timestamp.difference.max.ms'], 'Deprecated: see message.timestamp.before.max.ms.', atLeast(0)),
  t('message.timestamp.type', 'string', 'CreateTime', ['log.message.timestamp.type'], 'CreateTime or LogAppendTime.', oneOf('CreateTime', 'LogAppendTime')),
  t('min.cleanable.dirty.ratio', 'double', '0.5', ['log.cleaner.min.cleanable.ratio'], 'Dirty ratio that triggers compaction.', between(0, 1)),
  t('min.compaction.lag.ms', 'long', '0', ['log.cleaner.min.compaction.lag.ms'], 'Minimum age before a record can be compacted.', atLeast(0)),
  t('min.insync.replicas', 'int', '1', ['min.insync.replicas'], 'Minimum in-sync replicas for acks=all.', atLeast(1)),
  t('preallocate', 'boolean', 'false', ['log.preallocate'], 'Preallocate segment files.'),
  t('retention.bytes', 'long', '-1', ['log.retention.bytes'], 'Size a partition may reach before old segments are deleted; -1 is no limit.'),
  t('retention.ms', 'long', '604800000', ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], 'Time a segment is kept; -1 keeps forever.', atLeast(-1)),
  t('segment.bytes', 'int', '1073741824', ['log.segment.bytes'], 'Segment size before a new one rolls.', atLeast(14)),
  t('segment.index.bytes', 'int', '10485760', ['log.index.size.max.bytes'], 'Largest offset index before a segment rolls.', atLeast(4)),
  t('segment.jitter.ms', 'long', '0', ['log.roll.jitter.ms', 'log.roll.jitter.hours'], 'Jitter subtracted from segment.ms.', atLeast(0)),
  t('segment.ms', 'long', '604800000', ['log.roll.ms', 'log.roll.hours'], 'Age before a segment rolls.', atLeast(1)),
  t('unclean.leader.election.enable', 'boolean', 'false', ['unclean.leader.election.enable'], 'Allow out-of-sync replicas to become leader.'),
  t('local.retention.bytes', 'long', '-2', ['log.local.retention.bytes'], 'Tiered storage: not supported; accepted.'),
  t('local.retention.ms', 'long', '-2', ['log.local.retention.ms'], 'Tiered storage: not supported; accepted.'),
  t('remote.log.copy.disable', 'boolean', 'false', [], 'Tiered storage: not supported; accepted.', undefined, true),
  t('remote.log.delete.on.disable', 'boolean', 'false', [], 'Tiered storage: not supported; accepted.', undefined, true),
  t('remote.storage.enable', 'boolean', 'false', [], 'Tiered storage: not supported; must stay false.', oneOf('false')),
];

export const brokerConfigByName: ReadonlyMap<string, ConfigDef> = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));
export const topicConfigByName: ReadonlyMap<string, TopicConfigDef> = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

/** Converts a broker synonym's value into the topic config's unit (minutes and hours into ms). */
export function synonymToTopicValue(brokerName: string, value: string): string {
  if (brokerName.endsWith('.minutes')) return String(BigInt(value) * 60_000n);
  if (brokerName.endsWith('.hours')) return String(BigInt(value) * 3_600_000n);
  return value;
}

/** Validates a value against a definition; returns an error message or null. */
export function validateValue(def: ConfigDef, value: string): string | null {
  const typeErr = typeError(def, value);
  if (typeErr !== null) return typeErr;
  return def.validate ? def.validate(value.trim()) : null;
}
