/**
 * From frame to response bytes: reads the request header, checks the API and version against the
 * handler table, decodes, calls the handler and encodes the response behind its header and size.
 *
 * Kafka's rules for bad requests (RequestContext.parseRequest): an ApiVersions request of a
 * version we do not speak gets an UNSUPPORTED_VERSION answer in v0 listing what we do speak
 * (KIP-511); any other unknown API key, unsupported version or undecodable body closes the
 * connection, since the client cannot be answered in a format it expects.
 */
import { ProtocolError } from '../protocol/codec/errors.js';
import { Reader } from '../protocol/codec/reader.js';
import { Writer } from '../protocol/codec/writer.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  ApiKey,
  apiByKey,
  decodeRequestHeader,
  encodeApiVersionsResponse,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  type RequestHeader,
} from '../protocol/messages/index.js';
import { apiVersionsError, handlerTable } from './handlers/index.js';
import { NO_RESPONSE, type Handler, type RequestContext } from './handlers/handler.js';
import type { HandlerContext } from './handlers/handler-context.js';
import { CloseConnection, type ConnectionInfo, type DispatchResult, type RequestDispatcher } from './network/connection.js';

export class BrokerRequestDispatcher implements RequestDispatcher {
  constructor(
    private readonly broker: HandlerContext,
    /** The handler table to route to; tests pass their own. */
    private readonly handlers: ReadonlyArray<Handler<unknown, unknown> | undefined> = handlerTable,
  ) {}

