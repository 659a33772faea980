/**
 * The request dispatcher, called directly with request frames (no socket): routing by API key
 * and version, Kafka's answers to what it cannot serve (UNSUPPORTED_VERSION in ApiVersions v0 for
 * an ApiVersions version it does not speak; a closed connection for any other unknown API,
 * version or malformed request), UNKNOWN_SERVER_ERROR for a handler that fails and for an answer
 * that cannot be encoded, and response framing: size, correlation id and header version (v1 for
 * flexible versions, v0 otherwise and always for ApiVersions).
 *
 * The broker is a real one in-process (metadata on a temporary directory, partition logs on the
 * in-memory file system); handlers are the broker's own, or small ones in a table of the test's.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import {
  apiVersionsApi,
  decodeResponseHeader,
  defaultListGroupsRequest,
  defaultMetadataRequest,
  describeClusterApi,
  encodeRequestHeader,
  listGroupsApi,
  metadataApi,
  requestHeaderVersion,
  type ApiCodec,
  type ListGroupsRequest,
  type ListGroupsResponse,
  type RequestHeader,
} from '../../protocol/messages/index.js';
import { MemoryFileSystem } from '../../storage/fs/memory-file-system.js';
import { Broker } from '../broker.js';
import { loadServerConfig } from '../../config/server-config.js';
import { supportedApiVersions } from '../handlers/index.js';
import { NO_RESPONSE, type Handler, type HandlerResult, type RequestContext } from '../handlers/handler.js';
import { Logger } from '../logger.js';
import { CloseConnection, type ConnectionInfo, type DispatchResult } from '../network/connection.js';
import { BrokerRequestDispatcher } from '../request-dispatcher.js';

const dataDir = mkdtempSync(join(tmpdir(), 'samsa-dispatcher-'));
const lines: string[] = [];
const broker = await Broker.start(
  loadServerConfig({ overrides: { 'log.dirs': dataDir, 'samsa.listener.port': '0', 'offsets.topic.num.partitions': '1' } }),
  new Logger('info', (line) => lines.push(line)),
  { fs: new MemoryFileSystem() },
);
t.teardown(async () => {
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
});

let connections = 0;
function connection(): ConnectionInfo {
  return { id: ++connections, remoteAddress: `10.0.0.${connections}:5000`, localPort: 9092, clientSoftwareName: null, clientSoftwareVersion: null };
}

/** A request frame as the dispatcher gets it: header and body, without the size prefix. */
function frame<Req>(api: ApiCodec<Req, unknown>, version: number, body: Req, correlationId: number, clientId: string | null = 'test-client'): Buffer {
  const w = new Writer(256);
  encodeRequestHeader(w, { requestApiKey: api.key, requestApiVersion: version, correlationId, clientId }, requestHeaderVersion(api.key, version));
  api.encodeRequest(w, body, version);
  return w.toBuffer();
}

