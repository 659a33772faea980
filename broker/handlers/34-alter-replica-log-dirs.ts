/**
 * AlterReplicaLogDirs (key 34), v0-2.
 * Moves partitions between this broker's log directories (`log.dirs`). For each partition: a path
 * that is not one of the log directories (compared as absolute paths, as DescribeLogDirs reports
 * them) gets LOG_DIR_NOT_FOUND, a partition the broker does not have UNKNOWN_TOPIC_OR_PARTITION;
 * its current directory is a no-op (cancelling a move in progress, as in Kafka). Otherwise the
 * answer is NONE once the move has started: the partition is copied into a future replica in the
 * target directory while it keeps serving, then switched over (see storage/log-manager.ts);
 * DescribeLogDirs shows the progress. A partition named twice goes to the last directory named
 * (Kafka builds a map of partitions too) and is answered once. v1 and v2 differ only in encoding.
 */
import { alterReplicaLogDirsApi, type AlterReplicaLogDirsRequest, type AlterReplicaLogDirsResponse } from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: AlterReplicaLogDirsRequest, ctx: RequestContext): Promise<AlterReplicaLogDirsResponse> {
  const rm = ctx.broker.replicaManager;
  const wanted = new Map<string, Map<number, string>>();
  for (const dir of req.dirs) {
    for (const t of dir.topics) {
      let partitions = wanted.get(t.name);
      if (partitions === undefined) wanted.set(t.name, (partitions = new Map()));
      for (const p of t.partitions) partitions.set(p, dir.path);
    }
  }
  const results = [];
  for (const [topicName, partitions] of wanted) {
    const out = [];
    // One at a time: each may wait for its log to open.
    for (const [partitionIndex, path] of partitions) out.push({ partitionIndex, errorCode: await rm.alterLogDir(topicName, partitionIndex, path) });
    results.push({ topicName, partitions: out });
  }
  return { throttleTimeMs: 0, results };
}

export const alterReplicaLogDirsHandler = defineHandler({
  api: alterReplicaLogDirsApi,
  minVersion: 0,
  maxVersion: 2,
  handle,
  errorResponse(req, errorCode): AlterReplicaLogDirsResponse {
    const results = new Map<string, Set<number>>();
    for (const d of req.dirs) {
      for (const t of d.topics) {
        const set = results.get(t.name) ?? new Set<number>();
        for (const p of t.partitions) set.add(p);
        results.set(t.name, set);
      }
    }
    return {
      throttleTimeMs: 0,
      results: [...results].map(([topicName, ps]) => ({ topicName, partitions: [...ps].map((partitionIndex) => ({ partitionIndex, errorCode })) })),
    };
  },
});
