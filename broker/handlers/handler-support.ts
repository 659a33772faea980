/** Small helpers shared by the group API handlers: the request's member context and error mapping. */
import type { RequestContext } from './handler.js';
import { CoordinatorError } from '../group/group-coordinator.js';
import type { MemberContext } from '../group/group-ops.js';

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
