/**
 * The handler table, indexed by API key. It is the only source of the versions this broker
 * advertises in ApiVersions and accepts at dispatch.
 */
import type { ApiVersionsResponse, ApiVersionsResponseApiVersion } from '../../protocol/messages/index.js';
import type { Handler } from './handler.js';
import { produceHandler } from './00-produce.js';
import { fetchHandler } from './01-fetch.js';
import { listOffsetsHandler } from './02-list-offsets.js';
import { metadataHandler } from './03-metadata.js';
import { offsetCommitHandler } from './08-offset-commit.js';
import { offsetFetchHandler } from './09-offset-fetch.js';
import { findCoordinatorHandler } from './10-find-coordinator.js';
import { joinGroupHandler } from './11-join-group.js';
import { heartbeatHandler } from './12-heartbeat.js';
import { leaveGroupHandler } from './13-leave-group.js';
import { syncGroupHandler } from './14-sync-group.js';
import { describeGroupsHandler } from './15-describe-groups.js';
import { listGroupsHandler } from './16-list-groups.js';
import { apiVersionsHandler } from './18-api-versions.js';
import { createTopicsHandler } from './19-create-topics.js';
import { deleteTopicsHandler } from './20-delete-topics.js';
import { deleteRecordsHandler } from './21-delete-records.js';
import { initProducerIdHandler } from './22-init-producer-id.js';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.js';
import { describeConfigsHandler } from './32-describe-configs.js';
import { alterConfigsHandler } from './33-alter-configs.js';
import { alterReplicaLogDirsHandler } from './34-alter-replica-log-dirs.js';
import { describeLogDirsHandler } from './35-describe-log-dirs.js';
import { createPartitionsHandler } from './37-create-partitions.js';
import { deleteGroupsHandler } from './42-delete-groups.js';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs.js';
import { offsetDeleteHandler } from './47-offset-delete.js';
import { describeQuorumHandler } from './55-describe-quorum.js';
import { describeClusterHandler } from './60-describe-cluster.js';
import { consumerGroupHeartbeatHandler } from './68-consumer-group-heartbeat.js';
import { consumerGroupDescribeHandler } from './69-consumer-group-describe.js';
import { describeTopicPartitionsHandler } from './75-describe-topic-partitions.js';

// Each handler is typed by its own request and response; the table only needs the shared shape.
const handlers: Array<Handler<any, any>> = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  alterReplicaLogDirsHandler,
  describeLogDirsHandler,
  createPartitionsHandler,
  deleteGroupsHandler,
  incrementalAlterConfigsHandler,
  offsetDeleteHandler,
  describeQuorumHandler,
  describeClusterHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
  describeTopicPartitionsHandler,
]; // eslint-disable-line @typescript-eslint/no-explicit-any -- heterogeneous table, each entry checked by defineHandler

export const handlerTable: ReadonlyArray<Handler<unknown, unknown> | undefined> = (() => {
  const t: Array<Handler<unknown, unknown> | undefined> = [];
  for (const h of handlers) {
    if (t[h.api.key] !== undefined) throw new Error(`two handlers for API key ${h.api.key}`);
    t[h.api.key] = h as Handler<unknown, unknown>;
  }
  return t;
})();

let cachedVersions: ApiVersionsResponseApiVersion[] | null = null;

/** Every API this broker handles with its version range, in key order. */
export function supportedApiVersions(): ApiVersionsResponseApiVersion[] {
  if (cachedVersions === null) {
    cachedVersions = [];
    for (const h of handlerTable) {
      if (h !== undefined) cachedVersions.push({ apiKey: h.api.key, minVersion: h.minVersion, maxVersion: h.maxVersion });
    }
  }
  return cachedVersions;
}

/** An ApiVersions error answer that still lists the supported APIs (also the v0 answer to an unknown version, KIP-511). */
export function apiVersionsError(errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: supportedApiVersions(),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}
