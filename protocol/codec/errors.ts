/**
 * Errors raised while reading or writing protocol bytes. Every malformed input becomes a
 * ProtocolError with a machine-readable `code`, so the network layer can answer or close the
 * connection without ever crashing on a client's bytes.
 */
export type ProtocolErrorCode =
  | 'TRUNCATED' // fewer bytes than a length or a fixed-size field announced
  | 'NEGATIVE_LENGTH' // a length below -1, or -1 where null is not allowed
  | 'LENGTH_TOO_LARGE' // a length larger than the bytes left in the frame
  | 'INVALID_VARINT' // a varint longer than its type allows
  | 'NULL_NOT_ALLOWED' // null in a version where the field is not nullable
  | 'UNSUPPORTED_FIELD' // a non-default value for a field the version does not carry
  | 'INVALID_UTF8' // a string field holding bytes that are not UTF-8 (reserved; Node decodes leniently)
  | 'CORRUPT_RECORD' // record batch or message set failing its size, CRC or layout checks
  | 'UNSUPPORTED_COMPRESSION' // compression codec id not known
  | 'UNSUPPORTED_MAGIC' // record batch magic other than 0, 1, 2
  | 'UNSUPPORTED_VERSION' // an API version outside the generated range
  | 'TRAILING_BYTES'; // bytes left over after a complete message

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
