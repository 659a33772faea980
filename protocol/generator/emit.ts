/**
 * Emits TypeScript for one spec: an interface per struct, and one reader, one writer, one
 * default-value builder and one is-default check per struct, covering every version with
 * `if (v >= N)` branches. Flexibility is computed once per message and passed down.
 */
import {
  type FieldSpec,
  type MessageSpec,
  type StructSpec,
  type VersionRange,
  camel,
  contains,
  elementType,
  intersect,
  isArray,
  isEmpty,
  isStructType,
  parseVersions,
} from './spec.js';
import { ZERO_UUID } from '../uuid.js';

interface StructInfo {
  tsName: string;
  fields: FieldSpec[];
}

export class MessageEmitter {
  private readonly structs = new Map<string, StructInfo>();
  private readonly order: string[] = [];
  readonly valid: VersionRange;
  readonly flexible: VersionRange;

  constructor(private readonly spec: MessageSpec) {
    this.valid = parseVersions(spec.validVersions);
    this.flexible = intersect(parseVersions(spec.flexibleVersions), this.valid);
    for (const s of spec.commonStructs ?? []) this.register(s);
    this.register({ name: spec.name, fields: spec.fields });
  }

  get name(): string {
    return this.spec.name;
  }

  /** Struct names are prefixed with the message name (request and response share a file) unless they already carry it. */
  private tsNameOf(structName: string): string {
    return structName.startsWith(this.spec.name) ? structName : this.spec.name + structName;
  }

  private register(s: StructSpec): void {
    if (this.structs.has(s.name)) throw new Error(`${this.spec.name}: struct ${s.name} defined twice`);
    this.structs.set(s.name, { tsName: this.tsNameOf(s.name), fields: s.fields });
    for (const f of s.fields) {
      if (isStructType(f.type) && f.fields !== undefined) {
        const name = isArray(f.type) ? elementType(f.type) : f.type;
        this.register({ name, fields: f.fields });
      }
    }
    this.order.push(s.name);
  }

  private struct(type: string): StructInfo {
    const name = isArray(type) ? elementType(type) : type;
    const s = this.structs.get(name);
    if (s === undefined) throw new Error(`${this.spec.name}: unknown struct type ${name}`);
    return s;
  }

  // ---- version conditions -------------------------------------------------------------------

  /** A JS condition on `v` for a range, simplified against the message's valid versions. */
  private cond(range: VersionRange, within: VersionRange = this.valid): string {
    const r = intersect(range, within);
    if (isEmpty(r)) return 'false';
    const lo = r.lo > within.lo ? `v >= ${r.lo}` : '';
    const hi = r.hi < within.hi ? `v <= ${r.hi}` : '';
    if (lo && hi) return r.lo === r.hi ? `v === ${r.lo}` : `${lo} && ${hi}`;
    return lo || hi || 'true';
  }

  private present(f: FieldSpec): VersionRange {
    return intersect(parseVersions(f.versions), this.valid);
  }

  private nullable(f: FieldSpec): VersionRange {
    return intersect(parseVersions(f.nullableVersions), this.present(f));
  }

  private tagged(f: FieldSpec): VersionRange {
    return f.tag === undefined ? { lo: 1, hi: 0 } : intersect(parseVersions(f.taggedVersions), this.present(f));
  }

  /** Versions where the field is a regular (untagged) field. */
  private regular(f: FieldSpec): VersionRange {
    const p = this.present(f);
    const t = this.tagged(f);
    if (isEmpty(t)) return p;
    // Kafka requires taggedVersions to be open-ended, so the regular part is what precedes it.
    return { lo: p.lo, hi: Math.min(p.hi, t.lo - 1) };
  }

  private isNullableAnywhere(f: FieldSpec): boolean {
    return !isEmpty(this.nullable(f)) || f.default === 'null';
  }

  /** The `compact` argument for a variable-length field: `flex`, unless the field overrides it. */
  private compactExpr(f: FieldSpec, inTag: boolean): string {
    if (inTag) return 'true';
    if (f.flexibleVersions === undefined) return 'flex';
    const c = this.cond(intersect(parseVersions(f.flexibleVersions), this.flexible));
    return c === 'true' ? 'flex' : c;
  }

  // ---- types and defaults -------------------------------------------------------------------

  private scalarType(type: string): string {
    switch (type) {
      case 'bool':
        return 'boolean';
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
      case 'float64':
        return 'number';
      case 'int64':
        return 'bigint';
      case 'string':
      case 'uuid':
        return 'string';
      case 'bytes':
        return 'Buffer';
      case 'records':
        return 'RecordsData';
      default:
        return this.struct(type).tsName;
    }
  }

