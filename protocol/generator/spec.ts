/**
 * Reading Kafka's message specs (JSON with `//` comments) and the rules the generator and the
 * round-trip tests share: version ranges, field types, names and default values.
 */
import { readFileSync } from 'node:fs';
import { ZERO_UUID } from '../uuid.js';
import { applyOverlay } from './overlays.js';

export interface FieldSpec {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string;
  ignorable?: boolean;
  flexibleVersions?: string;
  fields?: FieldSpec[];
  about?: string;
}

export interface StructSpec {
  name: string;
  versions?: string;
  fields: FieldSpec[];
}

export interface MessageSpec {
  apiKey?: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: FieldSpec[];
  commonStructs?: StructSpec[];
  latestVersionUnstable?: boolean;
}

/** An inclusive version range; `lo > hi` is the empty range ("none"). */
export interface VersionRange {
  lo: number;
  hi: number;
}

export const NO_VERSIONS: VersionRange = { lo: 1, hi: 0 };
const OPEN_END = 0x7fff;

export function parseVersions(spec: string | undefined): VersionRange {
  if (spec === undefined || spec === 'none') return NO_VERSIONS;
  const s = spec.trim();
  if (s.endsWith('+')) return { lo: Number(s.slice(0, -1)), hi: OPEN_END };
  const dash = s.indexOf('-');
  if (dash > 0) return { lo: Number(s.slice(0, dash)), hi: Number(s.slice(dash + 1)) };
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`bad version range ${JSON.stringify(spec)}`);
  return { lo: n, hi: n };
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  return { lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) };
}

export function isEmpty(r: VersionRange): boolean {
  return r.lo > r.hi;
}

export function contains(r: VersionRange, v: number): boolean {
  return v >= r.lo && v <= r.hi;
}

/** Strips `//` comments (outside strings) so the spec parses as JSON. */
export function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

/** Reads a spec file, with the newer versions of `overlays.ts` applied. */
export function loadSpec(path: string): MessageSpec {
  const spec = JSON.parse(stripComments(readFileSync(path, 'utf8'))) as MessageSpec;
  applyOverlay(spec);
  return spec;
}

export const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

export function isArray(type: string): boolean {
  return type.startsWith('[]');
}

export function elementType(type: string): string {
  return type.slice(2);
}

export function isStructType(type: string): boolean {
  return !PRIMITIVES.has(isArray(type) ? elementType(type) : type);
}

/** `ClusterId` → `clusterId`, `ISR` → `isr`, `group` → `group`. */
export function camel(name: string): string {
  if (/^[A-Z0-9]+$/.test(name)) return name.toLowerCase();
  return name[0]!.toLowerCase() + name.slice(1);
}

/** `ApiVersionsRequest` → `api-versions-request`. */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/** The value a field takes when a version does not carry it, as the JS value (for tests). */
export function defaultValue(f: FieldSpec): unknown {
  const d = f.default;
  if (isArray(f.type)) return d === 'null' ? null : [];
  switch (f.type) {
    case 'bool':
      return d === 'true';
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32':
    case 'float64':
      return d === undefined || d === '' ? 0 : Number(d);
    case 'int64':
      return d === undefined || d === '' ? 0n : BigInt(d);
    case 'string':
      return d === 'null' ? null : (d ?? '');
    case 'bytes':
      return d === 'null' ? null : Buffer.alloc(0);
    case 'records':
      return null;
    case 'uuid':
      return ZERO_UUID;
    default:
      return d === 'null' ? null : undefined; // structs: built from their own fields' defaults
  }
}
