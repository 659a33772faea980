/**
 * InitProducerId (key 22), v0-5.
 * Non-transactional (idempotent) producers get a fresh producer id with epoch 0; an idempotent
 * producer that names its current id and epoch (v3+, KIP-360) also gets a fresh id, as Kafka does
 * for producers without a transactional id.
 * Not implemented yet: transactional ids (the transaction coordinator), answered with
 * COORDINATOR_NOT_AVAILABLE.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { initProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponse } from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: InitProducerIdRequest, ctx: RequestContext): Promise<InitProducerIdResponse> {
  if (req.transactionalId !== null) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1n, producerEpoch: -1 };
  }
  const producerId = await ctx.broker.producerIds.allocate();
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
}

export const initProducerIdHandler = defineHandler({
  api: initProducerIdApi,
  minVersion: 0,
  maxVersion: 5,
  handle,
  errorResponse(_req, errorCode): InitProducerIdResponse {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
