/**
 * Connections closed by their clients at any point never disturb what other connections receive.
 *
 * A few long-lived "verifier" connections pipeline Produce requests of known, per-connection
 * content, Fetch requests that read it back, and some ApiVersions and Metadata requests, and
 * check every response byte for byte: the size
 * prefix, the correlation id (in request order), a body that decodes to exactly its size and
 * encodes back to the same bytes, offsets, and every fetched batch against the batch that was
 * produced at that offset. Meanwhile many short-lived "victim" connections pipeline large produce
 * and fetch requests and are closed from the client side part-way through writing a request, right
 * after sending, while reading a response or while not reading at all, by FIN, destroy or reset
 * (RST); what they did receive before closing is checked the same way. At the end every batch in
 * the log is read back: the verifiers' exactly as produced, the victims' each intact.
 *
 * The broker runs with `samsa.debug.poison.buffers`: pooled request frames and fetch read buffers
 * are filled with 0x4C when released, and a double release stops the broker. A buffer released
 * while a socket write or a log append still reads it would show up as 0x4C bytes in a response
 * or in the log; a response size of 0x4C4C4C4C or 0x4C000000 would be the tell-tale of a size
 * prefix read from one.
 *
 * Seeded and replayable: the seed is printed; SAMSA_STRESS_SEED=<n> replays the same choices
 * (victim i's requests, sizes and close point depend only on the seed and i; its fetch offsets
 * also on how far the verifiers have got), SAMSA_STRESS_CLOSES sets how many victim connections
 * are closed (default 5,000; more for a longer run), SAMSA_STRESS_MAX_MS the time limit and
 * SAMSA_STRESS_CONCURRENCY how many victims are open at once.
 */
import { connect, type Socket } from 'node:net';
import t from 'tap';
import { SamsaProcess } from '../harness/samsa-process.js';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  apiVersionsApi,
  createTopicsApi,
  decodeResponseHeader,
  defaultApiVersionsRequest,
  defaultCreateTopicsRequest,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  defaultMetadataRequest,
  defaultMetadataRequestTopic,
  defaultProduceRequest,
  encodeRequestHeader,
  encodeResponseHeader,
  fetchApi,
  metadataApi,
  produceApi,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiCodec,
  type FetchResponse,
  type FetchResponsePartitionData,
  type ProduceResponse,
} from '../../protocol/messages/index.js';
import type { RecordsData } from '../../protocol/codec/support.js';
import { buildBatch, scanBatches } from '../../protocol/records/index.js';
import { ZERO_UUID } from '../../protocol/uuid.js';

const SEED = Number(process.env.SAMSA_STRESS_SEED ?? Math.floor(Math.random() * 0x7fffffff));
const CLOSES = Number(process.env.SAMSA_STRESS_CLOSES ?? 5000);
const MAX_MS = Number(process.env.SAMSA_STRESS_MAX_MS ?? 240_000);
const VERIFIERS = 4;
const VICTIMS_AT_ONCE = Number(process.env.SAMSA_STRESS_CONCURRENCY ?? 32);
/** A verifier stops producing once its partition holds this much (then only fetches). */
const PARTITION_CAP = 16 << 20;
/** No Kafka response here comes near this; a larger size prefix is a corrupt stream. */
const MAX_RESPONSE = 8 << 20;
const VERIFIED = 'stress-verified';
const VICTIM_TOPIC = 'stress-victims';
const VICTIM_PARTITIONS = 4;

console.log(`# connection-close stress: seed ${SEED} (replay with SAMSA_STRESS_SEED=${SEED}), ${CLOSES} closes`);

// ---- seeded randomness --------------------------------------------------------------------

