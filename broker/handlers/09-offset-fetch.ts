/**
 * OffsetFetch (key 9), v0-9.
 * Committed offsets of a group (v0-7) or of several groups (v8+, KIP-709), for the partitions asked
 * for or, with a null topic list (v2+), every partition the group committed. A partition without a
 * commit answers offset -1. require_stable (v7+) has nothing to wait for: there are no pending
 * transactional commits.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  offsetFetchApi,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponsePartitions,
  type OffsetFetchResponseTopics,
} from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import type { GroupShard } from '../group/group-shard.js';
import { defineHandler, type RequestContext } from './handler.js';

type TopicsAsked = ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null;

function partition(partitionIndex: number, errorCode: number, offset = -1n, leaderEpoch = -1, metadata = ''): OffsetFetchResponsePartitions {
  return { partitionIndex, committedOffset: offset, committedLeaderEpoch: leaderEpoch, metadata, errorCode };
}

function fetchFrom(shard: GroupShard, groupId: string, topics: TopicsAsked, v: number): OffsetFetchResponseTopics[] {
  const withEpoch = (e: number): number => (v >= 5 ? e : -1);
  if (topics === null) {
    const byTopic = new Map<string, OffsetFetchResponsePartitions[]>();
    for (const o of shard.offsets.all(groupId)) {
      let list = byTopic.get(o.topic);
      if (list === undefined) byTopic.set(o.topic, (list = []));
      list.push(partition(o.partition, ErrorCode.NONE, o.offset, withEpoch(o.leaderEpoch), o.metadata));
    }
    return [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) }));
  }
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p) => {
      const o = shard.offsets.get(groupId, t.name, p);
      return o === undefined ? partition(p, ErrorCode.NONE) : partition(p, ErrorCode.NONE, o.offset, withEpoch(o.leaderEpoch), o.metadata);
    }),
  }));
}

function failed(topics: TopicsAsked, errorCode: number): OffsetFetchResponseTopics[] {
  return (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => partition(p, errorCode)) }));
}

async function oneGroup(groupId: string, topics: TopicsAsked, ctx: RequestContext): Promise<{ topics: OffsetFetchResponseTopics[]; errorCode: number }> {
  try {
    const shard = await ctx.broker.groups.shardOf(groupId);
    return { topics: fetchFrom(shard, groupId, topics, ctx.apiVersion), errorCode: ErrorCode.NONE };
  } catch (e) {
    const errorCode = coordinatorErrorCode(e);
    return { topics: failed(topics, errorCode), errorCode };
  }
}

async function handle(req: OffsetFetchRequest, ctx: RequestContext): Promise<OffsetFetchResponse> {
  const v = ctx.apiVersion;
  if (v >= 8) {
    const groups = await Promise.all(
      req.groups.map(async (g) => {
        const r = await oneGroup(g.groupId, g.topics, ctx);
        return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
      }),
    );
    return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups };
  }
  const r = await oneGroup(req.groupId, v >= 2 ? req.topics : (req.topics ?? []), ctx);
  return { throttleTimeMs: 0, topics: r.topics, errorCode: v >= 2 ? r.errorCode : ErrorCode.NONE, groups: [] };
}

export const offsetFetchHandler = defineHandler({
  api: offsetFetchApi,
  minVersion: 0,
  maxVersion: 9,
  handle,
  errorResponse(req, errorCode, ctx): OffsetFetchResponse {
    if (ctx.apiVersion >= 8) return { throttleTimeMs: 0, topics: [], errorCode: ErrorCode.NONE, groups: req.groups.map((g) => ({ groupId: g.groupId, topics: failed(g.topics, errorCode), errorCode })) };
    return { throttleTimeMs: 0, topics: failed(req.topics, errorCode), errorCode: ctx.apiVersion >= 2 ? errorCode : ErrorCode.NONE, groups: [] };
  },
});
