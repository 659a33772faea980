/**
 * Differential testing: the same request sequence goes to a real Apache Kafka broker and to Samsa,
 * and the decoded responses (generated codecs, protocol/messages/) are compared field by field.
 *
 * Before comparing, each response is normalised: what must differ between two brokers (see
 * `NORMALISATIONS`, which the test output lists) is replaced by a placeholder, keyed collections are
 * put in a fixed order, and record batches are decoded into their header fields and records. Ids a
 * broker makes up (topic ids, member ids, fetch session ids, the cluster id) become labels in order
 * of first appearance on each side, so "the same id as before" is still checked. Every other
 * difference fails, unless an entry of the allow-list (compat-tests/differential/allowed-differences.ts)
 * covers it; the report names the entries that were used.
 */
import { RawConnection } from '../../protocol/test/raw-client.js';
import type { ApiCodec } from '../../protocol/messages/index.js';
import { readRecords, scanBatches } from '../../protocol/records/index.js';
import { ZERO_UUID } from '../../protocol/uuid.js';

export type SideName = 'kafka' | 'samsa';

export interface Endpoint {
  host: string;
  port: number;
}

/** A placeholder that replaced a value; printed in angle brackets. */
type Json = null | boolean | number | string | bigint | Json[] | { [key: string]: Json };

/** One broker's connection and what the sequence has learnt from its answers so far. */
export class Side {
  /** Values a script keeps between requests (member ids, producer ids, session ids). */
  readonly vars = new Map<string, unknown>();
  /** Made-up ids seen on this side, by kind, each with its label. */
  private readonly labels = new Map<string, Map<string, string>>();

  constructor(
    readonly name: SideName,
    readonly endpoint: Endpoint,
    public conn: RawConnection,
    /** This broker's node id (Kafka's reference runs as node 1). */
    readonly nodeId: number,
  ) {}

  label(kind: string, raw: string): string {
    let m = this.labels.get(kind);
    if (m === undefined) this.labels.set(kind, (m = new Map()));
    let l = m.get(raw);
    if (l === undefined) m.set(raw, (l = `<${kind}#${m.size + 1}>`));
    return l;
  }

  /** A variable set by an earlier step; throws when a script reads one it never set. */
  get<T>(key: string): T {
    if (!this.vars.has(key)) throw new Error(`${this.name}: no ${key} remembered`);
    return this.vars.get(key) as T;
  }
}

/**
 * What is normalised before comparing, by field name at any depth. Each one differs between two
 * correct brokers by construction; everything else is compared.
 */
export const NORMALISATIONS: ReadonlyArray<{ fields: readonly string[]; why: string; apply: (v: Json, side: Side) => Json }> = [
  {
    fields: ['throttleTimeMs'],
    why: 'quota throttling depends on timing; neither broker has quotas configured',
    apply: () => '<throttle>',
  },
  {
    fields: ['clusterId'],
    why: 'each cluster gets a random id when its storage is formatted',
    apply: (v, s) => (typeof v === 'string' ? s.label('cluster', v) : v),
  },
  {
    fields: ['topicId'],
    why: 'topic ids are random (KIP-516); the zero id stays as it is, and each id keeps one label per side',
    apply: (v, s) => (typeof v === 'string' && v !== ZERO_UUID ? s.label('topicId', v) : v),
  },
  {
    fields: ['memberId', 'leader'],
    why: 'member ids are the client id plus a random UUID (KIP-394); empty stays empty',
    apply: (v, s) => (typeof v === 'string' && v !== '' ? s.label('member', v) : v),
  },
  {
    fields: ['sessionId'],
    why: 'fetch session ids are random (KIP-227); 0 (no session) stays 0',
    apply: (v, s) => (typeof v === 'number' && v !== 0 ? s.label('session', String(v)) : v),
  },
  {
    fields: ['nodeId', 'leaderId', 'controllerId', 'brokerId', 'replicaNodes', 'isrNodes', 'offlineReplicas', 'eligibleLeaderReplicas', 'lastKnownElr', 'coordinatorId'],
    why: "each broker's own node id is <node>; -1 and other ids stay",
    apply: (v, s) => nodeIds(v, s),
  },
  {
    fields: ['host', 'port'],
    why: "each broker's own advertised host and port are <host> and <port>",
    apply: (v, s) => (v === s.endpoint.host ? '<host>' : v === s.endpoint.port ? '<port>' : v),
  },
  {
    fields: ['logAppendTimeMs'],
    why: 'the broker clock when a batch was appended (-1, CreateTime, stays)',
    apply: (v) => (v === -1n ? v : '<time>'),
  },
  {
    fields: ['errorMessage'],
    why: "free text: Kafka's wording is not part of the protocol, and whether Kafka sets one depends on its code path, not on the error",
    apply: () => '<message>',
  },
  {
    fields: ['logDir'],
    why: 'the data directory of each broker',
    apply: (v) => (typeof v === 'string' ? '<dir>' : v),
  },
  {
    fields: ['totalBytes', 'usableBytes'],
    why: 'file system capacity where each broker keeps its data',
    apply: (v) => (typeof v === 'bigint' && v >= 0n ? '<bytes>' : v),
  },
];

