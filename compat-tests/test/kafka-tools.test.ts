/**
 * Kafka's own CLI tools (the main classes behind bin/kafka-*.sh, from the reference Kafka's jars)
 * against Samsa and against a real Kafka, with the same assertions: kafka-topics, kafka-configs,
 * the console producer and consumer, kafka-consumer-groups, kafka-get-offsets,
 * kafka-delete-records, kafka-log-dirs, kafka-metadata-quorum and the perf tests. All the tools
 * for one broker run in one JVM (compat-tests/java/ToolBatch.java), in order, each with its own
 * arguments, stdin, output and exit code. Skipped, with the reason, where Java, javac or Maven
 * are not available.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { javaProgramsUnavailable, runKafkaTools, type ToolInvocation, type ToolResult } from '../harness/java-programs.js';
import { KafkaTool, ReferenceKafka, startBothBrokers } from '../harness/reference-kafka.js';
import { SamsaProcess } from '../harness/samsa-process.js';

t.setTimeout(20 * 60_000);

/**
 * Assertions Samsa is known to fail (compat-tests/FINDINGS.md), by step name, with the reason.
 * They are reported as todos, not hidden.
 */
const KNOWN_SAMSA_DIFFERENCES: Record<string, string> = {};

const TOPIC = 'cli-topic';
const CONSOLE = 'cli-console';
const PERF = 'cli-perf';
const GROUP = 'cli-group';
const PERF_RECORDS = 10_000;
const MESSAGES = ['k0:v0', 'k1:v1', 'k2:v2', 'k3:v3', 'k4:v4'];

interface Step extends ToolInvocation {
  name: string;
}

