/** Where tests find the repository and the shared reference data, wherever they are run from. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const repoRoot = findRoot();
export const specDir = resolve(process.env['SAMSA_KAFKA_SPEC'] ?? join(repoRoot, '..', 'shared', 'kafka-spec'));
export const goldenDir = resolve(join(repoRoot, '..', 'shared', 'golden'));