  private tsType(f: FieldSpec): string {
    const base = isArray(f.type) ? `${this.scalarType(elementType(f.type))}[]` : this.scalarType(f.type);
    return this.isNullableAnywhere(f) || f.type === 'records' ? `${base} | null` : base;
  }

  private defaultExpr(f: FieldSpec): string {
    const d = f.default;
    if (isArray(f.type)) return d === 'null' ? 'null' : '[]';
    switch (f.type) {
      case 'bool':
        return d === 'true' ? 'true' : 'false';
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
      case 'float64':
        return d === undefined || d === '' ? '0' : String(Number(d));
      case 'int64':
        return d === undefined || d === '' ? '0n' : `${BigInt(d)}n`;
      case 'string':
        return d === 'null' ? 'null' : JSON.stringify(d ?? '');
      case 'bytes':
        return d === 'null' ? 'null' : 'EMPTY_BYTES';
      case 'records':
        return 'null';
      case 'uuid':
        return JSON.stringify(ZERO_UUID);
      default:
        return d === 'null' ? 'null' : `default${this.struct(f.type).tsName}()`;
    }
  }

  private isDefaultExpr(f: FieldSpec, val: string): string {
    const d = this.defaultExpr(f);
    if (d === 'null') return `${val} === null`;
    if (isArray(f.type) || f.type === 'bytes') return `(${val} !== null && ${val}.length === 0)`;
    if (isStructType(f.type)) {
      const fn = `isDefault${this.struct(f.type).tsName}`;
      return this.isNullableAnywhere(f) ? `(${val} !== null && ${fn}(${val}))` : `${fn}(${val})`;
    }
    return `${val} === ${d}`;
  }

  // ---- reading --------------------------------------------------------------------------------

  private readScalar(type: string, compact: string, nullCond: string, rd: string): string {
    switch (type) {
      case 'bool':
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
      case 'int64':
      case 'float64':
      case 'uuid':
        return `${rd}.${type}()`;
      case 'string':
      case 'bytes':
      case 'records': {
        const m = type === 'string' ? 'String' : 'Bytes';
        const plain = type === 'string' ? 'string' : 'bytes';
        if (nullCond === 'true') return `${rd}.nullable${m}(${compact})`;
        if (nullCond === 'false') return `${rd}.${plain}(${compact})`;
        return `(${nullCond} ? ${rd}.nullable${m}(${compact}) : ${rd}.${plain}(${compact}))`;
      }
      default: {
        const s = this.struct(type);
        const flexArg = compact === 'true' ? 'true' : 'flex';
        const read = `read${s.tsName}(${rd}, v, ${flexArg})`;
        if (nullCond === 'false') return read;
        const nullable = `(${rd}.int8() < 0 ? null : ${read})`;
        if (nullCond === 'true') return nullable;
        return `(${nullCond} ? ${nullable} : ${read})`;
      }
    }
  }

  private readValue(f: FieldSpec, inTag: boolean, rd: string): string {
    const compact = this.compactExpr(f, inTag);
    const nullCond = this.cond(this.nullable(f), inTag ? this.tagged(f) : this.regular(f));
    if (!isArray(f.type)) return this.readScalar(f.type, compact, nullCond, rd);
    const elem = this.readScalar(elementType(f.type), compact, 'false', 'e');
    const arr = `${rd}.array(${compact}, (e) => ${elem})`;
    const nArr = `${rd}.nullableArray(${compact}, (e) => ${elem})`;
    if (nullCond === 'true') return nArr;
    if (nullCond === 'false') return arr;
    return `(${nullCond} ? ${nArr} : ${arr})`;
  }

  // ---- writing --------------------------------------------------------------------------------

