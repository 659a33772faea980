/**
 * Crash durability: producers append with acks=-1 to a 3-partition topic while the broker is
 * killed with SIGKILL at a random moment (small segments, so some kills land on segment rolls).
 * After each restart every partition is read back from offset 0 to the high watermark and must
 * hold every acknowledged record exactly once at its acknowledged offset, with contiguous offsets,
 * valid CRCs, no duplicated value and values in the order they were sent. A final SIGTERM restart
 * gets the same check. Set CRASH_SEED to replay the random choices (timing still varies).
 */
import t, { type Test } from 'tap';
import { cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchRequest, RawConnection } from '../../protocol/test/raw-client.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import {
  createTopicsApi,
  defaultCreateTopicsRequest,
  defaultProduceRequest,
  fetchApi,
  produceApi,
} from '../../protocol/messages/index.js';
import { buildBatch, readRecords, scanBatches } from '../../protocol/records/index.js';

const TOPIC = 'crash';
const PARTITIONS = 3;
const ROUNDS = 5;
/** ERROR lines the broker may legitimately log around a crash (none so far). */
const EXPECTED_ERRORS: RegExp[] = [];

const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 2 ** 31);
let rngState = seed >>> 0;
/** mulberry32: a small seeded PRNG so a failing run's choices can be replayed. */
function rand(): number {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let x = rngState;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
}
const randInt = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface AckedBatch {
  round: string;
  baseOffset: number;
  values: string[];
}

interface LogRecord {
  offset: number;
  value: string;
  batchBase: number;
}

const samsa = await SamsaProcess.start({ overrides: { 'log.segment.bytes': '65536' } });
let keepEvidence = false;
t.teardown(async () => {
  if (keepEvidence) {
    const dest = join(tmpdir(), `samsa-crash-evidence-${Date.now()}`);
    await samsa.stop('SIGKILL');
    cpSync(samsa.dataDir, dest, { recursive: true });
    console.error(`# crash test: data dir of the failing run copied to ${dest}`);
  }
  await samsa.close();
});

t.comment(`crash test seed ${seed} (CRASH_SEED=${seed} to replay)`);

/** Every acknowledged batch, per partition. */
const acked: AckedBatch[][] = Array.from({ length: PARTITIONS }, () => []);
/** The next sequence number each partition's producer will use for a value `p{p}-{n}`. */
const nextN: number[] = new Array<number>(PARTITIONS).fill(0);
let ackedRecords = 0;
let ackedBatches = 0;

async function createTopic(): Promise<void> {
  const conn = await RawConnection.open(samsa.host, samsa.port);
  try {
    const res = await conn.request(createTopicsApi, 7, {
      ...defaultCreateTopicsRequest(),
      topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
    });
    const r = res.topics[0]!;
    if (r.errorCode !== 0) throw new Error(`create ${TOPIC}: ${r.errorCode} ${r.errorMessage}`);
  } finally {
    conn.close();
  }
}

interface LoopResult {
  sent: number;
  acked: number;
  refused: Map<number, number>;
  ended: string;
}

/**
 * One producer for one partition: acks=-1 Produce v9, one request in flight, 1–20 records per
 * batch. Runs until the connection fails (the broker was killed) or `stop.stopped`.
 */
async function producerLoop(p: number, round: string, stop: { stopped: boolean }): Promise<LoopResult> {
  const result: LoopResult = { sent: 0, acked: 0, refused: new Map(), ended: 'stopped' };
  let conn: RawConnection;
  try {
    conn = await RawConnection.open(samsa.host, samsa.port);
  } catch (e) {
    result.ended = `connect failed: ${String(e)}`;
    return result;
  }
  try {
    while (!stop.stopped) {
      const count = randInt(1, 20);
      const values: string[] = [];
      for (let i = 0; i < count; i++) values.push(`p${p}-${nextN[p]!++}`);
      const now = Date.now();
      // A key of random size pads the records so 64 KiB segments roll often.
      const batch = buildBatch({
        baseOffset: 0,
        records: values.map((v) => ({ key: Buffer.alloc(randInt(20, 300), 0x61 + p), value: Buffer.from(v), timestamp: now })),
      });
      result.sent++;
      const res = await conn.request(produceApi, 9, {
        ...defaultProduceRequest(),
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: TOPIC, partitionData: [{ index: p, records: batch }] }],
      });
      const pr = res.responses[0]!.partitionResponses[0]!;
      if (pr.errorCode === 0) {
        acked[p]!.push({ round, baseOffset: Number(pr.baseOffset), values });
        result.acked++;
        ackedRecords += values.length;
        ackedBatches++;
      } else {
        result.refused.set(pr.errorCode, (result.refused.get(pr.errorCode) ?? 0) + 1);
      }
    }
  } catch (e) {
    result.ended = e instanceof Error ? e.message : String(e);
  } finally {
    conn.close();
  }
  return result;
}

