/**
 * DeleteRecords (key 21), v0-2.
 * Advances a partition's log start offset: records below it are no longer readable and whole
 * segments below it are deleted. Offset -1 means "up to the high watermark"; an offset above the
 * high watermark gets OFFSET_OUT_OF_RANGE, as in Kafka. The answer's low watermark is the new log
 * start offset.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { deleteRecordsApi, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../../protocol/messages/index.js';
import { storageErrorCode } from '../replica-manager.js';
import { defineHandler, type RequestContext } from './handler.js';

async function handle(req: DeleteRecordsRequest, ctx: RequestContext): Promise<DeleteRecordsResponse> {
  const rm = ctx.broker.replicaManager;
  const topics = await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(
        t.partitions.map(async (p) => {
          const partition = rm.partition(t.name, p.partitionIndex);
          if (partition === undefined) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          let log;
          try {
            log = await partition.getLog();
          } catch (e) {
            return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: storageErrorCode(e) };
          }
          const target = p.offset === -1n ? log.highWatermark : Number(p.offset);
          if (target < 0 || target > log.highWatermark) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
          try {
            await log.deleteRecordsBefore(target);
          } catch (e) {
            ctx.broker.logger.throttled('error', `delete-records:${t.name}-${p.partitionIndex}`, `DeleteRecords on ${t.name}-${p.partitionIndex}: ${String(e)}`);
            return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
          }
          return { partitionIndex: p.partitionIndex, lowWatermark: BigInt(log.logStartOffset), errorCode: ErrorCode.NONE };
        }),
      ),
    })),
  );
  return { throttleTimeMs: 0, topics };
}

export const deleteRecordsHandler = defineHandler({
  api: deleteRecordsApi,
  minVersion: 0,
  maxVersion: 2,
  handle,
  errorResponse(req, errorCode): DeleteRecordsResponse {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })),
    };
  },
});
