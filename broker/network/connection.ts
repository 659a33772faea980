/**
 * One client connection: frames in, responses out in request order.
 *
 * Kafka clients match responses by correlation id but most also require them in request order on
 * a connection, so every request takes a slot in a queue and a response leaves only when every
 * earlier slot has. An acks=0 produce completes its slot with no bytes. Bounds: at most
 * `maxInFlight` requests, and `maxInFlightBytes` of them, are being handled at once (a producer
 * pipelining acks=all requests behind fsyncs otherwise holds up to 100 frames), and reading
 * pauses while the socket's write buffer is over its high-water mark, so a client that does not
 * read cannot grow our memory.
 */
import type { Socket } from 'node:net';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder.js';

/** A response's bytes, and what to do once they are written (or will never be). */
export interface Response {
  readonly buffers: Buffer[];
  /** Called once the bytes are in the kernel, or when they will never be sent (connection gone). */
  readonly done: (() => void) | null;
}

/** What the dispatcher returns for a frame: a response, or nothing (acks=0). */
export type DispatchResult = Response | null;

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly localPort: number;
  clientSoftwareName: string | null;
  clientSoftwareVersion: string | null;
}

export interface RequestDispatcher {
  /**
   * Handles one frame. Resolves to the full response (size prefix included) or null for no
   * response; rejects with a `CloseConnection` to drop the connection after earlier responses.
   */
  dispatch(frame: Buffer, conn: ConnectionInfo): DispatchResult | Promise<DispatchResult>;
}

/** Thrown by a dispatcher when Kafka's behaviour is to close the connection (bad header, ...). */
export class CloseConnection extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CloseConnection';
  }
}

interface Slot {
  /** Size of the request, counted against maxInFlightBytes until answered. */
  bytes: number;
  done: boolean;
  response: DispatchResult;
  close: string | null;
}

export interface ConnectionOptions {
  maxFrameBytes: number;
  maxInFlight: number;
  /** Reading also pauses while this many bytes of requests are being handled (at least one is). */
  maxInFlightBytes: number;
  /** Makes frame buffers (at least the size asked); plain allocations when absent. */
  allocateFrame?: (size: number) => Buffer;
  log: (level: 'info' | 'warn', msg: string) => void;
}

export class Connection implements ConnectionInfo {
  clientSoftwareName: string | null = null;
  clientSoftwareVersion: string | null = null;
  readonly remoteAddress: string;
  readonly localPort: number;
  /**
   * When the connection last became idle (`performance.now()` ms): written when its last
   * response leaves and on reads that leave no request outstanding, so a request costs at most
   * this one write (idle-connections.ts reads it).
   */
  idleSince = performance.now();

