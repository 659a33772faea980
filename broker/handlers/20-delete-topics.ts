/**
 * DeleteTopics (key 20), v0-6.
 * Deletes topics by name (v0-5, and v6+) or by id (v6+). The answer comes once the removal is in
 * the metadata image; the partitions' logs are deleted from disk right after.
 */
import {
  deleteTopicsApi,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
  type DeleteTopicsResponseDeletableTopicResult,
} from '../../protocol/messages/index.js';
import { ZERO_UUID } from '../../protocol/uuid.js';
import { defineHandler, type RequestContext } from './handler.js';

function refsOf(req: DeleteTopicsRequest, v: number): Array<{ name: string | null; topicId: string }> {
  return v >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
}

async function handle(req: DeleteTopicsRequest, ctx: RequestContext): Promise<DeleteTopicsResponse> {
  const v = ctx.apiVersion;
  const refs = refsOf(req, v);
  const results = await ctx.broker.controller.deleteTopics(refs.map((r) => ({ name: r.name, topicId: r.topicId })));
  const responses = results.map(
    (r): DeleteTopicsResponseDeletableTopicResult => ({
      name: r.name,
      topicId: v >= 6 ? r.topicId : ZERO_UUID,
      errorCode: r.errorCode,
      errorMessage: v >= 5 ? r.errorMessage : null,
    }),
  );
  return { throttleTimeMs: 0, responses };
}

export const deleteTopicsHandler = defineHandler({
  api: deleteTopicsApi,
  minVersion: 0,
  maxVersion: 6,
  handle,
  errorResponse(req, errorCode, ctx): DeleteTopicsResponse {
    return {
      throttleTimeMs: 0,
      responses: refsOf(req, ctx.apiVersion).map((r) => ({ name: r.name, topicId: ctx.apiVersion >= 6 ? r.topicId : ZERO_UUID, errorCode, errorMessage: null })),
    };
  },
});