/** The tools, in order, against one broker. */
function steps(bootstrap: string, deleteRecordsJson: string): Step[] {
  const b = ['--bootstrap-server', bootstrap];
  const topics = (name: string, ...args: string[]): Step => ({ name, main: KafkaTool.topics, args: [...b, ...args] });
  const configs = (name: string, ...args: string[]): Step => ({ name, main: KafkaTool.configs, args: [...b, ...args] });
  const groups = (name: string, ...args: string[]): Step => ({ name, main: KafkaTool.consumerGroups, args: [...b, ...args] });
  const offsets = (name: string, ...args: string[]): Step => ({ name, main: KafkaTool.getOffsetShell, args: [...b, ...args] });
  return [
    topics('topics-create', '--create', '--topic', TOPIC, '--partitions', '2', '--replication-factor', '1'),
    topics('topics-create-existing', '--create', '--topic', TOPIC, '--partitions', '2', '--replication-factor', '1'),
    topics('topics-create-console', '--create', '--topic', CONSOLE, '--partitions', '1', '--replication-factor', '1'),
    topics('topics-create-perf', '--create', '--topic', PERF, '--partitions', '1', '--replication-factor', '1'),
    topics('topics-list', '--list'),
    topics('topics-describe', '--describe', '--topic', TOPIC),
    topics('topics-alter', '--alter', '--topic', TOPIC, '--partitions', '3'),
    topics('topics-describe-altered', '--describe', '--topic', TOPIC),

    configs('configs-topic-add', '--entity-type', 'topics', '--entity-name', TOPIC, '--alter', '--add-config', 'retention.ms=86400000,cleanup.policy=compact'),
    configs('configs-topic-describe', '--entity-type', 'topics', '--entity-name', TOPIC, '--describe'),
    configs('configs-topic-delete', '--entity-type', 'topics', '--entity-name', TOPIC, '--alter', '--delete-config', 'retention.ms'),
    configs('configs-topic-describe-deleted', '--entity-type', 'topics', '--entity-name', TOPIC, '--describe'),
    configs('configs-broker-add', '--entity-type', 'brokers', '--entity-name', '1', '--alter', '--add-config', 'message.max.bytes=2000000'),
    configs('configs-broker-describe', '--entity-type', 'brokers', '--entity-name', '1', '--describe'),
    configs('configs-broker-delete', '--entity-type', 'brokers', '--entity-name', '1', '--alter', '--delete-config', 'message.max.bytes'),
    configs('configs-broker-describe-deleted', '--entity-type', 'brokers', '--entity-name', '1', '--describe'),
    configs('configs-default-add', '--entity-type', 'brokers', '--entity-default', '--alter', '--add-config', 'log.retention.ms=3600000'),
    configs('configs-default-describe', '--entity-type', 'brokers', '--entity-default', '--describe'),
    configs('configs-default-delete', '--entity-type', 'brokers', '--entity-default', '--alter', '--delete-config', 'log.retention.ms'),
    configs('configs-default-describe-deleted', '--entity-type', 'brokers', '--entity-default', '--describe'),

    {
      name: 'console-producer',
      main: KafkaTool.consoleProducer,
      args: [...b, '--topic', CONSOLE, '--property', 'parse.key=true', '--property', 'key.separator=:'],
      input: MESSAGES.map((m) => `${m}\n`).join(''),
    },
    {
      name: 'console-consumer',
      main: KafkaTool.consoleConsumer,
      args: [...b, '--topic', CONSOLE, '--from-beginning', '--max-messages', String(MESSAGES.length), '--group', GROUP, '--timeout-ms', '30000', '--property', 'print.key=true', '--property', 'key.separator=:'],
    },
    {
      name: 'console-consumer-offset',
      main: KafkaTool.consoleConsumer,
      args: [...b, '--topic', CONSOLE, '--partition', '0', '--offset', '2', '--max-messages', '3', '--timeout-ms', '30000', '--property', 'print.key=true', '--property', 'key.separator=:'],
    },
    groups('groups-list', '--list'),
    groups('groups-describe', '--describe', '--group', GROUP),
    groups('groups-reset', '--reset-offsets', '--group', GROUP, '--topic', CONSOLE, '--to-earliest', '--execute'),
    groups('groups-describe-reset', '--describe', '--group', GROUP),
    groups('groups-shift', '--reset-offsets', '--group', GROUP, '--topic', CONSOLE, '--shift-by', '2', '--execute'),
    groups('groups-to-datetime', '--reset-offsets', '--group', GROUP, '--topic', CONSOLE, '--to-datetime', '2000-01-01T00:00:00.000', '--dry-run'),
    groups('groups-describe-shifted', '--describe', '--group', GROUP),
    offsets('get-offsets', '--topic', CONSOLE),
    offsets('get-offsets-max-timestamp', '--topic', CONSOLE, '--time', '-3'),
    { name: 'delete-records', main: KafkaTool.deleteRecords, args: [...b, '--offset-json-file', deleteRecordsJson] },
    offsets('get-offsets-earliest', '--topic', CONSOLE, '--time', '-2'),
    groups('groups-delete', '--delete', '--group', GROUP),
    groups('groups-list-deleted', '--list'),
    { name: 'log-dirs', main: KafkaTool.logDirs, args: [...b, '--describe', '--topic-list', CONSOLE] },
    { name: 'metadata-quorum', main: KafkaTool.metadataQuorum, args: [...b, 'describe', '--status'] },

    {
      name: 'producer-perf',
      main: KafkaTool.producerPerformance,
      args: ['--topic', PERF, '--num-records', String(PERF_RECORDS), '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=all'],
      timeoutMs: 120_000,
    },
    {
      name: 'consumer-perf',
      main: KafkaTool.consumerPerformance,
      args: [...b, '--topic', PERF, '--messages', String(PERF_RECORDS), '--timeout', '60000'],
      timeoutMs: 120_000,
    },
    topics('topics-delete', '--delete', '--topic', TOPIC),
    offsets('get-offsets-perf', '--topic', PERF),
    topics('topics-list-deleted', '--list'),
    topics('topics-list-exclude-internal', '--list', '--exclude-internal'),
  ];
}

/** Both brokers; the reference's settings include group.initial.rebalance.delay.ms=0, and Samsa gets the same. */
const startBrokers = (): Promise<[ReferenceKafka, SamsaProcess]> =>
  startBothBrokers((fn) => t.teardown(fn), { overrides: { 'group.initial.rebalance.delay.ms': '0' } });

const unavailable = (await ReferenceKafka.unavailable()) ?? (await javaProgramsUnavailable());
if (unavailable !== null) t.comment(unavailable);