  /** `nullCond` is a version condition, or `element` for array elements (never null by type). */
  private writeScalar(type: string, val: string, compact: string, nullCond: string, wr: string, what: string): string {
    switch (type) {
      case 'bool':
      case 'int8':
      case 'int16':
      case 'uint16':
      case 'int32':
      case 'uint32':
      case 'int64':
      case 'float64':
      case 'uuid':
        return `${wr}.${type}(${val});`;
      case 'string':
      case 'bytes': {
        const m = type === 'string' ? 'String' : 'Bytes';
        const plain = type === 'string' ? 'string' : 'bytes';
        if (nullCond === 'element') return `${wr}.${plain}(${val}, ${compact});`;
        if (nullCond === 'true') return `${wr}.nullable${m}(${val}, ${compact});`;
        const strict = `${wr}.${plain}(${val} ?? nullNotAllowed(${JSON.stringify(what)}, v), ${compact});`;
        if (nullCond === 'false') return strict;
        return `if (${nullCond}) ${wr}.nullable${m}(${val}, ${compact}); else ${strict}`;
      }
      case 'records':
        if (nullCond === 'true') return `${wr}.records(${val}, ${compact});`;
        return `${wr}.records(${val} ?? nullNotAllowed(${JSON.stringify(what)}, v), ${compact});`;
      default: {
        const s = this.struct(type);
        const flexArg = compact === 'true' ? 'true' : 'flex';
        const write = (x: string): string => `write${s.tsName}(${wr}, ${x}, v, ${flexArg});`;
        if (nullCond === 'element') return write(val);
        if (nullCond === 'false') return write(`${val} ?? nullNotAllowed(${JSON.stringify(what)}, v)`);
        const nullable = `{ const s = ${val}; if (s === null) ${wr}.int8(-1); else { ${wr}.int8(1); ${write('s')} } }`;
        if (nullCond === 'true') return nullable;
        return `if (${nullCond}) ${nullable} else ${write(`${val} ?? nullNotAllowed(${JSON.stringify(what)}, v)`)}`;
      }
    }
  }

  private writeValue(f: FieldSpec, val: string, inTag: boolean, wr: string, what: string): string {
    const compact = this.compactExpr(f, inTag);
    const nullCond = this.cond(this.nullable(f), inTag ? this.tagged(f) : this.regular(f));
    if (!isArray(f.type)) return this.writeScalar(f.type, val, compact, nullCond, wr, what);
    const et = elementType(f.type);
    const elemWrite = this.writeScalar(et, 'e', compact, 'element', 'ew', what);
    const body = `(ew, e) => { ${elemWrite} }`;
    if (nullCond === 'true') return `${wr}.nullableArray(${val}, ${compact}, ${body});`;
    const strict = `${wr}.array(${val} ?? nullNotAllowed(${JSON.stringify(what)}, v), ${compact}, ${body});`;
    if (nullCond === 'false') return strict;
    return `if (${nullCond}) ${wr}.nullableArray(${val}, ${compact}, ${body}); else ${strict}`;
  }

  // ---- whole structs --------------------------------------------------------------------------

