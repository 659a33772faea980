/**
 * Samsa as a library: `startBroker()` runs a broker in this process through the same code path as
 * `samsa start`, for test suites that want a Kafka without a separate process.
 */
import { Broker } from './broker/broker.js';
import { LISTENER_PORT_OVERRIDE, loadServerConfig } from './config/server-config.js';
import { Logger, type LogLevel } from './broker/logger.js';

export interface StartBrokerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  host?: string;
  /** Where logs and metadata live. */
  dataDir: string;
  /** Any server.properties setting, by Kafka's name. */
  overrides?: Record<string, string>;
  logLevel?: LogLevel;
}

export interface RunningBroker {
  host: string;
  port: number;
  /** `host:port`, ready for a client's bootstrap servers. */
  bootstrap: string;
  close(): Promise<void>;
}

/**
 * Starts a broker. The data directory is locked for as long as the broker runs, against other
 * processes and other brokers in this one; a setup problem (directory in use, not creatable or
 * not writable, port in use) rejects with a `StartupError` whose message names it in one line.
 */
export async function startBroker(opts: StartBrokerOptions): Promise<RunningBroker> {
  const overrides: Record<string, string> = { ...opts.overrides, 'log.dirs': opts.dataDir, [LISTENER_PORT_OVERRIDE]: String(opts.port ?? 0) };
  if (opts.host !== undefined) overrides['listeners'] = `PLAINTEXT://${opts.host}:${opts.port ?? 0}`;
  const config = loadServerConfig({ overrides });
  const broker = await Broker.start(config, new Logger(opts.logLevel ?? 'warn'));
  const { host, port } = broker.address;
  return { host, port, bootstrap: `${host}:${port}`, close: () => broker.close() };
}

export { Broker } from './broker/broker.js';
export { StartupError } from './broker/startup-error.js';
export type { ServerConfig } from './config/server-config.js';
