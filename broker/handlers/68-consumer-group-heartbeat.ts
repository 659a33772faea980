/**
 * ConsumerGroupHeartbeat (key 68), v0-1.
 * The consumer group protocol of KIP-848 (`group.protocol=consumer`): joins, heartbeats and leaves
 * in one API, with assignments computed by the coordinator (see broker/group/consumer-group.ts).
 * A group id used by a classic group with members gets GROUP_ID_NOT_FOUND; an empty classic group
 * (offsets only) becomes a consumer group. v1 (Kafka 4.0) adds regex subscriptions and lets the
 * client choose its member id.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  consumerGroupHeartbeatApi,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
} from '../../protocol/messages/index.js';
import { heartbeatError } from '../group/consumer-group-ops.js';
import { coordinatorErrorCode, memberContext } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: ConsumerGroupHeartbeatRequest, ctx: RequestContext): Promise<ConsumerGroupHeartbeatResponse> {
  try {
    return await ctx.broker.groups.run(req.groupId, (shard) => {
      const classic = shard.classicGroups.get(req.groupId);
      if (classic !== undefined && classic.isEmpty && classic.state !== 'Dead') shard.classicGroups.delete(req.groupId);
      const hasMembers = classic !== undefined && !classic.isEmpty;
      return shard.consumer.heartbeat(req, memberContext(ctx), shard.topics, hasMembers);
    });
  } catch (e) {
    return heartbeatError(coordinatorErrorCode(e));
  }
}

export const consumerGroupHeartbeatHandler = defineHandler({
  api: consumerGroupHeartbeatApi,
  minVersion: 0,
  maxVersion: 1,
  handle,
  errorResponse: (_req, errorCode) => heartbeatError(errorCode === ErrorCode.NONE ? ErrorCode.UNKNOWN_SERVER_ERROR : errorCode),
});
