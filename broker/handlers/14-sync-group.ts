/**
 * SyncGroup (key 14), v0-5.
 * The leader sends every member's assignment; each member gets its own once the assignment is
 * stored in `__consumer_offsets`. v5+ checks the protocol type and name against the group's.
 */
import { syncGroupApi, type SyncGroupRequest, type SyncGroupResponse } from '../../protocol/messages/index.js';
import { syncError } from '../group/classic-group-ops.js';
import { coordinatorErrorCode } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: SyncGroupRequest, ctx: RequestContext): Promise<SyncGroupResponse> {
  let res: SyncGroupResponse;
  try {
    res = await ctx.broker.groups.run(req.groupId, (shard) => shard.syncGroup(req, ctx.apiVersion));
  } catch (e) {
    return syncError(coordinatorErrorCode(e));
  }
  return ctx.apiVersion >= 5 ? res : { ...res, protocolType: null, protocolName: null };
}

export const syncGroupHandler = defineHandler({
  api: syncGroupApi,
  minVersion: 0,
  maxVersion: 5,
  handle,
  errorResponse: (_req, errorCode) => syncError(errorCode),
});
