/**
 * Which top-level folder of the repository may import which (as Kafka's import-control files
 * say it for its packages), and the check of one import against that. The layers, bottom up:
 * protocol/ knows bytes; storage/ and config/ build on protocol/ only; controller/ on those
 * three; broker/ and the library entry index.ts on everything but the tests; compat-tests/,
 * bench/ and this folder drive the whole thing and may import anything.
 */
import { posix } from 'node:path';

export type Layer = 'protocol' | 'storage' | 'config' | 'controller' | 'broker' | 'index.ts' | 'compat-tests' | 'bench' | 'test';

const ALL: readonly Layer[] = ['protocol', 'storage', 'config', 'controller', 'broker', 'index.ts', 'compat-tests', 'bench', 'test'];

/** What each layer may import besides itself; `anything` for the folders nothing imports. */
export const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[] | 'anything'>> = {
  protocol: [],
  storage: ['protocol'],
  config: ['protocol'],
  controller: ['protocol', 'storage', 'config'],
  broker: ['protocol', 'storage', 'config', 'controller', 'index.ts'],
  'index.ts': ['protocol', 'storage', 'config', 'controller', 'broker'],
  'compat-tests': 'anything',
  bench: 'anything',
  test: 'anything',
};

/** The layer a repository path (posix, relative to the root) belongs to, or null for none. */
export function layerOf(path: string): Layer | null {
  const first = path.split('/')[0]!;
  return (ALL as readonly string[]).includes(first) ? (first as Layer) : null;
}

/** Whether a path is in a layer's own test folder (`broker/test/...`): tests and their helpers. */
export function isTestPath(path: string): boolean {
  return path.split('/')[1] === 'test';
}

function describe(layer: Layer): string {
  return layer === 'index.ts' ? layer : `${layer}/`;
}

/**
 * Why `file` may not import `specifier`, or null when it may. Both paths are posix and relative
 * to the repository root; only relative specifiers name our code (packages and `node:` modules
 * are not checked). A test may import what its layer may, its own layer's test helpers
 * included; code outside a test folder never imports one.
 */
export function importViolation(file: string, specifier: string): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  const from = layerOf(file);
  if (from === null) return `${file} is in no layer; add its folder to test/layers.ts`;
  const allowed = MAY_IMPORT[from];
  if (allowed === 'anything') return null;
  const target = posix.normalize(posix.join(posix.dirname(file), specifier));
  if (target.startsWith('../')) return `${target} is outside the repository`;
  const to = layerOf(target);
  const rule = `${describe(from)} may import only ${[from, ...allowed].map(describe).join(', ')}`;
  if (to === null) return `${target} is in no layer (${rule})`;
  if (to !== from && !allowed.includes(to)) return `${describe(from)} may not import ${describe(to)} (${rule})`;
  if (isTestPath(target) && !isTestPath(file)) return `only tests may import test helpers (${target})`;
  return null;
}
