/**
 * The broker's static configuration: Kafka's server.properties syntax and names, command-line
 * overrides on top, every key and value validated before anything else happens.
 */
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { brokerConfigByName, parseHostCounts, synonymToTopicValue, topicConfigByName, validateValue } from './definitions.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface Listener {
  name: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export interface ServerConfig {
  readonly nodeId: number;
  readonly listeners: readonly Listener[];
  readonly advertisedListeners: readonly Listener[];
  readonly logDirs: readonly string[];
  /** Where the metadata log (`__cluster_metadata-0`) and meta.properties live: metadata.log.dir, else the first of log.dirs. */
  readonly metadataLogDir: string;
  readonly clusterId: string | null;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  readonly messageMaxBytes: number;
  readonly socketRequestMaxBytes: number;
  readonly maxIncrementalFetchSessionCacheSlots: number;
  /** Largest Fetch response (fetch.max.bytes, KIP-541). */
  readonly fetchMaxBytes: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** max.connections.per.ip.overrides: host (name or address) to its limit. */
  readonly maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
  readonly maxConnectionCreationRate: number;
  /** connections.max.idle.ms; negative: idle connections are never closed. */
  readonly connectionsMaxIdleMs: number;
  readonly connectionRefusalLogIntervalMs: number;
  readonly fsyncEnabled: boolean;
  /** Pooled buffers are poisoned when released (`samsa.debug.poison.buffers`, debugging). */
  readonly poisonBuffers: boolean;
  readonly logRetentionCheckIntervalMs: number;
  readonly logCleanerEnable: boolean;
  readonly logCleanerBackoffMs: number;
  /** How often logs with a finite flush.ms are checked (Infinity: only when some topic sets flush.ms). */
  readonly logFlushSchedulerIntervalMs: number;
  readonly offsetsTopicNumPartitions: number;
  readonly groupInitialRebalanceDelayMs: number;
  /** Partitions one CreateTopics or CreatePartitions request may create (samsa.max.partitions.per.request). */
  readonly maxPartitionsPerRequest: number;
  /** Partitions the cluster may hold (samsa.max.partitions). */
  readonly maxPartitions: number;
  /** Settings given explicitly (file and overrides), by Kafka name. */
  readonly explicit: ReadonlyMap<string, string>;
  /** The value of any broker config: explicit, else its default. */
  get(name: string): string | null;
}

/** A Samsa-only key the CLI uses for `--port`: the port of the first listener. */
export const LISTENER_PORT_OVERRIDE = 'samsa.listener.port';

