/**
 * Metadata (key 3), v0-12.
 * Brokers, cluster id, controller id and topics with their partitions' leaders and replicas.
 * A null topic list (v1+), or an empty one in v0, asks for every topic. Unknown topics are created
 * when the request allows it (v4+; always in v0-3) and `auto.create.topics.enable` is on; creation
 * completes before the answer, so the client sees a usable topic at once instead of Kafka's
 * LEADER_NOT_AVAILABLE retry. Topics may be asked for by id (v10+, KIP-516).
 * Authorized operations (v8+) are reported as "not requested" (-2^31): there is no ACL support yet.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  metadataApi,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataResponseTopic,
} from '../../protocol/messages/index.js';
import type { MetadataImage, TopicImage } from '../../controller/image.js';
import { topicNameError } from '../topic-names.js';
import { ZERO_UUID } from '../../protocol/uuid.js';
import { defineHandler, type RequestContext } from './handler.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';

function topicEntry(t: TopicImage, v: number, image: MetadataImage): MetadataResponseTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: t.name.startsWith('__'),
    partitions: t.partitions.map((p) => {
      const alive = p.replicas.filter((id) => image.brokers.has(id));
      return {
        errorCode: p.leader >= 0 ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: p.partition,
        leaderId: p.leader,
        leaderEpoch: v >= 7 ? p.leaderEpoch : -1,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        offlineReplicas: v >= 5 ? p.replicas.filter((id) => !alive.includes(id)) : [],
      };
    }),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
  };
}

function errorTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
}

async function handle(req: MetadataRequest, ctx: RequestContext): Promise<MetadataResponse> {
  const v = ctx.apiVersion;
  const broker = ctx.broker;
  const all = req.topics === null || (v === 0 && req.topics.length === 0);
  const allowAutoCreate = v < 4 || req.allowAutoTopicCreation;

  let image = broker.image();
  const topics: MetadataResponseTopic[] = [];
  if (all) {
    for (const t of image.topics.values()) topics.push(topicEntry(t, v, image));
  } else {
    // Create what is missing first (one controller round for all), then answer from the new image.
    const missing = new Set<string>();
    for (const rt of req.topics!) {
      if (rt.name !== null && rt.name !== '' && !image.topics.has(rt.name) && topicNameError(rt.name) === null) missing.add(rt.name);
    }
    const creationErrors = new Map<string, number>();
    if (missing.size > 0 && allowAutoCreate && broker.config.autoCreateTopicsEnable) {
      const results = await broker.autoCreateTopics([...missing]);
      for (const [name, code] of results) if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) creationErrors.set(name, code);
      image = broker.image();
    }
    for (const rt of req.topics!) {
      if (rt.name === null || rt.name === '') {
        const byId = rt.topicId !== ZERO_UUID ? image.topicsById.get(rt.topicId) : undefined;
        topics.push(byId ? topicEntry(byId, v, image) : errorTopic(v >= 12 ? null : '', rt.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
        continue;
      }
      const t = image.topics.get(rt.name);
      if (t) topics.push(topicEntry(t, v, image));
      else if (topicNameError(rt.name) !== null) topics.push(errorTopic(rt.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
      else topics.push(errorTopic(rt.name, ZERO_UUID, creationErrors.get(rt.name) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    }
  }

  return {
    throttleTimeMs: 0,
    brokers: [...image.brokers.values()].map((b) => {
      const l = broker.advertisedListenerOf(b);
      return { nodeId: b.id, host: l.host, port: l.port, rack: b.rack };
    }),
    clusterId: image.clusterId,
    controllerId: image.controllerId,
    topics,
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
  };
}

export const metadataHandler = defineHandler({
  api: metadataApi,
  minVersion: 0,
  maxVersion: 12,
  handle,
  errorResponse(req, errorCode, ctx): MetadataResponse {
    return {
      throttleTimeMs: 0,
      brokers: [],
      clusterId: ctx.broker.image().clusterId,
      controllerId: -1,
      topics: (req.topics ?? []).map((t) => errorTopic(t.name, t.topicId, errorCode)),
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED,
    };
  },
});
