/**
 * Fetch sessions (KIP-227) and the fetch contexts built on them: a full fetch opens a session, an
 * incremental one updates it (new, changed and forgotten partitions) and is answered only with
 * partitions that have news, then expects the next epoch; unknown sessions and wrong epochs are
 * errors; the cache evicts its least recently used session when full.
 */
import t from 'tap';
import { ErrorCode } from '../../../protocol/error-codes.js';
import {
  FullFetchContext,
  IncrementalFetchContext,
  newFetchContext,
  SessionErrorContext,
  SessionlessFetchContext,
  type FetchContextRequest,
  type PartitionFetchState,
} from '../../fetch/fetch-context.js';
import { FetchSession, FetchSessionCache, type ForgottenTopic, type SessionPartition } from '../../fetch/fetch-session-cache.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

function sp(partition: number, fetchOffset = 0n, topic = 't'): SessionPartition {
  return {
    topic,
    topicId: TOPIC_ID,
    partition,
    fetchOffset,
    maxBytes: 1024,
    currentLeaderEpoch: -1,
    sentHighWatermark: -1n,
    sentLastStableOffset: -1n,
    sentLogStartOffset: -1n,
  };
}

function request(sessionId: number, epoch: number, partitions: SessionPartition[], forgotten: ForgottenTopic[] = []): FetchContextRequest {
  return { metadata: { sessionId, epoch }, usesTopicIds: false, partitions, forgotten };
}

function read(highWatermark: bigint, bytes = 0, errorCode: number = ErrorCode.NONE): PartitionFetchState {
  return { errorCode, highWatermark, lastStableOffset: highWatermark, logStartOffset: 0n, bytes };
}

/** Opens a session holding partitions 0 and 1 of `t`, both sent high watermark 5. */
function openSession(cache: FetchSessionCache): number {
  const ctx = newFetchContext(cache, request(0, 0, [sp(0), sp(1)]));
  ctx.updateAndGenerateResponseData([read(5n), read(5n)]);
  return ctx.sessionId;
}

t.test('a full fetch at epoch 0 opens a session holding the requested partitions', async (t) => {
  const cache = new FetchSessionCache(10);
  const ctx = newFetchContext(cache, request(0, 0, [sp(0), sp(1)]));
  t.ok(ctx instanceof FullFetchContext);
  t.not(ctx.sessionId, 0, 'a session id is handed out');
  t.equal(ctx.errorCode, ErrorCode.NONE);
  t.equal(cache.size, 1);
  t.same(
    ctx.partitions.map((p) => p.partition),
    [0, 1],
  );
  const answered = ctx.updateAndGenerateResponseData([read(5n), read(0n)]);
  t.equal(answered.length, 2, 'a full fetch answers every partition, news or not');
  t.equal(answered[0]!.partition.sentHighWatermark, 5n, 'what was sent is remembered');
});

t.test('sessionless fetches: below v7, epoch -1, or no room in the cache', async (t) => {
  const cache = new FetchSessionCache(10);
  const old = newFetchContext(cache, { metadata: null, usesTopicIds: false, partitions: [sp(0)], forgotten: [] });
  t.ok(old instanceof SessionlessFetchContext);
  t.equal(old.sessionId, 0);
  t.equal(old.updateAndGenerateResponseData([read(0n)]).length, 1);
  t.equal(newFetchContext(cache, request(0, -1, [sp(0)])).sessionId, 0, 'epoch -1: no session');
  t.equal(cache.size, 0, 'no session was created');

  const none = new FetchSessionCache(0);
  const ctx = newFetchContext(none, request(0, 0, [sp(0)]));
  t.ok(ctx instanceof SessionlessFetchContext, 'a cache without slots serves full fetches sessionless');
  t.equal(ctx.sessionId, 0);
});

t.test('an incremental fetch answers only partitions with news and bumps the epoch', async (t) => {
  const cache = new FetchSessionCache(10);
  const id = openSession(cache);
  const ctx = newFetchContext(cache, request(id, 1, []));
  t.ok(ctx instanceof IncrementalFetchContext);
  t.equal(ctx.sessionId, id);
  t.same(
    ctx.partitions.map((p) => p.partition),
    [0, 1],
    'every partition of the session is read',
  );
  const answered = ctx.updateAndGenerateResponseData([read(5n), read(6n)]);
  t.same(
    answered.map((a) => a.partition.partition),
    [1],
    'partition 0 has nothing new',
  );
  const next = newFetchContext(cache, request(id, 2, []));
  t.same(
    next.updateAndGenerateResponseData([read(5n, 100), read(6n, 0, ErrorCode.OFFSET_OUT_OF_RANGE)]).map((a) => a.partition.partition),
    [0, 1],
    'records and errors are news',
  );
  const quiet = newFetchContext(cache, request(id, 3, []));
  t.same(quiet.updateAndGenerateResponseData([read(5n), read(6n)]), [], 'nothing moved: an empty answer');
});

