/**
 * DeleteRecords (key 21), v0-2.
 * Advances a partition's log start offset: records below it are no longer readable and whole
 * segments below it are deleted. Offset -1 means "up to the high watermark"; an offset above the
 * high watermark gets OFFSET_OUT_OF_RANGE, as in Kafka. The answer's low watermark is the new log
 * start offset. A partition named twice is trimmed once, to the last offset given, and answered
 * once (Kafka keeps a map of partitions too).
 */
import { deleteRecordsApi, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../../protocol/messages/index.js';
import { defineHandler, type RequestContext } from './handler.js';

type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number];

async function handle(req: DeleteRecordsRequest, ctx: RequestContext): Promise<DeleteRecordsResponse> {
  const rm = ctx.broker.replicaManager;
  // Kafka (KafkaApis.handleDeleteRecordsRequest) keeps one entry per partition, the last offset
  // named winning, so a partition repeated in the request is trimmed once.
  const wanted = new Map<string, Map<number, bigint>>();
  for (const t of req.topics) {
    let partitions = wanted.get(t.name);
    if (partitions === undefined) wanted.set(t.name, (partitions = new Map()));
    for (const p of t.partitions) partitions.set(p.partitionIndex, p.offset);
  }
  const deleteBefore = async (topic: string, partitionIndex: number, offset: bigint): Promise<PartitionResult> => {
    const { errorCode, lowWatermark } = await rm.deleteRecords(topic, partitionIndex, offset);
    return { partitionIndex, lowWatermark, errorCode };
  };
  const topics = await Promise.all(
    [...wanted].map(async ([name, partitions]) => ({
      name,
      partitions: await Promise.all([...partitions].map(([index, offset]) => deleteBefore(name, index, offset))),
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