/** Reads a whole partition, 0 to the high watermark, with Fetch v12. CRCs are verified by scanBatches. */
async function readPartition(conn: RawConnection, p: number): Promise<{ hw: number; logStart: number; records: LogRecord[] }> {
  const records: LogRecord[] = [];
  let offset = 0;
  let hw = -1;
  let logStart = -1;
  for (let guard = 0; guard < 100_000; guard++) {
    const res = await conn.request(fetchApi, 12, fetchRequest({ topic: TOPIC, partition: p, offset }));
    if (res.errorCode !== 0) throw new Error(`fetch p${p} at ${offset}: top-level error ${res.errorCode}`);
    const pd = res.responses[0]?.partitions[0];
    if (pd === undefined) throw new Error(`fetch p${p} at ${offset}: no partition in the response`);
    if (pd.errorCode !== 0) throw new Error(`fetch p${p} at ${offset}: error ${pd.errorCode}`);
    hw = Number(pd.highWatermark);
    logStart = Number(pd.logStartOffset);
    if (offset >= hw) break;
    const buf = Buffer.concat(Array.isArray(pd.records) ? pd.records : pd.records === null ? [] : [pd.records as Buffer]);
    let batches;
    try {
      batches = scanBatches(buf, { allowPartialTail: true });
    } catch (e) {
      throw new Error(`fetch p${p} at ${offset}: corrupt data (${buf.length} bytes): ${e instanceof Error ? e.message : String(e)}`);
    }
    if (batches.length === 0) throw new Error(`fetch p${p} at ${offset}: no whole batch below the high watermark ${hw} (${buf.length} bytes returned)`);
    for (const b of batches) {
      for (const r of readRecords(buf, b)) records.push({ offset: r.offset, value: r.value?.toString('utf8') ?? 'null', batchBase: b.baseOffset });
      offset = b.baseOffset + b.lastOffsetDelta + 1;
    }
  }
  return { hw, logStart, records };
}

/** Checks every partition against what was acknowledged; returns whether all was well. */
async function verify(t: Test, label: string): Promise<boolean> {
  const conn = await RawConnection.open(samsa.host, samsa.port);
  let ok = true;
  try {
    const ends: string[] = [];
    let survivors = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      let read: Awaited<ReturnType<typeof readPartition>>;
      try {
        read = await readPartition(conn, p);
      } catch (e) {
        t.fail(`${label} partition ${p}: ${e instanceof Error ? e.message : String(e)}`);
        ok = false;
        continue;
      }
      const { hw, logStart, records } = read;
      const problems: string[] = [];
      const note = (msg: string): void => {
        if (problems.length < 20) problems.push(msg);
        else if (problems.length === 20) problems.push('... more problems left off');
      };
      if (logStart !== 0) note(`log start offset ${logStart}, expected 0`);
      if (records.length !== hw) note(`${records.length} records read but the high watermark is ${hw}`);
      // Contiguous offsets from 0.
      for (let i = 0; i < records.length; i++) {
        if (records[i]!.offset !== i) {
          note(`record #${i} has offset ${records[i]!.offset} (batch base ${records[i]!.batchBase}); offsets must be contiguous from 0`);
          break;
        }
      }
      // No value twice, values well-formed, sent, and in increasing order.
      const seen = new Map<string, number>();
      let lastN = -1;
      const re = new RegExp(`^p${p}-(\\d+)$`);
      for (const r of records) {
        const prev = seen.get(r.value);
        if (prev !== undefined) note(`value ${r.value} at offset ${r.offset} duplicates offset ${prev}`);
        else seen.set(r.value, r.offset);
        const m = re.exec(r.value);
        if (m === null) {
          note(`unexpected value ${JSON.stringify(r.value)} at offset ${r.offset}`);
          continue;
        }
        const n = Number(m[1]);
        if (n >= nextN[p]!) note(`value ${r.value} at offset ${r.offset} was never sent`);
        if (n <= lastN) note(`value ${r.value} at offset ${r.offset} follows p${p}-${lastN}: order not increasing`);
        lastN = n;
      }
      // Every acknowledged record exactly at its acknowledged offset.
      const byOffset = new Map<number, string>();
      for (const r of records) if (!byOffset.has(r.offset)) byOffset.set(r.offset, r.value);
      let ackedHere = 0;
      for (const a of acked[p]!) {
        for (let i = 0; i < a.values.length; i++) {
          ackedHere++;
          const got = byOffset.get(a.baseOffset + i);
          if (got !== a.values[i]) {
            note(`acknowledged ${a.values[i]} (round ${a.round}, batch base ${a.baseOffset}, ${a.values.length} records) expected at offset ${a.baseOffset + i}, found ${got === undefined ? 'nothing' : got} (hw ${hw})`);
          }
        }
      }
      survivors += records.length - ackedHere;
      if (problems.length > 0) ok = false;
      t.same(problems, [], `${label} partition ${p}: ${ackedHere} acknowledged records intact, offsets 0..${hw - 1} contiguous, no duplicates, in order`);
      ends.push(`p${p}=${hw}`);
    }
    t.comment(`${label}: log ends ${ends.join(' ')}; ${survivors} unacknowledged records survived`);
  } finally {
    conn.close();
  }
  return ok;
}

