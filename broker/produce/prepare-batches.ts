/**
 * Produce-side validation of one partition's records before they are appended (Kafka's
 * LogValidator, for what a single-node log needs): batch layout and CRC, magic, size limit, offset
 * range against record count, timestamps, and keys on compacted topics. Batches stay opaque
 * bytes: nothing is re-encoded unless a v0-v2 producer sent a legacy message set, which is
 * converted to one v2 batch. Compressed batches are not decompressed (except to check keys on
 * compacted topics), so their record count is taken on trust, bounded only by the offset range.
 */
import { ProtocolError } from '../../protocol/codec/errors.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { CompressionType, MAGIC_OFFSET, nullKeyRecordIndexes, readRecords, scanBatches, upConvertToV2, type BatchInfo } from '../../protocol/records/index.js';
import type { TopicSettings } from '../topic-settings.js';

/** KIP-467: one invalid record, by its index within its batch. */
export interface RecordError {
  batchIndex: number;
  message: string | null;
}

/** Kafka's RecordError#toString, which its InvalidRecordException message quotes. */
function describeRecordErrors(errors: readonly RecordError[]): string {
  const shown = errors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message=${e.message === null ? 'null' : `'${e.message}'`})`);
  return `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`;
}

/**
 * Names each record of `b` whose timestamp is out of range (Kafka's LogValidator checks every
 * record; the batch's first and max timestamps let the common case skip that walk).
 */
function timestampErrors(records: Buffer, b: BatchInfo, now: number, settings: TopicSettings): RecordError[] {
  const low = now - settings.timestampBeforeMaxMs;
  const high = now + settings.timestampAfterMaxMs;
  const errors: RecordError[] = [];
  readRecords(records, b).forEach((r, i) => {
    if (r.timestamp < low || r.timestamp > high) {
      errors.push({ batchIndex: i, message: `Timestamp ${r.timestamp} of message with offset ${r.offset} is out of range. The timestamp should be within [${low}, ${high}]` });
    }
  });
  return errors;
}

export interface PreparedBatches {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: RecordError[];
  records: Buffer;
  batches: BatchInfo[];
}


function reject(errorCode: number, errorMessage: string, recordErrors: RecordError[] = []): PreparedBatches {
  return { errorCode, errorMessage, recordErrors, records: Buffer.alloc(0), batches: [] };
}

/**
 * `produceVersion` is the Produce request's version for a client's append, which decides the
 * record formats and codecs allowed; null for the broker's own appends, which no Produce
 * version limits.
 */
export function prepareBatches(input: Buffer, produceVersion: number | null, settings: TopicSettings, topicPartition: string): PreparedBatches {
  if (input.length < MAGIC_OFFSET + 1) return reject(ErrorCode.CORRUPT_MESSAGE, `record data of ${input.length} bytes is too short for a batch`);
  let records = input;
  const magic = input[MAGIC_OFFSET]!;
  if (magic < 2) {
    // Kafka: "Produce requests with version 3 are only allowed to contain record batches with magic version 2".
    if (produceVersion !== null && produceVersion >= 3) return reject(ErrorCode.INVALID_RECORD, `produce v${produceVersion} requires magic 2 batches, got magic ${magic}`);
    try {
      // Up-conversion decodes every message: a compressed wrapper may hold at most
      // max.message.bytes of messages, or a small gzip "bomb" of 26-byte messages (some 16,000
      // per compressed KB) would cost the event loop seconds and the heap gigabytes.
      records = upConvertToV2(input, settings.maxMessageBytes);
    } catch (e) {
      return reject(ErrorCode.CORRUPT_MESSAGE, e instanceof Error ? e.message : String(e));
    }
  }
  let batches: BatchInfo[];
  try {
    batches = scanBatches(records);
  } catch (e) {
    if (e instanceof ProtocolError) {
      const code = e.code === 'UNSUPPORTED_COMPRESSION' || e.code === 'UNSUPPORTED_MAGIC' ? ErrorCode.INVALID_RECORD : ErrorCode.CORRUPT_MESSAGE;
      return reject(code, e.message);
    }
    throw e;
  }
  if (batches.length === 0) return reject(ErrorCode.INVALID_RECORD, 'no record batch in the record data');

  const now = Date.now();
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i]!;
    // KIP-110: zstd needs Produce v7+ (Kafka's ProduceRequest.validateRecords).
    if (b.compression === CompressionType.Zstd && produceVersion !== null && produceVersion < 7) {
      return reject(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `Produce requests with version ${produceVersion} are not allowed to use ZStandard compression`);
    }
    if (b.size > settings.maxMessageBytes) {
      return reject(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${b.size} bytes exceeds max.message.bytes ${settings.maxMessageBytes}`);
    }
    // Kafka's LogValidator.validateBatch for client batches: the header's offset range and record
    // count agree. Checked from the header alone (no per-record work); a lying lastOffsetDelta
    // would otherwise advance the log end offset by up to 2^31 for one record.
    if (b.recordCount <= 0) return reject(ErrorCode.INVALID_RECORD, `Invalid reported count for record batch: ${b.recordCount}`);
    if (b.lastOffsetDelta + 1 !== b.recordCount) {
      return reject(ErrorCode.INVALID_RECORD, `Inconsistent batch offset range [0, ${b.lastOffsetDelta}] and count of records ${b.recordCount}`);
    }
    // Kafka's LogValidator: an InvalidRecordException without record errors.
    if (b.isControl) return reject(ErrorCode.INVALID_RECORD, 'Clients are not allowed to write control records');
    if (b.isTransactional) {
      return reject(ErrorCode.INVALID_TXN_STATE, 'transactional produce is not supported by this broker yet');
    }
    try {
      if (!settings.logAppendTime && b.recordCount > 0) {
        if (now - b.baseTimestamp > settings.timestampBeforeMaxMs || b.maxTimestamp - now > settings.timestampAfterMaxMs) {
          const errors = timestampErrors(records, b, now, settings);
          if (errors.length > 0) return reject(ErrorCode.INVALID_TIMESTAMP, 'One or more records have been rejected due to invalid timestamp', errors);
        }
      }
      if (settings.compacted) {
        const nullKeys = nullKeyRecordIndexes(records, b);
        if (nullKeys.length > 0) {
          const errors = nullKeys.map((batchIndex) => ({ batchIndex, message: `Compacted topic cannot accept message without key in topic partition ${topicPartition}.` }));
          return reject(ErrorCode.INVALID_RECORD, describeRecordErrors(errors), errors);
        }
      }
    } catch (e) {
      return reject(ErrorCode.CORRUPT_MESSAGE, e instanceof Error ? e.message : String(e));
    }
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, recordErrors: [], records, batches };
}
