/**
 * A bare Kafka protocol connection for tests that must send what no client library would:
 * arbitrary bytes, cut-off frames, unknown APIs. Well-formed requests are encoded with the
 * generated codecs.
 */
import { connect, type Socket } from 'node:net';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import {
  decodeResponseHeader,
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  encodeRequestHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  type ApiCodec,
  type FetchRequest,
} from '../messages/index.js';
import { ZERO_UUID } from '../uuid.js';

/** One partition to fetch: by name (Fetch v0-12) or by topic id (v13+). */
export interface FetchTarget {
  topic?: string;
  topicId?: string;
  partition?: number;
  offset: number;
}

/** A sessionless Fetch of one partition that answers at once, up to 1 MiB; `extra` overrides request fields. */
export function fetchRequest(at: FetchTarget, extra: Partial<FetchRequest> = {}): FetchRequest {
  return {
    ...defaultFetchRequest(),
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    sessionEpoch: -1,
    topics: [
      {
        topic: at.topic ?? '',
        topicId: at.topicId ?? ZERO_UUID,
        partitions: [{ ...defaultFetchRequestFetchPartition(), partition: at.partition ?? 0, fetchOffset: BigInt(at.offset), partitionMaxBytes: 1 << 20 }],
      },
    ],
    ...extra,
  };
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private correlationId = 0;
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.wake();
    });
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  /** `localAddress`: the address to connect from (any of 127.0.0.0/8 on Linux loopback). */
  static open(host: string, port: number, localAddress?: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host, ...(localAddress !== undefined ? { localAddress } : {}) }, () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Encodes a request frame (size prefix included). */
  frame<Req>(api: ApiCodec<Req, unknown>, version: number, body: Req, clientId = 'raw'): Buffer {
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, { requestApiKey: api.key, requestApiVersion: version, correlationId: ++this.correlationId, clientId }, requestHeaderVersion(api.key, version));
    api.encodeRequest(w, body, version);
    const buf = w.toBuffer();
    buf.writeInt32BE(buf.length - 4, 0);
    return buf;
  }

  /** Reads the next response frame's body (after the header), or null if the connection closed first. */
  async readFrame(timeoutMs = 10_000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buffered.length >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.length >= 4 + size) {
          const frame = this.buffered.subarray(4, 4 + size);
          this.buffered = this.buffered.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no response in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a request and decodes its response. */
  async request<Req, Resp>(api: ApiCodec<Req, Resp>, version: number, body: Req, timeoutMs?: number): Promise<Resp> {
    this.write(this.frame(api, version, body));
    const frame = await this.readFrame(timeoutMs);
    if (frame === null) throw new Error(`connection closed instead of answering ${api.name} v${version}`);
    const r = new Reader(frame);
    decodeResponseHeader(r, responseHeaderVersion(api.key, version));
    return api.decodeResponse(r, version);
  }

  /** Resolves true when the broker closes the connection within the timeout. */
  async closedWithin(ms: number): Promise<boolean> {
    await Promise.race([this.closedPromise, new Promise((r) => setTimeout(r, ms))]);
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