function nodeIds(v: Json, s: Side): Json {
  if (Array.isArray(v)) return v.map((x) => nodeIds(x, s));
  return v === s.nodeId ? '<node>' : v;
}

const normaliserByField = new Map<string, (v: Json, side: Side) => Json>();
for (const n of NORMALISATIONS) for (const f of n.fields) normaliserByField.set(f, n.apply);

/** Keyed collections are compared in this order: Kafka keeps topics, groups and configs in hash maps. */
const SORT_KEYS = ['name', 'topic', 'topicName', 'groupId', 'resourceName', 'partitionIndex', 'partition', 'apiKey', 'key'];

function sortKeyOf(items: unknown[]): string | null {
  if (items.length < 2) return null;
  for (const k of SORT_KEYS) {
    if (items.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x) && ['string', 'number'].includes(typeof (x as Record<string, unknown>)[k]))) return k;
  }
  return null;
}

/** Record batches become their header fields and records, so a difference names the field. */
function decodeRecords(parts: Buffer | readonly Buffer[]): Json {
  const buf = Buffer.isBuffer(parts) ? parts : Buffer.concat(parts as Buffer[]);
  if (buf.length === 0) return [];
  try {
    const batches = scanBatches(buf, { allowPartialTail: true });
    const out: Json[] = batches.map((b) => {
      let records: Json;
      try {
        records = readRecords(buf, b).map((r) => `${r.offset}:${r.key?.toString('latin1') ?? 'null'}=${r.value === null ? 'null' : `${r.value.length}B:${r.value.subarray(0, 24).toString('latin1')}`}@${r.timestamp}${r.headers.length > 0 ? ` h${r.headers.length}` : ''}`);
      } catch (e) {
        records = `<undecodable: ${(e as Error).message}>`;
      }
      return {
        baseOffset: b.baseOffset,
        lastOffsetDelta: b.lastOffsetDelta,
        recordCount: b.recordCount,
        compression: b.compression,
        timestampType: b.timestampType,
        isTransactional: b.isTransactional,
        isControl: b.isControl,
        baseTimestamp: b.timestampType === 1 ? '<time>' : b.baseTimestamp,
        maxTimestamp: b.timestampType === 1 ? '<time>' : b.maxTimestamp,
        producerId: b.producerId,
        producerEpoch: b.producerEpoch,
        baseSequence: b.baseSequence,
        partitionLeaderEpoch: b.partitionLeaderEpoch,
        size: b.size,
        records,
      };
    });
    const used = batches.reduce((n, b) => n + b.size, 0);
    if (used < buf.length) out.push(`<partial batch: ${buf.length - used} bytes>`);
    return out;
  } catch (e) {
    return `<${buf.length} bytes that are no record batches: ${(e as Error).message}>`;
  }
}

