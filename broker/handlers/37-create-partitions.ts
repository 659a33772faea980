/**
 * CreatePartitions (key 37), v0-3.
 * Adds partitions to existing topics, with an optional replica assignment for the new ones.
 * Topics named twice get INVALID_REQUEST, as in Kafka.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { createPartitionsApi, type CreatePartitionsRequest, type CreatePartitionsResponse } from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: CreatePartitionsRequest, ctx: RequestContext): Promise<CreatePartitionsResponse> {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const unique = req.topics.filter((t) => counts.get(t.name) === 1);
  const results = await ctx.broker.controller.createPartitions(
    unique.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments === null ? null : t.assignments.map((a) => a.brokerIds) })),
    req.validateOnly,
  );
  const byName = new Map(results.map((r) => [r.name, r]));
  return {
    throttleTimeMs: 0,
    results: req.topics.map((t) => {
      const r = byName.get(t.name);
      if (r === undefined) return { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' };
      return { name: t.name, errorCode: r.errorCode, errorMessage: r.errorMessage };
    }),
  };
}

export const createPartitionsHandler = defineHandler({
  api: createPartitionsApi,
  minVersion: 0,
  maxVersion: 3,
  handle,
  errorResponse(req, errorCode): CreatePartitionsResponse {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
});
