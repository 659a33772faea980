/**
 * DeleteGroups (key 42), v0-2.
 * Deletes groups without members, with their committed offsets; a group with members gets
 * NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
 */
import { deleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: DeleteGroupsRequest, ctx: RequestContext): Promise<DeleteGroupsResponse> {
  const results = await Promise.all(
    req.groupsNames.map(async (groupId) => {
      try {
        return { groupId, errorCode: await ctx.broker.groups.run(groupId, (shard) => shard.deleteGroup(groupId)) };
      } catch (e) {
        return { groupId, errorCode: coordinatorErrorCode(e) };
      }
    }),
  );
  return { throttleTimeMs: 0, results };
}

export const deleteGroupsHandler = defineHandler({
  api: deleteGroupsApi,
  minVersion: 0,
  maxVersion: 2,
  handle,
  errorResponse: (req, errorCode) => ({ throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) }),
});
