/**
 * DescribeGroups (key 15), v0-5.
 * State, protocol and members (with metadata and assignment once Stable) of each group. An
 * unknown group is described as Dead, as Kafka does for these versions.
 */
import { describeGroupsApi, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';

function failed(groupId: string, errorCode: number) {
  return { errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
}

async function handle(req: DescribeGroupsRequest, ctx: RequestContext): Promise<DescribeGroupsResponse> {
  const groups = await Promise.all(
    req.groups.map(async (groupId) => {
      try {
        const shard = await ctx.broker.groups.shardOf(groupId);
        const d = shard.describeGroup(groupId);
        return ctx.apiVersion >= 4 ? d : { ...d, members: d.members.map((m) => ({ ...m, groupInstanceId: null })) };
      } catch (e) {
        return failed(groupId, coordinatorErrorCode(e));
      }
    }),
  );
  return { throttleTimeMs: 0, groups };
}

export const describeGroupsHandler = defineHandler({
  api: describeGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle,
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, groups: req.groups.map((g) => failed(g, errorCode)) }),
});
