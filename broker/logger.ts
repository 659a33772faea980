/**
 * A small leveled logger writing one line per event to stderr, kept off hot paths. `once` logs a
 * message the first time its key is seen within a window, so a client repeating bad input cannot
 * flood the log.
 */
import { RepeatLimiter } from '../storage/repeat-limiter.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export class Logger {
  private readonly repeats = new RepeatLimiter();
  private readonly onceAMinute = new RepeatLimiter(60_000);

  constructor(
    private readonly level: LogLevel = 'info',
    private readonly sink: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {}

  enabled(level: LogLevel): boolean {
    return ORDER[level] >= ORDER[this.level];
  }

  log(level: LogLevel, msg: string): void {
    if (!this.enabled(level)) return;
    this.sink(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}`);
  }

  debug(msg: string): void {
    this.log('debug', msg);
  }

  info(msg: string): void {
    this.log('info', msg);
  }

  warn(msg: string): void {
    this.log('warn', msg);
  }

  error(msg: string): void {
    this.log('error', msg);
  }

  /**
   * Logs under `key` at most once per 10 s, saying how many repeats were suppressed in between
   * (failures every request hits, such as a full disk, one line per partition).
   */
  throttled(level: LogLevel, key: string, msg: string): void {
    if (!this.enabled(level)) return;
    const suppressed = this.repeats.admit(key);
    if (suppressed !== null) this.log(level, RepeatLimiter.describe(msg, suppressed));
  }

  /** Logs under `key` at most once a minute; the key map is bounded. */
  once(level: LogLevel, key: string, msg: string): void {
    if (this.onceAMinute.admit(key) !== null) this.log(level, msg);
  }
}