/** Only the fixed part of a header (key, version, correlation id, client id), for versions no codec writes. */
function bareFrame(apiKey: number, version: number, correlationId: number, clientId = 'test-client'): Buffer {
  const id = Buffer.from(clientId);
  const b = Buffer.alloc(10 + id.length);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(version, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(id.length, 8);
  id.copy(b, 10);
  return b;
}

/** Parses a response: its size prefix, a header of `headerVersion`, and a body that ends the frame. */
function parse<Resp>(result: DispatchResult, api: ApiCodec<unknown, Resp>, version: number, headerVersion: number): { correlationId: number; body: Resp } {
  if (result === null) throw new Error('no response');
  const bytes = Buffer.concat(result.buffers);
  if (bytes.readInt32BE(0) !== bytes.length - 4) throw new Error(`size prefix ${bytes.readInt32BE(0)} for ${bytes.length - 4} bytes`);
  const r = new Reader(bytes, 4);
  const { correlationId } = decodeResponseHeader(r, headerVersion);
  const body = api.decodeResponse(r, version);
  r.expectEnd(`${api.name} v${version} response`);
  return { correlationId, body };
}

async function closes(t: Test, run: () => DispatchResult | Promise<DispatchResult>, message: RegExp): Promise<void> {
  let error: unknown = null;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  t.type(error, CloseConnection, 'the connection is closed');
  t.match((error as Error | null)?.message, message);
}

const real = new BrokerRequestDispatcher(broker.handlerContext);

t.test('ApiVersions of every supported version is routed to its handler; the response header is v0', async (t) => {
  for (let v = 0; v <= 4; v++) {
    const conn = connection();
    const result = await real.dispatch(frame(apiVersionsApi, v, { clientSoftwareName: 'samsa-test', clientSoftwareVersion: '1.0' }, 1000 + v), conn);
    const { correlationId, body } = parse(result, apiVersionsApi, v, 0);
    t.equal(correlationId, 1000 + v, `v${v}: the correlation id is echoed`);
    t.equal(body.errorCode, ErrorCode.NONE);
    t.match(body.apiKeys.find((k) => k.apiKey === 18), { minVersion: 0, maxVersion: 4 }, `v${v}: the answer lists ApiVersions itself`);
    t.equal(conn.clientSoftwareName, v >= 3 ? 'samsa-test' : null, `v${v}: the client software is recorded from v3 on`);
  }
});

t.test('an ApiVersions version this broker does not speak: UNSUPPORTED_VERSION in v0 with the supported versions', async (t) => {
  const result = await real.dispatch(bareFrame(18, 9, 77), connection());
  t.ok(result !== null);
  t.equal(result!.done, null);
  const { correlationId, body } = parse(result, apiVersionsApi, 0, 0);
  t.equal(correlationId, 77);
  t.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
  t.match(body.apiKeys.find((k) => k.apiKey === 3), { minVersion: 0, maxVersion: 12 }, 'what the broker speaks, so the client can retry');
  t.same(body.apiKeys, supportedApiVersions(), 'every API of the handler table');
});

t.test('response header versions: v1 for flexible requests, v0 before', async (t) => {
  for (const [version, headerVersion] of [[8, 0], [9, 1], [12, 1]] as const) {
    const result = await real.dispatch(frame(metadataApi, version, { ...defaultMetadataRequest(), topics: [] }, -5 - version), connection());
    const { correlationId, body } = parse(result, metadataApi, version, headerVersion);
    t.equal(correlationId, -5 - version, `Metadata v${version}: negative correlation ids are echoed too`);
    t.ok(body.brokers.some((b) => b.nodeId === 1), `Metadata v${version}: answered by the metadata handler`);
    t.throws(() => parse(result, metadataApi, version, 1 - headerVersion), `Metadata v${version}: the other header version does not parse`);
  }
});

t.test('an unsupported version of another API closes the connection, logged once per client and API', async (t) => {
  lines.length = 0;
  await closes(t, () => real.dispatch(bareFrame(3, 13, 1, 'app-one'), connection()), /Metadata v13 \(supported: v0-12\) is not supported/);
  t.equal(lines.length, 1);
  t.match(lines[0], /closing connection from 10\.0\.0\.\d+:5000: client 'app-one' \(unknown client software\) sent Metadata v13 \(supported: v0-12\); it was not advertised in ApiVersions/);
  await closes(t, () => real.dispatch(bareFrame(3, 13, 2, 'app-one'), connection()), /not supported/);
  t.equal(lines.length, 1, 'the same client and API again: not logged again');
  await closes(t, () => real.dispatch(bareFrame(3, 13, 3, 'app-two'), connection()), /not supported/);
  t.equal(lines.length, 2, 'another client is logged');
});

t.test('unknown API keys and APIs this broker does not implement close the connection', async (t) => {
  lines.length = 0;
  const conn = connection();
  conn.clientSoftwareName = 'librdkafka';
  conn.clientSoftwareVersion = '2.3.0';
  await closes(t, () => real.dispatch(bareFrame(999, 0, 1), conn), /unknown API key 999 v0 is not supported/);
  await closes(t, () => real.dispatch(bareFrame(17, 1, 2), conn), /SaslHandshake \(key 17\), which this broker does not implement, v1 is not supported/);
  t.match(lines.join('\n'), /client 'test-client' \(librdkafka 2\.3\.0\) sent unknown API key 999 v0/);
});

t.test('a frame too short for a header, or a body that does not decode, closes the connection', async (t) => {
  await closes(t, () => real.dispatch(Buffer.from([0, 18, 0, 3, 0, 0]), connection()), /frame of 6 bytes is too short/);
  const whole = frame(metadataApi, 12, { ...defaultMetadataRequest(), topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'orders' }] }, 5);
  await closes(t, () => real.dispatch(whole.subarray(0, whole.length - 4), connection()), /malformed Metadata v12 request/);
});

