/**
 * Start-up failures an operator can fix: each carries one line naming the setting and the path or
 * port at fault, which `samsa start` prints as is (no stack trace) before exiting non-zero.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** Words for the system error codes start-up meets, so a message reads without a man page. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a component of the path is not a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'host name lookup failed',
};

export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `permission denied (EACCES)`: the reason of a system error, without the path or syscall. */
export function describeErrno(e: unknown): string {
  const code = errnoCode(e);
  if (code === undefined) return oneLine(e instanceof Error ? e.message : String(e));
  return `${REASONS[code] ?? oneLine(e instanceof Error ? e.message : String(e))} (${code})`;
}

/** The message of any error on one line (a start-up failure prints exactly one). */
export function startupFailureLine(e: unknown): string {
  if (e instanceof StartupError) return oneLine(e.message);
  const err = e as NodeJS.ErrnoException;
  if (errnoCode(e) !== undefined && typeof err.path === 'string') {
    return `start-up failed: ${err.syscall ?? 'access'} ${err.path}: ${describeErrno(e)}`;
  }
  return `start-up failed: ${oneLine(e instanceof Error ? e.message : String(e))}`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, '; ');
}