/** The broker log written since `mark`: no ERROR lines but the expected ones. */
function checkLog(t: Test, label: string, mark: number): boolean {
  const log = samsa.stderr.slice(mark);
  const lines = log.split('\n');
  const errors = lines.filter((l) => /^\S+ ERROR /.test(l) && !EXPECTED_ERRORS.some((re) => re.test(l)));
  const warns = lines.filter((l) => /^\S+ WARN /.test(l));
  for (const w of warns.slice(0, 5)) t.comment(`${label} broker warning: ${w}`);
  if (warns.length > 5) t.comment(`${label}: ${warns.length - 5} more warnings`);
  t.same(errors, [], `${label}: no unexpected ERROR lines in the broker log`);
  return errors.length === 0;
}

function logTail(mark: number): string {
  return samsa.stderr.slice(mark).split('\n').slice(-40).join('\n');
}

await createTopic();

t.test('acknowledged records survive SIGKILL crashes and a clean restart', async (t) => {
  const started = Date.now();
  const rounds: Array<{ label: string; signal: NodeJS.Signals }> = [];
  for (let r = 1; r <= ROUNDS; r++) rounds.push({ label: `round ${r} (SIGKILL)`, signal: 'SIGKILL' });
  rounds.push({ label: `round ${ROUNDS + 1} (SIGTERM)`, signal: 'SIGTERM' });
  let completed = 0;

  for (const { label, signal } of rounds) {
    const mark = samsa.stderr.length;
    const beforeRecords = ackedRecords;
    const stop = { stopped: false };
    const loops = Array.from({ length: PARTITIONS }, (_, p) => producerLoop(p, label, stop));
    const delay = randInt(100, 800);
    await sleep(delay);
    const restartedAt = Date.now();
    try {
      await samsa.restart(signal);
    } catch (e) {
      keepEvidence = true;
      t.fail(`${label}: broker failed to restart after ${signal}: ${e instanceof Error ? e.message : String(e)}`);
      stop.stopped = true;
      await Promise.all(loops);
      break;
    }
    const restartMs = Date.now() - restartedAt;
    // Loops end on their own when the old connection dies; the flag is a backstop.
    const ended = await Promise.race([Promise.all(loops), sleep(15_000).then(() => null)]);
    stop.stopped = true;
    const results = ended ?? (await Promise.all(loops));
    const sent = results.reduce((n, r) => n + r.sent, 0);
    const refused = results.flatMap((r) => [...r.refused].map(([code, n]) => `${n}x error ${code}`));
    t.comment(
      `${label}: killed after ${delay} ms, restart took ${restartMs} ms; ${sent} batches sent, ` +
        `${results.reduce((n, r) => n + r.acked, 0)} acknowledged (${ackedRecords - beforeRecords} records)` +
        (refused.length > 0 ? `, refused: ${refused.join(', ')}` : '') +
        `; producers ended with: ${[...new Set(results.map((r) => r.ended))].join(' | ')}`,
    );
    const dataOk = await verify(t, label);
    const logOk = checkLog(t, label, mark);
    completed++;
    if (!dataOk || !logOk) {
      keepEvidence = true;
      t.comment(`${label}: broker log since the round began (last 40 lines):\n${logTail(mark)}`);
      break;
    }
  }

  const total = acked.reduce((n, a) => n + a.length, 0);
  t.ok(ackedRecords > 0, 'some records were acknowledged');
  console.log(
    `# crash summary: ${completed}/${rounds.length} rounds (${ROUNDS} SIGKILL + 1 SIGTERM), ${total} batches / ${ackedRecords} records acknowledged ` +
      `across ${PARTITIONS} partitions, seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  t.equal(completed, rounds.length, 'every round ran to its check');
});
