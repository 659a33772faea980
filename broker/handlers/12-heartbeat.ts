/**
 * Heartbeat (key 12), v0-4.
 * Keeps a classic group member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
 */
import { heartbeatApi, type HeartbeatRequest, type HeartbeatResponse } from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: HeartbeatRequest, ctx: RequestContext): Promise<HeartbeatResponse> {
  try {
    return { throttleTimeMs: 0, errorCode: await ctx.broker.groups.run(req.groupId, (shard) => shard.heartbeat(req)) };
  } catch (e) {
    return { throttleTimeMs: 0, errorCode: coordinatorErrorCode(e) };
  }
}

export const heartbeatHandler = defineHandler({
  api: heartbeatApi,
  minVersion: 0,
  maxVersion: 4,
  handle,
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode }),
});
