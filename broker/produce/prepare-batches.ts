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
import { recordsHaveNullKey, scanBatches, upConvertToV2, type BatchInfo } from '../../protocol/records/index.js';
import type { TopicSettings } from '../topic-settings.js';

export interface RecordError {
  batchIndex: number;
  message: string | null;
}

export interface PreparedBatches {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: RecordError[];
  records: Buffer;
  batches: BatchInfo[];
}

const MAGIC_OFFSET = 16;

function reject(errorCode: number, errorMessage: string, recordErrors: RecordError[] = []): PreparedBatches {
  return { errorCode, errorMessage, recordErrors, records: Buffer.alloc(0), batches: [] };
}

export function prepareBatches(input: Buffer, produceVersion: number, settings: TopicSettings): PreparedBatches {
  if (input.length < MAGIC_OFFSET + 1) return reject(ErrorCode.CORRUPT_MESSAGE, `record data of ${input.length} bytes is too short for a batch`);
  let records = input;
  const magic = input[MAGIC_OFFSET]!;
  if (magic < 2) {
    // Kafka: "Produce requests with version 3 are only allowed to contain record batches with magic version 2".
    if (produceVersion >= 3) return reject(ErrorCode.INVALID_RECORD, `produce v${produceVersion} requires magic 2 batches, got magic ${magic}`);
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
    if (b.isControl) return reject(ErrorCode.INVALID_RECORD, 'clients may not write control batches', [{ batchIndex: i, message: 'control batch' }]);
    if (b.isTransactional) {
      return reject(ErrorCode.INVALID_TXN_STATE, 'transactional produce is not supported by this broker yet');
    }
    if (!settings.logAppendTime && b.recordCount > 0) {
      // Kafka checks each record's timestamp; the batch's first and max timestamps bound them all.
      if (now - b.baseTimestamp > settings.timestampBeforeMaxMs || b.maxTimestamp - now > settings.timestampAfterMaxMs) {
        return reject(ErrorCode.INVALID_TIMESTAMP, `timestamps ${b.baseTimestamp}..${b.maxTimestamp} are outside the allowed range of message.timestamp.before/after.max.ms`, [
          { batchIndex: i, message: 'timestamp out of range' },
        ]);
      }
    }
    if (settings.compacted) {
      let nullKey: boolean;
      try {
        nullKey = recordsHaveNullKey(records, b);
      } catch (e) {
        return reject(ErrorCode.CORRUPT_MESSAGE, e instanceof Error ? e.message : String(e));
      }
      if (nullKey) {
        return reject(ErrorCode.INVALID_RECORD, 'Compacted topic cannot accept message without key', [
          { batchIndex: i, message: 'Compacted topic cannot accept message without key in topic partition' },
        ]);
      }
    }
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, recordErrors: [], records, batches };
}
