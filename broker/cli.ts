/**
 * `samsa start [--config FILE] [--override key=value]... [--port N] [--data-dir DIR]`
 *
 * Settings use Kafka's server.properties names; --override wins over the file, and the shorthands
 * win over both. Any unknown or invalid setting stops start-up with a message naming it before any
 * data is touched (exit 2). Any other start-up failure (data dir taken by another broker, not
 * creatable or not writable; port in use) prints one line naming the setting and the path or port,
 * without a stack trace, and exits 1. Prints `samsa ready on <host>:<port>` once connections are
 * served; SIGTERM and SIGINT shut down cleanly (stop accepting, finish in-flight writes, flush)
 * and exit 0.
 */
import { ConfigError, LISTENER_PORT_OVERRIDE, loadServerConfig } from '../config/server-config.js';
import { Broker } from './broker.js';
import { Logger, type LogLevel } from './logger.js';
import { startupFailureLine, StartupError } from './startup-error.js';

const USAGE = `usage: samsa start [--config FILE] [--override key=value]... [--port N] [--data-dir DIR] [--log-level LEVEL]`;

export interface CliOptions {
  configFile?: string;
  overrides: Record<string, string>;
  logLevel: LogLevel;
}

export function parseArgs(args: string[]): CliOptions {
  if (args[0] !== 'start') throw new ConfigError(USAGE);
  const opts: CliOptions = { overrides: {}, logLevel: 'info' };
  let port: string | undefined;
  let dataDir: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new ConfigError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--config':
        opts.configFile = value();
        break;
      case '--override': {
        const kv = value();
        const eq = kv.indexOf('=');
        if (eq <= 0) throw new ConfigError(`--override expects key=value, got ${JSON.stringify(kv)}`);
        opts.overrides[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
        break;
      }
      case '--port':
        port = value();
        if (!/^\d+$/.test(port) || Number(port) > 65535) throw new ConfigError(`--port must be a port number (0 picks a free one), got ${JSON.stringify(port)}`);
        break;
      case '--data-dir':
        dataDir = value();
        break;
      case '--log-level': {
        const l = value();
        if (!['debug', 'info', 'warn', 'error'].includes(l)) throw new ConfigError(`--log-level must be debug, info, warn or error`);
        opts.logLevel = l as LogLevel;
        break;
      }
      case '--help':
      case '-h':
        throw new ConfigError(USAGE);
      default:
        throw new ConfigError(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    }
  }
  if (dataDir !== undefined) opts.overrides['log.dirs'] = dataDir;
  if (port !== undefined) opts.overrides[LISTENER_PORT_OVERRIDE] = port;
  return opts;
}

export async function main(args: string[]): Promise<void> {
  let opts: CliOptions;
  let config;
  try {
    opts = parseArgs(args);
    config = loadServerConfig({ file: opts.configFile, overrides: opts.overrides });
  } catch (e) {
    process.stderr.write(`samsa: ${e instanceof ConfigError ? e.message : startupFailureLine(e)}\n`);
    process.exit(2);
  }
  const logger = new Logger(opts.logLevel);
  const started = Date.now();
  let broker: Broker;
  try {
    broker = await Broker.start(config, logger);
  } catch (e) {
    // A fault of ours rather than of the setup: the stack is there at --log-level debug.
    if (!(e instanceof StartupError) && e instanceof Error) logger.debug(e.stack ?? e.message);
    process.stderr.write(`samsa: ${startupFailureLine(e)}\n`);
    process.exit(1);
  }
  const { host, port } = broker.address;
  logger.info(`started in ${Date.now() - started} ms, data in ${config.logDirs.join(',')}`);
  process.stdout.write(`samsa ready on ${host}:${port}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, shutting down`);
    broker.close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error(`shutdown failed: ${String(e)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
