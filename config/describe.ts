/**
 * Config descriptions for DescribeConfigs and CreateTopics: every topic or broker config with its
 * effective value, where it came from, read-only and sensitive flags, type, documentation and the
 * chain of synonyms it could have come from (Kafka's ConfigHelper).
 */
import { BROKER_CONFIGS, brokerConfigByName, synonymToTopicValue, TOPIC_CONFIGS, type ConfigDef, type ConfigType } from './definitions.js';
import type { ServerConfig } from './server-config.js';

/** DescribeConfigsResponse ConfigSource values. */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

const CONFIG_TYPE_IDS: Record<ConfigType, number> = { boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7, class: 8, password: 9 };

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  source: number;
  isSensitive: boolean;
  synonyms: ConfigSynonym[];
  configType: number;
  documentation: string;
}

function hide(def: ConfigDef, value: string | null): string | null {
  return def.sensitive === true || def.type === 'password' ? null : value;
}

function described(def: ConfigDef, value: string | null, source: number, synonyms: readonly ConfigSynonym[], readOnly: boolean): DescribedConfig {
  return {
    name: def.name,
    value: hide(def, value),
    readOnly,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    source,
    isSensitive: def.sensitive === true,
    synonyms: synonyms.map((s) => ({ ...s, value: hide(def, s.value) })),
    configType: CONFIG_TYPE_IDS[def.type],
    documentation: def.doc,
  };
}

/** Describes every topic config (or those in `keys`) given the topic's own settings. */
export function describeTopicConfigs(config: ServerConfig, own: ReadonlyMap<string, string>, keys: readonly string[] | null): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const def of TOPIC_CONFIGS) {
    if (keys !== null && !keys.includes(def.name)) continue;
    const synonyms: ConfigSynonym[] = [];
    const ownValue = own.get(def.name);
    if (ownValue !== undefined) synonyms.push({ name: def.name, value: ownValue, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    for (const syn of def.brokerSynonyms) {
      const v = config.explicit.get(syn);
      if (v !== undefined) synonyms.push({ name: syn, value: v.trim(), source: ConfigSource.STATIC_BROKER_CONFIG });
    }
    const lastSynonym = def.brokerSynonyms[def.brokerSynonyms.length - 1];
    const brokerDefault = lastSynonym === undefined ? undefined : brokerConfigByName.get(lastSynonym);
    if (brokerDefault !== undefined && brokerDefault.defaultValue !== null) {
      synonyms.push({ name: brokerDefault.name, value: brokerDefault.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    }
    const first = synonyms[0];
    let value: string | null;
    let source: number;
    if (first === undefined || first.source === ConfigSource.DEFAULT_CONFIG) {
      value = def.defaultValue;
      source = ConfigSource.DEFAULT_CONFIG;
    } else {
      value = first.source === ConfigSource.DYNAMIC_TOPIC_CONFIG ? first.value : synonymToTopicValue(first.name, first.value ?? '');
      source = first.source;
    }
    out.push(described(def, value, source, synonyms, false));
  }
  return out;
}

/**
 * Describes every broker config (or those in `keys`): dynamic per-broker settings win over the
 * dynamic cluster default, then the static configuration, then the default.
 */
export function describeBrokerConfigs(
  config: ServerConfig,
  dynamicBroker: ReadonlyMap<string, string>,
  dynamicDefault: ReadonlyMap<string, string>,
  keys: readonly string[] | null,
  defaultsOnly: boolean,
): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const def of BROKER_CONFIGS) {
    if (keys !== null && !keys.includes(def.name)) continue;
    const synonyms: ConfigSynonym[] = [];
    const perBroker = defaultsOnly ? undefined : dynamicBroker.get(def.name);
    if (perBroker !== undefined) synonyms.push({ name: def.name, value: perBroker, source: ConfigSource.DYNAMIC_BROKER_CONFIG });
    const clusterDefault = dynamicDefault.get(def.name);
    if (clusterDefault !== undefined) synonyms.push({ name: def.name, value: clusterDefault, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    const staticValue = defaultsOnly ? undefined : config.explicit.get(def.name);
    if (staticValue !== undefined) synonyms.push({ name: def.name, value: staticValue.trim(), source: ConfigSource.STATIC_BROKER_CONFIG });
    if (def.defaultValue !== null) synonyms.push({ name: def.name, value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    // The cluster-default resource lists only dynamic defaults (Kafka's behaviour for resource name "").
    if (defaultsOnly && clusterDefault === undefined) continue;
    const first = synonyms[0];
    const source = first?.source ?? ConfigSource.DEFAULT_CONFIG;
    out.push(described(def, first?.value ?? null, source, synonyms, def.dynamic !== true));
  }
  return out;
}