// ---- Handlers of the test's own, in a table of their own ----

interface Call {
  request: ListGroupsRequest;
  header: RequestHeader;
  apiVersion: number;
}

/** A ListGroups handler for v1-3 whose answer and failure the test chooses. */
function listGroups(handle: (req: ListGroupsRequest, ctx: RequestContext) => HandlerResult<ListGroupsResponse> | Promise<HandlerResult<ListGroupsResponse>>, errorResponse?: Handler<ListGroupsRequest, ListGroupsResponse>['errorResponse']): Handler<unknown, unknown> {
  const h: Handler<ListGroupsRequest, ListGroupsResponse> = {
    api: listGroupsApi,
    minVersion: 1,
    maxVersion: 3,
    handle,
    errorResponse: errorResponse ?? ((_req, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] })),
  };
  return h as Handler<unknown, unknown>;
}

function table(...handlers: Handler<unknown, unknown>[]): Array<Handler<unknown, unknown> | undefined> {
  const out: Array<Handler<unknown, unknown> | undefined> = [];
  for (const h of handlers) out[h.api.key] = h;
  return out;
}

const group = (groupId: string): ListGroupsResponse['groups'][number] => ({ groupId, protocolType: 'consumer', groupState: '', groupType: '' });
const LIST_GROUPS_V2 = (correlationId: number): Buffer => frame(listGroupsApi, 2, defaultListGroupsRequest(), correlationId);

t.test('routing: the handler of the key gets the decoded request, header and version', async (t) => {
  const calls: Call[] = [];
  const clusterCalls: number[] = [];
  const dispatcher = new BrokerRequestDispatcher(broker.handlerContext, table(
    listGroups((request, ctx) => {
      calls.push({ request, header: ctx.header, apiVersion: ctx.apiVersion });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [group(`g-v${ctx.apiVersion}`)] };
    }),
    {
      api: describeClusterApi,
      minVersion: 0,
      maxVersion: 1,
      handle: (_req: unknown, ctx: RequestContext) => {
        clusterCalls.push(ctx.apiVersion);
        throw new Error('routed to the wrong handler');
      },
      errorResponse: () => {
        throw new Error('routed to the wrong handler');
      },
    } as Handler<unknown, unknown>,
  ));
  for (const v of [1, 2, 3]) {
    const result = await dispatcher.dispatch(frame(listGroupsApi, v, { statesFilter: [], typesFilter: [] }, 40 + v, `client-${v}`), connection());
    const { correlationId, body } = parse(result, listGroupsApi, v, v >= 3 ? 1 : 0);
    t.equal(correlationId, 40 + v);
    t.same(body.groups.map((g) => g.groupId), [`g-v${v}`], `v${v}: the handler's answer, encoded in v${v}`);
  }
  t.same(calls.map((c) => [c.apiVersion, c.header.requestApiKey, c.header.requestApiVersion, c.header.correlationId, c.header.clientId]), [
    [1, 16, 1, 41, 'client-1'],
    [2, 16, 2, 42, 'client-2'],
    [3, 16, 3, 43, 'client-3'],
  ]);
  t.same(clusterCalls, [], 'the other handler was not called');

  await closes(t, () => dispatcher.dispatch(frame(listGroupsApi, 0, defaultListGroupsRequest(), 1), connection()), /ListGroups v0 \(supported: v1-3\)/);
  await closes(t, () => dispatcher.dispatch(frame(listGroupsApi, 4, defaultListGroupsRequest(), 1), connection()), /ListGroups v4 \(supported: v1-3\)/);
  t.equal(calls.length, 3, 'versions outside the handler range never reach it');
  // The table decides what is implemented: without an ApiVersions handler there is no KIP-511 answer either.
  await closes(t, () => dispatcher.dispatch(bareFrame(18, 9, 1), connection()), /ApiVersions \(key 18\), which this broker does not implement, v9/);
});

