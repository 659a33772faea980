/**
 * Dynamic config changes turned into ConfigRecords (Kafka's ConfigurationControlManager): topic
 * configs and dynamic broker configs, for AlterConfigs (whole-set replacement) and
 * IncrementalAlterConfigs (SET, DELETE, APPEND, SUBTRACT), validated against the definitions.
 */
import { brokerConfigByName, topicConfigByName, validateValue } from '../config/definitions.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { BROKER_RESOURCE, configKey, TOPIC_RESOURCE, type MetadataImage } from './image.js';
import type { MetadataRecord } from './metadata-records.js';

export const OP_SET = 0;
export const OP_DELETE = 1;
export const OP_APPEND = 2;
export const OP_SUBTRACT = 3;

export interface ConfigOp {
  name: string;
  op: number;
  value: string | null;
}

export interface ConfigChange {
  resourceType: number;
  resourceName: string;
  ops: readonly ConfigOp[];
}

export interface ConfigChangeResult {
  resourceType: number;
  resourceName: string;
  errorCode: number;
  errorMessage: string | null;
}

/** Why a topic config setting is invalid, or null. */
export function topicConfigError(name: string, value: string): string | null {
  const def = topicConfigByName.get(name);
  if (def === undefined) return `Unknown topic config name: ${name}`;
  const err = validateValue(def, value);
  return err === null ? null : `Invalid value ${value} for configuration ${name}: ${err}`;
}

function brokerConfigError(name: string, value: string): string | null {
  const def = brokerConfigByName.get(name);
  if (def === undefined) return `Unknown broker config name: ${name}`;
  if (def.dynamic !== true) return `Cannot update these configs dynamically: ${name}`;
  const err = validateValue(def, value);
  return err === null ? null : `Invalid value ${value} for configuration ${name}: ${err}`;
}

function isList(resourceType: number, name: string): boolean {
  const def = resourceType === TOPIC_RESOURCE ? topicConfigByName.get(name) : brokerConfigByName.get(name);
  return def?.type === 'list';
}

function defaultOf(resourceType: number, name: string): string | null {
  const def = resourceType === TOPIC_RESOURCE ? topicConfigByName.get(name) : brokerConfigByName.get(name);
  return def?.defaultValue ?? null;
}

function splitList(v: string | null): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Validates config changes and returns the records applying the valid ones. `replace` gives the
 * legacy AlterConfigs meaning: the ops are the resource's whole new config set.
 */
export function configChangeRecords(image: MetadataImage, changes: readonly ConfigChange[], replace: boolean): { records: MetadataRecord[]; results: ConfigChangeResult[] } {
  const records: MetadataRecord[] = [];
  const results: ConfigChangeResult[] = [];
  // Kafka (ControllerApis.handleIncrementalAlterConfigs and handleLegacyAlterConfigs) refuses a
  // resource named twice with INVALID_REQUEST "Duplicate resource.", so a request's records are
  // bounded by the resources that exist, not by how often it repeats one.
  const named = new Map<string, number>();
  const key = (c: ConfigChange): string => `${c.resourceType}:${c.resourceName}`;
  for (const c of changes) named.set(key(c), (named.get(key(c)) ?? 0) + 1);
  for (const change of changes) {
    const { resourceType, resourceName } = change;
    const result = (errorCode: number, errorMessage: string | null): void => {
      results.push({ resourceType, resourceName, errorCode, errorMessage });
    };
    if (named.get(key(change))! > 1) {
      result(ErrorCode.INVALID_REQUEST, 'Duplicate resource.');
      continue;
    }
    if (resourceType === TOPIC_RESOURCE) {
      if (!image.topics.has(resourceName)) {
        result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${resourceName} does not exist.`);
        continue;
      }
    } else if (resourceType === BROKER_RESOURCE) {
      if (resourceName !== '' && !/^\d+$/.test(resourceName)) {
        result(ErrorCode.INVALID_REQUEST, `Invalid broker name ${resourceName}`);
        continue;
      }
    } else {
      result(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${resourceType}`);
      continue;
    }
    const current = image.configs.get(configKey(resourceType, resourceName)) ?? new Map<string, string>();
    const next = new Map(replace ? [] : current);
    let error: { code: number; message: string } | null = null;
    const seen = new Set<string>();
    for (const op of change.ops) {
      if (seen.has(op.name)) {
        error = { code: ErrorCode.INVALID_REQUEST, message: `Error due to duplicate config keys: ${op.name}` };
        break;
      }
      seen.add(op.name);
      let value: string | null = null;
      switch (op.op) {
        case OP_SET:
          value = op.value;
          break;
        case OP_DELETE:
          value = null;
          break;
        case OP_APPEND:
        case OP_SUBTRACT: {
          if (!isList(resourceType, op.name)) {
            error = { code: ErrorCode.INVALID_CONFIG, message: `Config value ${op.op === OP_APPEND ? 'append' : 'subtract'} is not allowed for config key: ${op.name}` };
            break;
          }
          const have = splitList(next.get(op.name) ?? defaultOf(resourceType, op.name));
          const given = splitList(op.value);
          // Sets, not Array.includes: both lists come from requests and may be long.
          let list: string[];
          if (op.op === OP_APPEND) {
            const had = new Set(have);
            list = have.concat(given.filter((g) => !had.has(g)));
          } else {
            const removed = new Set(given);
            list = have.filter((h) => !removed.has(h));
          }
          value = list.join(',');
          break;
        }
        default:
          error = { code: ErrorCode.INVALID_REQUEST, message: `Unknown config operation ${op.op}` };
      }
      if (error !== null) break;
      if (value === null) {
        next.delete(op.name);
        continue;
      }
      const err = resourceType === TOPIC_RESOURCE ? topicConfigError(op.name, value) : brokerConfigError(op.name, value);
      if (err !== null) {
        error = { code: ErrorCode.INVALID_CONFIG, message: err };
        break;
      }
      next.set(op.name, value);
    }
    if (error !== null) {
      result(error.code, error.message);
      continue;
    }
    for (const [name, value] of next) {
      if (current.get(name) !== value) records.push({ type: 'ConfigRecord', data: { resourceType, resourceName, name, value } });
    }
    for (const name of current.keys()) {
      if (!next.has(name)) records.push({ type: 'ConfigRecord', data: { resourceType, resourceName, name, value: null } });
    }
    result(ErrorCode.NONE, null);
  }
  return { records, results };
}
