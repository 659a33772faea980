/**
 * Builds one fuzz request: a value of any API's request type at any version, walked from the
 * generated request shapes (protocol/messages/request-fields.ts) and encoded with the generated
 * codec, so every request is structurally valid unless the case deliberately lies. A profile
 * decides what goes in: typical values aimed at real topics and groups, extreme scalars (int32
 * and int64 bounds, NaN, long and odd strings), nulls wherever a version allows them, genuinely
 * large or deeply multiplied arrays, length prefixes that disagree with the bytes that follow
 * (counts up to millions, negative sizes), and byte flips or cuts of an encoded frame.
 */
import { Writer } from '../../protocol/codec/writer.js';
import { apiByKey, encodeRequestHeader, requestHeaderVersion } from '../../protocol/messages/index.js';
import { requestShapes, type RequestField } from '../../protocol/messages/request-fields.js';
import { buildBatch, compress, crc32c } from '../../protocol/records/index.js';
import { defaultValue } from '../../protocol/generator/spec.js';
import { ZERO_UUID } from '../../protocol/uuid.js';
import { Rng } from './random.js';

export type Profile = 'typical' | 'extreme' | 'nulls' | 'large' | 'lie' | 'corrupt';
const PROFILES: ReadonlyArray<readonly [Profile, number]> = [
  ['typical', 0.25],
  ['extreme', 0.25],
  ['nulls', 0.1],
  ['large', 0.15],
  ['lie', 0.17],
  ['corrupt', 0.08],
];

/** An API the broker advertised in ApiVersions. */
export interface AdvertisedApi {
  key: number;
  minVersion: number;
  maxVersion: number;
}

/** Names the fuzzer aims typical values at, so requests reach real partitions and groups. */
export interface FuzzTargets {
  topics: readonly string[];
  groups: readonly string[];
}

export interface FuzzCase {
  index: number;
  apiKey: number;
  apiName: string;
  version: number;
  profile: Profile;
  /** What is unusual about this case (lies, large arrays), for the failure report. */
  notes: string[];
  /** The request value handed to the encoder (before any byte-level corruption). */
  value: Record<string, unknown>;
  /** The whole frame, size prefix included; null when the value could not be encoded. */
  frame: Buffer | null;
  encodeError?: string;
}

/**
 * A Writer that can declare lengths other than the real ones: arrays and buffers it was told
 * about, and strings passed as String objects, get the registered length prefix followed by
 * their real contents.
 */
export class LyingWriter extends Writer {
  readonly arrays = new WeakMap<object, number>();
  readonly buffers = new WeakMap<Buffer, number>();
  readonly strings = new WeakMap<object, number>();

  override array<T>(xs: readonly T[], compact: boolean, writeElement: (w: Writer, x: T) => void): void {
    const lie = this.arrays.get(xs);
    if (lie === undefined) return super.array(xs, compact, writeElement);
    this.arrayLength(lie, compact);
    for (let i = 0; i < xs.length; i++) writeElement(this, xs[i]!);
  }

  override string(v: string, compact: boolean): void {
    if (typeof v !== 'object') return super.string(v, compact);
    // A String object: the generated types say string, the lie is in the wrapper.
    const boxed = v as object;
    const bytes = Buffer.from(String(boxed), 'utf8');
    const lie = this.strings.get(boxed) ?? bytes.length;
    if (compact) this.uvarint(lie + 1);
    else this.int16((lie << 16) >> 16);
    this.raw(bytes);
  }

  override bytes(v: Buffer, compact: boolean): void {
    const lie = this.buffers.get(v);
    if (lie === undefined) return super.bytes(v, compact);
    if (compact) this.uvarint(lie + 1);
    else this.int32(lie | 0);
    this.raw(v);
  }
}

const INT32 = [-0x8000_0000, 0x7fff_ffff, -1, 0, 1, 0x7fff_fffe, -2, 1_000_000, 65_536];
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n, -1n, 0n, 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n), 2n ** 31n, -2n];
/** Fields whose value is how long the broker may legitimately hold the answer: kept short. */
const WAIT_FIELDS = new Set(['maxWaitMs', 'rebalanceTimeoutMs', 'sessionTimeoutMs']);
const MAX_WAIT_MS = 1500;
/** Elements one request may hold in all, so the fuzzer itself stays small. */
const ELEMENT_BUDGET = 60_000;
/**
 * Largest frame sent. The broker's limit (socket.request.max.bytes) is 100 MiB, but a request
 * decodes into several times its size in objects, as in Kafka; the fuzzer looks for blow-ups out
 * of proportion to the bytes sent, so it stays well below.
 */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

