/**
 * Every TypeScript source of the repository (not node_modules/ or dist/) imports only what its
 * layer may (test/layers.ts). Imports are read with TypeScript's own pre-processor: `import ...
 * from`, `export ... from`, side-effect imports and `import('...')`, none in comments or strings.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import ts from 'typescript';
import { repoRoot } from '../protocol/test/paths.js';
import { importViolation, layerOf } from './layers.js';

const SKIPPED_DIRS = new Set(['node_modules', 'dist']);

/** Repository-relative posix paths of the .ts files under `dir`, symlinks not followed. */
function sourceFiles(dir: string, prefix: string, out: string[]): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue;
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) sourceFiles(join(dir, entry.name), path, out);
    else if (entry.isFile() && entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

interface Import {
  specifier: string;
  line: number;
}

function importsOf(source: string): Import[] {
  const lineOf = (pos: number): number => source.slice(0, pos).split('\n').length;
  return ts.preProcessFile(source, true, false).importedFiles.map((f) => ({ specifier: f.fileName, line: lineOf(f.pos) }));
}

t.test('the checker reads every kind of import and knows the rules', (t) => {
  const source = [
    "import a from './a.js';",
    "import type { B } from '../broker/b.js';",
    "export * from './c.js';",
    "// import x from '../broker/in-a-comment.js'",
    "const d = await import('../compat-tests/harness/d.js');",
    "const s = \"import y from '../broker/in-a-string.js'\";",
  ].join('\n');
  t.same(
    importsOf(source).map((i) => `${i.line} ${i.specifier}`),
    ['1 ./a.js', '2 ../broker/b.js', '3 ./c.js', '5 ../compat-tests/harness/d.js'],
  );
  const forbidden: Array<[string, string]> = [
    ['protocol/records/batch.ts', '../../storage/log/segment.js'],
    ['protocol/test/codec/writer.test.ts', '../../../compat-tests/harness/samsa-process.js'],
    ['storage/log/partition-log.ts', '../../config/server-config.js'],
    ['config/server-config.ts', '../storage/log/log-config.js'],
    ['controller/image.ts', '../broker/broker.js'],
    ['broker/broker.ts', '../bench/suite.js'],
    ['broker/test/broker.test.ts', '../../compat-tests/harness/samsa-process.js'],
    ['index.ts', './compat-tests/harness/samsa-process.js'],
    ['broker/broker.ts', './test/helper.js'],
    ['storage/log-manager.ts', '../../elsewhere/x.js'],
  ];
  for (const [file, spec] of forbidden) t.not(importViolation(file, spec), null, `${file} may not import ${spec}`);
  const allowed: Array<[string, string]> = [
    ['protocol/records/batch.ts', '../codec/reader.js'],
    ['storage/log/segment.ts', '../../protocol/records/batch.js'],
    ['controller/quorum-controller.ts', '../config/server-config.js'],
    ['broker/broker.ts', '../controller/image.js'],
    ['broker/test/broker.test.ts', '../../protocol/test/raw-client.js'],
    ['storage/test/log/cleaner.test.ts', './log-env.js'],
    ['compat-tests/harness/python.ts', '../../broker/test/anything.js'],
    ['bench/suite.ts', '../compat-tests/harness/samsa-process.js'],
    ['broker/broker.ts', 'node:fs'],
  ];
  for (const [file, spec] of allowed) t.equal(importViolation(file, spec), null, `${file} may import ${spec}`);
  t.end();
});

t.test('every source file imports only what its layer may', (t) => {
  const files = sourceFiles(repoRoot, '', []);
  const layers = new Set(files.map(layerOf));
  for (const layer of ['protocol', 'storage', 'config', 'controller', 'broker', 'index.ts', 'compat-tests'] as const) {
    t.ok(layers.has(layer), `found the sources of ${layer}`);
  }
  let checked = 0;
  const violations: string[] = [];
  for (const file of files) {
    for (const { specifier, line } of importsOf(readFileSync(join(repoRoot, file), 'utf8'))) {
      checked++;
      const why = importViolation(file, specifier);
      if (why !== null) violations.push(`${file}:${line} imports '${specifier}': ${why}`);
    }
  }
  t.ok(checked > 1000, `read ${checked} imports of ${files.length} files`);
  t.same(violations, [], 'imports against the layer rules in test/layers.ts (ARCHITECTURE.md, "Layers")');
  t.end();
});
