/**
 * Differential tests: the same raw requests to a real Apache Kafka 4.1 (compat-tests/harness/
 * reference-kafka.ts) and to Samsa, the decoded answers compared field by field
 * (compat-tests/harness/differential.ts). Intended differences are in
 * compat-tests/differential/allowed-differences.ts; the output lists the entries used. Skipped,
 * with the reason, where the reference cannot run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { describeFailures, Differential, NORMALISATIONS, type Exchange, type Side } from '../harness/differential.js';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { ReferenceKafka } from '../harness/reference-kafka.js';
import { repoRoot, SamsaProcess } from '../harness/samsa-process.js';
import { ALLOWED_DIFFERENCES, VERSION_RANGE_DIFFERENCES } from '../differential/allowed-differences.js';
import { rawSample } from '../differential/raw-samples.js';
import { SCENARIOS, prepareRawSweep } from '../differential/scenarios.js';
import { ApiKey, apiByKey, apiVersionsApi, defaultApiVersionsRequest, leaveGroupApi, type ApiCodec } from '../../protocol/messages/index.js';

t.setTimeout(20 * 60_000);

const unavailable = await ReferenceKafka.unavailable();
if (unavailable !== null) t.comment(unavailable);

let reference: ReferenceKafka | null = null;
let samsa: SamsaProcess | null = null;
let d: Differential | null = null;
if (unavailable === null) {
  [reference, samsa] = await Promise.all([ReferenceKafka.start(), SamsaProcess.start()]);
  t.teardown(async () => {
    d?.close();
    await Promise.all([reference?.close(), samsa?.close()]);
  });
  t.comment(`reference Kafka ${reference.version} answered on ${reference.bootstrap} ${reference.startMs} ms after start`);
  d = await Differential.open({ host: reference.host, port: reference.port, nodeId: 1 }, { host: samsa.host, port: samsa.port, nodeId: 1 }, ALLOWED_DIFFERENCES);
  t.comment('normalised before comparing:');
  for (const n of NORMALISATIONS) t.comment(`  ${n.fields.join(', ')}: ${n.why}`);
}
const began = Date.now();

const skip = { skip: unavailable ?? false };
const apiNames = new Map<number, string>(Object.entries(ApiKey).map(([name, key]) => [key, name]));

/** Fails the test once per exchange that differs beyond the allow-list, with both answers. */
function report(t: Test, since: number): void {
  const failed = d!.failed.slice(since);
  for (const ex of failed) t.fail(describeFailures(ex));
}

type Ranges = Map<number, { min: number; max: number }>;