interface LieTarget {
  path: string;
  kind: 'array' | 'buffer' | 'string';
  parent: Record<string, unknown> | unknown[];
  key: string | number;
  length: number;
  compact: boolean;
}

function isArrayType(f: RequestField): boolean {
  return f.type.startsWith('[]');
}

function elementType(f: RequestField): string {
  return isArrayType(f) ? f.type.slice(2) : f.type;
}

function carried(r: readonly [number, number] | undefined, v: number): boolean {
  return r !== undefined && v >= r[0] && v <= r[1];
}

/**
 * The value a version that lacks the field encodes: the spec default, as the generator computes it
 * (protocol/generator/spec.ts); a struct without a null default is built from its fields'.
 */
function defaultOf(f: RequestField): unknown {
  const v = defaultValue({ name: f.name, type: f.type, ...(f.default !== undefined ? { default: f.default } : {}) });
  if (v !== undefined) return v;
  const o: Record<string, unknown> = {};
  for (const g of f.fields ?? []) o[g.name] = defaultOf(g);
  return o;
}

class ValueBuilder {
  elements = 0;
  /** Only a lying case needs the candidates (and their paths). */
  private readonly recordLies: boolean;
  readonly lieTargets: LieTarget[] = [];
  readonly notes: string[] = [];
  /** Large profile: one array made big, or every array multiplied ("deep"). */
  private readonly deep: boolean;
  private bigArrayPlaced = false;

  constructor(
    private readonly rng: Rng,
    private readonly profile: Profile,
    private readonly v: number,
    private readonly compact: boolean,
    private readonly targets: FuzzTargets,
  ) {
    this.deep = profile === 'large' && rng.chance(0.3);
    this.recordLies = profile === 'lie';
  }

  private lieTarget(t: LieTarget): void {
    if (this.recordLies) this.lieTargets.push(t);
  }

  private note(n: string): void {
    if (this.notes.length < 8) this.notes.push(n);
    else if (this.notes.length === 8) this.notes.push('...');
  }

  /** Extreme values are common in some profiles and rare in others. */
  private get extremeChance(): number {
    return this.profile === 'extreme' ? 0.6 : this.profile === 'typical' ? 0.03 : 0.12;
  }

  private get nullChance(): number {
    return this.profile === 'nulls' ? 0.6 : this.profile === 'typical' ? 0.02 : 0.08;
  }

