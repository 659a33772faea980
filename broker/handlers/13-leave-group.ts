/**
 * LeaveGroup (key 13), v0-5.
 * Removes members from a classic group, one (v0-2) or a batch (v3+, KIP-345, with static members
 * named by instance id); the group rebalances without them.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { leaveGroupApi, type LeaveGroupRequest, type LeaveGroupResponse } from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: LeaveGroupRequest, ctx: RequestContext): Promise<LeaveGroupResponse> {
  const v = ctx.apiVersion;
  const leaving = v >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
  try {
    const res = await ctx.broker.groups.run(req.groupId, (shard) => shard.leaveGroup(req.groupId, leaving));
    if (v >= 3) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members: res.members };
    return { throttleTimeMs: 0, errorCode: res.members[0]?.errorCode ?? ErrorCode.NONE, members: [] };
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: coordinatorErrorCode(e), members: [] };
  }
}

export const leaveGroupHandler = defineHandler({
  api: leaveGroupApi,
  minVersion: 0,
  maxVersion: 5,
  handle,
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, members: [] }),
});
