/**
 * Emits `protocol/messages/request-fields.ts`: for every API, the shape of its request (field
 * names as the codecs spell them, types, the versions that carry each field, where null is
 * allowed, spec defaults), with common structs inlined. The codecs never read it; it lets tools
 * that must build any request at any version (the request fuzzer in compat-tests/fuzz) do so
 * from the generated code alone, without the spec folder.
 */
import {
  type FieldSpec,
  type MessageSpec,
  type VersionRange,
  camel,
  elementType,
  intersect,
  isArray,
  isEmpty,
  isStructType,
  parseVersions,
} from './spec.js';

export interface FieldTableApi {
  key: number;
  name: string;
  request: MessageSpec;
}

function range(r: VersionRange): string {
  return `[${r.lo}, ${r.hi}]`;
}

class FieldTableEmitter {
  private readonly structs = new Map<string, FieldSpec[]>();
  private readonly valid: VersionRange;

  constructor(private readonly spec: MessageSpec) {
    this.valid = parseVersions(spec.validVersions);
    for (const s of spec.commonStructs ?? []) this.structs.set(s.name, s.fields);
  }

  private fieldsOf(f: FieldSpec): FieldSpec[] {
    if (f.fields !== undefined) return f.fields;
    const name = isArray(f.type) ? elementType(f.type) : f.type;
    const s = this.structs.get(name);
    if (s === undefined) throw new Error(`${this.spec.name}: unknown struct type ${name}`);
    return s;
  }

  fields(fields: FieldSpec[], indent: string): string {
    const out: string[] = [];
    for (const f of fields) {
      const present = intersect(parseVersions(f.versions), this.valid);
      const nullable = intersect(parseVersions(f.nullableVersions), present);
      const type = isStructType(f.type) ? (isArray(f.type) ? '[]struct' : 'struct') : f.type;
      let line = `${indent}{ name: '${camel(f.name)}', type: '${type}', versions: ${range(present)}`;
      if (!isEmpty(nullable)) line += `, nullable: ${range(nullable)}`;
      if (f.default !== undefined && f.default !== '') line += `, default: ${JSON.stringify(String(f.default))}`;
      if (isStructType(f.type)) line += `, fields: [\n${this.fields(this.fieldsOf(f), indent + '  ')}\n${indent}]`;
      out.push(line + ' },');
    }
    return out.join('\n');
  }
}

export function fieldTable(header: string, apis: FieldTableApi[]): string {
  const lines: string[] = [header, `/* eslint-disable */`, ''];
  lines.push(`/** One request field: \`versions\` and \`nullable\` are inclusive version ranges (empty when lo > hi). */`);
  lines.push(`export interface RequestField {`);
  lines.push(`  /** The property name in the generated request types. */`);
  lines.push(`  readonly name: string;`);
  lines.push(`  /** A spec primitive (int32, string, records, uuid, ...) or struct, with [] for arrays. */`);
  lines.push(`  readonly type: string;`);
  lines.push(`  readonly versions: readonly [number, number];`);
  lines.push(`  readonly nullable?: readonly [number, number];`);
  lines.push(`  /** The spec's default, as written there; absent means the type's zero value. */`);
  lines.push(`  readonly default?: string;`);
  lines.push(`  readonly fields?: readonly RequestField[];`);
  lines.push(`}`, '');
  lines.push(`export interface RequestShape {`);
  lines.push(`  readonly key: number;`);
  lines.push(`  readonly name: string;`);
  lines.push(`  readonly fields: readonly RequestField[];`);
  lines.push(`}`, '');
  lines.push(`/** Request shapes by API key; holes are keys Kafka never assigned. */`);
  lines.push(`export const requestShapes: ReadonlyArray<RequestShape | undefined> = (() => {`);
  lines.push(`  const t: Array<RequestShape | undefined> = [];`);
  for (const a of apis) {
    lines.push(`  t[${a.key}] = { key: ${a.key}, name: '${a.name}', fields: [`);
    const body = new FieldTableEmitter(a.request).fields(a.request.fields, '    ');
    if (body !== '') lines.push(body);
    lines.push(`  ] };`);
  }
  lines.push(`  return t;`);
  lines.push(`})();`);
  return lines.join('\n') + '\n';
}
