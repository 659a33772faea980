/**
 * The metadata log on the in-memory file system: operations append as one batch each, and a
 * reopened log replays every record with its offset, so the image it rebuilds is the one the
 * appends built. A torn or corrupt tail is cut off at open (partition-log recovery), dropping
 * whole operations only; a crash keeps every append that resolved when fsync is on. A record that
 * passes the CRC but is not a metadata record stops the replay, rather than being skipped.
 */
import t from 'tap';
import { buildBatch } from '../../protocol/records/index.js';
import { MemoryFileSystem } from '../../storage/fs/memory-file-system.js';
import { emptyImage, ImageBuilder, type MetadataImage } from '../image.js';
import { METADATA_LOG_DIR, MetadataLog } from '../metadata-log.js';
import type { MetadataRecord } from '../metadata-records.js';
import { CLUSTER_ID, ID_A, ID_B, partition, registerBroker, removeTopic, topic, topicConfig } from './records.js';

const DATA_DIR = '/meta';
const SEGMENT = `${DATA_DIR}/${METADATA_LOG_DIR}/00000000000000000000.log`;
const CLEAN_SHUTDOWN = `${DATA_DIR}/${METADATA_LOG_DIR}/.clean-shutdown`;

/** Three operations, as the controller would append them. */
const OPERATIONS: MetadataRecord[][] = [
  [{ type: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } }, registerBroker(1, { epoch: 1n })],
  [topic('a', ID_A), topicConfig('a', 'retention.ms', '1000'), partition(ID_A, 0, [1]), partition(ID_A, 1, [1])],
  [topic('b', ID_B), partition(ID_B, 0, [1])],
];

interface Env {
  fs: MemoryFileSystem;
  messages: string[];
  open(fsync?: boolean): Promise<MetadataLog>;
}

function env(): Env {
  const fs = new MemoryFileSystem();
  const messages: string[] = [];
  return { fs, messages, open: (fsync = true) => MetadataLog.open(DATA_DIR, { fsync, log: (m) => messages.push(m), fs }) };
}

async function appendAll(log: MetadataLog, ops: readonly MetadataRecord[][]): Promise<number[]> {
  const last: number[] = [];
  for (const op of ops) last.push(await log.append(op, 1));
  return last;
}

async function replayAll(log: MetadataLog): Promise<Array<{ record: MetadataRecord; offset: number }>> {
  const out: Array<{ record: MetadataRecord; offset: number }> = [];
  await log.replay((record, offset) => out.push({ record, offset }));
  return out;
}

function imageOf(entries: ReadonlyArray<{ record: MetadataRecord; offset: number }>): MetadataImage {
  const b = new ImageBuilder(emptyImage(CLUSTER_ID, 1));
  for (const { record, offset } of entries) b.apply(record, offset);
  return b.build();
}

t.test('appends return the last offset of each operation; a reopened log replays them all', async (t) => {
  const e = env();
  let log = await e.open();
  t.equal(log.endOffset, 0, 'a new log is empty');
  t.same(await replayAll(log), []);
  t.same(await appendAll(log, OPERATIONS), [1, 5, 7]);
  t.equal(log.endOffset, 8);

  // What the controller builds while appending: each operation's records at its offsets.
  const live = new ImageBuilder(emptyImage(CLUSTER_ID, 1));
  let next = 0;
  for (const op of OPERATIONS) for (const r of op) live.apply(r, next++);
  await log.close();

  log = await e.open();
  t.equal(log.endOffset, 8);
  const replayed = await replayAll(log);
  t.same(replayed.map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6, 7], 'every record, in order, with its offset');
  t.same(replayed.map((r) => r.record), OPERATIONS.flat(), 'each record as it was appended');
  t.same(imageOf(replayed), live.build(), 'the replayed image is the one the appends built');
  t.same(await replayAll(log), replayed, 'replay can run again');
  t.equal(await log.append([removeTopic(ID_B)], 1), 8, 'appends continue after the replayed records');
  await log.close();
});

