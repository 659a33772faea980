/**
 * JoinGroup (key 11), v0-9.
 * Joins a classic group (see broker/group/classic-group.ts). The answer waits for the join phase
 * to end; the leader's answer carries every member's protocol metadata. v4+ members without an id
 * first get MEMBER_ID_REQUIRED with one (KIP-394); static members (v5+, KIP-345) keep their place
 * across restarts.
 */
import { joinGroupApi, type JoinGroupRequest, type JoinGroupResponse } from '../../protocol/messages/index.js';
import { coordinatorErrorCode, memberContext } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';

function error(errorCode: number, v: number): JoinGroupResponse {
  return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: v >= 7 ? null : '', leader: '', skipAssignment: false, memberId: '', members: [] };
}

async function handle(req: JoinGroupRequest, ctx: RequestContext): Promise<JoinGroupResponse> {
  let res: JoinGroupResponse;
  try {
    res = await ctx.broker.groups.run(req.groupId, (shard) => shard.joinGroup(req, memberContext(ctx)));
  } catch (e) {
    return error(coordinatorErrorCode(e), ctx.apiVersion);
  }
  const v = ctx.apiVersion;
  // Fields newer than the request's version must keep their defaults.
  return { ...res, protocolType: v >= 7 ? res.protocolType : null, skipAssignment: v >= 9 ? res.skipAssignment : false, protocolName: res.protocolName ?? (v >= 7 ? null : '') };
}

export const joinGroupHandler = defineHandler({
  api: joinGroupApi,
  minVersion: 0,
  maxVersion: 9,
  handle,
  errorResponse: (_req, errorCode, ctx) => error(errorCode, ctx.apiVersion),
});
