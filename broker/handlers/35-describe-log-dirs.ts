/**
 * DescribeLogDirs (key 35), v0-4.
 * The one log directory of this broker with the size of each partition's log (all segments), its
 * offset lag (0: there are no future replicas) and, from v4, the file system's total and usable
 * bytes. A null topic list describes every partition.
 */
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeLogDirsApi, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../../protocol/messages/index.js';
import { storageErrorCode } from '../replica-manager.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: DescribeLogDirsRequest, ctx: RequestContext): Promise<DescribeLogDirsResponse> {
  const rm = ctx.broker.replicaManager;
  const image = ctx.broker.image();
  const dir = resolve(ctx.broker.config.logDirs[0]!);
  const wanted: Array<{ name: string; partitions: number[] }> =
    req.topics === null
      ? [...image.topics.values()].map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partition) }))
      : req.topics.map((t) => ({ name: t.topic, partitions: t.partitions }));
  const topics = [];
  for (const t of wanted) {
    const partitions = [];
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
      partitions.push({ partitionIndex: index, partitionSize: BigInt(log.sizeInBytes), offsetLag: 0n, isFutureKey: false });
    }
    if (partitions.length > 0) topics.push({ name: t.name, partitions });
  }
  let totalBytes = -1n;
  let usableBytes = -1n;
  try {
    const s = await statfs(dir, { bigint: true });
    totalBytes = s.blocks * s.bsize;
    usableBytes = s.bavail * s.bsize;
  } catch {
    // Left at -1 ("unknown"), which v4 clients accept.
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: dir, topics, totalBytes, usableBytes }] };
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
