/**
 * Connection, on both read paths: the server's shared read buffer (an accepted socket moved into
 * one with `onread`) and plain stream reads (the fallback). Responses leave in request order
 * whatever order they finish in; a response's `done` runs once it is written.
 */
import t from 'tap';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { Connection, type DispatchResult, type RequestDispatcher } from '../../network/connection.js';
import { SocketServer } from '../../network/server.js';

/** Answers each frame with its own bytes, after a delay the frame's first byte gives (ms). */
class EchoDispatcher implements RequestDispatcher {
  written = 0;
  dispatch(frame: Buffer): Promise<DispatchResult> {
    const copy = Buffer.from(frame);
    const size = Buffer.alloc(4);
    size.writeInt32BE(copy.length);
    return new Promise((resolve) =>
      setTimeout(() => resolve({ buffers: [size, copy], done: () => void this.written++ }), copy[0] ?? 0),
    );
  }
}

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** Sends the frames in awkward pieces and reads back `count` framed responses. */
async function roundTrip(port: number, frames: Buffer[]): Promise<Buffer[]> {
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const all = Buffer.concat(frames.map(frame));
  for (let pos = 0; pos < all.length; pos += 7001) client.write(all.subarray(pos, pos + 7001));
  let got = Buffer.alloc(0);
  const out: Buffer[] = [];
  for await (const chunk of client) {
    got = Buffer.concat([got, chunk as Buffer]);
    while (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) {
      out.push(got.subarray(4, 4 + got.readInt32BE(0)));
      got = got.subarray(4 + got.readInt32BE(0));
    }
    if (out.length === frames.length) break;
  }
  client.destroy();
  return out;
}

// Later requests finish first (smaller delays); some frames span many reads.
const requests = [Buffer.alloc(300_000, 30), Buffer.alloc(10, 20), Buffer.alloc(70_000, 10), Buffer.alloc(1, 0)];
const opts = { maxFrameBytes: 1 << 20, maxInFlight: 100, maxInFlightBytes: 4 << 20, log: () => undefined };

t.test('through the server (shared read buffer)', async (t) => {
  const dispatcher = new EchoDispatcher();
  const server = new SocketServer(dispatcher, { ...opts, maxConnections: 10 });
  const { port } = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close(100));
  const answers = await roundTrip(port, requests);
  t.same(answers.map((a) => a.toString('hex')), requests.map((r) => r.toString('hex')), 'every response, in request order');
  // The last write's callback may run just after the client has read its bytes.
  await new Promise((r) => setTimeout(r, 50));
  t.equal(dispatcher.written, requests.length, 'done ran for every written response');
});

t.test('with stream reads (the fallback)', async (t) => {
  const dispatcher = new EchoDispatcher();
  const conns: Connection[] = [];
  const server = createServer({ pauseOnConnect: true }, (socket: Socket) => {
    conns.push(new Connection(1, socket, dispatcher, opts, () => undefined));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const c of conns) c.destroy();
    server.close();
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const answers = await roundTrip(port, requests);
  t.same(answers.map((a) => a.toString('hex')), requests.map((r) => r.toString('hex')), 'every response, in request order');
  // The last write's callback may run just after the client has read its bytes.
  await new Promise((r) => setTimeout(r, 50));
  t.equal(dispatcher.written, requests.length, 'done ran for every written response');
});
