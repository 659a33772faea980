/**
 * The request fuzzer against a real `bin/samsa` process: asks ApiVersions what the broker
 * speaks, then sends seeded cases (request-values.ts) one at a time for a bounded time. Each case
 * must be answered (with its correlation id, in a response the generated codec decodes exactly)
 * or the connection closed, within a deadline; the process must stay up and under a resident-set
 * ceiling, and must not log a handler failure (an exception answered as UNKNOWN_SERVER_ERROR).
 * `checkServesClients` then proves a normal produce and fetch still work.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  apiByKey,
  apiVersionsApi,
  createTopicsApi,
  decodeResponseHeader,
  defaultApiVersionsRequest,
  defaultCreateTopicsRequest,
  defaultProduceRequest,
  encodeRequestHeader,
  fetchApi,
  produceApi,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../protocol/messages/index.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import type { SamsaProcess } from '../harness/samsa-process.js';
import { buildCase, describeCase, type AdvertisedApi, type FuzzCase, type FuzzTargets } from './request-values.js';
import { randomSeed } from './random.js';

/**
 * Broker settings for fuzzing: groups answer at once, and short session timeouts are allowed. The
 * partition caps are lowered so that the partitions fuzzed CreateTopics and CreatePartitions may
 * legitimately create (each an open log with its index in memory) fit the memory ceiling; the
 * caps themselves are what is being checked, at any size.
 */
export const FUZZ_BROKER_OVERRIDES: Record<string, string> = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '10',
  'samsa.max.partitions.per.request': '1000',
  'samsa.max.partitions': '3000',
};

export interface FuzzOptions {
  seed: number;
  seconds: number;
  /**
   * How long the broker may take to answer or close (default 5 s), plus `deadlinePerMiBMs` for
   * each MiB of the request: tens of thousands of groups or partitions in one request are work
   * proportional to their number, which is slow, not a hang.
   */
  deadlineMs?: number;
  deadlinePerMiBMs?: number;
  /**
   * Resident-set ceiling of the broker process (default 512 MB). V8 grows its old space lazily
   * under this allocation pattern (requests decoding into tens of thousands of objects), so the
   * resident set of a healthy broker plateaus at 330-400 MB over thousands of cases, depending on
   * when collections happen; the blow-ups this guards against are measured in gigabytes.
   */
  rssLimitBytes?: number;
  /** A reason to skip a case, or null to send it. */
  exclude?: (c: FuzzCase) => string | null;
  log?: (line: string) => void;
  /** Send only these case numbers of the seed (replaying a finding), ignoring `seconds`. */
  only?: readonly number[];
}

export interface FuzzReport {
  seed: number;
  cases: number;
  answered: number;
  closed: number;
  unencodable: number;
  excluded: Map<string, number>;
  /** Cases sent per API name. */
  perApi: Map<string, number>;
  maxRssBytes: number;
  /** Handler failures logged by the broker, first line each, with the case that was in flight. */
  handlerFailures: string[];
  /** Set when the run stopped on a crash, hang, bad response or memory blow-up. */
  failure: string | null;
  /** Where the failing case's frame was written, for a regression test. */
  failureFrame: string | null;
}

/** Reads seed and duration from SAMSA_FUZZ_SEED and SAMSA_FUZZ_SECONDS, with defaults. */
export function fuzzSettingsFromEnv(defaultSeconds: number): { seed: number; seconds: number } {
  const s = process.env['SAMSA_FUZZ_SEED'];
  const secs = process.env['SAMSA_FUZZ_SECONDS'];
  const seed = s !== undefined && s !== '' ? Number(s) >>> 0 : randomSeed();
  const seconds = secs !== undefined && secs !== '' ? Number(secs) : defaultSeconds;
  return { seed, seconds };
}

