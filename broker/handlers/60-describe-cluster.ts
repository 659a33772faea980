/**
 * DescribeCluster (key 60), v0-1.
 * The cluster id, controller id and brokers. v1 (KIP-919) lets a client ask for controller
 * endpoints instead; a broker listener answers that with MISMATCHED_ENDPOINT_TYPE, as Kafka does.
 * Authorized operations: not requested (-2^31), there are no ACLs yet.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { describeClusterApi, type DescribeClusterResponse } from '../../protocol/messages/index.js';
import { defineHandler } from './handler.js';
import { AUTHORIZED_OPERATIONS_NOT_REQUESTED } from '../authorized-operations.js';

const BROKER_ENDPOINTS = 1;

function answer(errorCode: number, errorMessage: string | null, clusterId: string): DescribeClusterResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, endpointType: BROKER_ENDPOINTS, clusterId, controllerId: -1, brokers: [], clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_NOT_REQUESTED };
}

export const describeClusterHandler = defineHandler({
  api: describeClusterApi,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx): DescribeClusterResponse {
    const image = ctx.broker.image();
    if (ctx.apiVersion >= 1 && req.endpointType !== BROKER_ENDPOINTS) {
      return answer(ErrorCode.MISMATCHED_ENDPOINT_TYPE, 'The request was sent to a broker listener but asked for controller endpoints', image.clusterId);
    }
    const r = answer(ErrorCode.NONE, null, image.clusterId);
    r.controllerId = image.controllerId;
    r.brokers = [...image.brokers.values()].map((b) => {
      const l = ctx.broker.advertisedListenerOf(b);
      return { brokerId: b.id, host: l.host, port: l.port, rack: b.rack };
    });
    return r;
  },
  errorResponse(_req, errorCode, ctx): DescribeClusterResponse {
    return answer(errorCode, null, ctx.broker.image().clusterId);
  },
});
