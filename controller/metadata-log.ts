/**
 * The metadata log on disk: `<dataDir>/__cluster_metadata-0`, a partition log like any other
 * (same segments, CRCs and recovery), whose batches carry metadata records. Each controller
 * operation appends its records as one batch, so an operation is applied whole or not at all, and
 * is fsynced (when fsync is enabled) before anyone sees its effect.
 */
import { buildBatch, readRecords, scanBatches } from '../protocol/records/index.js';
import { NodeFileSystem, type FileSystem } from '../storage/fs/file-system.js';
import { Flusher } from '../storage/log/flusher.js';
import { DEFAULT_LOG_CONFIG } from '../storage/log/log-config.js';
import { PartitionLog } from '../storage/log/partition-log.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from './metadata-records.js';

export const METADATA_LOG_DIR = '__cluster_metadata-0';
const REPLAY_CHUNK = 1024 * 1024;

export class MetadataLog {
  private constructor(
    private readonly log: PartitionLog,
    private readonly fsync: boolean,
  ) {}

  static async open(dataDir: string, opts: { fsync: boolean; log: (msg: string) => void; fs?: FileSystem }): Promise<MetadataLog> {
    const fs = opts.fs ?? new NodeFileSystem();
    const log = await PartitionLog.open(
      `${dataDir}/${METADATA_LOG_DIR}`,
      METADATA_LOG_DIR,
      { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024 * 1024, retentionMs: Infinity, fsyncEnabled: opts.fsync },
      { fs, flusher: new Flusher(opts.fsync), log: opts.log },
    );
    return new MetadataLog(log, opts.fsync);
  }

  get endOffset(): number {
    return this.log.logEndOffset;
  }

  /** Calls `apply` for every record in the log, in order, with its offset. */
  async replay(apply: (record: MetadataRecord, offset: number) => void): Promise<void> {
    let offset = this.log.logStartOffset;
    while (offset < this.log.highWatermark) {
      const { records } = await this.log.read(offset, REPLAY_CHUNK, { minOneBatch: true, upperBound: this.log.highWatermark });
      if (records.length === 0) break;
      for (const chunk of records) {
        for (const b of scanBatches(chunk)) {
          for (const r of readRecords(chunk, b)) {
            if (r.value !== null) apply(decodeMetadataRecord(r.value), r.offset);
          }
          offset = b.baseOffset + b.lastOffsetDelta + 1;
        }
      }
    }
  }

  /** Appends one operation's records as one batch; resolves with the last offset once durable. */
  async append(records: readonly MetadataRecord[], leaderEpoch: number): Promise<number> {
    const now = Date.now();
    const batch = buildBatch({
      baseOffset: 0,
      records: records.map((r, i) => ({ key: null, value: encodeMetadataRecord(r), timestamp: now, offsetDelta: i })),
    });
    const [info] = scanBatches(batch);
    // After a write refused for lack of space, the log takes appends again once space is back.
    if (this.log.failed) await this.log.recoverIfFailed();
    const outcome = this.log.append(batch, [info!], { leaderEpoch, requireDurable: this.fsync });
    if (outcome.kind === 'error') throw new Error(`metadata log append failed: ${outcome.errorMessage ?? outcome.errorCode}`);
    if (outcome.kind === 'duplicate') throw new Error('metadata log append was taken for a duplicate');
    await outcome.written;
    await outcome.durable;
    return outcome.lastOffset;
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
