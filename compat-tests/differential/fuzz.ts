/**
 * Randomised differential run (`make fuzz-diff`): request sequences generated from a seed go to
 * the reference Kafka and to Samsa, compared like the scripted scenarios. Runs rounds of seeds
 * until SAMSA_FUZZ_SECONDS (default 300) are up; on the first difference beyond the allow-list it
 * prints the seed, the step and both answers and exits 1. SAMSA_FUZZ_SEED=<n> replays one seed.
 */
import { describeFailures, Differential, type Side } from '../harness/differential.js';
import { ReferenceKafka } from '../harness/reference-kafka.js';
import { SamsaProcess } from '../harness/samsa-process.js';
import { ALLOWED_DIFFERENCES } from './allowed-differences.js';
import {
  defaultListOffsetsRequestListOffsetsPartition,
  defaultOffsetCommitRequestPartition,
  deleteRecordsApi,
  fetchApi,
  listOffsetsApi,
  offsetCommitApi,
  offsetFetchApi,
  produceApi,
} from '../../protocol/messages/index.js';
import { batch, createTopic, fetchRequest, produceRequest, records, settleCoordinator, T0 } from './steps.js';

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STEPS_PER_SEED = 40;

/** One seed's sequence: a topic of its own, then random produce, fetch, list, commit and delete steps. */
async function runSeed(d: Differential, seed: number): Promise<boolean> {
  const r = rng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const topic = `fuzz-${seed}`;
  const group = `fuzz-group-${seed}`;
  const partitions = 1 + int(3);
  const since = d.failed.length;
  await createTopic(d, `seed ${seed}: create ${partitions} partitions`, topic, partitions);
  const next = new Array<number>(partitions).fill(0);
  let coordinator = false;
  for (let i = 0; i < STEPS_PER_SEED && d.failed.length === since; i++) {
    const p = int(partitions);
    const label = `seed ${seed} step ${i}`;
    switch (pick(['produce', 'produce', 'fetch', 'fetch', 'list', 'commit', 'delete'] as const)) {
      case 'produce': {
        const n = 1 + int(6);
        const compression = int(5);
        const version = pick([3, 7, 9, 11]);
        await d.exchange(`${label}: produce ${n} (codec ${compression}) to ${p} v${version}`, produceApi, version, produceRequest(topic, p, batch({ compression, records: records(n, next[p]!, int(300)) }), pick([1, -1])));
        next[p]! += n;
        break;
      }
      case 'fetch': {
        const version = pick([4, 7, 11, 12, 13, 15, 16, 17]);
        const offset = int(next[p]! + 3) - 1;
        const maxBytes = pick([1, 100, 700, 1 << 20]);
        await d.exchange(`${label}: fetch ${p} at ${offset} (max ${maxBytes}) v${version}`, fetchApi, version, (s: Side) => ({
          ...fetchRequest(s, version, [{ topic, partition: p, offset, maxBytes: pick([maxBytes, 1 << 20]) }]),
          maxBytes,
        }));
        break;
      }
      case 'list': {
        const version = pick([1, 4, 7, 9]);
        const timestamp = BigInt(pick([-2, -1, ...(version >= 7 ? [-3] : []), T0 + int(next[p]! + 2), T0 - 5]));
        await d.exchange(`${label}: list offsets of ${p} at ${timestamp} v${version}`, listOffsetsApi, version, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: topic, partitions: [{ ...defaultListOffsetsRequestListOffsetsPartition(), partitionIndex: p, timestamp, maxNumOffsets: 1 }] }],
        });
        break;
      }
      case 'commit': {
        if (!coordinator) {
          await d.each((s) => settleCoordinator(s, group));
          coordinator = true;
        }
        const offset = BigInt(int(next[p]! + 1));
        await d.exchange(`${label}: commit ${offset} for ${p}`, offsetCommitApi, pick([2, 5, 8, 9]), {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [{ name: topic, partitions: [{ ...defaultOffsetCommitRequestPartition(), partitionIndex: p, committedOffset: offset, committedMetadata: null }] }],
        });
        await d.exchange(`${label}: offset fetch`, offsetFetchApi, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [p] }], groups: [], requireStable: false });
        break;
      }
      case 'delete': {
        const offset = BigInt(int(next[p]! + 2) - (r() < 0.2 ? 2 : 0));
        await d.exchange(`${label}: delete records of ${p} before ${offset}`, deleteRecordsApi, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: p, offset }] }], timeoutMs: 10_000 });
        break;
      }
    }
  }
  return d.failed.length === since;
}

async function main(): Promise<number> {
  const unavailable = await ReferenceKafka.unavailable();
  if (unavailable !== null) {
    console.log(`fuzz-diff skipped: ${unavailable}`);
    return 0;
  }
  const seconds = Number(process.env['SAMSA_FUZZ_SECONDS'] ?? 300);
  const replay = process.env['SAMSA_FUZZ_SEED'];
  const [kafka, samsa] = await Promise.all([ReferenceKafka.start(), SamsaProcess.start()]);
  const d = await Differential.open({ host: kafka.host, port: kafka.port, nodeId: 1 }, { host: samsa.host, port: samsa.port, nodeId: 1 }, ALLOWED_DIFFERENCES);
  const deadline = Date.now() + seconds * 1000;
  let seed = replay !== undefined ? Number(replay) : Math.floor(Math.random() * 2 ** 31);
  let runs = 0;
  try {
    for (;;) {
      console.log(`seed ${seed}`);
      const ok = await runSeed(d, seed);
      runs++;
      if (!ok) {
        for (const ex of d.failed) console.log(describeFailures(ex));
        console.log(`DIFFERENCE with seed ${seed}: replay with SAMSA_FUZZ_SEED=${seed} make fuzz-diff`);
        return 1;
      }
      if (replay !== undefined || Date.now() > deadline) break;
      seed = (seed + 1) % 2 ** 31;
    }
    console.log(`fuzz-diff: ${runs} seeds, ${d.count} exchanges, no difference beyond the allow-list (${[...d.used.keys()].join(', ') || 'none used'})`);
    return 0;
  } finally {
    d.close();
    await Promise.all([kafka.close(), samsa.close()]);
  }
}

process.exitCode = await main();
