/**
 * CreateTopics (key 19), v0-7.
 * Creates topics through the controller. The answer comes once the topic is in the metadata
 * image, so a client may produce to it at once. Topics named twice in one request get
 * INVALID_REQUEST; v5+ answers carry the partition count, replication factor and full config of
 * each topic (KIP-339), v7+ the topic id.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  createTopicsApi,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type CreateTopicsResponseCreatableTopicResult,
} from '../../protocol/messages/index.js';
import { describeTopicConfigs } from '../../config/describe.js';
import { ZERO_UUID } from '../../protocol/uuid.js';
import { defineHandler, type RequestContext } from './handler.js';

/** Kafka answers a topic it did not create with an empty config list, not null (v5+ allow null). */
function failed(name: string, errorCode: number, errorMessage: string | null): CreateTopicsResponseCreatableTopicResult {
  return { name, topicId: ZERO_UUID, errorCode, errorMessage, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: [] };
}

async function handle(req: CreateTopicsRequest, ctx: RequestContext): Promise<CreateTopicsResponse> {
  const v = ctx.apiVersion;
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const unique = req.topics.filter((t) => counts.get(t.name) === 1);
  const results = await ctx.broker.controller.createTopics(unique, req.validateOnly);
  const byName = new Map(results.map((r) => [r.name, r]));
  if (!req.validateOnly) {
    for (const r of results) if (r.errorCode === ErrorCode.NONE) ctx.broker.logger.info(`created topic ${r.name} with ${r.numPartitions} partitions`);
  }
  // A name given twice gets one INVALID_REQUEST answer, as Kafka's ControllerApis gives.
  const answered = new Set<string>();
  const once = req.topics.filter((t) => !answered.has(t.name) && answered.add(t.name));
  const topics = once.map((t): CreateTopicsResponseCreatableTopicResult => {
    const r = byName.get(t.name);
    if (r === undefined) return failed(t.name, ErrorCode.INVALID_REQUEST, `Create topics request contains multiple entries for the topic ${t.name}`);
    if (r.errorCode !== ErrorCode.NONE) return failed(t.name, r.errorCode, v >= 1 ? r.errorMessage : null);
    const out = failed(t.name, ErrorCode.NONE, null);
    if (v >= 7) out.topicId = r.topicId;
    if (v >= 5) {
      out.numPartitions = r.numPartitions;
      out.replicationFactor = r.replicationFactor;
      out.configs = describeTopicConfigs(ctx.broker.config, r.configs, null).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        configSource: c.source,
        isSensitive: c.isSensitive,
      }));
    }
    return out;
  });
  return { throttleTimeMs: 0, topics };
}

export const createTopicsHandler = defineHandler({
  api: createTopicsApi,
  minVersion: 0,
  maxVersion: 7,
  handle,
  errorResponse(req, errorCode): CreateTopicsResponse {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => failed(t.name, errorCode, null)) };
  },
});