/** mulberry32 over a seed mixed from several integers: one independent stream per purpose. */
function rng(...parts: number[]): () => number {
  let s = 0x9e3779b9;
  for (const p of parts) s = Math.imul(s ^ (p >>> 0), 0x85ebca6b) ^ (s >>> 13);
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Seeded random bytes that payloads are sliced from (generating fresh ones per record costs more than the broker's work). */
const POOL = (() => {
  const r = rng(SEED, 0);
  const out = Buffer.allocUnsafe(4 << 20);
  for (let i = 0; i < out.length; i += 4) out.writeUInt32LE(Math.floor(r() * 4294967296), i);
  return out;
})();

/** `n` bytes of the pool from a random place, behind a stamp naming their writer. */
function payload(r: () => number, stamp: string, n: number): Buffer {
  const start = between(r, 0, POOL.length - n);
  const out = Buffer.allocUnsafe(n);
  const head = out.write(stamp, 0, 'latin1');
  POOL.copy(out, head, start + head, start + n);
  return out;
}

// ---- what the verified partitions hold ----------------------------------------------------

interface Expected {
  /** Produced batches by the offset the broker will give them (known when sent: one writer). */
  batches: Map<number, Buffer>;
  /** Log end once every request sent so far is appended. */
  sentEnd: number;
  /** Offsets below this are acknowledged, so a fetch from any of them finds data. */
  ackedEnd: number;
  bytes: number;
  topicId: string;
}
const partitions: Expected[] = [];

const failures: string[] = [];
function fail(msg: string): void {
  if (failures.length < 20) failures.push(msg);
}

// ---- requests and responses ---------------------------------------------------------------

function frame<Req>(api: ApiCodec<Req, unknown>, version: number, correlationId: number, body: Req): Buffer {
  const w = new Writer(1024);
  w.int32(0);
  encodeRequestHeader(w, { requestApiKey: api.key, requestApiVersion: version, correlationId, clientId: 'stress' }, requestHeaderVersion(api.key, version));
  api.encodeRequest(w, body, version);
  const buf = w.toBuffer();
  buf.writeInt32BE(buf.length - 4, 0);
  return buf;
}

type Sent =
  | { kind: 'produce'; version: number; correlationId: number; acks: number; partition: number; topic: string; expectOffset: number | null; records: number }
  | { kind: 'fetch'; version: number; correlationId: number; partition: number; offset: number }
  /** ApiVersions or Metadata: small responses of other shapes (ApiVersions' header is always v0). */
  | { kind: 'control'; api: ApiCodec<unknown, unknown>; version: number; correlationId: number };

/** A pipelined ApiVersions or Metadata request: which one and its version come from `r`. */
function controlRequest(r: () => number, correlationId: number): { sent: Sent; frame: Buffer } {
  if (r() < 0.5) {
    const version = between(r, 0, 3);
    const body = { ...defaultApiVersionsRequest(), clientSoftwareName: 'stress', clientSoftwareVersion: '1' };
    return { sent: { kind: 'control', api: apiVersionsApi as ApiCodec<unknown, unknown>, version, correlationId }, frame: frame(apiVersionsApi, version, correlationId, body) };
  }
  const version = pick(r, [1, 4, 9, 12]);
  const body = { ...defaultMetadataRequest(), topics: [{ ...defaultMetadataRequestTopic(), name: VERIFIED }] };
  return { sent: { kind: 'control', api: metadataApi as ApiCodec<unknown, unknown>, version, correlationId }, frame: frame(metadataApi, version, correlationId, body) };
}

function produceFrame(version: number, correlationId: number, topic: string, partition: number, acks: number, batch: Buffer): Buffer {
  return frame(produceApi, version, correlationId, {
    ...defaultProduceRequest(),
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
}

function fetchFrame(version: number, correlationId: number, partition: number, offset: number, maxBytes: number, topic = VERIFIED): Buffer {
  const byId = version >= 13 && topic === VERIFIED;
  return frame(fetchApi, version, correlationId, {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    sessionEpoch: -1,
    topics: [
      {
        topic: byId ? '' : topic,
        topicId: byId ? partitions[partition]!.topicId : ZERO_UUID,
        partitions: [{ ...defaultFetchRequestFetchPartition(), partition, fetchOffset: BigInt(offset), partitionMaxBytes: maxBytes }],
      },
    ],
  });
}

/** Decodes a response frame (after its size prefix) and checks it encodes back to the same bytes. */
function decodeExactly<Resp>(api: ApiCodec<unknown, Resp>, version: number, body: Buffer, where: string): Resp | null {
  try {
    const r = new Reader(body);
    decodeResponseHeader(r, responseHeaderVersion(api.key, version));
    const resp = api.decodeResponse(r, version);
    if (r.remaining !== 0) {
      fail(`${where}: ${api.name} v${version} response has ${r.remaining} bytes after its body (size ${body.length})`);
      return null;
    }
    const w = new Writer(1024);
    encodeResponseHeader(w, { correlationId: body.readInt32BE(0) }, responseHeaderVersion(api.key, version));
    api.encodeResponse(w, resp, version);
    // Compared piece by piece: record data is referenced, not copied, by the Writer.
    let at = 0;
    for (const piece of w.finish()) {
      if (at + piece.length > body.length || !piece.equals(body.subarray(at, at + piece.length))) {
        const d = at + firstDifference(piece, body.subarray(at, at + piece.length));
        fail(`${where}: ${api.name} v${version} response does not encode back to its bytes (first difference at byte ${d} of ${body.length}: got ${hex(body, d)})`);
        return null;
      }
      at += piece.length;
    }
    if (at !== body.length) {
      fail(`${where}: ${api.name} v${version} response encodes back to ${at} bytes, not ${body.length}`);
      return null;
    }
    return resp;
  } catch (e) {
    fail(`${where}: ${api.name} v${version} response does not decode: ${e instanceof Error ? e.message : String(e)}; first bytes ${hex(body, 0)}`);
    return null;
  }
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
const hex = (b: Buffer, at: number): string => b.subarray(at, at + 16).toString('hex');

/** Checks one complete response against the request it answers. */
function checkResponse(sent: Sent, body: Buffer, where: string): void {
  const corr = body.readInt32BE(0);
  if (corr !== sent.correlationId) {
    fail(`${where}: correlation id ${corr} where ${sent.correlationId} (${sent.kind}) was next; first bytes ${hex(body, 0)}`);
    return;
  }
  if (sent.kind === 'control') {
    decodeExactly(sent.api, sent.version, body, where);
    return;
  }
  if (sent.kind === 'produce') {
    const resp = decodeExactly(produceApi as ApiCodec<unknown, ProduceResponse>, sent.version, body, where);
    const p = resp?.responses[0]?.partitionResponses[0];
    if (resp === null) return;
    if (p === undefined || resp.responses[0]!.name !== sent.topic || p.index !== sent.partition) {
      fail(`${where}: produce response for the wrong partition: ${JSON.stringify(resp.responses.map((r) => [r.name, r.partitionResponses.map((x) => x.index)]))}`);
      return;
    }
    if (p.errorCode !== ErrorCode.NONE) fail(`${where}: produce to ${sent.topic}-${sent.partition} failed with error ${p.errorCode} ${p.errorMessage ?? ''}`);
    else if (sent.expectOffset !== null) {
      if (Number(p.baseOffset) !== sent.expectOffset) fail(`${where}: produce to ${sent.topic}-${sent.partition} got base offset ${p.baseOffset}, expected ${sent.expectOffset}`);
      const e = partitions[sent.partition]!;
      e.ackedEnd = Math.max(e.ackedEnd, sent.expectOffset + sent.records);
    }
    return;
  }
  const resp = decodeExactly(fetchApi as ApiCodec<unknown, FetchResponse>, sent.version, body, where);
  if (resp === null) return;
  if (resp.errorCode !== ErrorCode.NONE) {
    fail(`${where}: fetch failed with error ${resp.errorCode}`);
    return;
  }
  const p = resp.responses[0]?.partitions[0];
  if (p === undefined || resp.responses.length !== 1 || p.partitionIndex !== sent.partition) {
    fail(`${where}: fetch response for the wrong partition`);
    return;
  }
  if (p.errorCode !== ErrorCode.NONE) {
    fail(`${where}: fetch of ${VERIFIED}-${sent.partition} at ${sent.offset} failed with error ${p.errorCode}`);
    return;
  }
  checkFetched(sent.partition, sent.offset, recordsOf(p.records), where);
}

/** A decoded records field as one buffer (decoding gives a view of the frame: no copy). */
function recordsOf(records: RecordsData | null): Buffer {
  if (records === null) return Buffer.alloc(0);
  return Buffer.isBuffer(records) ? records : Buffer.concat(records);
}

/** Every fetched batch is exactly the batch produced at its offset, contiguous from `offset`. */
function checkFetched(partition: number, offset: number, records: Buffer, where: string): number {
  const e = partitions[partition]!;
  let batches;
  try {
    batches = scanBatches(records);
  } catch (err) {
    fail(`${where}: fetched records of ${VERIFIED}-${partition} at ${offset} do not parse: ${err instanceof Error ? err.message : String(err)}`);
    return offset;
  }
  if (batches.length === 0 && offset < e.ackedEnd) fail(`${where}: no records fetched from ${VERIFIED}-${partition} at ${offset}, below the acknowledged end ${e.ackedEnd}`);
  let next = offset;
  for (const b of batches) {
    const got = records.subarray(b.position, b.position + b.size);
    const want = e.batches.get(b.baseOffset);
    const last = b.baseOffset + b.lastOffsetDelta;
    const contiguous = next === offset ? b.baseOffset <= offset && last >= offset : b.baseOffset === next;
    if (!contiguous) {
      fail(`${where}: ${VERIFIED}-${partition} fetched from ${offset}: batch at ${b.baseOffset} where ${next} was next`);
      return next;
    }
    // Base offset (0-7) and partition leader epoch (12-15) are the broker's to set; the CRC
    // (17-20) covers everything after it, and every other byte must be what was produced.
    if (want === undefined || want.length !== got.length || !got.subarray(16).equals(want.subarray(16)) || got.readInt32BE(8) !== want.readInt32BE(8)) {
      const at = want === undefined ? -1 : firstDifference(got, want);
      fail(`${where}: ${VERIFIED}-${partition} batch at ${b.baseOffset} differs from the one produced (${want === undefined ? 'none was produced there' : `first difference at byte ${at} of ${got.length}: got ${hex(got, at)}`})`);
      return next;
    }
    next = last + 1;
  }
  return next;
}

// ---- client connections -------------------------------------------------------------------

class Conn {
  private chunks: Buffer[] = [];
  private have = 0;
  received = 0;
  closed = false;
  private waiter: (() => void) | null = null;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.have += d.length;
      this.received += d.length;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
        s.off('error', reject);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** The next complete response frame (without its size), or null; throws on an impossible size. */
  takeFrame(): Buffer | null {
    if (this.have < 4) return null;
    if (this.chunks[0]!.length < 4) this.chunks = [Buffer.concat(this.chunks)];
    const size = this.chunks[0]!.readInt32BE(0);
    if (size < 4 || size > MAX_RESPONSE) throw new Error(`invalid response size ${size} (0x${(size >>> 0).toString(16)}); next bytes ${hex(this.chunks[0]!, 0)}`);
    if (this.have < 4 + size) return null;
    if (this.chunks[0]!.length < 4 + size) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const body = first.subarray(4, 4 + size);
    if (first.length === 4 + size) this.chunks.shift();
    else this.chunks[0] = first.subarray(4 + size);
    this.have -= 4 + size;
    return body;
  }

  /** Waits for more bytes, the close, or `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Reads the responses to `sent` in order and checks each; false if the connection closed first. */
  async readAll(sent: readonly Sent[], where: string, deadlineMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + deadlineMs;
    for (const s of sent) {
      if (s.kind === 'produce' && s.acks === 0) continue;
      for (;;) {
        const body = this.takeFrame();
        if (body !== null) {
          checkResponse(s, body, where);
          break;
        }
        if (this.closed) return false;
        if (Date.now() > deadline) {
          fail(`${where}: no response to correlation id ${s.correlationId} within ${deadlineMs} ms`);
          return false;
        }
        await this.wait(1000);
      }
    }
    return true;
  }
}

// ---- the broker and its topics ------------------------------------------------------------

const samsa = await SamsaProcess.start({
  overrides: {
    'samsa.debug.poison.buffers': 'true',
    // Data lives only as long as the test; fsyncs would only slow the closes down.
    'samsa.log.fsync.enable': 'false',
    'auto.create.topics.enable': 'false',
  },
});
t.teardown(() => samsa.close());

{
  const c = await Conn.open(samsa.port);
  const body = {
    ...defaultCreateTopicsRequest(),
    topics: [
      { name: VERIFIED, numPartitions: VERIFIERS, replicationFactor: 1, assignments: [], configs: [] },
      {
        name: VICTIM_TOPIC,
        numPartitions: VICTIM_PARTITIONS,
        replicationFactor: 1,
        assignments: [],
        configs: [{ name: 'segment.bytes', value: String(8 << 20) }],
      },
    ],
  };
  c.socket.write(frame(createTopicsApi, 7, 1, body));
  let resp: Buffer | null = null;
  while ((resp = c.takeFrame()) === null && !c.closed) await c.wait(1000);
  if (resp === null) throw new Error('no CreateTopics answer');
  const r = new Reader(resp);
  decodeResponseHeader(r, responseHeaderVersion(createTopicsApi.key, 7));
  const created = createTopicsApi.decodeResponse(r, 7);
  for (const topic of created.topics) if (topic.errorCode !== 0) throw new Error(`create ${topic.name}: ${topic.errorCode}`);
  const topicId = created.topics.find((x) => x.name === VERIFIED)!.topicId;
  for (let i = 0; i < VERIFIERS; i++) partitions.push({ batches: new Map(), sentEnd: 0, ackedEnd: 0, bytes: 0, topicId });
  c.socket.destroy();
}

// ---- verifiers: pipelined produce and fetch, every byte checked ----------------------------

let stop = false;
let verifierRounds = 0;

async function verifier(id: number): Promise<void> {
  const r = rng(SEED, 1, id);
  const c = await Conn.open(samsa.port);
  let corr = between(r, 0, 1 << 30);
  let seq = 0;
  const e = partitions[id]!;
  const where = `verifier ${id}`;
  try {
    while (!stop && failures.length === 0) {
      const sent: Sent[] = [];
      const out: Buffer[] = [];
      if (e.bytes < PARTITION_CAP) {
        const n = between(r, 1, 8);
        for (let i = 0; i < n; i++) {
          const records = between(r, 1, 6);
          seq++;
          const batch = buildBatch({
            baseOffset: 0,
            records: Array.from({ length: records }, (_, k) => ({ key: Buffer.from(`v${id}-${seq}-${k}`), value: payload(r, `verifier ${id} batch ${seq} record ${k}:`, between(r, 200, 24_000)), timestamp: Date.now() })),
          });
          const acks = i < n - 1 && r() < 0.2 ? 0 : pick(r, [1, -1]);
          const version = pick(r, [3, 7, 9]);
          sent.push({ kind: 'produce', version, correlationId: ++corr, acks, partition: id, topic: VERIFIED, expectOffset: e.sentEnd, records });
          out.push(produceFrame(version, corr, VERIFIED, id, acks, batch));
          e.batches.set(e.sentEnd, batch);
          e.sentEnd += records;
          e.bytes += batch.length;
        }
      }
      const m = between(r, 1, 8);
      for (let i = 0; i < m; i++) {
        // Any verified partition with acknowledged data: this one's or another verifier's.
        if (r() < 0.15) {
          const control = controlRequest(r, ++corr);
          sent.push(control.sent);
          out.push(control.frame);
          continue;
        }
        const partition = r() < 0.5 ? id : between(r, 0, VERIFIERS - 1);
        const ackedEnd = partitions[partition]!.ackedEnd;
        if (ackedEnd === 0) continue;
        const version = pick(r, [4, 11, 12, 15]);
        const offset = between(r, 0, ackedEnd - 1);
        sent.push({ kind: 'fetch', version, correlationId: ++corr, partition, offset });
        out.push(fetchFrame(version, corr, partition, offset, between(r, 16 << 10, 1 << 20)));
      }
      // Written in pieces that cut frames anywhere, as a client's writes may be.
      const all = Buffer.concat(out);
      for (let pos = 0; pos < all.length; ) {
        const n = Math.min(all.length - pos, between(r, 1, 256 << 10));
        c.socket.write(all.subarray(pos, pos + n));
        pos += n;
      }
      if (!(await c.readAll(sent, where))) {
        fail(`${where}: the broker closed a connection that did nothing wrong`);
        break;
      }
      verifierRounds++;
    }
  } catch (err) {
    fail(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    c.socket.destroy();
  }
}

// ---- victims: closed from the client side at a random point --------------------------------

/**
 * `many-small`: dozens of small fetches, not read, then closed: most are answered after the close
 * and released unwritten, the rest wait behind a full socket. Others pipeline a few large requests.
 */
type CloseWhen = 'mid-write' | 'after-send' | 'mid-read' | 'not-reading' | 'many-small';
type CloseHow = 'reset' | 'destroy' | 'end';
const closeCounts = new Map<string, number>();
const closeMs = new Map<string, number>();
let closes = 0;
let victimResponses = 0;

/** What victims produce (never read back): built once, since building costs more than sending. */
const victimBatches = Array.from({ length: 16 }, (_, i) => {
  const r = rng(SEED, 4, i);
  return buildBatch({ baseOffset: 0, records: [{ key: null, value: payload(r, `victim batch ${i}:`, between(r, 16 << 10, 48 << 10)), timestamp: Date.now() }] });
});
/** The victims' batches by CRC (bytes 17-20), to recognise them in the log. */
const victimBatchByCrc = new Map(victimBatches.map((b) => [b.readUInt32BE(17), b]));
let victimBatchesInLog = 0;

async function victim(index: number): Promise<void> {
  const r = rng(SEED, 3, index);
  const when = pick<CloseWhen>(r, ['mid-write', 'after-send', 'mid-read', 'mid-read', 'not-reading', 'many-small']);
  const how = pick<CloseHow>(r, ['reset', 'reset', 'destroy', 'end']);
  const where = `victim ${index} (${when}, ${how})`;
  const sent: Sent[] = [];
  const out: Buffer[] = [];
  let corr = between(r, 0, 1 << 30);
  const many = when === 'many-small';
  const n = many ? between(r, 20, 60) : between(r, 1, 5);
  for (let i = 0; i < n; i++) {
    const ackedEnd = partitions.map((p) => p.ackedEnd);
    if (r() < 0.1) {
      const control = controlRequest(r, ++corr);
      sent.push(control.sent);
      out.push(control.frame);
    } else if ((!many && r() < 0.4) || ackedEnd.every((a) => a === 0)) {
      const partition = between(r, 0, VICTIM_PARTITIONS - 1);
      const acks = pick(r, [0, 1, -1]);
      const version = pick(r, [3, 9]);
      const batch = pick(r, victimBatches);
      sent.push({ kind: 'produce', version, correlationId: ++corr, acks, partition, topic: VICTIM_TOPIC, expectOffset: null, records: 1 });
      out.push(produceFrame(version, corr, VICTIM_TOPIC, partition, acks, batch));
    } else {
      let partition = between(r, 0, VERIFIERS - 1);
      while (ackedEnd[partition] === 0) partition = (partition + 1) % VERIFIERS;
      const version = pick(r, [4, 12, 15]);
      const offset = between(r, 0, ackedEnd[partition]! - 1);
      sent.push({ kind: 'fetch', version, correlationId: ++corr, partition, offset });
      out.push(fetchFrame(version, corr, partition, offset, many ? between(r, 16 << 10, 24 << 10) : between(r, 16 << 10, 512 << 10)));
    }
  }
  const all = Buffer.concat(out);
  const cut = between(r, 1, all.length - 1);
  const readUpTo = between(r, 1, 512 << 10);
  const delay = many ? between(r, 1, 30) : pick(r, [0, 0, 1, 2, 5, 20]);

  const began = Date.now();
  const c = await Conn.open(samsa.port);
  const expected = sent.filter((s) => !(s.kind === 'produce' && s.acks === 0));
  let answered = 0;
  /** Checks the responses complete so far: whatever arrives before the close must be right too. */
  const takeResponses = (): void => {
    for (let body: Buffer | null; answered < expected.length && (body = c.takeFrame()) !== null; answered++) {
      checkResponse(expected[answered]!, body, where);
      victimResponses++;
    }
  };
  if (when === 'not-reading' || many) c.socket.pause();
  c.socket.write(when === 'mid-write' ? all.subarray(0, cut) : all);
  try {
    if (when === 'mid-read') {
      const deadline = Date.now() + 10_000;
      while (c.received < readUpTo && answered < expected.length && !c.closed && Date.now() < deadline) {
        await c.wait(50);
        takeResponses();
      }
    } else if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    else if (r() < 0.5) await new Promise((resolve) => setImmediate(resolve));

    if (how === 'reset') c.socket.resetAndDestroy();
    else if (how === 'destroy') c.socket.destroy();
    else {
      c.socket.end();
      await c.wait(between(r, 0, 20));
      c.socket.destroy();
    }
    closes++;
    const key = `${when}/${how}`;
    closeCounts.set(key, (closeCounts.get(key) ?? 0) + 1);
    closeMs.set(key, (closeMs.get(key) ?? 0) + Date.now() - began);
    takeResponses();
  } catch (err) {
    c.socket.destroy();
    fail(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---- the run ------------------------------------------------------------------------------

t.test(`client-side closes at random points leave other connections' responses intact (seed ${SEED})`, async (t) => {
  const started = Date.now();
  const verifiers = Array.from({ length: VERIFIERS }, (_, i) => verifier(i));
  // Let the verified partitions get some data before the victims start reading them.
  while (partitions.some((p) => p.ackedEnd === 0) && failures.length === 0 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 20));
  let next = 0;
  const workers = Array.from({ length: VICTIMS_AT_ONCE }, async () => {
    while (next < CLOSES && failures.length === 0 && Date.now() - started < MAX_MS) {
      const i = next++;
      try {
        await victim(i);
      } catch (err) {
        fail(`victim ${i}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  });
  await Promise.all(workers);
  stop = true;
  await Promise.all(verifiers);
  const elapsed = Date.now() - started;
  console.log(`# ${closes} closes in ${elapsed} ms (${[...closeCounts].map(([k, v]) => `${k} ${v} (${Math.round(closeMs.get(k)! / v)} ms)`).join(', ')}); ${victimResponses} victim responses and ${verifierRounds} verifier rounds checked`);

  if (failures.length === 0) await finalRead();
  console.log(`# final read: ${victimBatchesInLog} batches appended by victims checked`);
  for (const f of failures) console.log(`# FAILED: ${f}`);
  // A broker that died: let its last words arrive.
  if (failures.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  if (failures.length > 0) console.log(`# broker log tail:\n${samsa.stderr.slice(-4000).replace(/^/gm, '#   ')}`);
  t.same(failures, [], `no corrupt, misordered or missing response (seed ${SEED})`);
  t.equal(closes, CLOSES, `all ${CLOSES} closes done within ${MAX_MS} ms`);
  t.match(samsa.stderr, /samsa\.debug\.poison\.buffers=true/, 'the broker ran with poisoned buffers');
  t.notMatch(samsa.stderr, /request failed|given back twice|Uncaught|failed: /, 'the broker logged no failed request');
});

/**
 * Reads every partition of both topics to its end: the verified ones hold exactly what was
 * produced, and every batch that a victim's append left in the victims topic is intact.
 */
async function finalRead(): Promise<void> {
  const c = await Conn.open(samsa.port);
  let corr = 0;
  const fetchOnce = async (topic: string, p: number, offset: number): Promise<FetchResponsePartitionData | null> => {
    const correlationId = ++corr;
    c.socket.write(fetchFrame(12, correlationId, p, offset, 1 << 20, topic));
    let body: Buffer | null;
    while ((body = c.takeFrame()) === null && !c.closed) await c.wait(1000);
    if (body === null) {
      fail('final read: connection closed');
      return null;
    }
    const resp = decodeExactly(fetchApi as ApiCodec<unknown, FetchResponse>, 12, body, 'final read');
    const part = resp?.responses[0]?.partitions[0];
    if (part === undefined) return null;
    if (part.errorCode !== 0) {
      fail(`final read of ${topic}-${p} at ${offset}: error ${part.errorCode}`);
      return null;
    }
    return part;
  };
  try {
    for (let p = 0; p < VERIFIERS; p++) {
      const e = partitions[p]!;
      for (let offset = 0; offset < e.sentEnd; ) {
        const part = await fetchOnce(VERIFIED, p, offset);
        if (part === null) return;
        if (part.highWatermark !== BigInt(e.sentEnd)) return fail(`final read: ${VERIFIED}-${p} high watermark ${part.highWatermark}, ${e.sentEnd} records were produced`);
        const next = checkFetched(p, offset, recordsOf(part.records), 'final read');
        if (next === offset) return;
        offset = next;
      }
    }
    for (let p = 0; p < VICTIM_PARTITIONS; p++) {
      for (let offset = 0; ; ) {
        const part = await fetchOnce(VICTIM_TOPIC, p, offset);
        if (part === null) return;
        const records = recordsOf(part.records);
        if (records.length === 0) {
          if (BigInt(offset) !== part.highWatermark) fail(`final read: nothing at ${VICTIM_TOPIC}-${p} offset ${offset}, below its high watermark ${part.highWatermark}`);
          break;
        }
        for (const b of scanBatches(records)) {
          const got = records.subarray(b.position, b.position + b.size);
          const want = victimBatchByCrc.get(got.readUInt32BE(17));
          if (want === undefined || want.length !== got.length || !got.subarray(16).equals(want.subarray(16))) {
            fail(`final read: ${VICTIM_TOPIC}-${p} batch at ${b.baseOffset} is none of the batches victims produced (first bytes after the epoch: ${hex(got, 16)})`);
            return;
          }
          victimBatchesInLog++;
          offset = b.baseOffset + b.lastOffsetDelta + 1;
        }
      }
    }
  } finally {
    c.socket.destroy();
  }
}
