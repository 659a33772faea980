/**
 * DescribeLogDirs (key 35), v0-4.
 * Every log directory of this broker (`log.dirs`, as absolute paths) with the partitions it holds:
 * the size of each log (all segments), its offset lag (0 for a current log: a single node is its
 * own ISR) and, from v4, the file system's total and usable bytes. While a partition is being
 * moved (AlterReplicaLogDirs) its future replica is listed in the target directory too
 * (`isFutureKey`), with the bytes copied so far and its lag behind the current log's end, as
 * Kafka reports it. A null topic list describes every partition.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeLogDirsApi, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: DescribeLogDirsRequest, ctx: RequestContext): Promise<DescribeLogDirsResponse> {
  const image = ctx.broker.image();
  const wanted =
    req.topics === null
      ? [...image.topics.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }))
      : req.topics;
  const results = await ctx.broker.replicaManager.describeLogDirs(wanted);
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
