import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateAll } from '../../generator/generate.js';
import { repoRoot, specDir } from '../paths.js';

const skip = existsSync(join(specDir, 'message')) ? false : `spec folder ${specDir} is absent: cannot regenerate to compare`;

t.test('committed generated code matches what the generator writes from the spec', { skip }, (t) => {
  const files = generateAll(specDir);
  t.ok(files.length > 100, `generator produced ${files.length} files`);
  const stale: string[] = [];
  for (const f of files) {
    const p = join(repoRoot, f.path);
    if (!existsSync(p)) stale.push(`${f.path} is missing`);
    else if (readFileSync(p, 'utf8') !== f.content) stale.push(`${f.path} differs`);
  }
  t.same(stale, [], 'run `make generate` and commit the result');
  t.end();
});
