/**
 * The listener: accepts connections only once the broker can serve them, and on shutdown stops
 * accepting, lets requests in flight finish (bounded by a timeout), then closes every socket.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Connection, type ConnectionOptions, type RequestDispatcher } from './connection.js';
import { adoptWithReadBuffer } from './read-buffer-socket.js';

/** One read buffer for every connection: each read is parsed (and its frames copied out) before the next. */
const READ_BUFFER_BYTES = 256 * 1024;

export class SocketServer {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

  constructor(
    private readonly dispatcher: RequestDispatcher,
    private readonly opts: ConnectionOptions & { maxConnections: number },
  ) {}

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
      server.maxConnections = this.opts.maxConnections;
      server.once('error', reject);
      server.listen({ host, port, backlog: 1024 }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.opts.log('warn', `listener error: ${e.message}`));
        this.server = server;
        const addr = server.address();
        if (addr === null || typeof addr === 'string') reject(new Error('listener has no TCP address'));
        else resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  private accept(accepted: Socket): void {
    // Counted here: a connection moved to a read-buffer socket no longer counts in Node's server.
    if (this.connections.size >= this.opts.maxConnections) {
      accepted.destroy();
      return;
    }
    let conn: Connection | null = null;
    const adopted = adoptWithReadBuffer(accepted, this.readBuffer, (bytes) => conn?.onBytes(bytes, true));
    conn = new Connection(this.nextId++, adopted ?? accepted, this.dispatcher, this.opts, (c) => this.connections.delete(c), adopted === null);
    this.connections.add(conn);
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
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const c of this.connections) c.drainAndClose();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && [...this.connections].some((c) => !c.closed)) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    await closed;
  }
}