async function advertised(host: string, port: number): Promise<Ranges> {
  const conn = await RawConnection.open(host, port);
  try {
    const r = await conn.request(apiVersionsApi, 3, { ...defaultApiVersionsRequest(), clientSoftwareName: 'samsa-differential', clientSoftwareVersion: '1.0' });
    return new Map(r.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
  } finally {
    conn.close();
  }
}

t.test('ApiVersions: Samsa advertises what Kafka 4.1 advertises for every API it implements', skip, async (t) => {
  const kafka = await advertised(reference!.host, reference!.port);
  const ours = await advertised(samsa!.host, samsa!.port);
  const range = (r: { min: number; max: number } | undefined): string => (r === undefined ? 'none' : `${r.min}-${r.max}`);
  const used = new Set<string>();
  for (const [key, s] of [...ours].sort((a, b) => a[0] - b[0])) {
    const name = apiNames.get(key) ?? `ApiKey ${key}`;
    const k = kafka.get(key);
    if (k?.min === s.min && k.max === s.max) {
      t.pass(`${name}: v${range(s)} on both`);
      continue;
    }
    const entry = VERSION_RANGE_DIFFERENCES.find((e) => e.api === name);
    if (entry !== undefined && entry.kafka === range(k) && entry.samsa === range(s)) {
      used.add(name);
      t.pass(`${name}: kafka v${range(k)}, samsa v${range(s)} (allowed: ${entry.reason})`);
    } else {
      t.fail(`${name}: kafka advertises v${range(k)}, samsa v${range(s)}${entry !== undefined ? ` (the allow-list says kafka ${entry.kafka}, samsa ${entry.samsa})` : ''}`);
    }
  }
  for (const e of VERSION_RANGE_DIFFERENCES) if (!used.has(e.api)) t.fail(`stale ApiVersions allow-list entry for ${e.api}: the ranges no longer differ that way`);
  const missing = [...kafka.keys()].filter((k) => !ours.has(k)).map((k) => apiNames.get(k) ?? String(k));
  t.comment(`Kafka advertises ${missing.length} APIs Samsa does not (see SKIPPED.md): ${missing.join(', ')}`);
});

async function leaveJoined(side: Side, version: number): Promise<void> {
  const memberId = side.vars.get('joined');
  if (typeof memberId !== 'string' || memberId === '') return;
  const groupId = (rawSample(ApiKey.JoinGroup, version, side) as { groupId: string }).groupId;
  await side.conn.request(leaveGroupApi, 3, { groupId, memberId: '', members: [{ memberId, groupInstanceId: null, reason: null }] });
}

t.test('raw protocol: one well-formed request for every API and version both advertise', skip, async (t) => {
  const since = d!.failed.length;
  await prepareRawSweep(d!);
  const kafka = await advertised(reference!.host, reference!.port);
  const ours = await advertised(samsa!.host, samsa!.port);
  let sent = 0;
  const uncovered: string[] = [];
  for (const [key, k] of [...kafka].sort((a, b) => a[0] - b[0])) {
    const s = ours.get(key);
    const api = apiByKey[key] as ApiCodec<unknown, unknown> | undefined;
    if (s === undefined || api === undefined) continue;
    for (let v = Math.max(k.min, s.min); v <= Math.min(k.max, s.max, api.maxVersion); v++) {
      const body = rawSample(key, v, d!.kafka);
      if (body === undefined) {
        uncovered.push(`${api.name} v${v}`);
        continue;
      }
      await d!.exchange(`raw ${api.name} v${v}`, api, v, (side) => rawSample(key, v, side), {
        remember: (r, side) => side.vars.set('joined', key === ApiKey.JoinGroup ? ((r as { memberId?: string }).memberId ?? '') : ''),
      });
      sent++;
      // A member that joined leaves at once, so its group's state does not depend on how long the sweep takes.
      if (key === ApiKey.JoinGroup) await d!.each(async (side) => leaveJoined(side, v));
    }
  }
  t.same(uncovered, [], 'every advertised (API, version) has a sample request');
  t.ok(sent > 0, `${sent} (API, version) pairs compared`);
  report(t, since);
});

for (const [name, scenario] of Object.entries(SCENARIOS)) {
  t.test(`scenario: ${name}`, skip, async (t) => {
    const since = d!.failed.length;
    try {
      await scenario(d!);
    } finally {
      report(t, since);
    }
  });
}

t.test('every allow-list entry that names a finding has its section in FINDINGS.md', async (t) => {
  const headings = new Set(
    readFileSync(join(repoRoot, 'compat-tests', 'FINDINGS.md'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('## '))
      .map((l) => l.slice(3).trim()),
  );
  const named = [...ALLOWED_DIFFERENCES, ...VERSION_RANGE_DIFFERENCES].flatMap((e) => (e.finding === undefined ? [] : [e.finding]));
  t.same(named.filter((f) => !headings.has(f)), [], 'no finding without its section');
});

t.test('allow-list entries used', skip, async (t) => {
  const used = [...d!.used].sort((a, b) => b[1] - a[1]);
  for (const [id, n] of used) t.comment(`  ${id}: ${n}×: ${ALLOWED_DIFFERENCES.find((a) => a.id === id)?.reason ?? ''}`);
  const unused = ALLOWED_DIFFERENCES.filter((a) => !d!.used.has(a.id)).map((a) => a.id);
  if (unused.length > 0) t.comment(`  unused: ${unused.join(', ')}`);
  t.comment(`${d!.count} exchanges compared in ${Date.now() - began} ms`);
  t.pass(`${used.length} allow-list entries used`);
});

export type { Exchange };
