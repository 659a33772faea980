/**
 * Connection limits, after Kafka's ConnectionQuotas: `max.connections` (broker-wide),
 * `max.connections.per.ip` with `max.connections.per.ip.overrides`, and
 * `max.connection.creation.rate`. Counts only; the socket server decides what to close.
 *
 * The creation rate is a token bucket holding at most one second of connections: Kafka measures
 * the rate over one-second windows and delays accepting by at most one window
 * (`quota.window.size.seconds`), so a burst of up to a second's worth is let through at once.
 */
import { lookup } from 'node:dns/promises';

/** Kafka's default for the int limits: no limit. */
export const UNLIMITED = 2147483647;

export interface ConnectionQuotaConfig {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  /** Limits by IP address (hosts already resolved, see resolveHostLimits). */
  readonly maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
  /** New connections per second. */
  readonly maxConnectionCreationRate: number;
}

/** The address a client connects from, with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4. */
export function normalizeIp(address: string | undefined): string {
  if (address === undefined) return '?';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Resolves the hosts of `max.connections.per.ip.overrides` to addresses, as Kafka does with
 * InetAddress.getByName when it reads the setting. A name with several addresses limits each.
 */
export async function resolveHostLimits(byHost: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [host, count] of byHost) {
    let addresses: { address: string }[];
    try {
      addresses = await lookup(host, { all: true });
    } catch (e) {
      throw new Error(`max.connections.per.ip.overrides: cannot resolve ${host}: ${(e as Error).message}`);
    }
    for (const a of addresses) out.set(normalizeIp(a.address), count);
  }
  return out;
}

export class ConnectionQuotas {
  private readonly counts = new Map<string, number>();
  private total = 0;
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly config: ConnectionQuotaConfig,
    now: number,
  ) {
    this.tokens = this.bucketSize;
    this.refilledAt = now;
  }

  get totalCount(): number {
    return this.total;
  }

  countFor(ip: string): number {
    return this.counts.get(ip) ?? 0;
  }

  limitFor(ip: string): number {
    return this.config.maxConnectionsPerIpOverrides.get(ip) ?? this.config.maxConnectionsPerIp;
  }

  /** One more connection from `ip` would exceed its limit. */
  ipLimitReached(ip: string): boolean {
    return this.countFor(ip) >= this.limitFor(ip);
  }

  /** One more connection would exceed max.connections. */
  brokerLimitReached(): boolean {
    return this.total >= this.config.maxConnections;
  }

  inc(ip: string): void {
    this.counts.set(ip, this.countFor(ip) + 1);
    this.total++;
  }

  dec(ip: string): void {
    const n = this.countFor(ip);
    if (n <= 1) this.counts.delete(ip);
    else this.counts.set(ip, n - 1);
    if (this.total > 0) this.total--;
  }

  private get rateLimited(): boolean {
    return this.config.maxConnectionCreationRate < UNLIMITED;
  }

  /** One second of connections (none at a rate of 0). */
  private get bucketSize(): number {
    return this.config.maxConnectionCreationRate;
  }

  /** How many connections may wait for their turn: one second's worth (Kafka's maximum delay). */
  get maxWaiting(): number {
    return this.config.maxConnectionCreationRate;
  }

  private refill(now: number): void {
    if (now <= this.refilledAt) return;
    this.tokens = Math.min(this.bucketSize, this.tokens + ((now - this.refilledAt) * this.config.maxConnectionCreationRate) / 1000);
    this.refilledAt = now;
  }

  /** Takes the creation of one connection at `now` (ms) from the rate; false when over it. */
  tryCreate(now: number): boolean {
    if (!this.rateLimited) return true;
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until tryCreate can succeed (Infinity for a rate of 0). */
  msUntilCreate(now: number): number {
    if (!this.rateLimited) return 0;
    this.refill(now);
    if (this.tokens >= 1) return 0;
    if (this.config.maxConnectionCreationRate <= 0) return Infinity;
    return Math.ceil(((1 - this.tokens) * 1000) / this.config.maxConnectionCreationRate);
  }
}