  private emitStruct(s: StructInfo, isTop: boolean): string {
    const out: string[] = [];
    const t = s.tsName;
    const fields = s.fields;
    const anyFlexible = !isEmpty(this.flexible);

    // interface
    out.push(`export interface ${t} {`);
    for (const f of fields) {
      if (f.about) out.push(`  /** ${f.about.replace(/\*\//g, '* /')} */`);
      out.push(`  ${camel(f.name)}: ${this.tsType(f)};`);
    }
    out.push(`  /** Tagged fields this version of Samsa does not know, kept and written back. */`);
    out.push(`  _unknownTaggedFields?: UnknownTaggedField[];`);
    out.push(`}`, '');

    // default
    out.push(`export function default${t}(): ${t} {`);
    out.push(`  return {${fields.map((f) => ` ${camel(f.name)}: ${this.defaultExpr(f)}`).join(',')} };`);
    out.push(`}`, '');

    // is-default
    out.push(`export function isDefault${t}(x: ${t}): boolean {`);
    const checks = fields.map((f) => this.isDefaultExpr(f, `x.${camel(f.name)}`));
    checks.push('(x._unknownTaggedFields === undefined || x._unknownTaggedFields.length === 0)');
    out.push(`  return ${checks.join(' &&\n    ')};`);
    out.push(`}`, '');

    // reader
    const taggedFields = fields.filter((f) => !isEmpty(this.tagged(f))).sort((a, b) => a.tag! - b.tag!);
    out.push(`${isTop ? '' : 'export '}function read${t}(r: Reader, v: number, flex: boolean): ${t} {`);
    for (const f of fields) out.push(`  let _${camel(f.name)}: ${this.tsType(f)} = ${this.defaultExpr(f)};`);
    for (const f of fields) {
      const reg = this.regular(f);
      if (isEmpty(reg)) continue;
      const c = this.cond(reg);
      const stmt = `_${camel(f.name)} = ${this.readValue(f, false, 'r')};`;
      out.push(c === 'true' ? `  ${stmt}` : `  if (${c}) ${stmt}`);
    }
    if (anyFlexible) {
      out.push(`  let unknownTags: UnknownTaggedField[] | undefined;`);
      if (taggedFields.length === 0) out.push(`  if (flex) unknownTags = r.taggedFields(null);`);
      else {
        out.push(`  if (flex) {`);
        out.push(`    unknownTags = r.taggedFields((tag, tr) => {`);
        out.push(`      switch (tag) {`);
        for (const f of taggedFields) {
          const c = this.cond(this.tagged(f));
          out.push(`        case ${f.tag}:`);
          out.push(`          if (!(${c})) return false;`);
          out.push(`          _${camel(f.name)} = ${this.readValue(f, true, 'tr')};`);
          out.push(`          return true;`);
        }
        out.push(`        default:`);
        out.push(`          return false;`);
        out.push(`      }`);
        out.push(`    });`);
        out.push(`  }`);
      }
    }
    out.push(`  const o: ${t} = {${fields.map((f) => ` ${camel(f.name)}: _${camel(f.name)}`).join(',')} };`);
    if (anyFlexible) out.push(`  if (unknownTags !== undefined) o._unknownTaggedFields = unknownTags;`);
    out.push(`  return o;`);
    out.push(`}`, '');

    // writer
    out.push(`${isTop ? '' : 'export '}function write${t}(w: Writer, x: ${t}, v: number, flex: boolean): void {`);
    for (const f of fields) {
      const name = camel(f.name);
      const what = `${t}.${name}`;
      const reg = this.regular(f);
      const c = isEmpty(reg) ? 'false' : this.cond(reg);
      const write = this.writeValue(f, `x.${name}`, false, 'w', what);
      // Kafka's rule: a non-default value in a version that lacks the field is an error unless the
      // field is ignorable (or is carried as a tagged field in that version).
      const strict = f.ignorable !== true && f.versions !== undefined;
      const notCarried = `!(${this.isDefaultExpr(f, `x.${name}`)})`;
      const taggedCond = isEmpty(this.tagged(f)) ? 'false' : this.cond(this.tagged(f));
      const absentCheck =
        strict && !(c === 'true')
          ? `if (${notCarried}${taggedCond === 'false' ? '' : ` && !(${taggedCond})`}) unsupportedField(${JSON.stringify(what)}, v);`
          : '';
      if (c === 'true') out.push(`  ${write}`);
      else if (c === 'false') {
        if (absentCheck) out.push(`  ${absentCheck}`);
      } else {
        out.push(`  if (${c}) { ${write} }${absentCheck ? ` else ${absentCheck}` : ''}`);
      }
    }
    if (anyFlexible) {
      out.push(`  if (flex) {`);
      if (taggedFields.length === 0) out.push(`    w.taggedFields(null, x._unknownTaggedFields);`);
      else {
        out.push(`    let tags: Array<readonly [number, (tw: Writer) => void]> | null = null;`);
        for (const f of taggedFields) {
          const name = camel(f.name);
          const c = this.cond(this.tagged(f));
          const write = this.writeValue(f, `x.${name}`, true, 'tw', `${t}.${name}`);
          const guard = `${c === 'true' ? '' : `${c} && `}!(${this.isDefaultExpr(f, `x.${name}`)})`;
          out.push(`    if (${guard}) (tags ??= []).push([${f.tag}, (tw) => { ${write} }]);`);
        }
        out.push(`    w.taggedFields(tags, x._unknownTaggedFields);`);
      }
      out.push(`  }`);
    }
    out.push(`}`, '');
    return out.join('\n');
  }

  /** The body of the generated code for this spec (no imports). */
  emitBody(): string {
    const parts: string[] = [];
    const name = this.spec.name;
    for (const structName of this.order) {
      const s = this.structs.get(structName)!;
      parts.push(this.emitStruct(s, structName === name));
    }
    const { lo, hi } = this.valid;
    const flexMin = isEmpty(this.flexible) ? 'Infinity' : String(this.flexible.lo);
    parts.push(`/** Versions of ${name}: the valid range, and the first flexible version. */`);
    parts.push(`export const ${name}Versions = { min: ${lo}, max: ${hi}, flexibleMin: ${flexMin} } as const;`, '');
    parts.push(`export function decode${name}(r: Reader, version: number): ${name} {`);
    parts.push(`  if (!(version >= ${lo} && version <= ${hi})) unsupportedVersion(${JSON.stringify(name)}, version);`);
    parts.push(`  return read${name}(r, version, version >= ${flexMin});`);
    parts.push(`}`, '');
    parts.push(`export function encode${name}(w: Writer, x: ${name}, version: number): void {`);
    parts.push(`  if (!(version >= ${lo} && version <= ${hi})) unsupportedVersion(${JSON.stringify(name)}, version);`);
    parts.push(`  write${name}(w, x, version, version >= ${flexMin});`);
    parts.push(`}`, '');
    return parts.join('\n');
  }

  /** Whether version `v` of this message is flexible. */
  isFlexible(v: number): boolean {
    return contains(this.flexible, v);
  }
}
