/**
 * FindCoordinator (key 10), v0-6.
 * Names the broker coordinating a consumer group (key type 0) or a transactional id (key type 1).
 * v6 adds key type 2, share groups (KIP-932): Samsa has none, so such keys get INVALID_REQUEST, as
 * Kafka answers while share groups are disabled.
 * In a single-node cluster that is this node for every key. The first group lookup creates
 * `__consumer_offsets`. v4+ batches keys (KIP-699); earlier
 * versions ask for one key (v0 only for groups).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  findCoordinatorApi,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
  type FindCoordinatorResponseCoordinator,
} from '../../protocol/messages/index.js';
import { coordinatorErrorCode } from './handler-support.js';
import { defineHandler, type RequestContext } from './handler.js';

const GROUP = 0;
const TRANSACTION = 1;

function coordinatorFor(key: string, keyType: number, ctx: RequestContext): FindCoordinatorResponseCoordinator {
  const none = { key, nodeId: -1, host: '', port: -1 };
  if (keyType !== GROUP && keyType !== TRANSACTION) {
    return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator key type ${keyType}` };
  }
  if (key === '') return { ...none, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The coordinator key must not be empty' };
  const broker = ctx.broker;
  const me = broker.image().brokers.get(broker.config.nodeId);
  if (me === undefined) return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null };
  const l = broker.advertisedListenerOf(me);
  return { key, nodeId: me.id, host: l.host, port: l.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

async function handle(req: FindCoordinatorRequest, ctx: RequestContext): Promise<FindCoordinatorResponse> {
  const v = ctx.apiVersion;
  const keyType = v === 0 ? GROUP : req.keyType;
  if (keyType === GROUP) {
    // Kafka creates __consumer_offsets when the first group looks for its coordinator.
    try {
      await ctx.broker.groups.ensureTopic();
    } catch (e) {
      const errorCode = coordinatorErrorCode(e);
      const keys = v >= 4 ? req.coordinatorKeys : [req.key];
      const failed = keys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null }));
      if (v >= 4) return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators: failed };
      return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: [] };
    }
  }
  if (v >= 4) {
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators: req.coordinatorKeys.map((k) => coordinatorFor(k, req.keyType, ctx)) };
  }
  const c = coordinatorFor(req.key, v === 0 ? GROUP : req.keyType, ctx);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: v >= 1 ? c.errorMessage : null, nodeId: c.nodeId, host: c.host, port: c.port, coordinators: [] };
}

export const findCoordinatorHandler = defineHandler({
  api: findCoordinatorApi,
  minVersion: 0,
  maxVersion: 6,
  handle,
  errorResponse(req, errorCode, ctx): FindCoordinatorResponse {
    if (ctx.apiVersion >= 4) {
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        nodeId: 0,
        host: '',
        port: 0,
        coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })),
      };
    }
    return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: [] };
  },
});