const results = new Map<'kafka' | 'samsa', Map<string, ToolResult>>();
if (unavailable === null) {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-kafka-tools-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const deleteRecordsJson = join(dir, 'delete-records.json');
  writeFileSync(deleteRecordsJson, JSON.stringify({ partitions: [{ topic: CONSOLE, partition: 0, offset: 2 }], version: 1 }));

  // One broker of each kind for the whole file, and each broker's tools in one JVM, both at once.
  const [reference, samsa] = await startBrokers();
  t.comment(`reference Kafka ${reference.version} on ${reference.bootstrap} (${reference.startMs} ms to start), samsa on ${samsa.bootstrap}`);
  const [kafkaSteps, samsaSteps] = [steps(reference.bootstrap, deleteRecordsJson), steps(samsa.bootstrap, deleteRecordsJson)];
  const [kafkaResults, samsaResults] = await Promise.all([runKafkaTools(kafkaSteps), runKafkaTools(samsaSteps)]);
  results.set('kafka', new Map(kafkaSteps.map((s, i) => [s.name, kafkaResults[i]!])));
  results.set('samsa', new Map(samsaSteps.map((s, i) => [s.name, samsaResults[i]!])));
  for (const [name, r] of results) t.comment(`${name}: ${[...r].map(([step, x]) => `${step} ${x.ms} ms`).join(', ')}`);
}

const skip = { skip: unavailable ?? false };

/** Runs `body` once for each broker with that broker's tool results; a step of Samsa's listed in KNOWN_SAMSA_DIFFERENCES becomes a todo. */
function onBoth(t: Test, body: (t: Test, broker: 'kafka' | 'samsa', step: (name: string) => ToolResult, todo: (name: string) => { todo?: string }) => void): void {
  for (const broker of ['kafka', 'samsa'] as const) {
    const r = results.get(broker)!;
    const step = (name: string): ToolResult => {
      const x = r.get(name);
      if (x === undefined) throw new Error(`no step ${name}`);
      return x;
    };
    const todo = (name: string): { todo?: string } => {
      const reason = broker === 'samsa' ? KNOWN_SAMSA_DIFFERENCES[name] : undefined;
      return reason === undefined ? {} : { todo: `known difference: ${reason}` };
    };
    body(t, broker, step, todo);
  }
}

/** The step's output for a failure message. */
function out(r: ToolResult): string {
  return `\n--- exit ${r.code}${r.timedOut ? ' (timed out)' : ''}${r.error === null ? '' : ` ${r.error}`}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr.slice(-3000)}`;
}

function lines(s: string): string[] {
  return s.split('\n').filter((l) => l.length > 0);
}

/** `  name=value sensitive=...` lines of kafka-configs --describe: name -> value. */
function describedConfigs(stdout: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const l of lines(stdout)) {
    const m = /^\s+([\w.]+)=(\S*) sensitive=/.exec(l);
    if (m) found[m[1]!] = m[2]!;
  }
  return found;
}

/** Rows of a kafka-consumer-groups table for the group, as {column: value}. */
function groupRows(stdout: string): Record<string, string>[] {
  const ls = lines(stdout);
  const header = ls.findIndex((l) => l.startsWith('GROUP '));
  if (header < 0) return [];
  const columns = ls[header]!.trim().split(/\s+/);
  return ls
    .slice(header + 1)
    .filter((l) => l.startsWith(`${GROUP} `))
    .map((l) => Object.fromEntries(l.trim().split(/\s+/).map((v, i) => [columns[i] ?? `column${i}`, v])));
}