  struct(fields: readonly RequestField[], path: string, inBig: boolean): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of fields) {
      const p = inBig ? path : `${path}.${f.name}`;
      if (!carried(f.versions, this.v)) o[f.name] = defaultOf(f);
      else if (carried(f.nullable, this.v) && this.rng.chance(this.nullChance)) o[f.name] = null;
      else o[f.name] = isArrayType(f) ? this.array(f, p, inBig, o) : this.scalar(f, elementType(f), p, inBig, o, f.name);
    }
    return o;
  }

  private arrayLength(path: string, inBig: boolean): { n: number; big: boolean } {
    const left = ELEMENT_BUDGET - this.elements;
    if (left <= 0) return { n: 0, big: false };
    if (this.profile === 'large' && !inBig) {
      if (this.deep) return { n: Math.min(left, this.rng.int(8, 80)), big: false };
      if (!this.bigArrayPlaced && this.rng.chance(0.5)) {
        this.bigArrayPlaced = true;
        const n = Math.min(left, this.rng.pick([1_000, 10_000, 50_000]));
        this.note(`${path}: ${n} elements`);
        return { n, big: true };
      }
    }
    if (inBig) return { n: this.rng.int(0, 1), big: false };
    if (this.profile === 'extreme' && this.rng.chance(0.1)) return { n: Math.min(left, this.rng.pick([50, 300, 2_000])), big: false };
    return { n: Math.min(left, this.rng.pick([0, 1, 1, 1, 2, 3])), big: false };
  }

  private array(f: RequestField, path: string, inBig: boolean, parent: Record<string, unknown>): unknown[] {
    const { n, big } = this.arrayLength(path, inBig);
    const et = elementType(f);
    const out = new Array<unknown>(n);
    this.elements += n;
    const seq = et.startsWith('int') && big && this.rng.chance(0.5);
    for (let i = 0; i < n; i++) {
      // Distinct sequential ids in a big int array make the broker build per-element state.
      if (seq) out[i] = et === 'int64' ? BigInt(i) : et === 'int8' ? i & 0x7f : et === 'int16' ? i & 0x7fff : i;
      else out[i] = this.scalar(f, et, inBig || big ? `${path}[]` : `${path}[${i}]`, inBig || big, out, i);
    }
    this.lieTarget({ path, kind: 'array', parent, key: f.name, length: n, compact: this.compact });
    return out;
  }

  private scalar(f: RequestField, type: string, path: string, inBig: boolean, parent: Record<string, unknown> | unknown[], key: string | number): unknown {
    const rng = this.rng;
    const extreme = rng.chance(this.extremeChance);
    switch (type) {
      case 'bool':
        return rng.chance(0.5);
      case 'int8':
        return extreme ? rng.pick([-128, 127, -1]) : rng.int(-1, 3);
      case 'int16':
        return extreme ? rng.pick([-32768, 32767, -1, 0x100]) : rng.int(-1, 3);
      case 'uint16':
        return extreme ? rng.pick([0, 65535]) : rng.int(0, 3);
      case 'int32': {
        const x = extreme ? rng.pick(INT32) : rng.int(-1, 3);
        if (WAIT_FIELDS.has(f.name) && x > MAX_WAIT_MS) return rng.int(0, MAX_WAIT_MS);
        return x;
      }
      case 'uint32':
        return extreme ? rng.pick([0, 0xffff_ffff, 0x8000_0000]) : rng.int(0, 3);
      case 'int64':
        return extreme ? rng.pick(INT64) : BigInt(rng.int(-2, 20));
      case 'float64':
        return extreme ? rng.pick([NaN, Infinity, -Infinity, -0, 1e308, 5e-324]) : rng.float();
      case 'uuid':
        return extreme || rng.chance(0.5) ? rng.bytes(16).toString('base64url') : ZERO_UUID;
      case 'string':
        return this.string(f, path, extreme && !inBig, parent, key);
      case 'bytes': {
        const b = extreme && !inBig ? rng.bytes(rng.pick([0, 1, 300, 70_000, 2_000_000])) : rng.bytes(rng.int(0, 16));
        this.lieTarget({ path, kind: 'buffer', parent, key, length: b.length, compact: this.compact });
        return b;
      }
      case 'records': {
        const b = this.records(extreme && !inBig, inBig);
        this.lieTarget({ path, kind: 'buffer', parent, key, length: b.length, compact: this.compact });
        return b;
      }
      default: {
        this.elements++;
        return this.struct(f.fields ?? [], path, inBig);
      }
    }
  }

  private string(f: RequestField, path: string, extreme: boolean, parent: Record<string, unknown> | unknown[], key: string | number): string {
    const rng = this.rng;
    let s: string;
    if (extreme) {
      const long = this.compact ? rng.pick([249, 250, 32_767, 40_000, 300_000]) : rng.pick([249, 250, 32_767]);
      s = rng.pick([
        () => '',
        () => 'x'.repeat(long),
        () => rng.bytes(Math.min(long, 1000)).toString('latin1'),
        () => '\u0000',
        () => '.',
        () => '..',
        () => 'a/../b',
        () => '\ud800\udfff\ud800',
        () => '😀'.repeat(rng.int(1, 100)),
        () => `${rng.pick(this.targets.topics)}\u0000`,
        () => '__consumer_offsets',
        () => '__cluster_metadata',
      ])();
    } else if (/topic|^name$|resourceName/i.test(f.name)) s = rng.chance(0.85) ? rng.pick(this.targets.topics) : `fuzz-${rng.int(0, 5)}`;
    else if (/group/i.test(f.name)) s = rng.pick(this.targets.groups);
    else if (/^(key|name|configName)$/i.test(f.name)) s = rng.pick(['cleanup.policy', 'retention.ms', 'segment.bytes', 'max.message.bytes', 'bogus.key']);
    else s = rng.chance(0.3) ? '' : `${f.name}-${rng.int(0, 3)}`;
    this.lieTarget({ path, kind: 'string', parent, key, length: Buffer.byteLength(s), compact: this.compact });
    return s;
  }

  /** Record data: valid batches, batches with an extreme header field (CRC still valid), random bytes, compressed zeros. */
  private records(extreme: boolean, inBig: boolean): Buffer {
    const rng = this.rng;
    const n = inBig ? 1 : rng.int(1, 4);
    const batch = (): Buffer =>
      buildBatch({
        baseOffset: 0,
        records: Array.from({ length: n }, () => ({ key: rng.chance(0.5) ? null : rng.bytes(rng.int(0, 8)), value: rng.bytes(rng.int(0, 32)), timestamp: Date.now() })),
      });
    if (!extreme) return batch();
    return rng.pick([
      () => rng.bytes(rng.int(0, 200)),
      () => Buffer.alloc(0),
      () => Buffer.concat([batch(), batch()]),
      () => this.patchedBatch(batch()),
      () => this.patchedBatch(batch()),
      () => this.compressedGarbage(),
      () => {
        const b = rng.bytes(rng.int(20, 120));
        b.writeInt32BE(b.length - 12, 8);
        b[16] = rng.int(0, 1); // legacy magic 0/1 message set
        return b;
      },
    ])();
  }

  /** A valid batch with one header field set to an extreme, CRC recomputed so the field is what gets judged. */
  private patchedBatch(b: Buffer): Buffer {
    const rng = this.rng;
    const field = rng.pick([
      ['baseOffset', 0, 8],
      ['batchLength', 8, 4],
      ['partitionLeaderEpoch', 12, 4],
      ['magic', 16, 1],
      ['attributes', 21, 2],
      ['lastOffsetDelta', 23, 4],
      ['baseTimestamp', 27, 8],
      ['maxTimestamp', 35, 8],
      ['producerId', 43, 8],
      ['producerEpoch', 51, 2],
      ['baseSequence', 53, 4],
      ['recordCount', 57, 4],
    ] as const);
    const [name, at, size] = field;
    if (size === 8) b.writeBigInt64BE(rng.pick(INT64), at);
    else if (size === 4) b.writeInt32BE(rng.pick(INT32), at);
    else if (size === 2) b.writeInt16BE(rng.pick([-1, 0x7fff, -0x8000, 0x0007, 0x0020, 0x0030, 0x0040]), at);
    else b[at] = rng.pick([0, 1, 3, 255]);
    if (at >= 21) b.writeUInt32BE(crc32c(b, 21), 17);
    this.note(`records batch ${name} patched`);
    return b;
  }

  /** A batch whose compressed body is random bytes or a block of zeros that inflates far past its size. */
  private compressedGarbage(): Buffer {
    const rng = this.rng;
    const codec = rng.int(1, 4);
    const inflated = rng.pick([1 << 20, 32 << 20]);
    const body = rng.chance(0.5) ? rng.bytes(rng.int(0, 100)) : compressedZeros(codec, inflated);
    const b = Buffer.alloc(61 + body.length);
    b.writeBigInt64BE(0n, 0);
    b.writeInt32BE(b.length - 12, 8);
    b[16] = 2;
    b.writeInt16BE(codec, 21);
    b.writeInt32BE(rng.int(0, 3), 23);
    b.writeBigInt64BE(BigInt(Date.now()), 27);
    b.writeBigInt64BE(BigInt(Date.now()), 35);
    b.writeBigInt64BE(-1n, 43);
    b.writeInt16BE(-1, 51);
    b.writeInt32BE(-1, 53);
    b.writeInt32BE(rng.pick([1, 4, 0x7fff_ffff]), 57);
    body.copy(b, 61);
    b.writeUInt32BE(crc32c(b, 21), 17);
    this.note(`records: compressed body (codec ${codec}, ${body.length} bytes)`);
    return b;
  }
}

