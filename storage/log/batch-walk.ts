/**
 * Walking the batches of a segment file by their headers alone: each header says how long its
 * batch is, so the next one starts right after. Used where only offsets matter (checking a
 * segment's end against its index files, a compaction swap file at open); reads and recovery walk
 * their own chunks in segment.ts.
 */
import { BATCH_OVERHEAD, BATCH_WALK_HEADER, batchLastOffset, batchSize } from '../../protocol/records/batch-header.js';
import type { StorageFile } from '../fs/file-system.js';

/**
 * Walks batch headers from `position` to `size`: the offset after the last batch, undefined when
 * there is no batch, null when a header is bad or a batch runs past `size`.
 */
export async function offsetAfterBatches(file: StorageFile, position: number, size: number): Promise<number | null | undefined> {
  const header = Buffer.allocUnsafe(BATCH_WALK_HEADER);
  let pos = position;
  let next: number | undefined;
  while (pos < size) {
    if ((await file.read(header, 0, BATCH_WALK_HEADER, pos)) < BATCH_WALK_HEADER) return null;
    const len = batchSize(header, 0);
    if (len < BATCH_OVERHEAD || pos + len > size) return null;
    next = batchLastOffset(header, 0) + 1;
    pos += len;
  }
  return next;
}