t.test('kafka-topics: create, list, describe, alter partitions, delete', skip, async (t) => {
  onBoth(t, (t, broker, step, todo) => {
    for (const name of ['topics-create', 'topics-create-console', 'topics-create-perf']) {
      t.equal(step(name).code, 0, `${broker}: ${name}${out(step(name))}`, todo(name));
    }
    t.match(step('topics-create').stdout, /Created topic cli-topic\./, `${broker}: says it created the topic`, todo('topics-create'));
    const existing = step('topics-create-existing');
    t.equal(existing.code, 1, `${broker}: creating an existing topic fails${out(existing)}`, todo('topics-create-existing'));
    t.match(existing.stdout + existing.stderr, /Topic 'cli-topic' already exists/, `${broker}: and says why`, todo('topics-create-existing'));
    const list = lines(step('topics-list').stdout);
    t.ok([TOPIC, CONSOLE, PERF].every((x) => list.includes(x)), `${broker}: --list shows the topics${out(step('topics-list'))}`, todo('topics-list'));
    t.match(step('topics-describe').stdout, /Topic: cli-topic\tTopicId: \S+\tPartitionCount: 2\tReplicationFactor: 1/, `${broker}: --describe${out(step('topics-describe'))}`, todo('topics-describe'));
    t.equal(lines(step('topics-describe').stdout).filter((l) => /^\tTopic: cli-topic\tPartition: \d+\tLeader: 1\tReplicas: 1\tIsr: 1/.test(l)).length, 2, `${broker}: one line per partition`, todo('topics-describe'));
    t.equal(step('topics-alter').code, 0, `${broker}: --alter --partitions 3${out(step('topics-alter'))}`, todo('topics-alter'));
    t.match(step('topics-describe-altered').stdout, /PartitionCount: 3/, `${broker}: three partitions after --alter${out(step('topics-describe-altered'))}`, todo('topics-describe-altered'));
    t.equal(step('topics-delete').code, 0, `${broker}: --delete${out(step('topics-delete'))}`, todo('topics-delete'));
    const after = lines(step('topics-list-deleted').stdout);
    t.ok(!after.includes(TOPIC) && after.includes(CONSOLE), `${broker}: the deleted topic is gone from --list${out(step('topics-list-deleted'))}`, todo('topics-list-deleted'));
    // By now consumer groups have committed offsets: the internal offsets topic exists.
    t.ok(after.includes('__consumer_offsets'), `${broker}: --list includes internal topics`, todo('topics-list-deleted'));
    t.notOk(lines(step('topics-list-exclude-internal').stdout).includes('__consumer_offsets'), `${broker}: --exclude-internal leaves them out${out(step('topics-list-exclude-internal'))}`, todo('topics-list-exclude-internal'));
  });
});

t.test('kafka-configs: topic and broker configs, added and deleted', skip, async (t) => {
  onBoth(t, (t, broker, step, todo) => {
    for (const name of ['configs-topic-add', 'configs-topic-delete', 'configs-broker-add', 'configs-broker-delete']) {
      t.equal(step(name).code, 0, `${broker}: ${name}${out(step(name))}`, todo(name));
    }
    t.match(step('configs-topic-add').stdout, /Completed updating config for topic cli-topic\./, `${broker}: says it updated the topic`, todo('configs-topic-add'));
    t.same(describedConfigs(step('configs-topic-describe').stdout), { 'cleanup.policy': 'compact', 'retention.ms': '86400000' }, `${broker}: the topic's dynamic configs${out(step('configs-topic-describe'))}`, todo('configs-topic-describe'));
    t.same(describedConfigs(step('configs-topic-describe-deleted').stdout), { 'cleanup.policy': 'compact' }, `${broker}: retention.ms deleted${out(step('configs-topic-describe-deleted'))}`, todo('configs-topic-describe-deleted'));
    t.match(step('configs-broker-add').stdout, /Completed updating config for broker 1\./, `${broker}: says it updated the broker`, todo('configs-broker-add'));
    t.same(describedConfigs(step('configs-broker-describe').stdout), { 'message.max.bytes': '2000000' }, `${broker}: the broker's dynamic configs${out(step('configs-broker-describe'))}`, todo('configs-broker-describe'));
    t.same(describedConfigs(step('configs-broker-describe-deleted').stdout), {}, `${broker}: message.max.bytes deleted${out(step('configs-broker-describe-deleted'))}`, todo('configs-broker-describe-deleted'));
    for (const name of ['configs-default-add', 'configs-default-delete']) t.equal(step(name).code, 0, `${broker}: ${name}${out(step(name))}`, todo(name));
    t.match(step('configs-default-add').stdout, /Completed updating default config for brokers in the cluster\./, `${broker}: says it updated the cluster default`, todo('configs-default-add'));
    // Kafka's storage format also stores min.insync.replicas as a cluster default: only log.retention.ms is compared.
    t.equal(describedConfigs(step('configs-default-describe').stdout)['log.retention.ms'], '3600000', `${broker}: the cluster-wide default${out(step('configs-default-describe'))}`, todo('configs-default-describe'));
    t.equal(describedConfigs(step('configs-default-describe-deleted').stdout)['log.retention.ms'], undefined, `${broker}: the cluster-wide default deleted${out(step('configs-default-describe-deleted'))}`, todo('configs-default-describe-deleted'));
  });
});

