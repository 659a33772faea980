/**
 * Bytes we did not write: request and response bodies captured from real Kafka brokers and clients
 * (../shared/golden/kafkajs). Each must decode completely, and re-encode to the same bytes.
 */
import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { apiByKey } from '../../messages/index.js';
import { goldenDir } from '../paths.js';

const requestsDir = join(goldenDir, 'kafkajs', 'requests');

/**
 * Fixtures that are not a well-formed body of the version their name gives, and what a decoder
 * must do with them instead.
 */
const MALFORMED: Record<string, string> = {
  // kafkajs's test of a broker that omitted throttle_time_ms in an ApiVersions v1 response.
  'apiVersions/v1_response_missing_throttle_time.json': 'TRUNCATED',
};

function loadFixture(path: string): Buffer {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { type: string; data: number[] };
  return Buffer.from(json.data);
}

function apiFor(folder: string) {
  const name = folder[0]!.toUpperCase() + folder.slice(1);
  return apiByKey.find((a) => a !== undefined && a.name === name);
}

if (!existsSync(requestsDir)) {
  t.test('golden fixtures', { skip: `${requestsDir} is absent` }, () => {});
} else {
  for (const folder of readdirSync(requestsDir).sort()) {
    const api = apiFor(folder);
    t.test(`${folder}: captured bodies decode completely and re-encode identically`, (t) => {
      if (api === undefined) {
        t.fail(`no API named after ${folder}`);
        t.end();
        return;
      }
      const fixtures = readdirSync(join(requestsDir, folder, 'fixtures')).sort();
      for (const file of fixtures) {
        const m = /^v(\d+)_(request|response)/.exec(file);
        if (!m) continue; // member assignments, SASL payloads: not protocol bodies
        const version = Number(m[1]);
        const kind = m[2] as 'request' | 'response';
        const bytes = loadFixture(join(requestsDir, folder, 'fixtures', file));
        const key = `${folder}/${file}`;
        const r = new Reader(bytes);
        const expectedError = MALFORMED[key];
        if (expectedError !== undefined) {
          t.throws(
            () => {
              api.decodeResponse(r, version);
              r.expectEnd(key);
            },
            { name: 'ProtocolError', code: expectedError },
            `${key} is rejected with ${expectedError}`,
          );
          continue;
        }
        // kafkajs writes a flexible header's (empty) tagged-field section as the first
        // byte of the body it captured; read it as the header reader would.
        const headerTags = version >= api.flexibleMin ? r.taggedFields(null) : undefined;
        t.equal(headerTags, undefined, `${key}: no header tagged fields`);
        const decoded = kind === 'request' ? api.decodeRequest(r, version) : api.decodeResponse(r, version);
        t.equal(r.remaining, 0, `${key}: no byte left over`);
        const w = new Writer();
        if (kind === 'request') api.encodeRequest(w, decoded, version);
        else api.encodeResponse(w, decoded, version);
        const again = w.toBuffer();
        const body = version >= api.flexibleMin ? bytes.subarray(1) : bytes;
        t.ok(again.equals(body), `${key}: re-encodes to the same ${body.length} bytes`);
      }
      t.end();
    });
  }
}