/** A connection that sends one frame and waits for one response or the close. */
class FuzzConnection {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.bytes += d.length;
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static open(host: string, port: number): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => {
        s.off('error', reject);
        resolve(new FuzzConnection(s));
      });
      s.once('error', reject);
    });
  }

  write(frame: Buffer): void {
    this.socket.write(frame);
  }

  /** The next response frame (without its size), null on close, 'timeout' past the deadline. */
  async next(deadline: number): Promise<Buffer | null | 'timeout'> {
    for (;;) {
      if (this.bytes >= 4) {
        const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
        this.chunks = [all];
        const size = all.readInt32BE(0);
        if (all.length >= 4 + size) {
          const out = all.subarray(4, 4 + size);
          const rest = all.subarray(4 + size);
          this.chunks = rest.length > 0 ? [rest] : [];
          this.bytes = rest.length;
          return out;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = null;
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** VmRSS of a process in bytes, or null once it is gone. */
export function residentSetBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Asks the broker which APIs and versions it speaks. */
export async function advertisedApis(samsa: SamsaProcess): Promise<AdvertisedApi[]> {
  const c = await RawConnection.open(samsa.host, samsa.port);
  try {
    const av = await c.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'samsa-fuzz', clientSoftwareVersion: '1' });
    if (av.errorCode !== ErrorCode.NONE) throw new Error(`ApiVersions failed: ${av.errorCode}`);
    return av.apiKeys.map((k) => ({ key: k.apiKey, minVersion: k.minVersion, maxVersion: k.maxVersion }));
  } finally {
    c.close();
  }
}

/** Topics and groups for typical values to aim at: a plain topic with data, and a compacted one. */
export async function prepareTargets(samsa: SamsaProcess): Promise<FuzzTargets> {
  const c = await RawConnection.open(samsa.host, samsa.port);
  try {
    const topics = [
      { name: 'fuzz', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'fuzz-compact', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] },
    ];
    const created = await c.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics, timeoutMs: 5000 });
    for (const t of created.topics) if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new Error(`creating ${t.name}: ${t.errorCode}`);
    for (const name of ['fuzz', 'fuzz-compact']) {
      const records = buildBatch({ baseOffset: 0, records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: Date.now() }] });
      await c.request(produceApi, 9, { ...defaultProduceRequest(), acks: -1, timeoutMs: 5000, topicData: [{ name, partitionData: [{ index: 0, records }] }] });
    }
    return { topics: ['fuzz', 'fuzz-compact'], groups: ['fuzz-group', 'fuzz-group-2', ''] };
  } finally {
    c.close();
  }
}

/**
 * Produce with acks=0 is never answered, and a corrupted case may or may not be acks=0: Produce
 * cases are followed by this ApiVersions v0 request, whose answer shows the broker got past them.
 */
const PROBE_CORRELATION_ID = -7;
const probeFrame: Buffer = (() => {
  const w = new Writer();
  const setSize = w.reserveInt32();
  encodeRequestHeader(w, { requestApiKey: apiVersionsApi.key, requestApiVersion: 0, correlationId: PROBE_CORRELATION_ID, clientId: 'probe' }, requestHeaderVersion(apiVersionsApi.key, 0));
  apiVersionsApi.encodeRequest(w, defaultApiVersionsRequest(), 0);
  setSize(w.length - 4);
  return w.toBuffer();
})();

/** Sends a case; the outcome is its response, null for a closed connection, or a reason it failed. */
async function exchange(conn: FuzzConnection, c: FuzzCase, frame: Buffer, deadlineMs: number): Promise<{ response: Buffer | null } | { failure: string }> {
  const deadline = Date.now() + deadlineMs;
  const probed = c.apiKey === produceApi.key;
  conn.write(frame);
  if (probed) conn.write(probeFrame);
  let response: Buffer | null = null;
  for (;;) {
    const res = await conn.next(deadline);
    if (res === 'timeout') return { failure: `neither answered nor closed within ${deadlineMs} ms` };
    if (res === null) return { response: null };
    if (probed && res.length >= 4 && res.readInt32BE(0) === PROBE_CORRELATION_ID) return { response };
    if (response !== null) return { failure: 'two responses to one request' };
    response = res;
    if (!probed) return { response };
  }
}

