/**
 * Shared pieces of the perf tools (bench/perf/*.ts): node-rdkafka loading, flag parsing,
 * percentiles, topic creation with the AdminClient, and small async helpers.
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const Kafka = require('node-rdkafka') as typeof import('node-rdkafka');

export type RdMessage = import('node-rdkafka').Message;
export type RdConfig = Record<string, string | number | boolean>;

export const MB = 1 << 20;

/** Optional callbacks around the measured part of a phase (the suite samples broker CPU there). */
export interface PhaseHooks {
  /** Called right before the first record is sent or the first fetch is started. */
  onStart?: () => void;
  /** Called right after the last record was delivered or consumed. */
  onEnd?: () => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `--name value` / `--name=value` / `--flag` parsing; `spec` maps each flag to true if it takes a value. */
export function parseFlags(argv: string[], spec: Record<string, boolean>, usage: string): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m || !(m[1]! in spec)) {
      console.error(`unknown argument ${JSON.stringify(a)}\n${usage}`);
      process.exit(2);
    }
    const name = m[1]!;
    if (spec[name]) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) {
        console.error(`--${name} needs a value\n${usage}`);
        process.exit(2);
      }
      out.set(name, v);
    } else {
      out.set(name, 'true');
    }
  }
  return out;
}

export function intFlag(flags: Map<string, string>, name: string, dflt: number): number {
  const v = flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) {
    console.error(`--${name} must be an integer, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export interface LatencySummary {
  count: number;
  avg: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Percentiles (nearest rank) of the first `count` values; sorts that part of the array in place. */
export function summarize(values: Float64Array, count = values.length): LatencySummary {
  const s = values.subarray(0, count).sort();
  if (count === 0) return { count, avg: NaN, p50: NaN, p99: NaN, p999: NaN, max: NaN };
  let sum = 0;
  for (let i = 0; i < count; i++) sum += s[i]!;
  const at = (q: number): number => s[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))]!;
  return { count, avg: sum / count, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: s[count - 1]! };
}

/** A payload like Kafka's producer-perf-test: printable random bytes, the same buffer for every record. */
export function makePayload(size: number): Buffer {
  const b = randomBytes(size);
  for (let i = 0; i < size; i++) b[i] = 0x41 + (b[i]! % 26);
  return b;
}

export function errorCode(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'number' ? (e as { code: number }).code : undefined;
}

/** Creates `topic` with `partitions` partitions unless it already exists. */
export async function ensureTopic(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const admin = Kafka.AdminClient.create({ 'metadata.broker.list': bootstrap, 'client.id': 'samsa-perf-admin' });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic, num_partitions: partitions, replication_factor: 1 }, 30_000, (err) => {
        if (!err || errorCode(err) === Kafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS) resolve();
        else reject(err);
      }),
    );
  } finally {
    admin.disconnect();
  }
}

/** Number of partitions of `topic` as the broker reports it (waits until the topic is known). */
export async function partitionCount(client: import('node-rdkafka').Client<string>, topic: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const md = await new Promise<import('node-rdkafka').Metadata>((resolve, reject) =>
      client.getMetadata({ topic, timeout: 10_000 }, (err, data) => (err ? reject(err) : resolve(data))),
    );
    const t = md.topics.find((x) => x.name === topic);
    if (t && t.partitions.length > 0) return t.partitions.length;
    if (Date.now() > deadline) throw new Error(`topic ${topic} not found in metadata`);
    await sleep(100);
  }
}

export function connectClient<C extends { connect(opts: unknown, cb: (err: unknown) => void): unknown }>(client: C): Promise<void> {
  return new Promise((resolve, reject) => client.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
}

export function disconnectClient(client: { disconnect(cb: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => client.disconnect(() => resolve()));
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

/** True when this module is the process's entry point (`node dist/bench/perf/x.js`). */
export function isMain(metaUrl: string): boolean {
  return metaUrl === `file://${process.argv[1]}`;
}
