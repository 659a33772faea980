/**
 * Builds populated sample values for any spec'd message at any version, straight from the spec
 * JSON (not from the generated code), so a round trip checks the generator against the spec.
 */
import {
  type FieldSpec,
  type MessageSpec,
  type StructSpec,
  type VersionRange,
  camel,
  contains,
  defaultValue,
  elementType,
  intersect,
  isArray,
  isEmpty,
  isStructType,
  parseVersions,
} from '../../generator/spec.js';

export type Sample = Record<string, unknown>;

export class SampleBuilder {
  private readonly structs = new Map<string, FieldSpec[]>();
  private readonly valid: VersionRange;

  constructor(private readonly spec: MessageSpec) {
    this.valid = parseVersions(spec.validVersions);
    for (const s of spec.commonStructs ?? []) this.collect(s);
    this.collect({ name: spec.name, fields: spec.fields });
  }

  private collect(s: StructSpec): void {
    this.structs.set(s.name, s.fields);
    for (const f of s.fields) {
      if (isStructType(f.type) && f.fields) this.collect({ name: isArray(f.type) ? elementType(f.type) : f.type, fields: f.fields });
    }
  }

  private fieldsOf(type: string): FieldSpec[] {
    const fields = this.structs.get(isArray(type) ? elementType(type) : type);
    if (!fields) throw new Error(`unknown struct ${type}`);
    return fields;
  }

  private carried(f: FieldSpec, v: number): boolean {
    const present = intersect(parseVersions(f.versions), this.valid);
    return contains(present, v);
  }

  private nullableAt(f: FieldSpec, v: number): boolean {
    return contains(parseVersions(f.nullableVersions), v);
  }

  /** The default value of a field, structs included. */
  defaultOf(f: FieldSpec): unknown {
    const d = defaultValue(f);
    if (d !== undefined) return d;
    return this.defaultStruct(f.type);
  }

  private defaultStruct(type: string): Sample {
    const o: Sample = {};
    for (const f of this.fieldsOf(type)) o[camel(f.name)] = this.defaultOf(f);
    return o;
  }

  /** A sample at version v; `nulls` picks null wherever the version allows it. */
  build(v: number, nulls: boolean, seed = 1): Sample {
    return this.struct(this.spec.name, v, nulls, seed);
  }

  private struct(type: string, v: number, nulls: boolean, seed: number): Sample {
    const o: Sample = {};
    let i = 0;
    for (const f of this.fieldsOf(type)) {
      i++;
      const name = camel(f.name);
      if (!this.carried(f, v)) o[name] = this.defaultOf(f);
      else if (nulls && this.nullableAt(f, v)) o[name] = null;
      else o[name] = this.value(f, v, nulls, seed * 31 + i);
    }
    return o;
  }

  private value(f: FieldSpec, v: number, nulls: boolean, seed: number): unknown {
    if (isArray(f.type)) {
      const et = elementType(f.type);
      return [0, 1].map((k) => this.scalar(et, f, v, nulls, seed + k));
    }
    return this.scalar(f.type, f, v, nulls, seed);
  }

  private scalar(type: string, f: FieldSpec, v: number, nulls: boolean, seed: number): unknown {
    switch (type) {
      case 'bool':
        return f.default !== 'true';
      case 'int8':
        return 7 + (seed % 50);
      case 'int16':
        return 300 + (seed % 1000);
      case 'uint16':
        return 65000 - (seed % 100);
      case 'int32':
        return 123456 + seed;
      case 'uint32':
        return 4000000000 + seed;
      case 'int64':
        return 1234567890123n + BigInt(seed);
      case 'float64':
        return 1.5 + seed;
      case 'string':
        return seed % 3 === 0 ? `é-${f.name}-${seed}` : `${f.name}-${seed}`;
      case 'bytes':
        return Buffer.from([1, 2, 3, seed & 0xff]);
      case 'records':
        return Buffer.from(`records-${seed}`);
      case 'uuid': {
        const b = Buffer.alloc(16);
        b.writeUInt32BE(seed >>> 0, 0);
        b[15] = 0x42;
        return b.toString('base64url');
      }
      default:
        return this.struct(type, v, nulls, seed);
    }
  }
}

export function versionsOf(spec: MessageSpec): number[] {
  const r = parseVersions(spec.validVersions);
  const out: number[] = [];
  if (isEmpty(r)) return out;
  for (let v = r.lo; v <= r.hi; v++) out.push(v);
  return out;
}
