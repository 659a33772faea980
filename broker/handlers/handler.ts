/**
 * The shape of a request handler. Each file in this folder handles one API, named by its key
 * (`00-produce.ts`), and declares the versions it implements: that declaration alone drives the
 * ApiVersions answer and the version check at dispatch.
 */
import type { ApiCodec, RequestHeader } from '../../protocol/messages/index.js';
import type { ConnectionInfo } from '../network/connection.js';
import type { HandlerContext } from './handler-context.js';

/** Returned by a handler when Kafka sends no response (acks=0 produce). */
export const NO_RESPONSE: unique symbol = Symbol('no response');
export type HandlerResult<Resp> = Resp | typeof NO_RESPONSE;

export interface RequestContext {
  /** The broker's subsystems, as handlers may use them. */
  readonly broker: HandlerContext;
  readonly connection: ConnectionInfo;
  readonly header: RequestHeader;
  readonly apiVersion: number;
  /** The request's bytes; the decoded request's byte fields are views of it. */
  readonly frame: Buffer;
  /** Runs `fn` once the response is written or dropped (to reuse buffers it holds). */
  afterResponse(fn: () => void): void;
}

export interface Handler<Req, Resp> {
  readonly api: ApiCodec<Req, Resp>;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(req: Req, ctx: RequestContext): HandlerResult<Resp> | Promise<HandlerResult<Resp>>;
  /**
   * A response giving `errorCode` for every part of the request (Kafka's
   * AbstractRequest.getErrorResponse), used when handling fails unexpectedly.
   */
  errorResponse(req: Req, errorCode: number, ctx: RequestContext): Resp;
}

/** Narrowing helper so each handler file gets full typing of its request and response. */
export function defineHandler<Req, Resp>(h: Handler<Req, Resp>): Handler<Req, Resp> {
  if (h.minVersion < h.api.minVersion || h.maxVersion > h.api.maxVersion) {
    throw new Error(`${h.api.name}: handler versions ${h.minVersion}-${h.maxVersion} outside the spec's ${h.api.minVersion}-${h.api.maxVersion}`);
  }
  return h;
}
