/**
 * The effective settings of one topic, resolved once from its dynamic configs and the broker's
 * defaults whenever either changes, so the produce path reads plain fields.
 */
import type { ServerConfig } from '../config/server-config.js';
import { longValue, resolveTopicConfig } from '../config/server-config.js';
import type { LogConfig } from '../storage/log/log-config.js';

export interface TopicSettings {
  readonly log: LogConfig;
  readonly maxMessageBytes: number;
  readonly compacted: boolean;
  readonly logAppendTime: boolean;
  readonly timestampBeforeMaxMs: number;
  readonly timestampAfterMaxMs: number;
}

export function effectiveTopicConfig(config: ServerConfig, overrides: ReadonlyMap<string, string> | undefined): TopicSettings {
  const t = topicLogConfig(config, overrides ?? new Map());
  return {
    log: t.log,
    maxMessageBytes: t.maxMessageBytes,
    compacted: t.cleanupPolicy.includes('compact'),
    logAppendTime: t.messageTimestampType === 'LogAppendTime',
    timestampBeforeMaxMs: t.messageTimestampBeforeMaxMs,
    timestampAfterMaxMs: t.messageTimestampAfterMaxMs,
  };
}

interface TopicLogSettings {
  log: LogConfig;
  maxMessageBytes: number;
  cleanupPolicy: string[];
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  messageTimestampBeforeMaxMs: number;
  messageTimestampAfterMaxMs: number;
}

/**
 * A topic's configs resolved into the storage layer's LogConfig and the produce path's limits.
 * Here rather than in config/, which knows settings but not the storage layer's types.
 */
function topicLogConfig(config: ServerConfig, overrides: ReadonlyMap<string, string>): TopicLogSettings {
  const get = (name: string): string | null => resolveTopicConfig(config, overrides, name).value;
  const cleanupPolicy = (get('cleanup.policy') ?? 'delete')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const log: LogConfig = {
    segmentBytes: Number(get('segment.bytes')),
    segmentMs: longValue(get('segment.ms')),
    segmentIndexBytes: Number(get('segment.index.bytes')),
    indexIntervalBytes: Number(get('index.interval.bytes')),
    retentionMs: longValue(get('retention.ms')),
    retentionBytes: longValue(get('retention.bytes')),
    cleanupPolicy,
    flushMessages: longValue(get('flush.messages')),
    flushMs: longValue(get('flush.ms')),
    deleteRetentionMs: longValue(get('delete.retention.ms')),
    minCompactionLagMs: longValue(get('min.compaction.lag.ms')),
    minCleanableDirtyRatio: Number(get('min.cleanable.dirty.ratio')),
    fileDeleteDelayMs: longValue(get('file.delete.delay.ms')),
    fsyncEnabled: config.fsyncEnabled,
  };
  return {
    log,
    maxMessageBytes: Number(get('max.message.bytes')),
    cleanupPolicy,
    messageTimestampType: get('message.timestamp.type') === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    messageTimestampBeforeMaxMs: longValue(get('message.timestamp.before.max.ms')),
    messageTimestampAfterMaxMs: longValue(get('message.timestamp.after.max.ms')),
  };
}
