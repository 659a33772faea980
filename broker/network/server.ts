/**
 * The listener: accepts connections only once the broker can serve them, and on shutdown stops
 * accepting, lets requests in flight finish (bounded by a timeout), then closes every socket.
 *
 * Connection limits follow Kafka's SocketServer and ConnectionQuotas, checked in this order as a
 * connection is accepted:
 * - `max.connection.creation.rate`: over the rate a connection waits, unread, for its turn (Kafka
 *   delays accepting instead); at most one second's worth wait, and beyond that it is refused.
 * - `max.connections.per.ip` (and its overrides): one more connection from that address is closed
 *   at once (Kafka's TooManyConnectionsException). Checked before the broker-wide limit so that
 *   it never costs another client its idle connection.
 * - `max.connections`: at the limit the least recently used idle connection is closed to make
 *   room (Kafka does this for the inter-broker listener, Processor.closeExcessConnections); only
 *   when no connection is idle is the new one refused. Otherwise idle connections would hold
 *   every slot and lock new clients out for good.
 * Connections idle for `connections.max.idle.ms` are closed by a timer (Kafka's Selector idle
 * expiry). Refusals are logged as counts once per interval (refusal-log.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionOptions, type RequestDispatcher } from './connection.js';
import { ConnectionQuotas, normalizeIp, resolveHostLimits, UNLIMITED } from './connection-quotas.js';
import { IdleConnections } from './idle-connections.js';
import { adoptWithReadBuffer } from './read-buffer-socket.js';
import { RefusalLog } from './refusal-log.js';

/** One read buffer for every connection: each read is parsed (and its frames copied out) before the next. */
const READ_BUFFER_BYTES = 256 * 1024;
/** The listen backlog; connections waiting for the creation rate are bounded by it too. */
const BACKLOG = 1024;

export interface SocketServerOptions extends ConnectionOptions {
  maxConnections: number;
  maxConnectionsPerIp?: number;
  /** By host name or address; names are resolved when listening starts. */
  maxConnectionsPerIpOverrides?: ReadonlyMap<string, number>;
  maxConnectionCreationRate?: number;
  /** connections.max.idle.ms; negative (the default here) never closes idle connections. */
  connectionsMaxIdleMs?: number;
  /** Refusals are logged once per interval of this length (default 10 s). */
  refusalLogIntervalMs?: number;
}

interface Waiting {
  socket: Socket;
  ip: string;
}

export class SocketServer {
  private server: Server | null = null;
  /** Open connections and the address each came from. */
  private readonly connections = new Map<Connection, string>();
  private readonly idle = new IdleConnections(this.connections);
  private quotas: ConnectionQuotas | null = null;
  private readonly refusals: RefusalLog;
  /** Connections waiting for the creation rate, oldest first (from `waitingHead`). */
  private waiting: (Waiting | undefined)[] = [];
  private waitingHead = 0;
  private waitingTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

