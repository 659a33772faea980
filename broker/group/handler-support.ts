/** Small helpers shared by the group API handlers. */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { RequestContext } from '../handlers/handler.js';
import { CoordinatorError } from './group-coordinator.js';
import type { MemberContext } from './group-shard.js';

/** The error code a failed coordinator call answers with. */
export function coordinatorErrorCode(e: unknown): number {
  if (e instanceof CoordinatorError) return e.errorCode;
  throw e;
}

/** Kafka reports a member's host as `/<address>`. */
export function memberContext(ctx: RequestContext): MemberContext {
  const addr = ctx.connection.remoteAddress;
  const host = addr.includes(':') ? addr.slice(0, addr.lastIndexOf(':')) : addr;
  return { clientId: ctx.header.clientId ?? '', clientHost: `/${host}`, apiVersion: ctx.apiVersion };
}

export { ErrorCode };
