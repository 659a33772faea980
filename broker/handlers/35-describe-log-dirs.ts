/**
 * DescribeLogDirs (key 35), v0-4.
 * Every log directory of this broker (`log.dirs`, as absolute paths) with the partitions it holds:
 * the size of each log (all segments), its offset lag (0 for a current log: a single node is its
 * own ISR) and, from v4, the file system's total and usable bytes. While a partition is being
 * moved (AlterReplicaLogDirs) its future replica is listed in the target directory too
 * (`isFutureKey`), with the bytes copied so far and its lag behind the current log's end, as
 * Kafka reports it. A null topic list describes every partition.
 */
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeLogDirsApi, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../../protocol/messages/index.js';
import { storageErrorCode } from '../replica-manager.js';
import { defineHandler, type RequestContext } from './handler.js';

type PartitionEntry = DescribeLogDirsResponse['results'][number]['topics'][number]['partitions'][number];

async function handle(req: DescribeLogDirsRequest, ctx: RequestContext): Promise<DescribeLogDirsResponse> {
  const rm = ctx.broker.replicaManager;
  const image = ctx.broker.image();
  const logDirs = rm.logs.dataDirs;
  // Per log directory: topic → partitions, in the order asked.
  const byDir = new Map<string, Map<string, PartitionEntry[]>>(logDirs.map((d) => [d, new Map()]));
  const add = (dir: string, topic: string, entry: PartitionEntry): void => {
    const topics = byDir.get(dir);
    if (topics === undefined) return;
    let list = topics.get(topic);
    if (list === undefined) topics.set(topic, (list = []));
    list.push(entry);
  };
  const wanted: Array<{ name: string; partitions: number[] }> =
    req.topics === null
      ? [...image.topics.values()].map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partition) }))
      : req.topics.map((t) => ({ name: t.topic, partitions: t.partitions }));
  for (const t of wanted) {
    for (const index of t.partitions) {
      const partition = rm.partition(t.name, index);
      if (partition === undefined) continue; // Kafka leaves out partitions this broker does not host.
      let log;
      try {
        log = await partition.getLog();
      } catch (e) {
        storageErrorCode(e); // rethrows anything but a log that could not be opened
        continue; // its size is unknown
      }
      const key = `${t.name}-${index}`;
      const dir = rm.logs.logDirOf(key);
      if (dir !== undefined) add(dir, t.name, { partitionIndex: index, partitionSize: BigInt(log.sizeInBytes), offsetLag: 0n, isFutureKey: false });
      const future = rm.logs.futureOf(key);
      if (future !== undefined) {
        const lag = Math.max(0, log.logEndOffset - future.endOffset);
        add(future.logDir, t.name, { partitionIndex: index, partitionSize: BigInt(future.size), offsetLag: BigInt(lag), isFutureKey: true });
      }
    }
  }
  const results = [];
  for (const d of logDirs) {
    const dir = resolve(d);
    let totalBytes = -1n;
    let usableBytes = -1n;
    try {
      const s = await statfs(dir, { bigint: true });
      totalBytes = s.blocks * s.bsize;
      usableBytes = s.bavail * s.bsize;
    } catch {
      // Left at -1 ("unknown"), which v4 clients accept.
    }
    const topics = [...byDir.get(d)!].map(([name, partitions]) => ({ name, partitions }));
    results.push({ errorCode: ErrorCode.NONE, logDir: dir, topics, totalBytes, usableBytes });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
}

export const describeLogDirsHandler = defineHandler({
  api: describeLogDirsApi,
  minVersion: 0,
  maxVersion: 4,
  handle,
  errorResponse(_req, errorCode): DescribeLogDirsResponse {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
});