  private readonly decoder: FrameDecoder;
  private readonly slots: Slot[] = [];
  private inFlight = 0;
  private inFlightBytes = 0;
  private closing = false;
  /** Shutting down: no new requests are read; the connection closes once answered. */
  private draining = false;
  private readPausedForWrites = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly dispatcher: RequestDispatcher,
    private readonly opts: ConnectionOptions,
    private readonly onClose: (c: Connection) => void,
    /** Read the socket's 'data' events (else the owner calls onBytes from a read buffer). */
    streamReads = true,
  ) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.localPort = socket.localPort ?? 0;
    this.decoder = new FrameDecoder(opts.maxFrameBytes, opts.allocateFrame);
    socket.setNoDelay(true);
    if (streamReads) {
      socket.on('data', (chunk: Buffer) => this.onBytes(chunk, false));
      socket.resume();
    }
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => {
      // Resets from clients going away are routine; 'close' follows and cleans up.
    });
    socket.on('close', () => {
      this.closing = true;
      this.onClose(this);
    });
  }

  /** Requests currently being handled or waiting for an earlier response. */
  get pending(): number {
    return this.slots.length;
  }

  /** Kafka's idle: no request received and not yet answered, and no response bytes left to send. */
  get idle(): boolean {
    return this.slots.length === 0 && this.socket.writableLength === 0;
  }

  /** Bytes read from the socket; `transient`: their memory is reused once this returns. */
  onBytes(chunk: Buffer, transient: boolean): void {
    if (this.closing || this.draining) return;
    try {
      this.decoder.push(chunk, (frame) => this.onFrame(frame), transient);
    } catch (e) {
      if (e instanceof FrameTooLargeError) {
        this.opts.log('warn', `connection ${this.remoteAddress}: ${e.message}; closing`);
        this.close();
        return;
      }
      throw e;
    }
    // Bytes with no request outstanding (part of a frame): activity all the same.
    if (this.slots.length === 0) this.idleSince = performance.now();
  }

  private onFrame(frame: Buffer): void {
    if (this.closing) return;
    const slot: Slot = { bytes: frame.length, done: false, response: null, close: null };
    this.slots.push(slot);
    this.inFlight++;
    this.inFlightBytes += slot.bytes;
    if (!this.belowInFlightLimits()) this.socket.pause();
    let result: DispatchResult | Promise<DispatchResult>;
    try {
      result = this.dispatcher.dispatch(frame, this);
    } catch (e) {
      this.complete(slot, null, e);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.complete(slot, r, null),
        (e: unknown) => this.complete(slot, null, e),
      );
    } else this.complete(slot, result, null);
  }

  private complete(slot: Slot, response: DispatchResult, error: unknown): void {
    slot.done = true;
    if (this.closing) {
      // Closed meanwhile: this response will never be written. Released here, not kept for
      // flush, so its `done` runs once.
      response?.done?.();
      slot.response = null;
    } else slot.response = response;
    if (error !== null) {
      slot.close = error instanceof Error ? error.message : String(error);
      // A CloseConnection's thrower has logged why (rate-limited per client); anything else is
      // logged here. Either way once: the close itself adds no line.
      if (!(error instanceof CloseConnection)) {
        this.opts.log('warn', `connection ${this.remoteAddress}: request failed, closing: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }
    this.inFlight--;
    this.inFlightBytes -= slot.bytes;
    this.flush();
    if (this.slots.length === 0) this.idleSince = performance.now();
    if (this.draining && this.slots.length === 0) this.close();
    else if (this.belowInFlightLimits() && !this.readPausedForWrites && !this.closing && !this.draining) this.socket.resume();
  }

  private belowInFlightLimits(): boolean {
    return this.inFlight < this.opts.maxInFlight && this.inFlightBytes < this.opts.maxInFlightBytes;
  }

  /** Writes every completed response at the head of the queue, in order. */
  private flush(): void {
    if (this.slots.length === 0 || !this.slots[0]!.done) return;
    this.socket.cork();
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const slot = this.slots.shift()!;
      if (slot.close !== null) {
        // Already logged where it was decided (rate-limited by the dispatcher, or in complete()).
        this.socket.uncork();
        this.close();
        return;
      }
      const response = slot.response;
      if (response === null) continue;
      if (this.closing) {
        response.done?.();
        continue;
      }
      const last = response.buffers.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(response.buffers[i]!);
      // Node calls back once the bytes are written, and also (with an error) if the socket is
      // destroyed first; either way nothing reads the buffers any more.
      if (last >= 0) this.socket.write(response.buffers[last]!, response.done ?? undefined);
      else response.done?.();
    }
    this.socket.uncork();
    if (this.socket.writableNeedDrain && !this.readPausedForWrites) {
      this.readPausedForWrites = true;
      this.socket.pause();
    }
  }

  private onDrain(): void {
    if (this.slots.length === 0) this.idleSince = performance.now();
    if (!this.readPausedForWrites) return;
    this.readPausedForWrites = false;
    if (this.belowInFlightLimits() && !this.closing && !this.draining) this.socket.resume();
  }

  /** Stops reading requests, answers those already read, then closes (broker shutdown). */
  drainAndClose(): void {
    if (this.closing || this.draining) return;
    this.draining = true;
    this.socket.pause();
    if (this.slots.length === 0) this.close();
  }

  get closed(): boolean {
    return this.closing;
  }

  /** Ends the connection after what has been written so far. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    for (const slot of this.slots) slot.response?.done?.();
    this.slots.length = 0;
    this.socket.end();
    // A peer that never reads our FIN must not hold the socket open forever.
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }
}
