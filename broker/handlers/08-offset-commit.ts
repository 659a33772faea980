/**
 * OffsetCommit (key 8), v0-9.
 * Stores committed offsets in `__consumer_offsets`. Members of a group are checked (member id,
 * generation, static instance id); generation -1 commits into an empty or unknown group, as
 * admin tools and consumers using assign() do. The answer comes once the commit is durable.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { offsetCommitApi, type OffsetCommitRequest, type OffsetCommitResponse } from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import type { CommitPartitionResult } from '../group/group-shard.js';
import { defineHandler, type RequestContext } from './handler.js';

function respond(req: OffsetCommitRequest, code: (topic: string, partition: number) => number): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) })),
  };
}

async function handle(req: OffsetCommitRequest, ctx: RequestContext): Promise<OffsetCommitResponse> {
  const rm = ctx.broker.replicaManager;
  let results: CommitPartitionResult[];
  try {
    results = await ctx.broker.groups.run(req.groupId, (shard) => shard.commitOffsets(req, ctx.apiVersion, (topic, partition) => rm.partition(topic, partition) !== undefined));
  } catch (e) {
    const code = coordinatorErrorCode(e);
    return respond(req, () => code);
  }
  const byKey = new Map(results.map((r) => [`${r.topic}\u0000${r.partition}`, r.errorCode]));
  return respond(req, (t, p) => byKey.get(`${t}\u0000${p}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
}

export const offsetCommitHandler = defineHandler({
  api: offsetCommitApi,
  minVersion: 0,
  maxVersion: 9,
  handle,
  errorResponse: (req, errorCode) => respond(req, () => errorCode),
});
