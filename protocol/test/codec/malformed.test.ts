/**
 * Malformed bytes give a typed ProtocolError: never a crash, a hang, or an allocation sized by a
 * length the frame cannot hold.
 */
import t from 'tap';
import { ProtocolError, type ProtocolErrorCode } from '../../codec/errors.js';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../../generator/spec.js';
import { specDir } from '../paths.js';
import { SampleBuilder } from '../messages/sample.js';
import { apiByKey, decodeProduceRequest, decodeRequestHeader, encodeMetadataRequest, ApiKey } from '../../messages/index.js';

type TapTest = Pick<typeof t, 'throws'>;

function expectError(t: TapTest, code: ProtocolErrorCode, fn: () => unknown, what: string): void {
  t.throws(fn, { name: 'ProtocolError', code }, what);
}

t.test('truncated fixed-size fields', (t) => {
  expectError(t, 'TRUNCATED', () => new Reader(Buffer.from([0])).int16(), 'int16 from 1 byte');
  expectError(t, 'TRUNCATED', () => new Reader(Buffer.from([0, 0, 0])).int32(), 'int32 from 3 bytes');
  expectError(t, 'TRUNCATED', () => new Reader(Buffer.alloc(7)).int64(), 'int64 from 7 bytes');
  expectError(t, 'TRUNCATED', () => new Reader(Buffer.alloc(15)).uuid(), 'uuid from 15 bytes');
  t.end();
});

t.test('negative and huge lengths', (t) => {
  const w = new Writer();
  w.int16(-5);
  expectError(t, 'NEGATIVE_LENGTH', () => new Reader(w.toBuffer()).nullableString(false), 'string length -5');
  const huge = Buffer.alloc(8);
  huge.writeInt32BE(0x7fffffff, 0);
  expectError(t, 'LENGTH_TOO_LARGE', () => new Reader(huge).bytes(false), 'bytes length 2^31-1 in an 8-byte frame');
  expectError(t, 'LENGTH_TOO_LARGE', () => new Reader(huge).array(false, (r) => r.int32()), 'array count 2^31-1 in an 8-byte frame');
  const neg = Buffer.alloc(4);
  neg.writeInt32BE(-2, 0);
  expectError(t, 'NEGATIVE_LENGTH', () => new Reader(neg).array(false, (r) => r.int32()), 'array count -2');
  const nullArray = Buffer.alloc(4);
  nullArray.writeInt32BE(-1, 0);
  expectError(t, 'NULL_NOT_ALLOWED', () => new Reader(nullArray).array(false, (r) => r.int32()), 'null where not nullable');
  t.end();
});

t.test('invalid varints', (t) => {
  expectError(t, 'INVALID_VARINT', () => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint(), '6-byte varint');
  expectError(t, 'TRUNCATED', () => new Reader(Buffer.from([0x80, 0x80])).uvarint(), 'varint running off the end');
  expectError(t, 'INVALID_VARINT', () => new Reader(Buffer.alloc(11, 0xff)).varlong(), '11-byte varlong');
  // Compact array length 2^32-1 from 5 bytes: must not allocate.
  expectError(t, 'LENGTH_TOO_LARGE', () => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])).array(true, (r) => r.int8()), 'compact array of 2^32-2');
  t.end();
});

t.test('tagged fields with lying sizes', (t) => {
  // One tagged field, tag 0, claiming 100 bytes with 1 left.
  expectError(t, 'LENGTH_TOO_LARGE', () => new Reader(Buffer.from([1, 0, 100, 0])).taggedFields(null), 'tagged field size past the end');
  expectError(t, 'LENGTH_TOO_LARGE', () => new Reader(Buffer.from([200, 1])).taggedFields(null), 'tagged field count past the end');
  t.end();
});

const specMessages = join(specDir, 'message');
const noSpec = existsSync(specMessages) ? false : `spec folder ${specMessages} is absent: no samples to cut`;

t.test('every request of every version rejects every truncation of a populated body', { skip: noSpec }, (t) => {
  let cases = 0;
  for (const api of apiByKey) {
    if (api === undefined) continue;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      const body = sampleBody(api.key, v);
      if (body === null) continue;
      for (let cut = 0; cut < body.length; cut++) {
        try {
          const r = new Reader(body.subarray(0, cut));
          api.decodeRequest(r, v);
          r.expectEnd('truncated body');
          t.fail(`${api.name} v${v}: a body cut to ${cut} of ${body.length} bytes decoded`);
        } catch (e) {
          if (!(e instanceof ProtocolError)) t.fail(`${api.name} v${v} cut at ${cut}: ${String(e)}`);
        }
        cases++;
      }
    }
  }
  t.ok(cases > 1000, `${cases} truncations handled without a non-protocol error`);
  t.end();
});

/** A populated request body built from the spec, so arrays and strings are non-empty. */
function sampleBody(apiKey: number, v: number): Buffer | null {
  const api = apiByKey[apiKey]!;
  const file = join(specDir, 'message', `${api.name}Request.json`);
  if (!existsSync(file)) return null;
  const w = new Writer();
  api.encodeRequest(w, new SampleBuilder(loadSpec(file)).build(v, false), v);
  return w.toBuffer();
}

t.test('a produce request claiming more records than the frame holds', (t) => {
  const w = new Writer();
  w.int16(-1); // transactional id: null
  w.int16(1); // acks
  w.int32(1000); // timeout
  w.int32(1); // one topic
  w.string('t', false);
  w.int32(1); // one partition
  w.int32(0);
  w.int32(1 << 30); // 1 GiB of records in a tiny frame
  expectError(t, 'LENGTH_TOO_LARGE', () => decodeProduceRequest(new Reader(w.toBuffer()), 3), 'records length beyond the frame');
  t.end();
});

t.test('request header decoding from garbage', (t) => {
  expectError(t, 'TRUNCATED', () => decodeRequestHeader(new Reader(Buffer.from([0, 3, 0])), 1), 'header cut short');
  const w = new Writer();
  encodeMetadataRequest(w, { topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, 12);
  t.ok(w.length > 0 && ApiKey.Metadata === 3, 'valid flexible request encodes');
  t.end();
});
