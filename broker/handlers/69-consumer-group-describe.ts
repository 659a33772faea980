/**
 * ConsumerGroupDescribe (key 69), v0.
 * Groups of the consumer protocol (KIP-848): epochs, assignor, and each member's subscription,
 * current and target assignment. Unknown ids and classic groups get GROUP_ID_NOT_FOUND.
 */
import {
  consumerGroupDescribeApi,
  type ConsumerGroupDescribeRequest,
  type ConsumerGroupDescribeResponse,
  type ConsumerGroupDescribeResponseDescribedGroup,
} from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';

function failed(groupId: string, errorCode: number): ConsumerGroupDescribeResponseDescribedGroup {
  return { errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
}

async function handle(req: ConsumerGroupDescribeRequest, ctx: RequestContext): Promise<ConsumerGroupDescribeResponse> {
  const groups = await Promise.all(
    req.groupIds.map(async (groupId) => {
      try {
        const shard = await ctx.broker.groups.shardOf(groupId);
        return shard.consumer.describe(groupId, shard.topics);
      } catch (e) {
        return failed(groupId, coordinatorErrorCode(e));
      }
    }),
  );
  return { throttleTimeMs: 0, groups };
}

export const consumerGroupDescribeHandler = defineHandler({
  api: consumerGroupDescribeApi,
  minVersion: 0,
  maxVersion: 0,
  handle,
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, groups: req.groupIds.map((g) => failed(g, errorCode)) }),
});
