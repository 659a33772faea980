/**
 * Refused connections, logged as counts: one line per interval in which any were refused, never
 * one per refusal, so a client retrying in a loop (or a flood) cannot fill the log. The line
 * also counts idle connections closed to make room at max.connections (Kafka closes the least
 * recently used connection there, see SocketServer's Processor.closeExcessConnections).
 */

export type RefusalReason = 'maxConnections' | 'perIp' | 'creationRate';

/** Addresses named in one line at most; the rest are summed. */
const MAX_ADDRESSES = 10;

export interface RefusalLimits {
  readonly maxConnections: number;
  readonly maxConnectionCreationRate: number;
}

export class RefusalLog {
  private maxConnections = 0;
  private perIp = 0;
  private creationRate = 0;
  private evicted = 0;
  private readonly perIpFrom = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly limits: RefusalLimits,
    private readonly log: (level: 'info' | 'warn', msg: string) => void,
  ) {}

  refused(reason: RefusalReason, ip: string): void {
    if (reason === 'maxConnections') this.maxConnections++;
    else if (reason === 'creationRate') this.creationRate++;
    else {
      this.perIp++;
      const n = this.perIpFrom.get(ip);
      if (n !== undefined) this.perIpFrom.set(ip, n + 1);
      else if (this.perIpFrom.size < MAX_ADDRESSES) this.perIpFrom.set(ip, 1);
    }
    this.start();
  }

  /** An idle connection was closed to make room for a new one. */
  evictedIdle(): void {
    this.evicted++;
    this.start();
  }

  private start(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Logs the counts gathered since the last line, if any, and starts over. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const refused = this.maxConnections + this.perIp + this.creationRate;
    if (refused === 0 && this.evicted === 0) return;
    const interval = this.intervalMs % 1000 === 0 ? `${this.intervalMs / 1000} s` : `${this.intervalMs} ms`;
    const parts: string[] = [];
    if (this.maxConnections > 0) parts.push(`${this.maxConnections} over max.connections (${this.limits.maxConnections}, none idle)`);
    if (this.perIp > 0) {
      const from = [...this.perIpFrom].map(([ip, n]) => `${n} from ${ip}`);
      const named = [...this.perIpFrom.values()].reduce((a, b) => a + b, 0);
      if (named < this.perIp) from.push(`${this.perIp - named} from other addresses`);
      parts.push(`${this.perIp} over max.connections.per.ip (${from.join(', ')})`);
    }
    if (this.creationRate > 0) parts.push(`${this.creationRate} over max.connection.creation.rate (${this.limits.maxConnectionCreationRate}/s)`);
    const evicted = this.evicted > 0 ? `closed ${this.evicted} least recently used idle connection${this.evicted === 1 ? '' : 's'} to stay within max.connections (${this.limits.maxConnections})` : '';
    if (refused > 0) {
      this.log('warn', `refused ${refused} connection${refused === 1 ? '' : 's'} in the last ${interval}: ${parts.join(', ')}${evicted === '' ? '' : `; ${evicted}`}`);
    } else this.log('info', `${evicted} in the last ${interval}`);
    this.maxConnections = this.perIp = this.creationRate = this.evicted = 0;
    this.perIpFrom.clear();
  }

  close(): void {
    this.flush();
  }
}
