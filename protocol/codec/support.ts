/** Shared pieces the generated codecs import. */
import { ProtocolError } from './errors.js';

/** Record data as stored or sent: one buffer, or several written back to back (writev). */
export type RecordsData = Buffer | readonly Buffer[];

/** The default for `bytes` fields; never written to, so one instance serves every message. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export function unsupportedVersion(message: string, version: number): never {
  throw new ProtocolError('UNSUPPORTED_VERSION', `${message} has no version ${version}`);
}

export function unsupportedField(field: string, version: number): never {
  throw new ProtocolError('UNSUPPORTED_FIELD', `${field} has a non-default value but version ${version} cannot carry it`);
}

export function nullNotAllowed(field: string, version: number): never {
  throw new ProtocolError('NULL_NOT_ALLOWED', `${field} is null but version ${version} does not allow null`);
}
