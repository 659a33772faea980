/**
 * IncrementalAlterConfigs (key 44), v0-1.
 * Changes single configs of a topic or broker: SET, DELETE, and APPEND and SUBTRACT for list
 * configs (KIP-339). validate_only checks without applying.
 */
import {
  incrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: IncrementalAlterConfigsRequest, ctx: RequestContext): Promise<IncrementalAlterConfigsResponse> {
  const results = await ctx.broker.controller.alterConfigs(
    req.resources.map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      ops: r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })),
    })),
    { validateOnly: req.validateOnly, replace: false },
  );
  return { throttleTimeMs: 0, responses: results };
}

export const incrementalAlterConfigsHandler = defineHandler({
  api: incrementalAlterConfigsApi,
  minVersion: 0,
  maxVersion: 1,
  handle,
  errorResponse(req, errorCode): IncrementalAlterConfigsResponse {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});
