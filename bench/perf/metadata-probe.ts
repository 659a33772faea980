/**
 * A Metadata round trip over raw TCP (no client library, so it also loads in a worker thread),
 * and a worker-thread entry point that repeats it on an interval and reports each round trip to
 * its parent: the suite's responsiveness probe, kept off the main thread so the load generator's
 * own work does not delay it.
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** A Metadata v1 request for all topics (topics: null), size prefix included. */
function metadataRequest(correlationId: number): Buffer {
  const clientId = Buffer.from('samsa-bench');
  const b = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length + 4);
  let o = 0;
  o = b.writeInt32BE(b.length - 4, o);
  o = b.writeInt16BE(3, o); // api key: Metadata
  o = b.writeInt16BE(1, o); // version 1
  o = b.writeInt32BE(correlationId, o);
  o = b.writeInt16BE(clientId.length, o);
  o += clientId.copy(b, o);
  b.writeInt32BE(-1, o); // topics: null (all)
  return b;
}

/**
 * One Metadata round trip on a fresh connection: true when a response with the request's
 * correlation id and at least one broker comes back, false on refusal, close or timeout.
 */
export function metadataOnce(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const correlationId = 0x5a5a;
    let buf = Buffer.alloc(0);
    let settled = false;
    const socket = connect(port, host);
    const finish = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.setNoDelay(true);
    socket.on('connect', () => socket.write(metadataRequest(correlationId)));
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      // Response header v0 (correlation id), then v1 body: brokers array first.
      finish(buf.length >= 12 && buf.readInt32BE(4) === correlationId && buf.readInt32BE(8) >= 1);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}

export interface ProbeSample {
  /** Date.now() when the request was started. */
  at: number;
  /** Round-trip milliseconds, or -1 when it failed. */
  ms: number;
}

export interface ProbeWorkerData {
  host: string;
  port: number;
  intervalMs: number;
}

if (!isMainThread && parentPort !== null && (workerData as { probe?: ProbeWorkerData } | null)?.probe) {
  const { host, port, intervalMs } = (workerData as { probe: ProbeWorkerData }).probe;
  const port_ = parentPort;
  let stopped = false;
  port_.on('message', (m) => {
    if (m === 'stop') stopped = true;
  });
  while (!stopped) {
    const at = Date.now();
    const t0 = performance.now();
    const ok = await metadataOnce(host, port, 5000);
    port_.postMessage({ at, ms: ok ? performance.now() - t0 : -1 } satisfies ProbeSample);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  port_.postMessage('done');
  port_.close();
}