const zerosCache = new Map<string, Buffer>();
function compressedZeros(codec: number, size: number): Buffer {
  const k = `${codec}/${size}`;
  let b = zerosCache.get(k);
  if (b === undefined) {
    b = compress(codec, Buffer.alloc(size));
    zerosCache.set(k, b);
  }
  return b;
}

function pickProfile(rng: Rng): Profile {
  let x = rng.float();
  for (const [p, w] of PROFILES) {
    if (x < w) return p;
    x -= w;
  }
  return 'typical';
}

/** Declared lengths that disagree with the bytes: huge counts, negative sizes, off by one. */
function lieLength(rng: Rng, t: LieTarget): number {
  if (t.kind === 'string' && !t.compact) return rng.pick([t.length + 1, 0x7fff, -2, -0x8000, -1, t.length > 0 ? t.length - 1 : 1]);
  return rng.pick([t.length + 1, t.length + 1000, 1_000_000, 5_000_000, 0x7fff_ffff, -2, -1_000_000, -1, t.length > 0 ? t.length - 1 : 1]);
}

function applyLie(rng: Rng, w: LyingWriter, targets: LieTarget[], notes: string[]): void {
  if (targets.length === 0) return;
  const t = rng.pick(targets);
  const declared = lieLength(rng, t);
  const parent = t.parent as Record<string | number, unknown>;
  const value = parent[t.key];
  if (t.kind === 'array' && Array.isArray(value)) w.arrays.set(value, declared);
  else if (t.kind === 'buffer' && Buffer.isBuffer(value)) w.buffers.set(value, declared);
  else if (t.kind === 'string' && typeof value === 'string') {
    // eslint-disable-next-line no-new-wrappers -- the wrapper object is what carries the lie
    const boxed = new String(value);
    parent[t.key] = boxed;
    w.strings.set(boxed, declared);
  } else return;
  notes.push(`${t.path}: ${t.length} declared as ${declared}`);
}

