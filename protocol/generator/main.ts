/**
 * `node dist/protocol/generator/main.js [SPEC_DIR]` regenerates the protocol codecs from Kafka's
 * spec folder (default ../shared/kafka-spec). Writes only files whose content changed and removes
 * generated files that no spec produces any more.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { GENERATED_DIRS, generateAll } from './generate.js';

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

function main(): void {
  const specDir = process.argv[2] ?? '../shared/kafka-spec';
  const root = process.cwd();
  if (!existsSync(join(specDir, 'message'))) {
    console.error(`samsa generator: no message/ folder under ${specDir}`);
    process.exit(1);
  }
  const files = generateAll(specDir);
  const wanted = new Set(files.map((f) => f.path));
  let written = 0;
  for (const f of files) {
    const p = join(root, f.path);
    if (existsSync(p) && readFileSync(p, 'utf8') === f.content) continue;
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    written++;
  }
  let removed = 0;
  for (const d of GENERATED_DIRS) {
    for (const p of walk(join(root, d))) {
      if (!wanted.has(relative(root, p))) {
        rmSync(p);
        removed++;
      }
    }
  }
  console.log(`samsa generator: ${files.length} files from ${specDir}, ${written} written, ${removed} removed`);
}

main();
