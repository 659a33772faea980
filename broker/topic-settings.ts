/**
 * The effective settings of one topic, resolved once from its dynamic configs and the broker's
 * defaults whenever either changes, so the produce path reads plain fields.
 */
import type { ServerConfig } from './config/server-config.js';
import { topicLogConfig } from './config/server-config.js';
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
