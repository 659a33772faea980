/**
 * ApiVersions (key 18), v0-4.
 * Lists every API and version range this broker implements, straight from the handler table.
 * v3+ (KIP-511): the client names its software and version; we record them on the connection.
 * An unknown version is answered by the dispatcher in v0 with UNSUPPORTED_VERSION.
 * Features: metadata.version is reported as supported and finalized at the level the controller
 * committed (KIP-584); clients only read it.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { apiVersionsApi, type ApiVersionsResponse } from '../../protocol/messages/index.js';
import { defineHandler } from './handler.js';
import { apiVersionsError, supportedApiVersions } from './index.js';

export const apiVersionsHandler = defineHandler({
  api: apiVersionsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx): ApiVersionsResponse {
    if (ctx.apiVersion >= 3) {
      ctx.connection.clientSoftwareName = req.clientSoftwareName;
      ctx.connection.clientSoftwareVersion = req.clientSoftwareVersion;
    }
    const image = ctx.broker.image();
    const level = image.metadataVersion;
    return {
      errorCode: ErrorCode.NONE,
      apiKeys: supportedApiVersions(),
      throttleTimeMs: 0,
      supportedFeatures: [{ name: 'metadata.version', minVersion: 1, maxVersion: level }],
      finalizedFeaturesEpoch: BigInt(image.offset),
      finalizedFeatures: [{ name: 'metadata.version', minVersionLevel: level, maxVersionLevel: level }],
      zkMigrationReady: false,
    };
  },
  errorResponse: (_req, errorCode) => apiVersionsError(errorCode),
});
