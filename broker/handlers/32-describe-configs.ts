/**
 * DescribeConfigs (key 32), v0-4.
 * Topic configs (resource type 2) and broker configs (4): every config, or the keys asked for,
 * with value, source, read-only and sensitive flags, and synonyms (v1+) and type and
 * documentation (v3+) when asked. Broker loggers (8) have nothing to describe. A resource named
 * twice gets INVALID_REQUEST.
 */
import { BROKER_RESOURCE, configKey, TOPIC_RESOURCE } from '../../controller/image.js';
import { topicNameError } from '../../controller/topic-control.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  describeConfigsApi,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeConfigsResponseDescribeConfigsResult,
} from '../../protocol/messages/index.js';
import { describeBrokerConfigs, describeTopicConfigs, type DescribedConfig } from '../../config/describe.js';
import { defineHandler, type RequestContext } from './handler.js';

const BROKER_LOGGER_RESOURCE = 8;
const EMPTY = new Map<string, string>();

function result(resourceType: number, resourceName: string, errorCode: number, errorMessage: string | null): DescribeConfigsResponseDescribeConfigsResult {
  return { errorCode, errorMessage, resourceType, resourceName, configs: [] };
}

function handle(req: DescribeConfigsRequest, ctx: RequestContext): DescribeConfigsResponse {
  const v = ctx.apiVersion;
  const broker = ctx.broker;
  const image = broker.image();
  // A resource named twice is answered INVALID_REQUEST, as AlterConfigs answers it in Kafka: each
  // answer carries every config (with documentation, some 5 KB), so repeats would multiply a
  // small request into a response thousands of times larger. Kafka's clients never repeat one.
  const named = new Map<string, number>();
  const key = (res: { resourceType: number; resourceName: string }): string => `${res.resourceType}:${res.resourceName}`;
  for (const res of req.resources) named.set(key(res), (named.get(key(res)) ?? 0) + 1);
  const results = req.resources.map((res): DescribeConfigsResponseDescribeConfigsResult => {
    if (named.get(key(res))! > 1) return result(res.resourceType, res.resourceName, ErrorCode.INVALID_REQUEST, 'Duplicate resource.');
    let described: DescribedConfig[];
    if (res.resourceType === TOPIC_RESOURCE) {
      const nameError = topicNameError(res.resourceName);
      if (nameError !== null) return result(res.resourceType, res.resourceName, ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
      if (!image.topics.has(res.resourceName)) return result(res.resourceType, res.resourceName, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${res.resourceName} does not exist.`);
      described = describeTopicConfigs(broker.config, image.configs.get(configKey(TOPIC_RESOURCE, res.resourceName)) ?? EMPTY, res.configurationKeys);
    } else if (res.resourceType === BROKER_RESOURCE) {
      const defaultsOnly = res.resourceName === '';
      if (!defaultsOnly && res.resourceName !== String(broker.config.nodeId)) {
        return result(res.resourceType, res.resourceName, ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${broker.config.nodeId} or empty string, but received ${res.resourceName}`);
      }
      described = describeBrokerConfigs(
        broker.config,
        image.configs.get(configKey(BROKER_RESOURCE, res.resourceName)) ?? EMPTY,
        image.configs.get(configKey(BROKER_RESOURCE, '')) ?? EMPTY,
        res.configurationKeys,
        defaultsOnly,
      );
    } else if (res.resourceType === BROKER_LOGGER_RESOURCE) {
      described = [];
    } else {
      return result(res.resourceType, res.resourceName, ErrorCode.INVALID_REQUEST, `Unsupported resource type ${res.resourceType}`);
    }
    const r = result(res.resourceType, res.resourceName, ErrorCode.NONE, null);
    r.configs = described.map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      isDefault: v === 0 ? c.isDefault : false,
      configSource: v >= 1 ? c.source : -1,
      isSensitive: c.isSensitive,
      synonyms: v >= 1 && req.includeSynonyms ? c.synonyms : [],
      configType: v >= 3 ? c.configType : 0,
      documentation: v >= 3 && req.includeDocumentation ? c.documentation : null,
    }));
    return r;
  });
  return { throttleTimeMs: 0, results };
}

export const describeConfigsHandler = defineHandler({
  api: describeConfigsApi,
  minVersion: 0,
  maxVersion: 4,
  handle,
  errorResponse(req, errorCode): DescribeConfigsResponse {
    return { throttleTimeMs: 0, results: req.resources.map((r) => result(r.resourceType, r.resourceName, errorCode, null)) };
  },
});