/** The response must carry the request's correlation id and decode exactly at its version. */
function checkResponse(c: FuzzCase, body: Buffer): string | null {
  try {
    const r = new Reader(body);
    const header = decodeResponseHeader(r, responseHeaderVersion(c.apiKey, c.version));
    if (header.correlationId !== c.index) return `response carries correlation id ${header.correlationId}, expected ${c.index}`;
    apiByKey[c.apiKey]!.decodeResponse(r, c.version);
    r.expectEnd(`${c.apiName} v${c.version} response`);
    return null;
  } catch (e) {
    return `response does not decode: ${(e as Error).message}`;
  }
}

/** New `failed:` lines in the broker's log since `from` (handler exceptions), first line of each. */
function handlerFailuresIn(log: string, from: number): string[] {
  const out: string[] = [];
  const re = /\b(\w+ v\d+) from \S+ failed: ([^\n]*)/g;
  re.lastIndex = from;
  for (let m = re.exec(log); m !== null; m = re.exec(log)) out.push(`${m[1]}: ${m[2]}`);
  return out;
}

export async function runRequestFuzzer(samsa: SamsaProcess, opts: FuzzOptions): Promise<FuzzReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const deadlineMs = opts.deadlineMs ?? 5000;
  const perMiB = opts.deadlinePerMiBMs ?? 2000;
  const rssLimit = opts.rssLimitBytes ?? 512 * 1024 * 1024;
  const report: FuzzReport = {
    seed: opts.seed,
    cases: 0,
    answered: 0,
    closed: 0,
    unencodable: 0,
    excluded: new Map(),
    perApi: new Map(),
    maxRssBytes: 0,
    handlerFailures: [],
    failure: null,
    failureFrame: null,
  };
  const pid = samsa.pid;
  if (pid === null) throw new Error('broker is not running');
  const apis = await advertisedApis(samsa);
  const targets = await prepareTargets(samsa);
  log(`request fuzzer: seed ${opts.seed} (replay with SAMSA_FUZZ_SEED=${opts.seed}), ${opts.seconds} s, ${apis.length} APIs`);
  const seenFailures = new Set<string>();
  let logPos = samsa.stderr.length;
  let conn: FuzzConnection | null = null;
  const fail = (c: FuzzCase, reason: string): void => {
    report.failure = `${describeCase(c)}: ${reason}`;
    if (c.frame !== null) {
      report.failureFrame = join(tmpdir(), `samsa-fuzz-${opts.seed}-${c.index}.bin`);
      writeFileSync(report.failureFrame, c.frame);
    }
  };
  const end = Date.now() + opts.seconds * 1000;
  try {
    const only = opts.only ?? null;
    for (let i = 1; only !== null ? i <= only.length : Date.now() < end; i++) {
      const index = only !== null ? only[i - 1]! : i;
      const c = buildCase(opts.seed, index, apis, targets);
      if (only !== null) log(`case ${describeCase(c)}`);
      if (c.frame === null) {
        report.unencodable++;
        continue;
      }
      const why = opts.exclude?.(c) ?? null;
      if (why !== null) {
        report.excluded.set(why, (report.excluded.get(why) ?? 0) + 1);
        continue;
      }
      report.cases++;
      report.perApi.set(c.apiName, (report.perApi.get(c.apiName) ?? 0) + 1);
      conn ??= await FuzzConnection.open(samsa.host, samsa.port);
      const started = Date.now();
      const deadline = deadlineMs + Math.round((perMiB * c.frame.length) / 2 ** 20);
      const out = await exchange(conn, c, c.frame, deadline);
      if ('failure' in out) {
        fail(c, out.failure);
        break;
      }
      const res = out.response;
      if (res === null && conn.closed) {
        report.closed++;
        conn.close();
        conn = null;
      } else if (res === null) report.answered++; // acks=0: nothing to check but the probe's answer
      else {
        report.answered++;
        const bad = checkResponse(c, res);
        if (bad !== null) {
          fail(c, bad);
          break;
        }
      }
      if (samsa.hasExited) {
        fail(c, `the broker exited:\n${samsa.stderr.slice(-4000)}`);
        break;
      }
      const rss = residentSetBytes(pid);
      if (rss === null) {
        await new Promise((r) => setTimeout(r, 200)); // let the last of its log arrive
        fail(c, `the broker process is gone:\n${samsa.stderr.slice(-4000)}`);
        break;
      }
      report.maxRssBytes = Math.max(report.maxRssBytes, rss);
      if (rss > rssLimit) {
        fail(c, `resident set ${(rss / 2 ** 20).toFixed(0)} MB exceeds ${(rssLimit / 2 ** 20).toFixed(0)} MB`);
        break;
      }
      if (samsa.stderr.length < logPos) logPos = 0; // the harness trimmed its copy of the log
      for (const f of handlerFailuresIn(samsa.stderr, logPos)) {
        if (seenFailures.has(f)) continue;
        seenFailures.add(f);
        report.handlerFailures.push(`${f} (around ${describeCase(c)})`);
      }
      logPos = samsa.stderr.length;
      const took = Date.now() - started;
      if (took > 1000 || only !== null) log(`slow: ${describeCase(c)} took ${took} ms`);
      report.cases % 500 === 0 && log(`${report.cases} cases, rss ${(report.maxRssBytes / 2 ** 20).toFixed(0)} MB max`);
    }
  } finally {
    conn?.close();
  }
  return report;
}