/** Byte flips, a cut, or trailing bytes in an encoded body; the size prefix stays right. */
function corrupt(rng: Rng, frame: Buffer, bodyStart: number, notes: string[]): Buffer {
  const mode = rng.int(0, 2);
  if (mode === 0 && frame.length > bodyStart) {
    const flips = rng.int(1, 4);
    for (let i = 0; i < flips; i++) {
      const at = rng.int(bodyStart, frame.length - 1);
      frame[at] = rng.next() & 0xff;
    }
    notes.push(`${flips} byte(s) flipped`);
    return frame;
  }
  let out: Buffer;
  if (mode === 1 && frame.length > bodyStart) {
    const cut = rng.int(bodyStart, frame.length - 1);
    out = Buffer.from(frame.subarray(0, cut));
    notes.push(`cut at ${cut} of ${frame.length}`);
  } else {
    out = Buffer.concat([frame, rng.bytes(rng.int(1, 64))]);
    notes.push(`${out.length - frame.length} trailing bytes`);
  }
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/** Case `index` of run `seed`: the same bytes every time for the same advertised APIs. */
export function buildCase(seed: number, index: number, apis: readonly AdvertisedApi[], targets: FuzzTargets): FuzzCase {
  const rng = new Rng(seed, index);
  const api = rng.pick(apis);
  const codec = apiByKey[api.key];
  const shape = requestShapes[api.key];
  if (codec === undefined || shape === undefined) throw new Error(`API ${api.key} is advertised but has no generated codec`);
  const version = rng.int(api.minVersion, api.maxVersion);
  const profile = pickProfile(rng);
  const compact = version >= codec.flexibleMin;
  const builder = new ValueBuilder(rng, profile, version, compact, targets);
  const value = builder.struct(shape.fields, shape.name, false);
  const c: FuzzCase = { index, apiKey: api.key, apiName: codec.name, version, profile, notes: builder.notes, value, frame: null };
  const w = new LyingWriter(4096);
  if (profile === 'lie') applyLie(rng, w, builder.lieTargets, c.notes);
  const clientId = profile === 'extreme' && rng.chance(0.3) ? rng.pick([null, '', 'c'.repeat(32_767), '\u0000']) : 'fuzz';
  try {
    const setSize = w.reserveInt32();
    encodeRequestHeader(w, { requestApiKey: api.key, requestApiVersion: version, correlationId: index, clientId }, requestHeaderVersion(api.key, version));
    const bodyStart = w.length;
    codec.encodeRequest(w, value, version);
    setSize(w.length - 4);
    if (w.length > MAX_FRAME_BYTES) throw new Error(`frame of ${w.length} bytes is over the fuzzer's ${MAX_FRAME_BYTES}`);
    let frame = w.toBuffer();
    if (profile === 'corrupt') frame = corrupt(rng, frame, bodyStart, c.notes);
    c.frame = frame;
  } catch (e) {
    c.encodeError = (e as Error).message;
  }
  return c;
}

/** One line naming the case, for logs and failure reports. */
export function describeCase(c: FuzzCase): string {
  const size = c.frame === null ? 'unencodable' : `${c.frame.length} bytes`;
  return `#${c.index} ${c.apiName} v${c.version} ${c.profile} (${size})${c.notes.length > 0 ? `: ${c.notes.join('; ')}` : ''}`;
}
