import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect, isDeepStrictEqual } from 'node:util';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { kebab, loadSpec, type MessageSpec } from '../../generator/spec.js';
import { specDir } from '../paths.js';
import { SampleBuilder, versionsOf } from './sample.js';

type Decode = (r: Reader, v: number) => unknown;
type Encode = (w: Writer, x: unknown, v: number) => void;
type CodecModule = Record<string, unknown>;

/** Where the generator put the codecs of a spec file, as an importable module path. */
function modulePathFor(folder: string, spec: MessageSpec): string {
  const key = spec.apiKey !== undefined ? `${String(spec.apiKey).padStart(2, '0')}-` : '';
  switch (folder) {
    case 'message':
      if (spec.type === 'request' || spec.type === 'response') return '../../messages/index.js';
      if (spec.type === 'header') return '../../messages/headers.js';
      return `../../messages/data/${kebab(spec.name)}.js`;
    case 'metadata':
      return `../../metadata/${key}${kebab(spec.name)}.js`;
    default:
      return `../../${folder}/${key}${kebab(spec.name)}.js`;
  }
}

const FOLDERS = ['message', 'metadata', 'group-coordinator', 'transaction-coordinator', 'raft'];

if (!existsSync(join(specDir, 'message'))) {
  t.test('round trips', { skip: `spec folder ${specDir} is absent: no specs to build samples from` }, () => {});
} else {
  for (const folder of FOLDERS) {
    const dir = join(specDir, folder);
    if (!existsSync(dir)) continue;
    t.test(`${folder}: every message at every version round-trips`, async (t) => {
      let checked = 0;
      const failures: string[] = [];
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
        const spec = loadSpec(join(dir, f));
        const mod = (await import(modulePathFor(folder, spec))) as CodecModule;
        const decode = mod[`decode${spec.name}`] as Decode | undefined;
        const encode = mod[`encode${spec.name}`] as Encode | undefined;
        if (!decode || !encode) {
          failures.push(`${spec.name}: no generated codec`);
          continue;
        }
        const builder = new SampleBuilder(spec);
        for (const v of versionsOf(spec)) {
          for (const nulls of [false, true]) {
            const sample = builder.build(v, nulls);
            try {
              const w = new Writer();
              encode(w, sample, v);
              const bytes = w.toBuffer();
              const r = new Reader(bytes);
              const decoded = decode(r, v);
              r.expectEnd(`${spec.name} v${v}`);
              const again = new Writer();
              encode(again, decoded, v);
              if (!again.toBuffer().equals(bytes)) failures.push(`${spec.name} v${v}: re-encoding differs`);
              if (!isDeepStrictEqual(decoded, sample)) {
                failures.push(`${spec.name} v${v}: decoded ${inspect(decoded, { depth: 6 })} expected ${inspect(sample, { depth: 6 })}`);
              }
              checked++;
            } catch (e) {
              failures.push(`${spec.name} v${v}${nulls ? ' (nulls)' : ''}: ${(e as Error).message}`);
            }
          }
        }
      }
      t.same(failures, [], `${checked} (message, version) samples round-tripped`);
    });
  }
}
