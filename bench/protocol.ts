/**
 * `make bench-protocol`: throughput of the protocol layer on this machine, as medians of several
 * runs. Decoding a Produce request carrying 1 MiB of record batches; encoding a Fetch response
 * whose records are separate buffers (as read from segment files); batch validation with CRC-32C;
 * full record iteration.
 */
import { Reader } from '../protocol/codec/reader.js';
import { Writer } from '../protocol/codec/writer.js';
import {
  decodeProduceRequest,
  defaultFetchResponsePartitionData,
  encodeFetchResponse,
  encodeProduceRequest,
  type FetchResponse,
} from '../protocol/messages/index.js';
import { buildBatch, CompressionType, readRecords, scanBatches } from '../protocol/records/index.js';

const RUNS = 7;

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs `fn` repeatedly for about `ms` milliseconds per run; returns the median rate per second. */
function rate(fn: () => number, ms = 300): number {
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let units = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < ms) {
      units += fn();
      elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    }
    rates.push(units / (elapsed / 1000));
  }
  return median(rates);
}

/** 16 KiB batches of 100-byte records with keys and a header, like a tuned producer sends. */
function makeBatches(totalBytes: number): Buffer[] {
  const batches: Buffer[] = [];
  let size = 0;
  let offset = 0;
  while (size < totalBytes) {
    const records = [];
    for (let i = 0; i < 140; i++) {
      records.push({
        key: Buffer.from(`key-${offset + i}`),
        value: Buffer.alloc(100, 0x61 + (i % 26)),
        headers: [{ key: 'h', value: Buffer.from('v') }],
        timestamp: 1_700_000_000_000 + i,
      });
    }
    const b = buildBatch({ baseOffset: 0, records, compression: CompressionType.None });
    batches.push(b);
    size += b.length;
    offset += records.length;
  }
  return batches;
}

export function runProtocolBench(): BenchRow[] {
  const batches = makeBatches(1 << 20);
  const records = Buffer.concat(batches);
  const mb = records.length / (1 << 20);
  const rows: BenchRow[] = [];

  // A produce request for 1 partition carrying 1 MiB of batches.
  const w = new Writer();
  encodeProduceRequest(w, { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: 'bench', partitionData: [{ index: 0, records }] }] }, 9);
  const frame = w.toBuffer();
  // Records stay views into the frame, so the cost is per request, not per byte.
  const decodes = rate(() => (decodeProduceRequest(new Reader(frame), 9), 1));
  rows.push({ name: 'decode Produce v9 request (1 MiB of batches)', value: decodes, unit: 'requests/s' });
  rows.push({ name: '  the same as record bytes', value: decodes * mb, unit: 'MB/s' });

  // A fetch response for 6 partitions, records as separate buffers.
  const response: FetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 1,
    responses: [
      {
        topic: '',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        partitions: [0, 1, 2, 3, 4, 5].map((i) => {
          const p = defaultFetchResponsePartitionData();
          p.partitionIndex = i;
          p.highWatermark = 1000n;
          p.records = batches;
          return p;
        }),
      },
    ],
    nodeEndpoints: [],
  };
  const encodes = rate(() => {
    const fw = new Writer();
    encodeFetchResponse(fw, response, 13);
    fw.finish();
    return 1;
  });
  rows.push({ name: 'encode Fetch v13 response (6 x 1 MiB as buffer lists)', value: encodes, unit: 'responses/s' });
  rows.push({ name: '  the same as record bytes', value: encodes * 6 * mb, unit: 'MB/s' });

  rows.push({ name: 'validate batches + CRC-32C', value: rate(() => (scanBatches(records), mb)), unit: 'MB/s' });

  const infos = scanBatches(records);
  rows.push({
    name: 'iterate every record',
    value: rate(() => {
      let n = 0;
      for (const b of infos) for (const _ of readRecords(records, b)) n++;
      return n;
    }),
    unit: 'records/s',
  });
  return rows;
}

function format(rows: BenchRow[]): string {
  return rows.map((r) => `${r.name.padEnd(58)} ${r.value.toFixed(r.unit === 'MB/s' ? 1 : 0).padStart(14)} ${r.unit}`).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`protocol benchmark: medians of ${RUNS} runs (node ${process.version})`);
  console.log(format(runProtocolBench()));
}