/** A plain, normalised copy of a decoded response. */
export function normalise(value: unknown, side: Side, field = ''): Json {
  if (value === null || value === undefined) return field === 'errorMessage' ? '<message>' : null;
  if (Buffer.isBuffer(value)) return field === 'records' ? decodeRecords(value) : `<bytes ${value.toString('hex')}>`;
  if (Array.isArray(value)) {
    if (field === 'records' && value.every((x) => Buffer.isBuffer(x))) return decodeRecords(value as Buffer[]);
    const key = sortKeyOf(value);
    const items = key === null ? value : [...value].sort((a, b) => compareKeys((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
    const out = items.map((x) => normalise(x, side, field));
    const apply = normaliserByField.get(field);
    return apply !== undefined && !items.some((x) => typeof x === 'object' && x !== null) ? apply(out, side) : out;
  }
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = normalise(v, side, k);
    return out;
  }
  const v = value as Json;
  const apply = normaliserByField.get(field);
  return apply === undefined ? v : apply(v, side);
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** One field whose normalised values differ; `kafka`/`samsa` are `undefined` where absent. */
export interface Difference {
  path: string;
  kafka: Json | undefined;
  samsa: Json | undefined;
}

export function diff(kafka: Json | undefined, samsa: Json | undefined, path = '', out: Difference[] = []): Difference[] {
  if (Array.isArray(kafka) && Array.isArray(samsa)) {
    // Collections keyed by a name are compared by key, so one missing entry is one difference.
    const key = uniqueKey(kafka, samsa);
    if (key !== null) {
      const byKey = (items: Json[]): Map<string, Json> => new Map(items.map((x) => [String((x as { [k: string]: Json })[key]), x]));
      const k = byKey(kafka);
      const s = byKey(samsa);
      for (const name of new Set([...k.keys(), ...s.keys()])) diff(k.get(name), s.get(name), `${path}[${key}=${name}]`, out);
      return out;
    }
    const n = Math.max(kafka.length, samsa.length);
    for (let i = 0; i < n; i++) diff(kafka[i], samsa[i], `${path}[${i}]`, out);
    return out;
  }
  if (isObject(kafka) && isObject(samsa)) {
    for (const k of new Set([...Object.keys(kafka), ...Object.keys(samsa)])) diff(kafka[k], samsa[k], path === '' ? k : `${path}.${k}`, out);
    return out;
  }
  if (kafka !== samsa) out.push({ path, kafka, samsa });
  return out;
}

/** The name field both sides' elements are keyed by, with no repeats; null for other arrays. */
function uniqueKey(a: Json[], b: Json[]): string | null {
  const all = [...a, ...b];
  if (all.length === 0 || !all.every(isObject)) return null;
  for (const k of ['name', 'topic', 'groupId', 'resourceName']) {
    if (!all.every((x) => typeof (x as { [key: string]: Json })[k] === 'string')) continue;
    const unique = (items: Json[]): boolean => new Set(items.map((x) => (x as { [key: string]: Json })[k])).size === items.length;
    if (unique(a) && unique(b)) return k;
  }
  return null;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function show(v: Json | undefined, width = 240): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  return s.length > width ? `${s.slice(0, width)}…(${s.length} chars)` : s;
}

/** An intended difference: which API (and versions) and which field path it covers, and why. */
export interface AllowedDifference {
  id: string;
  /** API name as in protocol/messages (`Metadata`); '*' for any. */
  api: string;
  versions?: { min?: number; max?: number };
  /** Matched against the path with array indexes written as [*], e.g. `topics[*].configs`. A path matches its descendants too. */
  path: string | RegExp;
  /** Only when the values are these (after normalisation); either side may be omitted. */
  kafka?: (v: Json | undefined) => boolean;
  samsa?: (v: Json | undefined) => boolean;
  /** Only in steps whose label matches. */
  step?: RegExp;
  reason: string;
  /** The FINDINGS.md entry when the difference is a Samsa gap. */
  finding?: string;
}

function pathMatches(pattern: string | RegExp, path: string): boolean {
  const generic = path.replace(/\[\d+\]/g, '[*]');
  if (pattern instanceof RegExp) return pattern.test(generic);
  return generic === pattern || generic.startsWith(`${pattern}.`) || generic.startsWith(`${pattern}[`);
}

export function allowedBy(list: readonly AllowedDifference[], api: string, version: number, step: string, d: Difference): AllowedDifference | undefined {
  return list.find(
    (a) =>
      (a.api === '*' || a.api === api) &&
      (a.versions?.min === undefined || version >= a.versions.min) &&
      (a.versions?.max === undefined || version <= a.versions.max) &&
      (a.step === undefined || a.step.test(step)) &&
      pathMatches(a.path, d.path) &&
      (a.kafka === undefined || a.kafka(d.kafka)) &&
      (a.samsa === undefined || a.samsa(d.samsa)),
  );
}

/** What a side gave instead of a response. */
export interface NoAnswer {
  noAnswer: string;
}

export function isNoAnswer(r: unknown): r is NoAnswer {
  return typeof r === 'object' && r !== null && 'noAnswer' in r;
}

/** The outcome of one request sent to both brokers. */
export interface Exchange<Resp> {
  step: string;
  api: string;
  version: number;
  kafka: Resp | NoAnswer;
  samsa: Resp | NoAnswer;
  /** Differences no allow-list entry covers. */
  failures: Difference[];
  /** Differences an allow-list entry covers, with its id. */
  allowed: Array<Difference & { by: string }>;
}

/** Builds a side's request, or the same request for both. */
export type RequestFor<Req> = Req | ((side: Side) => Req);

export interface ExchangeOptions<Resp> {
  /** Runs on each side after its answer arrived, before comparing (to remember ids). */
  remember?: (resp: Resp, side: Side) => void;
  /** Per-step normalisation on top of `NORMALISATIONS` (the value is the normalised response). */
  normalise?: (resp: Json, side: Side) => Json;
  timeoutMs?: number;
}

export class Differential {
  readonly kafka: Side;
  readonly samsa: Side;
  /** How often each allow-list entry was used. */
  readonly used = new Map<string, number>();
  /** Every exchange with a failure, for the summary. */
  readonly failed: Array<Exchange<unknown>> = [];
  count = 0;

  private constructor(
    kafka: Side,
    samsa: Side,
    readonly allowList: readonly AllowedDifference[],
  ) {
    this.kafka = kafka;
    this.samsa = samsa;
  }

  static async open(kafka: Endpoint & { nodeId: number }, samsa: Endpoint & { nodeId: number }, allowList: readonly AllowedDifference[]): Promise<Differential> {
    const [k, s] = await Promise.all([RawConnection.open(kafka.host, kafka.port), RawConnection.open(samsa.host, samsa.port)]);
    return new Differential(new Side('kafka', kafka, k, kafka.nodeId), new Side('samsa', samsa, s, samsa.nodeId), allowList);
  }

  get sides(): readonly [Side, Side] {
    return [this.kafka, this.samsa];
  }

  /** New connections on both sides (fetch sessions and group members are not tied to them). */
  async reconnect(): Promise<void> {
    await Promise.all(
      this.sides.map(async (s) => {
        s.conn.close();
        s.conn = await RawConnection.open(s.endpoint.host, s.endpoint.port);
      }),
    );
  }

  /** Runs the same uncompared preparation on both sides at once (waiting for a leader, say). */
  async each(fn: (side: Side) => Promise<void>): Promise<void> {
    await Promise.all(this.sides.map(fn));
  }

  /** Sends the request to both brokers at once and compares the normalised answers. */
  async exchange<Req, Resp>(step: string, api: ApiCodec<Req, Resp>, version: number, request: RequestFor<Req>, opts: ExchangeOptions<Resp> = {}): Promise<Exchange<Resp>> {
    const ask = async (side: Side): Promise<Resp | NoAnswer> => {
      const body = typeof request === 'function' ? (request as (s: Side) => Req)(side) : request;
      let resp: Resp;
      try {
        resp = await side.conn.request(api, version, body, opts.timeoutMs);
      } catch (e) {
        // A broker that closes the connection (or does not answer) is an answer too: compared as
        // such, and the next step gets a new connection.
        const noAnswer: NoAnswer = { noAnswer: side.conn.closed ? 'connection closed' : (e as Error).message };
        side.conn.close();
        side.conn = await RawConnection.open(side.endpoint.host, side.endpoint.port);
        return noAnswer;
      }
      opts.remember?.(resp, side);
      return resp;
    };
    const [k, s] = await Promise.all([ask(this.kafka), ask(this.samsa)]);
    this.count++;
    let nk = normalise(k, this.kafka);
    let ns = normalise(s, this.samsa);
    if (opts.normalise !== undefined) {
      nk = opts.normalise(nk, this.kafka);
      ns = opts.normalise(ns, this.samsa);
    }
    const failures: Difference[] = [];
    const allowed: Array<Difference & { by: string }> = [];
    for (const d of diff(nk, ns)) {
      const a = allowedBy(this.allowList, api.name, version, step, d);
      if (a === undefined) failures.push(d);
      else {
        allowed.push({ ...d, by: a.id });
        this.used.set(a.id, (this.used.get(a.id) ?? 0) + 1);
      }
    }
    const ex: Exchange<Resp> = { step, api: api.name, version, kafka: k, samsa: s, failures, allowed };
    if (failures.length > 0) {
      this.failed.push(ex as Exchange<unknown>);
      (ex as Exchange<Resp> & { normalised?: [Json, Json] }).normalised = [nk, ns];
    }
    return ex;
  }

  close(): void {
    for (const s of this.sides) s.conn.close();
  }
}

/** A readable report of one exchange's failures: each differing path, then both answers. */
export function describeFailures(ex: Exchange<unknown>): string {
  const lines = [`${ex.step}: ${ex.api} v${ex.version} differs in ${ex.failures.length} field(s):`];
  for (const d of ex.failures.slice(0, 20)) lines.push(`  ${d.path || '(root)'}: kafka ${show(d.kafka)} | samsa ${show(d.samsa)}`);
  if (ex.failures.length > 20) lines.push(`  … and ${ex.failures.length - 20} more`);
  const n = (ex as Exchange<unknown> & { normalised?: [Json, Json] }).normalised;
  if (n !== undefined) {
    lines.push(`  kafka answered: ${show(n[0], 1200)}`);
    lines.push(`  samsa answered: ${show(n[1], 1200)}`);
  }
  return lines.join('\n');
}