t.test('a torn tail is cut at open: the torn operation is gone whole, the rest replays', async (t) => {
  const e = env();
  let log = await e.open();
  await appendAll(log, OPERATIONS);
  await log.close();
  // Only part of the last operation reached the disk before a crash: its last 10 bytes are missing.
  const bytes = e.fs.fileBytes(SEGMENT)!;
  e.fs.setFileBytes(SEGMENT, bytes.subarray(0, bytes.length - 10));
  await e.fs.remove(CLEAN_SHUTDOWN);

  log = await e.open();
  t.equal(log.endOffset, 6, 'the log ends after the last whole operation');
  t.ok(e.messages.some((m) => m.includes('truncating the log at offset 6')), `the truncation is logged: ${e.messages.join(' / ')}`);
  const replayed = await replayAll(log);
  t.same(replayed.map((r) => r.record), OPERATIONS.slice(0, 2).flat(), 'not one record of the torn operation');
  t.notOk(imageOf(replayed).topics.has('b'));
  t.equal(await log.append(OPERATIONS[2]!, 1), 7, 'the operation can be appended again');
  t.same(imageOf(await replayAll(log)).topics.get('b')?.partitions.length, 1);
  await log.close();
});

t.test('a corrupt last batch is cut at open, after a clean shutdown too', async (t) => {
  const e = env();
  let log = await e.open();
  await appendAll(log, OPERATIONS);
  await log.close();
  const bytes = e.fs.fileBytes(SEGMENT)!;
  e.fs.corruptByte(SEGMENT, bytes.length - 3);

  log = await e.open();
  t.equal(log.endOffset, 6);
  t.ok(e.messages.some((m) => m.includes('CRC mismatch')), `the corruption is logged: ${e.messages.join(' / ')}`);
  t.same((await replayAll(log)).map((r) => r.record), OPERATIONS.slice(0, 2).flat());
  await log.close();
});

t.test('with fsync, a crash keeps every append that resolved', async (t) => {
  const e = env();
  const log = await e.open(true);
  await appendAll(log, OPERATIONS);
  e.fs.crash();
  const reopened = await e.open(true);
  t.same((await replayAll(reopened)).map((r) => r.record), OPERATIONS.flat());
  await reopened.close();
});

t.test('without fsync, a crash may lose appends (nothing was synced)', async (t) => {
  const e = env();
  const log = await e.open(false);
  await appendAll(log, OPERATIONS);
  const syncs = e.fs.syncCount;
  await log.append([removeTopic(ID_A)], 1);
  t.equal(e.fs.syncCount, syncs, 'an append syncs nothing');
  e.fs.crash();
  const reopened = await e.open(false);
  t.ok(reopened.endOffset < 9, `appends after the last sync are lost (the log ends at ${reopened.endOffset})`);
  await reopened.close();
});

t.test('records the image does not act on replay unchanged; null values are skipped', async (t) => {
  const e = env();
  let log = await e.open();
  await appendAll(log, OPERATIONS.slice(0, 1));
  await log.close();
  // A NoOpRecord (type 20, v0: an empty tagged-field section) and a record with no value.
  const noOp = Buffer.from([1, 20, 0, 0]);
  const extra = buildBatch({ baseOffset: 2, records: [{ key: null, value: noOp, timestamp: 0, offsetDelta: 0 }, { key: null, value: null, timestamp: 0, offsetDelta: 1 }] });
  e.fs.setFileBytes(SEGMENT, Buffer.concat([e.fs.fileBytes(SEGMENT)!, extra]));
  await e.fs.remove(CLEAN_SHUTDOWN);

  log = await e.open();
  t.equal(log.endOffset, 4);
  const replayed = await replayAll(log);
  t.same(replayed.map((r) => r.offset), [0, 1, 2], 'the null value at offset 3 is not passed on');
  t.match(replayed[2]!.record, { type: 'Other', apiKey: 20, version: 0 });
  await log.close();
});

t.test('a record that is not a metadata record stops the replay with CORRUPT_RECORD', async (t) => {
  const e = env();
  let log = await e.open();
  await appendAll(log, OPERATIONS.slice(0, 1));
  await log.close();
  // A batch with a good CRC whose value has frame version 9.
  const foreign = buildBatch({ baseOffset: 2, records: [{ key: null, value: Buffer.from([9, 2, 0, 0]), timestamp: 0, offsetDelta: 0 }] });
  e.fs.setFileBytes(SEGMENT, Buffer.concat([e.fs.fileBytes(SEGMENT)!, foreign]));
  await e.fs.remove(CLEAN_SHUTDOWN);

  log = await e.open();
  t.equal(log.endOffset, 3, 'the batch itself is intact');
  const seen: number[] = [];
  await t.rejects(log.replay((_r, offset) => seen.push(offset)), { code: 'CORRUPT_RECORD', message: /frame version 9/ });
  t.same(seen, [0, 1], 'the records before it were applied');
  await log.close();
});