  constructor(
    private readonly dispatcher: RequestDispatcher,
    private readonly opts: SocketServerOptions,
  ) {
    this.refusals = new RefusalLog(opts.refusalLogIntervalMs ?? 10_000, { maxConnections: opts.maxConnections, maxConnectionCreationRate: opts.maxConnectionCreationRate ?? UNLIMITED }, opts.log);
  }

  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    this.quotas = new ConnectionQuotas(
      {
        maxConnections: this.opts.maxConnections,
        maxConnectionsPerIp: this.opts.maxConnectionsPerIp ?? UNLIMITED,
        maxConnectionsPerIpOverrides: await resolveHostLimits(this.opts.maxConnectionsPerIpOverrides ?? new Map()),
        maxConnectionCreationRate: this.opts.maxConnectionCreationRate ?? UNLIMITED,
      },
      performance.now(),
    );
    const addr = await new Promise<{ host: string; port: number }>((resolve, reject) => {
      const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
      server.once('error', reject);
      server.listen({ host, port, backlog: BACKLOG }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.opts.log('warn', `listener error: ${e.message}`));
        this.server = server;
        const a = server.address();
        if (a === null || typeof a === 'string') reject(new Error('listener has no TCP address'));
        else resolve({ host: a.address, port: a.port });
      });
    });
    const maxIdleMs = this.opts.connectionsMaxIdleMs ?? -1;
    if (maxIdleMs >= 0 && Number.isFinite(maxIdleMs)) {
      // Closes within a tenth of the idle time (at most a second) after it is reached.
      const tick = Math.min(1000, Math.max(10, Math.floor(maxIdleMs / 10)));
      this.sweepTimer = setInterval(() => this.closeIdle(maxIdleMs), tick);
      this.sweepTimer.unref();
    }
    return addr;
  }

  private accept(socket: Socket): void {
    const quotas = this.quotas;
    if (this.server === null || quotas === null) {
      socket.destroy();
      return;
    }
    const ip = normalizeIp(socket.remoteAddress);
    const waitingCount = this.waiting.length - this.waitingHead;
    if (waitingCount === 0 && quotas.tryCreate(performance.now())) {
      this.admit(socket, ip, quotas);
      return;
    }
    if (waitingCount < Math.min(quotas.maxWaiting, BACKLOG)) {
      // Not read until admitted; a reset meanwhile must not become an unhandled 'error'.
      socket.on('error', () => undefined);
      this.waiting.push({ socket, ip });
      this.scheduleWaiting(quotas);
      return;
    }
    socket.destroy();
    this.refusals.refused('creationRate', ip);
  }

  private scheduleWaiting(quotas: ConnectionQuotas): void {
    if (this.waitingTimer !== null) return;
    const delay = quotas.msUntilCreate(performance.now());
    this.waitingTimer = setTimeout(() => this.admitWaiting(quotas), Number.isFinite(delay) ? delay : 1000);
  }

  private admitWaiting(quotas: ConnectionQuotas): void {
    this.waitingTimer = null;
    const now = performance.now();
    while (this.waitingHead < this.waiting.length && quotas.tryCreate(now)) {
      const w = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined;
      this.admit(w.socket, w.ip, quotas);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    } else {
      // A queue that never empties must not keep growing at the front.
      if (this.waitingHead > BACKLOG) {
        this.waiting = this.waiting.slice(this.waitingHead);
        this.waitingHead = 0;
      }
      this.scheduleWaiting(quotas);
    }
  }

  private admit(accepted: Socket, ip: string, quotas: ConnectionQuotas): void {
    if (this.server === null) {
      accepted.destroy();
      return;
    }
    if (quotas.ipLimitReached(ip)) {
      accepted.destroy();
      this.refusals.refused('perIp', ip);
      return;
    }
    if (quotas.brokerLimitReached()) {
      const victim = this.idle.leastRecentlyUsed();
      if (victim === undefined) {
        accepted.destroy();
        this.refusals.refused('maxConnections', ip);
        return;
      }
      this.closeNow(victim);
      this.refusals.evictedIdle();
    }
    let conn: Connection | null = null;
    const adopted = adoptWithReadBuffer(accepted, this.readBuffer, (bytes) => conn?.onBytes(bytes, true));
    conn = new Connection(this.nextId++, adopted ?? accepted, this.dispatcher, this.opts, (c) => this.release(c), adopted === null);
    this.connections.set(conn, ip);
    quotas.inc(ip);
  }

  /** Forgets a connection; its slot is free from now on. */
  private release(c: Connection): void {
    const ip = this.connections.get(c);
    if (ip === undefined) return;
    this.connections.delete(c);
    this.quotas?.dec(ip);
  }

  /** Closes an idle connection: nothing is in flight or left to write, so nothing is lost. */
  private closeNow(c: Connection): void {
    this.release(c);
    c.destroy();
  }

  private closeIdle(maxIdleMs: number): void {
    for (const c of this.idle.expired(performance.now(), maxIdleMs)) this.closeNow(c);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting and reading new requests, waits up to `graceMs` for the requests already read
   * to be answered, then closes every connection.
   */
  async close(graceMs = 5000): Promise<void> {
    const server = this.server;
    this.server = null;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    if (this.waitingTimer !== null) clearTimeout(this.waitingTimer);
    for (let i = this.waitingHead; i < this.waiting.length; i++) this.waiting[i]?.socket.destroy();
    this.waiting = [];
    this.waitingHead = 0;
    this.refusals.close();
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const c of this.connections.keys()) c.drainAndClose();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && this.anyOpen()) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of this.connections.keys()) c.destroy();
    this.connections.clear();
    await closed;
  }

  private anyOpen(): boolean {
    for (const c of this.connections.keys()) if (!c.closed) return true;
    return false;
  }
}
