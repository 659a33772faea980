/**
 * ListGroups (key 16), v0-5.
 * Every group of this coordinator, filtered by state (v4+, KIP-518) and type (v5+, KIP-848).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { listGroupsApi, type ListGroupsRequest, type ListGroupsResponse } from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: ListGroupsRequest, ctx: RequestContext): Promise<ListGroupsResponse> {
  const v = ctx.apiVersion;
  const types = new Set((v >= 5 ? req.typesFilter : []).map((t) => t.toLowerCase()));
  try {
    const shards = await ctx.broker.groups.allShards();
    const groups = shards
      .flatMap((s) => s.listGroups(v >= 4 ? req.statesFilter : []))
      .filter((g) => types.size === 0 || types.has(g.groupType.toLowerCase()))
      .map((g) => ({ ...g, groupState: v >= 4 ? g.groupState : '', groupType: v >= 5 ? g.groupType : '' }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: coordinatorErrorCode(e), groups: [] };
  }
}

export const listGroupsHandler = defineHandler({
  api: listGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle,
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }),
});