  dispatch(frame: Buffer, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult> {
    if (frame.length < 8) throw this.reject(conn, 'short-frame', `frame of ${frame.length} bytes is too short for a request header`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const handler = this.handlers[apiKey];
    if (handler === undefined) {
      const known = apiByKey[apiKey];
      const what = known === undefined ? `unknown API key ${apiKey}` : `${known.name} (key ${apiKey}), which this broker does not implement,`;
      throw this.rejectClient(conn, frame, `api-${apiKey}`, `${what} v${apiVersion}`);
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) return this.unsupportedApiVersions(correlationId);
      throw this.rejectClient(conn, frame, `version-${apiKey}-${apiVersion}`, `${handler.api.name} v${apiVersion} (supported: v${handler.minVersion}-${handler.maxVersion})`);
    }
    const r = new Reader(frame);
    let header: RequestHeader;
    let request: unknown;
    try {
      header = decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
      request = handler.api.decodeRequest(r, apiVersion);
    } catch (e) {
      if (e instanceof ProtocolError) throw this.reject(conn, `decode-${apiKey}`, `malformed ${handler.api.name} v${apiVersion} request: ${e.message}`);
      throw e;
    }
    const ctx = new DispatchContext(this.broker, conn, header, apiVersion, frame);
    let result: unknown;
    try {
      result = handler.handle(request, ctx);
    } catch (e) {
      return this.failed(handler, request, ctx, e);
    }
    if (result instanceof Promise) {
      return result.then(
        (resp: unknown) => this.respondOrFail(handler, request, ctx, resp),
        (e: unknown) => this.failed(handler, request, ctx, e),
      );
    }
    return this.respondOrFail(handler, request, ctx, result);
  }

  /**
   * An API or version the client should not have sent, since ApiVersions did not advertise it:
   * logged once per client software, client id and API, naming all three, so an operator can
   * tell which application needs what.
   */
  private rejectClient(conn: ConnectionInfo, frame: Buffer, key: string, what: string): CloseConnection {
    const clientId = peekClientId(frame);
    const software = conn.clientSoftwareName === null ? 'unknown client software' : `${conn.clientSoftwareName} ${conn.clientSoftwareVersion ?? ''}`.trim();
    const client = `client ${clientId === null ? '(no client id)' : `'${clientId}'`} (${software})`;
    this.broker.logger.once(
      'warn',
      `${software}/${clientId ?? ''}/${key}`,
      `closing connection from ${conn.remoteAddress}: ${client} sent ${what}; it was not advertised in ApiVersions`,
    );
    return new CloseConnection(`${what} is not supported`);
  }

  private reject(conn: ConnectionInfo, key: string, reason: string): CloseConnection {
    this.broker.logger.once('warn', `${conn.remoteAddress}/${key}`, `closing connection from ${conn.remoteAddress}: ${reason}`);
    return new CloseConnection(reason);
  }

  private failed(handler: Handler<unknown, unknown>, request: unknown, ctx: DispatchContext, e: unknown): DispatchResult {
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    this.broker.logger.error(`${handler.api.name} v${ctx.apiVersion} from ${ctx.connection.remoteAddress} failed: ${msg}`);
    return this.respond(handler, ctx, handler.errorResponse(request, ErrorCode.UNKNOWN_SERVER_ERROR, ctx));
  }

  /**
   * An answer that cannot be encoded in the request's version (an error message echoing a name
   * near the int16 string limit, or a field the version lacks) is replaced by the handler's error
   * answer, so the client gets UNKNOWN_SERVER_ERROR rather than a closed connection it would retry
   * blindly. When even that cannot be encoded the connection closes, as Kafka's does.
   */
  private respondOrFail(handler: Handler<unknown, unknown>, request: unknown, ctx: DispatchContext, response: unknown): DispatchResult {
    try {
      return this.respond(handler, ctx, response);
    } catch (e) {
      if (!(e instanceof ProtocolError) && !(e instanceof RangeError)) throw e;
      const what = `${handler.api.name} v${ctx.apiVersion}`;
      this.broker.logger.once('warn', `encode/${what}`, `the answer to ${what} from ${ctx.connection.remoteAddress} cannot be encoded (${e.message}); answering UNKNOWN_SERVER_ERROR`);
      try {
        return this.respond(handler, ctx, handler.errorResponse(request, ErrorCode.UNKNOWN_SERVER_ERROR, ctx));
      } catch (again) {
        throw new CloseConnection(`the answer to ${what} cannot be encoded: ${again instanceof Error ? again.message : String(again)}`);
      }
    }
  }

  private respond(handler: Handler<unknown, unknown>, ctx: DispatchContext, response: unknown): DispatchResult {
    if (response === NO_RESPONSE) {
      ctx.done?.();
      return null;
    }
    const w = new Writer(1024);
    const setSize = w.reserveInt32();
    const apiKey = handler.api.key;
    encodeResponseHeader(w, { correlationId: ctx.header.correlationId }, responseHeaderVersion(apiKey, ctx.apiVersion));
    handler.api.encodeResponse(w, response, ctx.apiVersion);
    setSize(w.length - 4);
    return { buffers: w.finish(), done: ctx.done };
  }

  /** KIP-511: an ApiVersions version we do not know is answered in v0 with what we support. */
  private unsupportedApiVersions(correlationId: number): DispatchResult {
    const w = new Writer(1024);
    const setSize = w.reserveInt32();
    encodeResponseHeader(w, { correlationId }, 0);
    encodeApiVersionsResponse(w, apiVersionsError(ErrorCode.UNSUPPORTED_VERSION), 0);
    setSize(w.length - 4);
    return { buffers: w.finish(), done: null };
  }
}

/**
 * The client id of a request whose header version is unknown: every header version from 1 on
 * starts with the key, version, correlation id and a nullable int16-length client id.
 */
function peekClientId(frame: Buffer): string | null {
  if (frame.length < 10) return null;
  const len = frame.readInt16BE(8);
  if (len < 0 || 10 + len > frame.length) return null;
  return frame.toString('utf8', 10, 10 + Math.min(len, 256));
}

class DispatchContext implements RequestContext {
  /** What to run once the response is written or dropped; null when nothing was registered. */
  done: (() => void) | null = null;
  private readonly afterResponseFns: Array<() => void> = [];

  constructor(
    readonly broker: HandlerContext,
    readonly connection: ConnectionInfo,
    readonly header: RequestHeader,
    readonly apiVersion: number,
    readonly frame: Buffer,
  ) {}

  afterResponse(fn: () => void): void {
    this.afterResponseFns.push(fn);
    // Runs once, however many of the connection's paths report the response finished.
    this.done ??= () => {
      const fns = this.afterResponseFns.splice(0);
      for (const f of fns) f();
    };
  }
}