t.test('console producer and consumer: keys, --from-beginning, --max-messages', skip, async (t) => {
  onBoth(t, (t, broker, step, todo) => {
    t.equal(step('console-producer').code, 0, `${broker}: the console producer sends stdin${out(step('console-producer'))}`, todo('console-producer'));
    const consumer = step('console-consumer');
    t.equal(consumer.code, 0, `${broker}: the console consumer ends after --max-messages${out(consumer)}`, todo('console-consumer'));
    t.same(lines(consumer.stdout), MESSAGES, `${broker}: key:value lines in order`, todo('console-consumer'));
    t.match(consumer.stderr, /Processed a total of 5 messages/, `${broker}: counts them`, todo('console-consumer'));
    const fromOffset = step('console-consumer-offset');
    t.equal(fromOffset.code, 0, `${broker}: --partition 0 --offset 2 without a group${out(fromOffset)}`, todo('console-consumer-offset'));
    t.same(lines(fromOffset.stdout), MESSAGES.slice(2), `${broker}: the records from offset 2`, todo('console-consumer-offset'));
  });
});

t.test('kafka-consumer-groups: list, describe, reset offsets to earliest, delete', skip, async (t) => {
  onBoth(t, (t, broker, step, todo) => {
    t.ok(lines(step('groups-list').stdout).includes(GROUP), `${broker}: --list shows the console consumer's group${out(step('groups-list'))}`, todo('groups-list'));
    t.match(groupRows(step('groups-describe').stdout), [{ TOPIC: CONSOLE, PARTITION: '0', 'CURRENT-OFFSET': '5', 'LOG-END-OFFSET': '5', LAG: '0' }], `${broker}: --describe shows the commit${out(step('groups-describe'))}`, todo('groups-describe'));
    t.equal(step('groups-reset').code, 0, `${broker}: --reset-offsets --to-earliest --execute${out(step('groups-reset'))}`, todo('groups-reset'));
    t.match(groupRows(step('groups-reset').stdout), [{ TOPIC: CONSOLE, PARTITION: '0', 'NEW-OFFSET': '0' }], `${broker}: the new offset is 0`, todo('groups-reset'));
    t.match(groupRows(step('groups-describe-reset').stdout), [{ 'CURRENT-OFFSET': '0', 'LOG-END-OFFSET': '5', LAG: '5' }], `${broker}: --describe after the reset${out(step('groups-describe-reset'))}`, todo('groups-describe-reset'));
    t.match(groupRows(step('groups-shift').stdout), [{ PARTITION: '0', 'NEW-OFFSET': '2' }], `${broker}: --shift-by 2${out(step('groups-shift'))}`, todo('groups-shift'));
    t.match(groupRows(step('groups-to-datetime').stdout), [{ PARTITION: '0', 'NEW-OFFSET': '0' }], `${broker}: --to-datetime in the past --dry-run${out(step('groups-to-datetime'))}`, todo('groups-to-datetime'));
    t.match(groupRows(step('groups-describe-shifted').stdout), [{ 'CURRENT-OFFSET': '2', LAG: '3' }], `${broker}: the dry run changed nothing${out(step('groups-describe-shifted'))}`, todo('groups-describe-shifted'));
    t.equal(step('groups-delete').code, 0, `${broker}: --delete${out(step('groups-delete'))}`, todo('groups-delete'));
    t.match(step('groups-delete').stdout, /Deletion of requested consumer groups \('cli-group'\) was successful\./, `${broker}: says it deleted the group`, todo('groups-delete'));
    t.notOk(lines(step('groups-list-deleted').stdout).includes(GROUP), `${broker}: the group is gone from --list${out(step('groups-list-deleted'))}`, todo('groups-list-deleted'));
  });
});

