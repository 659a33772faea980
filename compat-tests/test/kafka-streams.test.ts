/**
 * Kafka Streams 4.x (kafka-streams, resolved from Maven with the reference Kafka) against Samsa and
 * against a real Kafka, with the same assertions: compat-tests/java/StreamsWordCount.java runs a
 * word count with processing.guarantee=at_least_once (flatMapValues -> groupBy, which repartitions
 * through an internal topic -> count into a named store, backed by a compacted changelog topic ->
 * output topic). The output must hold the exact final count of every word, and both internal topics
 * must exist with Kafka Streams' configs. exactly_once_v2 needs transactions and is not run here.
 * Skipped, with the reason, where Java, javac or Maven are not available.
 */
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { javaProgramsUnavailable, runStreamsWordCount, type StreamsWordCountResult } from '../harness/java-programs.js';
import { ReferenceKafka } from '../harness/reference-kafka.js';
import { SamsaProcess } from '../harness/samsa-process.js';

// The first run resolves Kafka's jars with mvn (normally `make test` does it before the tests).
t.setTimeout(20 * 60_000);

/** Assertions where Samsa is known to answer differently from Kafka (compat-tests/FINDINGS.md), with the reason. */
const KNOWN_SAMSA_DIFFERENCES: Record<string, string> = {};

const EXPECTED: Record<string, number> = {
  a: 2,
  and: 1,
  barks: 1,
  brown: 1,
  dog: 3,
  end: 1,
  fox: 2,
  jumps: 1,
  lazy: 1,
  over: 1,
  quick: 3,
  slow: 1,
  the: 4,
};

const unavailableJava = await javaProgramsUnavailable();
const unavailableReference = unavailableJava ?? (await ReferenceKafka.unavailable());
if (unavailableJava !== null) t.comment(unavailableJava);
else if (unavailableReference !== null) t.comment(`reference Kafka: ${unavailableReference}`);

const show = (v: unknown): string => JSON.stringify(v);

function check(t: Test, name: 'kafka' | 'samsa', r: StreamsWordCountResult): void {
  const opt = (key: string): { todo?: string } => {
    const todo = name === 'samsa' ? KNOWN_SAMSA_DIFFERENCES[key] : undefined;
    return todo === undefined ? {} : { todo: `known difference: ${todo}` };
  };
  t.equal(r.error, undefined, `${name}: the program ran to its end${r.error === undefined ? '' : ` (${r.error})`}`, opt('error'));
  t.same(r.expected, EXPECTED, `${name}: the program expects the known counts`);
  t.equal(r.uncaughtException ?? null, null, `${name}: no stream thread died`, opt('uncaughtException'));
  t.same(r.counts, EXPECTED, `${name}: the output topic holds the exact final count of every word (got ${show(r.counts)})`, opt('counts'));
  t.match(r.states, ['REBALANCING', 'RUNNING'], `${name}: the application rebalanced, then ran (${show(r.states)})`, opt('states'));
  t.same(
    r.internalTopics?.repartition,
    { exists: true, partitions: 2, cleanupPolicy: 'delete' },
    `${name}: the repartition topic exists, as many partitions as the input, cleanup.policy=delete (${show(r.internalTopics?.repartition)})`,
    opt('repartition'),
  );
  t.same(
    r.internalTopics?.changelog,
    { exists: true, partitions: 2, cleanupPolicy: 'compact' },
    `${name}: the changelog topic exists, one partition per task, cleanup.policy=compact (${show(r.internalTopics?.changelog)})`,
    opt('changelog'),
  );
}

/** Runs the word count against a broker started by `start`, stopped when the file ends. */
async function run(name: 'kafka' | 'samsa', start: () => Promise<SamsaProcess | ReferenceKafka>): Promise<StreamsWordCountResult> {
  const broker = await start();
  t.teardown(() => broker.close());
  const { result } = await runStreamsWordCount(broker.bootstrap, randomBytes(4).toString('hex'));
  t.comment(`${name}: ${result.ms} ms`);
  return result;
}

// Both runs at once: most of their time is spent waiting on the brokers and the rebalances.
const [samsaRun, kafkaRun] = await Promise.allSettled([
  unavailableJava === null ? run('samsa', () => SamsaProcess.start({ overrides: { 'group.initial.rebalance.delay.ms': '0' } })) : Promise.resolve(null),
  unavailableReference === null ? run('kafka', () => ReferenceKafka.start()) : Promise.resolve(null),
]);

t.test('samsa: a Kafka Streams word count (at_least_once) gives the exact counts', { skip: unavailableJava ?? false }, async (t) => {
  if (samsaRun.status === 'rejected') throw samsaRun.reason;
  check(t, 'samsa', samsaRun.value!);
});

t.test('kafka: the same word count against the reference Kafka', { skip: unavailableReference ?? false }, async (t) => {
  if (kafkaRun.status === 'rejected') throw kafkaRun.reason;
  check(t, 'kafka', kafkaRun.value!);
});