t.test('a handler that throws, or whose promise rejects, answers UNKNOWN_SERVER_ERROR and logs the error', async (t) => {
  for (const [what, handle] of [
    ['throws', (): ListGroupsResponse => { throw new Error('boom (sync)'); }],
    ['rejects', async (): Promise<ListGroupsResponse> => { throw new Error('boom (async)'); }],
  ] as const) {
    lines.length = 0;
    const dispatcher = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups(handle)));
    const { correlationId, body } = parse(await dispatcher.dispatch(LIST_GROUPS_V2(9), connection()), listGroupsApi, 2, 0);
    t.equal(correlationId, 9, `${what}: answered under the request's correlation id`);
    t.same(body, { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, groups: [] }, `${what}: the handler's error response`);
    t.match(lines.join('\n'), /ERROR.*ListGroups v2 from 10\.0\.0\.\d+:5000 failed: Error: boom/, `${what}: logged with the API and client`);
  }
});

t.test('an answer that cannot be encoded is replaced by UNKNOWN_SERVER_ERROR; if that fails too, the connection closes', async (t) => {
  lines.length = 0;
  // ListGroups v2 strings have an int16 length: a group id of 40,000 bytes does not fit.
  const tooLong = group('g'.repeat(40_000));
  const dispatcher = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups(() => ({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [group('ok'), tooLong] }))));
  const { body } = parse(await dispatcher.dispatch(LIST_GROUPS_V2(1), connection()), listGroupsApi, 2, 0);
  t.same(body, { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, groups: [] });
  t.match(lines.join('\n'), /WARN.*the answer to ListGroups v2 from 10\.0\.0\.\d+:5000 cannot be encoded \(string of 40000 bytes is too long for an int16 length\); answering UNKNOWN_SERVER_ERROR/);

  const asyncDispatcher = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups(async () => ({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [tooLong] }))));
  t.equal(parse(await asyncDispatcher.dispatch(LIST_GROUPS_V2(2), connection()), listGroupsApi, 2, 0).body.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR, 'an async answer too');

  const hopeless = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups(() => ({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [tooLong] }), () => ({ throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, groups: [tooLong] }))));
  await closes(t, () => hopeless.dispatch(LIST_GROUPS_V2(3), connection()), /the answer to ListGroups v2 cannot be encoded: string of 40000 bytes/);

  const failedThenHopeless = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups(() => { throw new Error('boom'); }, () => ({ throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, groups: [tooLong] }))));
  t.throws(() => failedThenHopeless.dispatch(LIST_GROUPS_V2(4), connection()), RangeError, 'an error response that cannot be encoded after a failed handler propagates');
});

t.test('an encoding bug other than a size or format limit is not hidden', async (t) => {
  const dispatcher = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups(() => ({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [null] }) as unknown as ListGroupsResponse)));
  t.throws(() => dispatcher.dispatch(LIST_GROUPS_V2(1), connection()), TypeError);
});

t.test('no response, and what runs once the response is written', async (t) => {
  const ran: string[] = [];
  const silent = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups((_req, ctx) => {
    ctx.afterResponse(() => ran.push('silent'));
    return NO_RESPONSE;
  })));
  t.equal(await silent.dispatch(LIST_GROUPS_V2(1), connection()), null, 'NO_RESPONSE: nothing is sent');
  t.same(ran, ['silent'], 'and what was registered runs at once');

  const answering = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups((_req, ctx) => {
    ctx.afterResponse(() => ran.push('first'));
    ctx.afterResponse(() => ran.push('second'));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [] };
  })));
  ran.length = 0;
  const result = await answering.dispatch(LIST_GROUPS_V2(2), connection());
  t.same(ran, [], 'nothing runs before the response is written');
  t.type(result?.done, 'function');
  result!.done!();
  result!.done!();
  t.same(ran, ['first', 'second'], 'each runs once, in order, however often done is called');

  const plain = new BrokerRequestDispatcher(broker.handlerContext, table(listGroups(() => ({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: [] }))));
  t.equal((await plain.dispatch(LIST_GROUPS_V2(3), connection()))?.done, null, 'no done when nothing was registered');
});