t.test('kafka-get-offsets and kafka-delete-records', skip, async (t) => {
  onBoth(t, (t, broker, step, todo) => {
    t.same(lines(step('get-offsets').stdout), ['cli-console:0:5'], `${broker}: the latest offset${out(step('get-offsets'))}`, todo('get-offsets'));
    // The records share a timestamp or not, depending on the clock: any offset of the five.
    t.match(step('get-offsets-max-timestamp').stdout, /^cli-console:0:[0-4]\n$/, `${broker}: the offset of the max timestamp (--time -3)${out(step('get-offsets-max-timestamp'))}`, todo('get-offsets-max-timestamp'));
    const deleted = step('delete-records');
    t.equal(deleted.code, 0, `${broker}: delete-records with an offsets JSON file${out(deleted)}`, todo('delete-records'));
    t.match(deleted.stdout, /partition: cli-console-0\tlow_watermark: 2/, `${broker}: the new low watermark`, todo('delete-records'));
    t.same(lines(step('get-offsets-earliest').stdout), ['cli-console:0:2'], `${broker}: the earliest offset after deleting${out(step('get-offsets-earliest'))}`, todo('get-offsets-earliest'));
  });
});

t.test('kafka-log-dirs --describe', skip, async (t) => {
  onBoth(t, (t, broker, step, todo) => {
    const r = step('log-dirs');
    t.equal(r.code, 0, `${broker}: kafka-log-dirs --describe${out(r)}`, todo('log-dirs'));
    const json = lines(r.stdout).find((l) => l.startsWith('{'));
    t.ok(json, `${broker}: prints the log dirs as JSON`, todo('log-dirs'));
    if (json === undefined) return;
    const described = JSON.parse(json) as { version: number; brokers: { broker: number; logDirs: { error: string | null; logDir: string; partitions: { partition: string; size: number; offsetLag: number; isFuture: boolean }[] }[] }[] };
    t.equal(described.version, 1, `${broker}: version 1`, todo('log-dirs'));
    t.same(described.brokers.map((b) => b.broker), [1], `${broker}: broker 1`, todo('log-dirs'));
    const dirs = described.brokers[0]?.logDirs ?? [];
    t.ok(dirs.length >= 1 && dirs.every((d) => d.error === null && d.logDir.length > 0), `${broker}: log dirs without errors: ${json}`, todo('log-dirs'));
    const partitions = dirs.flatMap((d) => d.partitions);
    t.match(partitions, [{ partition: 'cli-console-0', offsetLag: 0, isFuture: false }], `${broker}: the topic's partition, only`, todo('log-dirs'));
    t.ok(partitions[0] !== undefined && partitions[0].size > 0, `${broker}: with its size in bytes`, todo('log-dirs'));
  });
});

t.test('kafka-metadata-quorum describe --status', skip, async (t) => {
  onBoth(t, (t, broker, step, todo) => {
    const r = step('metadata-quorum');
    t.comment(`${broker}:\n${r.stdout}`);
    t.equal(r.code, 0, `${broker}: describe --status${out(r)}`, todo('metadata-quorum'));
    t.match(r.stdout, /^ClusterId:\s+\S+$/m, `${broker}: the cluster id`, todo('metadata-quorum'));
    t.match(r.stdout, /^LeaderId:\s+1$/m, `${broker}: node 1 leads`, todo('metadata-quorum'));
    t.match(r.stdout, /^HighWatermark:\s+\d+$/m, `${broker}: a high watermark`, todo('metadata-quorum'));
    t.match(r.stdout, /^CurrentVoters:\s+\[\{"id":\s*1\b/m, `${broker}: node 1 is the voter`, todo('metadata-quorum'));
  });
});

t.test('kafka-producer-perf-test and kafka-consumer-perf-test', skip, async (t) => {
  onBoth(t, (t, broker, step, todo) => {
    const p = step('producer-perf');
    t.equal(p.code, 0, `${broker}: producer perf test${out(p)}`, todo('producer-perf'));
    t.match(p.stdout, new RegExp(`^${PERF_RECORDS} records sent, `, 'm'), `${broker}: all records sent`, todo('producer-perf'));
    t.same(lines(step('get-offsets-perf').stdout), [`${PERF}:0:${PERF_RECORDS}`], `${broker}: all of them in the log${out(step('get-offsets-perf'))}`, todo('get-offsets-perf'));
    const c = step('consumer-perf');
    t.equal(c.code, 0, `${broker}: consumer perf test${out(c)}`, todo('consumer-perf'));
    // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, ...
    const row = lines(c.stdout).find((l) => /^\d{4}-/.test(l))?.split(/,\s*/);
    t.equal(row?.[4], String(PERF_RECORDS), `${broker}: consumed every record${out(c)}`, todo('consumer-perf'));
  });
});
