/**
 * AlterConfigs (key 33), v0-2.
 * The legacy form: each resource's configs are replaced as a whole set, so configs not named are
 * removed. Topic configs and dynamic broker configs; validate_only checks without applying.
 */
import { alterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponse } from '../../protocol/messages/index.js';
import { OP_SET } from '../../controller/config-control.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: AlterConfigsRequest, ctx: RequestContext): Promise<AlterConfigsResponse> {
  const results = await ctx.broker.controller.alterConfigs(
    req.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, ops: r.configs.map((c) => ({ name: c.name, op: OP_SET, value: c.value })) })),
    { validateOnly: req.validateOnly, replace: true },
  );
  return { throttleTimeMs: 0, responses: results };
}

export const alterConfigsHandler = defineHandler({
  api: alterConfigsApi,
  minVersion: 0,
  maxVersion: 2,
  handle,
  errorResponse(req, errorCode): AlterConfigsResponse {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});
