/**
 * Config control: IncrementalAlterConfigs (SET, DELETE, APPEND, SUBTRACT) and AlterConfigs (the
 * ops are the whole new set) on topics and brokers, validated against the config definitions; a
 * resource with any bad op changes nothing, and only values that differ are written.
 */
import t from 'tap';
import { ErrorCode } from '../../protocol/error-codes.js';
import { configChangeRecords, OP_APPEND, OP_DELETE, OP_SET, OP_SUBTRACT, topicConfigError, type ConfigChange, type ConfigOp } from '../config-control.js';
import { BROKER_RESOURCE, TOPIC_RESOURCE, type MetadataImage } from '../image.js';
import { clusterOf, config, ID_A, replay, topic, topicConfig } from './records.js';

/** Topic `a` with retention.ms=1000 and cleanup.policy=delete,compact; broker 1 with log.retention.ms=5. */
function image(): MetadataImage {
  return replay([topic('a', ID_A), topicConfig('a', 'retention.ms', '1000'), topicConfig('a', 'cleanup.policy', 'delete,compact'), config(BROKER_RESOURCE, '1', 'log.retention.ms', '5')], clusterOf(1)).image;
}

const set = (name: string, value: string | null): ConfigOp => ({ name, op: OP_SET, value });
const del = (name: string): ConfigOp => ({ name, op: OP_DELETE, value: null });
const onTopic = (ops: ConfigOp[], name = 'a'): ConfigChange => ({ resourceType: TOPIC_RESOURCE, resourceName: name, ops });
const onBroker = (ops: ConfigOp[], name = '1'): ConfigChange => ({ resourceType: BROKER_RESOURCE, resourceName: name, ops });

/** The configs of one resource after applying the records to `base`. */
function after(base: MetadataImage, records: Parameters<typeof replay>[0], key: string): Record<string, string> {
  return Object.fromEntries(replay(records, base).image.configs.get(key) ?? []);
}

t.test('topic config errors name the config', async (t) => {
  t.equal(topicConfigError('retention.ms', '-1'), null);
  t.match(topicConfigError('retention.ms', 'x'), /Invalid value x for configuration retention.ms/);
  t.equal(topicConfigError('nope', '1'), 'Unknown topic config name: nope');
});

t.test('incremental SET and DELETE write only what changes', async (t) => {
  const base = image();
  const { records, results } = configChangeRecords(base, [onTopic([set('retention.ms', '1000'), set('segment.ms', '60000'), del('cleanup.policy'), del('max.message.bytes')])], false);
  t.same(results, [{ resourceType: TOPIC_RESOURCE, resourceName: 'a', errorCode: ErrorCode.NONE, errorMessage: null }]);
  t.same(records, [
    { type: 'ConfigRecord', data: { resourceType: TOPIC_RESOURCE, resourceName: 'a', name: 'segment.ms', value: '60000' } },
    { type: 'ConfigRecord', data: { resourceType: TOPIC_RESOURCE, resourceName: 'a', name: 'cleanup.policy', value: null } },
  ], 'an unchanged value and the delete of an unset key write nothing');
  t.same(after(base, records, 'topic:a'), { 'retention.ms': '1000', 'segment.ms': '60000' });
  t.same(after(base, records, 'broker:1'), { 'log.retention.ms': '5' }, 'other resources untouched');
});

t.test('a SET with a null value deletes, as Kafka treats it', async (t) => {
  const base = image();
  const { records } = configChangeRecords(base, [onTopic([set('retention.ms', null)])], false);
  t.same(after(base, records, 'topic:a'), { 'cleanup.policy': 'delete,compact' });
});

t.test('APPEND and SUBTRACT on list configs, starting from the default when unset', async (t) => {
  const base = image();
  const appended = configChangeRecords(base, [onTopic([{ name: 'cleanup.policy', op: OP_APPEND, value: 'compact' }])], false);
  t.same(appended.records, [], 'appending a value already there changes nothing');

  const subtracted = configChangeRecords(base, [onTopic([{ name: 'cleanup.policy', op: OP_SUBTRACT, value: 'delete' }])], false);
  t.same(after(base, subtracted.records, 'topic:a'), { 'retention.ms': '1000', 'cleanup.policy': 'compact' });

  const fresh = replay([topic('b', 'AAAAAAAAAAAAAAAAAAAABA')], base).image;
  const fromDefault = configChangeRecords(fresh, [onTopic([{ name: 'cleanup.policy', op: OP_APPEND, value: 'compact' }], 'b')], false);
  t.same(after(fresh, fromDefault.records, 'topic:b'), { 'cleanup.policy': 'delete,compact' }, 'the default (delete) is the starting list');

  const broker = configChangeRecords(base, [onBroker([{ name: 'log.cleanup.policy', op: OP_APPEND, value: 'compact' }])], false);
  t.same(after(base, broker.records, 'broker:1'), { 'log.retention.ms': '5', 'log.cleanup.policy': 'delete,compact' }, 'broker list configs too');
});

