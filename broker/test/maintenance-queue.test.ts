/**
 * MaintenanceQueue: tasks run one at a time in the order queued, a tick of a kind already waiting
 * to start is dropped (flush ticks do not pile up behind a slow retention pass), a running task
 * does not block the next tick of its kind from queuing, and a failing task is reported without
 * stopping the queue.
 */
import t from 'tap';
import { MaintenanceQueue } from '../maintenance-queue.js';

/** A task that runs until `finish` is called. */
function gate(): { task: () => Promise<void>; started: Promise<void>; finish: () => void } {
  let finish!: () => void;
  let markStarted!: () => void;
  const started = new Promise<void>((r) => (markStarted = r));
  const done = new Promise<void>((r) => (finish = r));
  return {
    task: () => {
      markStarted();
      return done;
    },
    started,
    finish,
  };
}

t.test('a kind already waiting is not queued again', async (t) => {
  const q = new MaintenanceQueue((e) => t.fail(String(e)));
  const retention = gate();
  const ran: string[] = [];
  t.ok(q.schedule('retention', retention.task));
  await retention.started;
  // Ten flush ticks while retention runs: one flush waits, the other nine are dropped.
  let queued = 0;
  for (let i = 0; i < 10; i++) if (q.schedule('flush', async () => void ran.push('flush'))) queued++;
  t.equal(queued, 1, 'one flush queued behind retention');
  t.ok(q.schedule('cleaner', async () => void ran.push('cleaner')), 'another kind still queues');
  retention.finish();
  await q.idle;
  t.same(ran, ['flush', 'cleaner'], 'in the order queued, once each');
});

t.test('a running task does not stop the next tick of its kind from queuing', async (t) => {
  const q = new MaintenanceQueue((e) => t.fail(String(e)));
  const first = gate();
  let runs = 0;
  t.ok(q.schedule('retention', first.task));
  await first.started;
  t.ok(q.schedule('retention', async () => void runs++), 'queued: the first one is running, not waiting');
  t.notOk(q.schedule('retention', async () => void runs++), 'dropped: one is waiting');
  first.finish();
  await q.idle;
  t.equal(runs, 1);
  t.ok(q.schedule('retention', async () => void runs++), 'queues again once nothing waits');
  await q.idle;
  t.equal(runs, 2);
});

t.test('tasks run one at a time', async (t) => {
  const q = new MaintenanceQueue((e) => t.fail(String(e)));
  let running = 0;
  let most = 0;
  const task = async (): Promise<void> => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
  };
  q.schedule('a', task);
  q.schedule('b', task);
  q.schedule('c', task);
  await q.idle;
  t.equal(most, 1);
});

t.test('a failed task is reported and the queue carries on', async (t) => {
  const errors: unknown[] = [];
  const q = new MaintenanceQueue((e) => errors.push(e));
  let after = false;
  q.schedule('retention', async () => {
    throw new Error('disk on fire');
  });
  q.schedule('flush', async () => {
    after = true;
  });
  await q.idle;
  t.equal(errors.length, 1);
  t.match(String(errors[0]), /disk on fire/);
  t.ok(after, 'the next task ran');
  t.ok(q.schedule('retention', async () => undefined), 'the failed kind queues again');
  await q.idle;
});