/** Parses Java .properties text: `#`/`!` comments, `=`, `:` or blank separators, `\` continuations and escapes. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // A line ending in an odd number of backslashes continues on the next one.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    let k = 0;
    let key = '';
    while (k < line.length) {
      const c = line[k]!;
      if (c === '\\' && k + 1 < line.length) {
        key += c + line[k + 1];
        k += 2;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
      k++;
    }
    while (k < line.length && (line[k] === ' ' || line[k] === '\t' || line[k] === '\f')) k++;
    if (k < line.length && (line[k] === '=' || line[k] === ':')) k++;
    while (k < line.length && (line[k] === ' ' || line[k] === '\t' || line[k] === '\f')) k++;
    out.set(unescape(key), unescape(line.slice(k)));
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return { t: '\t', n: '\n', r: '\r', f: '\f' }[e] ?? e;
  });
}

function parseListeners(value: string, what: string): Listener[] {
  const protocols = new Set(['PLAINTEXT']);
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(s);
      if (!m) throw new ConfigError(`invalid ${what} entry ${JSON.stringify(s)}: expected NAME://host:port`);
      const name = m[1]!.toUpperCase();
      if (!protocols.has(name)) throw new ConfigError(`${what}: listener ${name} is not supported (only PLAINTEXT)`);
      const port = Number(m[3]);
      if (port > 65535) throw new ConfigError(`${what}: port ${port} is out of range`);
      const host = m[2]!.replace(/^\[|\]$/g, '');
      return { name, host: host === '' ? '0.0.0.0' : host, port, securityProtocol: name };
    });
}

export interface LoadOptions {
  file?: string | undefined;
  overrides?: Record<string, string>;
}

export function loadServerConfig(opts: LoadOptions): ServerConfig {
  const explicit = new Map<string, string>();
  if (opts.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(e as Error).message}`);
    }
    for (const [k, v] of parseProperties(text)) explicit.set(k, v);
  }
  let portOverride: number | null = null;
  for (const [k, v] of Object.entries(opts.overrides ?? {})) {
    if (k === LISTENER_PORT_OVERRIDE) {
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new ConfigError(`invalid port ${JSON.stringify(v)}`);
      portOverride = Number(v);
      continue;
    }
    explicit.set(k, v);
  }
  for (const [k, v] of explicit) {
    const def = brokerConfigByName.get(k);
    if (def === undefined) throw new ConfigError(`unknown setting ${k}`);
    const err = validateValue(def, v);
    if (err !== null) throw new ConfigError(`invalid value ${JSON.stringify(v)} for ${k}: ${err}`);
  }
  const get = (name: string): string | null => {
    const v = explicit.get(name);
    if (v !== undefined) return v.trim();
    const def = brokerConfigByName.get(name);
    if (def === undefined) throw new Error(`no broker config named ${name}`);
    return def.defaultValue;
  };
  const int = (name: string): number => Number(get(name));

  let listeners = parseListeners(get('listeners')!, 'listeners');
  if (listeners.length === 0) throw new ConfigError('listeners must name at least one listener');
  if (portOverride !== null) listeners = [{ ...listeners[0]!, port: portOverride }, ...listeners.slice(1)];
  const advertisedRaw = get('advertised.listeners');
  const advertisedListeners = advertisedRaw === null ? [] : parseListeners(advertisedRaw, 'advertised.listeners');

  const logDirsRaw = explicit.get('log.dirs') ?? explicit.get('log.dir') ?? get('log.dirs')!;
  const logDirs = logDirsRaw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (logDirs.length === 0) throw new ConfigError('log.dirs must name at least one directory');
  // Kafka's KafkaConfig refuses a directory named twice (it would be locked and scanned twice).
  const seenDirs = new Set<string>();
  for (const d of logDirs) {
    if (seenDirs.has(resolve(d))) throw new ConfigError(`log.dirs names ${d} twice`);
    seenDirs.add(resolve(d));
  }
  const metadataLogDir = get('metadata.log.dir')?.trim() || logDirs[0]!;

  let nodeId = int('node.id');
  if (explicit.has('broker.id') && !explicit.has('node.id')) nodeId = int('broker.id');
  if (explicit.has('broker.id') && explicit.has('node.id') && int('broker.id') !== nodeId) {
    throw new ConfigError(`broker.id ${int('broker.id')} differs from node.id ${nodeId}`);
  }

  const perIpOverrides = parseHostCounts(get('max.connections.per.ip.overrides') ?? '');
  if (typeof perIpOverrides === 'string') throw new ConfigError(`invalid max.connections.per.ip.overrides: ${perIpOverrides}`);
  // Kafka's KafkaConfig rule: a per-IP limit of 0 only makes sense with overrides that let some hosts in.
  if (int('max.connections.per.ip') === 0 && perIpOverrides.size === 0) {
    throw new ConfigError('max.connections.per.ip can be set to zero only if max.connections.per.ip.overrides is set');
  }

  return {
    nodeId,
    listeners,
    advertisedListeners,
    logDirs,
    metadataLogDir,
    clusterId: get('cluster.id'),
    numPartitions: int('num.partitions'),
    defaultReplicationFactor: int('default.replication.factor'),
    autoCreateTopicsEnable: get('auto.create.topics.enable') === 'true',
    deleteTopicEnable: get('delete.topic.enable') === 'true',
    messageMaxBytes: int('message.max.bytes'),
    socketRequestMaxBytes: int('socket.request.max.bytes'),
    maxIncrementalFetchSessionCacheSlots: int('max.incremental.fetch.session.cache.slots'),
    fetchMaxBytes: int('fetch.max.bytes'),
    maxConnections: int('max.connections'),
    maxConnectionsPerIp: int('max.connections.per.ip'),
    maxConnectionsPerIpOverrides: perIpOverrides,
    maxConnectionCreationRate: int('max.connection.creation.rate'),
    connectionsMaxIdleMs: longValue(get('connections.max.idle.ms')),
    connectionRefusalLogIntervalMs: longValue(get('samsa.connection.refusal.log.interval.ms')),
    fsyncEnabled: get('samsa.log.fsync.enable') === 'true',
    poisonBuffers: get('samsa.debug.poison.buffers') === 'true',
    logRetentionCheckIntervalMs: int('log.retention.check.interval.ms'),
    logCleanerEnable: get('log.cleaner.enable') === 'true',
    logCleanerBackoffMs: int('log.cleaner.backoff.ms'),
    logFlushSchedulerIntervalMs: longValue(get('log.flush.scheduler.interval.ms')),
    offsetsTopicNumPartitions: int('offsets.topic.num.partitions'),
    groupInitialRebalanceDelayMs: int('group.initial.rebalance.delay.ms'),
    maxPartitionsPerRequest: int('samsa.max.partitions.per.request'),
    maxPartitions: int('samsa.max.partitions'),
    explicit,
    get,
  };
}

export type ConfigSourceName = 'DYNAMIC_TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

export interface ResolvedConfig {
  value: string | null;
  source: ConfigSourceName;
  /** The broker setting the value came from, when it came from one. */
  brokerName?: string;
}

/** A topic config's effective value: the topic's own setting, an explicit broker synonym, or the default. */
export function resolveTopicConfig(config: ServerConfig, overrides: ReadonlyMap<string, string>, name: string): ResolvedConfig {
  const def = topicConfigByName.get(name);
  if (def === undefined) throw new Error(`no topic config named ${name}`);
  const own = overrides.get(name);
  if (own !== undefined) return { value: own, source: 'DYNAMIC_TOPIC_CONFIG' };
  for (const syn of def.brokerSynonyms) {
    const v = config.explicit.get(syn);
    if (v !== undefined) return { value: synonymToTopicValue(syn, v.trim()), source: 'STATIC_BROKER_CONFIG', brokerName: syn };
  }
  return { value: def.defaultValue, source: 'DEFAULT_CONFIG' };
}

/** Longs beyond 2^53 (Kafka's Long.MAX defaults) mean "never": Infinity keeps comparisons right. */
export function longValue(v: string | null): number {
  if (v === null) return Infinity;
  const n = Number(v);
  return n >= Number.MAX_SAFE_INTEGER ? Infinity : n;
}