/** A normal client still works: create a topic, produce with acks=all, fetch the records back. */
export async function checkServesClients(samsa: SamsaProcess): Promise<void> {
  const c = await RawConnection.open(samsa.host, samsa.port);
  try {
    const topic = `after-fuzz-${Date.now()}`;
    const created = await c.request(createTopicsApi, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
    });
    if (created.topics[0]?.errorCode !== ErrorCode.NONE) throw new Error(`CreateTopics after fuzzing: error ${created.topics[0]?.errorCode}`);
    const values = ['one', 'two', 'three'];
    const records = buildBatch({ baseOffset: 0, records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })) });
    const produced = await c.request(produceApi, 9, { ...defaultProduceRequest(), acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    const pr = produced.responses[0]?.partitionResponses[0];
    if (pr?.errorCode !== ErrorCode.NONE) throw new Error(`Produce after fuzzing: error ${pr?.errorCode}`);
    const fetched = await c.request(fetchApi, 12, fetchRequest({ topic, offset: 0 }));
    const p = fetched.responses[0]?.partitions[0];
    if (p?.errorCode !== ErrorCode.NONE) throw new Error(`Fetch after fuzzing: error ${p?.errorCode}`);
    const bytes = Buffer.concat(Array.isArray(p.records) ? p.records : [p.records as Buffer]);
    const got = scanBatches(bytes).flatMap((b) => readRecords(bytes, b).map((r) => r.value?.toString()));
    if (got.join(',') !== values.join(',')) throw new Error(`Fetch after fuzzing returned ${JSON.stringify(got)}`);
  } finally {
    c.close();
  }
}

export function formatReport(r: FuzzReport): string {
  const lines = [
    `seed ${r.seed}: ${r.cases} cases sent (${r.answered} answered, ${r.closed} closed), ${r.unencodable} unencodable, max RSS ${(r.maxRssBytes / 2 ** 20).toFixed(0)} MB`,
    `per API: ${[...r.perApi.entries()].map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  for (const [why, n] of r.excluded) lines.push(`excluded ${n}: ${why}`);
  for (const f of r.handlerFailures) lines.push(`handler failure: ${f}`);
  if (r.failure !== null) lines.push(`FAILURE ${r.failure}`);
  if (r.failureFrame !== null) lines.push(`failing frame written to ${r.failureFrame}`);
  return lines.join('\n');
}