t.test('APPEND on a non-list config, unknown ops and repeated keys refuse the whole resource', async (t) => {
  const base = image();
  const cases: Array<[string, ConfigOp[], number, RegExp]> = [
    ['append to a non-list', [set('segment.ms', '1'), { name: 'retention.ms', op: OP_APPEND, value: '5' }], ErrorCode.INVALID_CONFIG, /append is not allowed for config key: retention.ms/],
    ['subtract from a non-list', [{ name: 'retention.ms', op: OP_SUBTRACT, value: '5' }], ErrorCode.INVALID_CONFIG, /subtract is not allowed/],
    ['an unknown op', [set('segment.ms', '1'), { name: 'retention.ms', op: 7, value: '5' }], ErrorCode.INVALID_REQUEST, /Unknown config operation 7/],
    ['a key named twice', [set('segment.ms', '1'), del('segment.ms')], ErrorCode.INVALID_REQUEST, /duplicate config keys: segment.ms/],
    ['an unknown name', [set('segment.ms', '1'), set('no.such', '1')], ErrorCode.INVALID_CONFIG, /Unknown topic config name: no.such/],
    ['a bad value', [set('segment.ms', '1'), set('retention.ms', 'forever')], ErrorCode.INVALID_CONFIG, /Invalid value forever for configuration retention.ms/],
    ['a value out of range', [set('min.insync.replicas', '0')], ErrorCode.INVALID_CONFIG, /min.insync.replicas/],
  ];
  for (const [what, ops, code, message] of cases) {
    const { records, results } = configChangeRecords(base, [onTopic(ops)], false);
    t.equal(results[0]!.errorCode, code, what);
    t.match(results[0]!.errorMessage, message, what);
    t.same(records, [], `${what}: not even the valid ops are written`);
  }
});

t.test('AlterConfigs replaces the whole set', async (t) => {
  const base = image();
  const { records, results } = configChangeRecords(base, [onTopic([set('retention.ms', '1000'), set('segment.ms', '5000')])], true);
  t.equal(results[0]!.errorCode, ErrorCode.NONE);
  t.same(after(base, records, 'topic:a'), { 'retention.ms': '1000', 'segment.ms': '5000' }, 'cleanup.policy, not named, is removed');
  t.same(records.map((r) => (r.data as { name: string }).name).sort(), ['cleanup.policy', 'segment.ms'], 'retention.ms is unchanged and not written');

  const emptied = configChangeRecords(base, [onTopic([])], true);
  t.same(after(base, emptied.records, 'topic:a'), {}, 'an empty set clears the resource');

  const incremental = configChangeRecords(base, [onTopic([set('segment.ms', '5000')])], false);
  t.same(after(base, incremental.records, 'topic:a'), { 'retention.ms': '1000', 'cleanup.policy': 'delete,compact', 'segment.ms': '5000' }, 'without replace the others stay');
});

t.test('resources: unknown topics, bad broker names, other resource types', async (t) => {
  const base = image();
  const { records, results } = configChangeRecords(base, [
    onTopic([set('retention.ms', '1')], 'missing'),
    onBroker([set('log.retention.ms', '1')], 'one'),
    { resourceType: 3, resourceName: 'group', ops: [set('x', '1')] },
    onBroker([set('log.retention.ms', '7')], ''),
    onTopic([set('retention.ms', '2')]),
  ], false);
  t.same(results.map((r) => [r.resourceType, r.resourceName, r.errorCode]), [
    [TOPIC_RESOURCE, 'missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    [BROKER_RESOURCE, 'one', ErrorCode.INVALID_REQUEST],
    [3, 'group', ErrorCode.INVALID_REQUEST],
    [BROKER_RESOURCE, '', ErrorCode.NONE],
    [TOPIC_RESOURCE, 'a', ErrorCode.NONE],
  ]);
  t.match(results[2]!.errorMessage, /Unsupported resource type 3/);
  t.same(after(base, records, 'broker:'), { 'log.retention.ms': '7' }, 'the empty broker name is the cluster default');
  t.same(after(base, records, 'topic:a')['retention.ms'], '2', 'the valid resources are applied');
});

t.test('a resource named twice is refused both times', async (t) => {
  const { records, results } = configChangeRecords(image(), [onTopic([set('retention.ms', '1')]), onTopic([set('retention.ms', '2')]), onBroker([set('log.retention.ms', '1')])], false);
  t.same(results.map((r) => [r.errorCode, r.errorMessage]), [[ErrorCode.INVALID_REQUEST, 'Duplicate resource.'], [ErrorCode.INVALID_REQUEST, 'Duplicate resource.'], [ErrorCode.NONE, null]]);
  t.same(records.map((r) => (r.data as { resourceType: number }).resourceType), [BROKER_RESOURCE]);
});

t.test('broker configs: only dynamic ones, validated with the broker definitions', async (t) => {
  const base = image();
  const cases: Array<[string, ConfigOp, number, RegExp | null]> = [
    ['a static config', set('log.dirs', '/tmp/x'), ErrorCode.INVALID_CONFIG, /Cannot update these configs dynamically: log.dirs/],
    ['an unknown config', set('no.such.thing', '1'), ErrorCode.INVALID_CONFIG, /Unknown broker config name: no.such.thing/],
    ['a topic-only name', set('retention.ms', '1'), ErrorCode.INVALID_CONFIG, /Unknown broker config name: retention.ms/],
    ['a bad value', set('message.max.bytes', '-5'), ErrorCode.INVALID_CONFIG, /Invalid value -5 for configuration message.max.bytes/],
    ['a dynamic config', set('message.max.bytes', '2000000'), ErrorCode.NONE, null],
  ];
  for (const [what, op, code, message] of cases) {
    const { records, results } = configChangeRecords(base, [onBroker([op])], false);
    t.equal(results[0]!.errorCode, code, what);
    if (message !== null) {
      t.match(results[0]!.errorMessage, message, what);
      t.same(records, [], `${what}: nothing written`);
    } else {
      t.same(after(base, records, 'broker:1'), { 'log.retention.ms': '5', 'message.max.bytes': '2000000' }, what);
    }
  }
  const topicNameOnTopic = configChangeRecords(base, [onTopic([set('message.max.bytes', '1')])], false);
  t.equal(topicNameOnTopic.results[0]!.errorCode, ErrorCode.INVALID_CONFIG, 'a broker-only name on a topic is unknown');
});