t.test('an incremental fetch adds and updates partitions, and forgets those it names', async (t) => {
  const cache = new FetchSessionCache(10);
  const id = openSession(cache);
  const ctx = newFetchContext(cache, request(id, 1, [sp(1, 42n), sp(2)], [{ topic: 't', topicId: TOPIC_ID, partitions: [0] }]));
  t.same(
    ctx.partitions.map((p) => [p.partition, p.fetchOffset]),
    [
      [1, 42n],
      [2, 0n],
    ],
  );
  t.equal(ctx.partitions[0]!.sentHighWatermark, 5n, 'an updated partition keeps what it was sent');
  ctx.updateAndGenerateResponseData([read(5n), read(0n)]);
  t.same(
    newFetchContext(cache, request(id, 2, [], [{ topic: 't', topicId: TOPIC_ID, partitions: [1, 2] }])).partitions,
    [],
    'every partition forgotten',
  );
});

t.test('from v13 the session keys partitions by topic id', async (t) => {
  const cache = new FetchSessionCache(10);
  const open = newFetchContext(cache, { metadata: { sessionId: 0, epoch: 0 }, usesTopicIds: true, partitions: [sp(0, 0n, '')], forgotten: [] });
  open.updateAndGenerateResponseData([read(0n)]);
  const ctx = newFetchContext(cache, { metadata: { sessionId: open.sessionId, epoch: 1 }, usesTopicIds: true, partitions: [], forgotten: [{ topic: '', topicId: TOPIC_ID, partitions: [0] }] });
  t.same(ctx.partitions, [], 'forgotten by topic id');
  ctx.updateAndGenerateResponseData([]);
  t.equal(
    newFetchContext(cache, { metadata: { sessionId: open.sessionId, epoch: 2 }, usesTopicIds: false, partitions: [], forgotten: [] }).errorCode,
    ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR,
    'a session opened with topic ids is not continued by names',
  );
});

t.test('an unknown session or a wrong epoch is an error for the whole fetch', async (t) => {
  const cache = new FetchSessionCache(10);
  const id = openSession(cache);
  const unknown = newFetchContext(cache, request(id + 1, 1, [sp(0)]));
  t.ok(unknown instanceof SessionErrorContext);
  t.equal(unknown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  t.equal(unknown.sessionId, 0);
  t.same(unknown.partitions, []);
  t.equal(newFetchContext(cache, request(id, 2, [])).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH, 'an epoch ahead');
  const ok = newFetchContext(cache, request(id, 1, []));
  ok.updateAndGenerateResponseData([read(5n), read(5n)]);
  t.equal(newFetchContext(cache, request(id, 1, [])).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH, 'an epoch already used');
  t.equal(newFetchContext(cache, request(id, 2, [])).errorCode, ErrorCode.NONE, 'the next epoch');
});

t.test('an epoch error leaves the session as it was', async (t) => {
  const cache = new FetchSessionCache(10);
  const id = openSession(cache);
  newFetchContext(cache, request(id, 7, [sp(5)], [{ topic: 't', topicId: TOPIC_ID, partitions: [0] }]));
  t.same(
    newFetchContext(cache, request(id, 1, [])).partitions.map((p) => p.partition),
    [0, 1],
  );
});

t.test('epoch -1 closes a session; epoch 0 with a session id replaces it', async (t) => {
  const cache = new FetchSessionCache(10);
  const id = openSession(cache);
  t.equal(newFetchContext(cache, request(id, -1, [sp(0)])).sessionId, 0);
  t.equal(cache.size, 0);
  t.equal(newFetchContext(cache, request(id, 1, [])).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'closed');

  const first = openSession(cache);
  const second = newFetchContext(cache, request(first, 0, [sp(3)]));
  t.not(second.sessionId, first);
  t.equal(cache.size, 1, 'the old session is gone');
  t.equal(newFetchContext(cache, request(first, 1, [])).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
});

t.test('the epoch wraps from 2^31-1 to 1 (0 and -1 open and close sessions)', async (t) => {
  const session = new FetchSession(1, false);
  t.equal(session.epoch, 1, 'the first incremental fetch is epoch 1');
  session.bumpEpoch();
  t.equal(session.epoch, 2);
  session.epoch = 0x7fffffff;
  session.bumpEpoch();
  t.equal(session.epoch, 1);
});

t.test('a full cache evicts its least recently used session', async (t) => {
  const cache = new FetchSessionCache(2);
  const a = openSession(cache);
  const b = openSession(cache);
  t.equal(cache.size, 2);
  // Using `a` makes `b` the least recently used.
  newFetchContext(cache, request(a, 1, [])).updateAndGenerateResponseData([read(5n), read(5n)]);
  const c = openSession(cache);
  t.equal(cache.size, 2, 'the cache stays at its limit');
  t.equal(newFetchContext(cache, request(b, 1, [])).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'b was evicted');
  t.equal(newFetchContext(cache, request(a, 2, [])).errorCode, ErrorCode.NONE, 'a survives');
  t.equal(newFetchContext(cache, request(c, 1, [])).errorCode, ErrorCode.NONE, 'c was added');
  t.not(c, a);
  t.not(c, b);
});
