/**
 * Produce (key 0), v0-11.
 * Every partition's record batches are validated (sizes, CRC, magic, compacted keys) and appended
 * as the opaque bytes they arrived in, with offsets assigned by rewriting each batch's base offset
 * in place. All partitions of a request are appended before any acknowledgement is awaited, so one
 * group-commit fsync can cover the whole request (and others in flight).
 * acks: 0 sends no response at all; 1 answers once the write reached the operating system; -1
 * answers once it is on stable storage (single node: the ISR is this broker). Other values get
 * INVALID_REQUIRED_ACKS. v0-v2 producers send magic 0/1 message sets; they are converted to v2
 * batches on the way in (Kafka's LogValidator does the same for a v2 log).
 * Not implemented yet: transactional appends (transactional batches get
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED-free INVALID_TXN_STATE until transactions land), quotas.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  defaultProduceResponsePartitionProduceResponse,
  produceApi,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartitionProduceResponse,
} from '../../protocol/messages/index.js';
import { AppendOrigin } from '../replica-manager.js';
import { defineHandler, NO_RESPONSE, type HandlerResult, type RequestContext } from './handler.js';

function partitionError(index: number, errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse {
  const p = defaultProduceResponsePartitionProduceResponse();
  p.index = index;
  p.errorCode = errorCode;
  p.baseOffset = -1n;
  p.errorMessage = errorMessage;
  return p;
}

async function handle(req: ProduceRequest, ctx: RequestContext): Promise<HandlerResult<ProduceResponse>> {
  const v = ctx.apiVersion;
  const rm = ctx.broker.replicaManager;
  const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const pending: Array<Promise<ProduceResponsePartitionProduceResponse>> = [];
  const shape: Array<{ name: string; count: number }> = [];

  for (const topic of req.topicData) {
    shape.push({ name: topic.name, count: topic.partitionData.length });
    for (const p of topic.partitionData) {
      if (!validAcks) {
        pending.push(Promise.resolve(partitionError(p.index, ErrorCode.INVALID_REQUIRED_ACKS)));
        continue;
      }
      const records = p.records;
      if (records === null || !Buffer.isBuffer(records) || records.length === 0) {
        pending.push(Promise.resolve(partitionError(p.index, ErrorCode.INVALID_RECORD, 'no record data')));
        continue;
      }
      // The synchronous part of appendRecords assigns offsets now, in request order.
      const result = rm.appendRecords(topic.name, p.index, records, {
        acks: req.acks,
        transactionalId: req.transactionalId,
        origin: AppendOrigin.Client,
        produceVersion: v,
      });
      pending.push(
        result.then((r) => {
          const out = defaultProduceResponsePartitionProduceResponse();
          out.index = p.index;
          out.errorCode = r.errorCode;
          out.baseOffset = BigInt(r.baseOffset);
          out.logAppendTimeMs = BigInt(r.logAppendTime);
          out.logStartOffset = BigInt(r.logStartOffset);
          out.errorMessage = r.errorMessage;
          out.recordErrors = r.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message }));
          return out;
        }),
      );
    }
  }

  const results = await Promise.all(pending);
  // Every append has been written (or has failed): the log no longer holds views of the frame's
  // batches, and nothing else keeps any, so its buffer can be reused once the response is out.
  // (Not on a rejection above: appends of other partitions might still be in flight.)
  ctx.afterResponse(() => ctx.broker.buffers.give(ctx.frame));
  if (req.acks === 0) {
    for (const r of results) {
      if (r.errorCode !== ErrorCode.NONE) {
        ctx.broker.logger.once('warn', `acks0-${ctx.connection.id}-${r.errorCode}`, `acks=0 produce from ${ctx.connection.remoteAddress} failed with error ${r.errorCode}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
      }
    }
    return NO_RESPONSE;
  }
  let i = 0;
  return {
    responses: shape.map((t) => ({ name: t.name, partitionResponses: results.slice(i, (i += t.count)) })),
    throttleTimeMs: 0,
    nodeEndpoints: [],
  };
}

export const produceHandler = defineHandler({
  api: produceApi,
  minVersion: 0,
  maxVersion: 11,
  handle,
  errorResponse(req, errorCode): ProduceResponse {
    return {
      responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => partitionError(p.index, errorCode)) })),
      throttleTimeMs: 0,
      nodeEndpoints: [],
    };
  },
});
