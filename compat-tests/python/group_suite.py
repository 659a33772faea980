#!/usr/bin/env python3
"""Consumer-group compat suite for Samsa: kafka-python and confluent-kafka (librdkafka) consumers
that subscribe to a topic through the classic group protocol.

Usage: VENV/bin/python group_suite.py BOOTSTRAP TOPIC_PREFIX   (VENV: see venv.sh)

Creates a 4-partition topic and produces 200 keyed records, then:
  (a) kafka-python: a KafkaConsumer in a group consumes all 200, commits and closes; a second
      consumer of the same group resumes from the committed offsets and gets nothing new;
  (b) confluent-kafka: a Consumer in a group consumes all 200 exactly once, commits
      synchronously and reads the committed offsets back; two consumers in one group split the
      partitions and together consume everything.
The broker should run with group.initial.rebalance.delay.ms=0 (the first rebalance of each group
would otherwise wait 3 s). Exits non-zero with a message naming the step that failed.
"""
import sys
import time

from suite_support import fail, librdkafka_config, report_client_errors, run, step, suite_args, time_budget

try:
    import kafka
    from kafka import KafkaAdminClient, KafkaConsumer
    from kafka import TopicPartition as KTopicPartition
except ImportError as e:
    print(f'FAIL: kafka-python is not importable ({e}); run compat-tests/python/venv.sh', flush=True)
    sys.exit(2)
try:
    import confluent_kafka
    from confluent_kafka import (ConsumerGroupState, ConsumerGroupTopicPartitions, Consumer,
                                 Producer, TopicPartition)
    from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec
except ImportError as e:
    print(f'FAIL: confluent-kafka is not importable ({e}); run compat-tests/python/venv.sh', flush=True)
    sys.exit(2)

PARTITIONS = 4
RECORDS = 200

def common(bootstrap):
    return librdkafka_config(bootstrap, 'samsa-compat-groups')


def create_topic(bootstrap, topic):
    step(f'admin: create {topic} with {PARTITIONS} partitions')
    admin = AdminClient(common(bootstrap))
    futs = admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)],
                               operation_timeout=10, request_timeout=15)
    for key, fut in futs.items():
        try:
            fut.result(timeout=15)
        except Exception as e:
            fail(f'CreateTopics failed for {key}: {type(e).__name__}: {e}')
    deadline = time.time() + 10
    while True:
        md = admin.list_topics(timeout=10)
        tmd = md.topics.get(topic)
        if tmd is not None and tmd.error is None and len(tmd.partitions) == PARTITIONS:
            return
        assert time.time() < deadline, f'{topic} not in metadata with {PARTITIONS} partitions after 10 s'
        time.sleep(0.2)


def produce(bootstrap, topic):
    """Produces RECORDS keyed records; returns {partition: end offset} and {(partition, offset): value}."""
    step(f'produce {RECORDS} keyed records to {topic}')
    producer = Producer(dict(common(bootstrap), **{'acks': 'all', 'linger.ms': 5,
                                                   'message.timeout.ms': 20000}))
    reports = []
    for i in range(RECORDS):
        producer.produce(topic, key=f'key-{i}'.encode(), value=f'value-{i}'.encode(),
                         on_delivery=lambda err, msg: reports.append((err, msg)))
    remaining = producer.flush(30)
    assert remaining == 0, f'{remaining} messages still unacknowledged after 30 s'
    errors = [str(e) for e, _ in reports if e is not None]
    assert not errors, f'{len(errors)} deliveries failed, first: {errors[:3]}'
    assert len(reports) == RECORDS, f'{len(reports)} delivery reports, expected {RECORDS}'
    expected = {}
    ends = {p: 0 for p in range(PARTITIONS)}
    for _, m in reports:
        expected[(m.partition(), m.offset())] = m.value()
        ends[m.partition()] = max(ends[m.partition()], m.offset() + 1)
    assert len(expected) == RECORDS, f'delivery reports name {len(expected)} distinct offsets'
    used = sum(1 for p in ends if ends[p] > 0)
    assert used >= 2, f'keyed records landed in only {used} partition(s): {ends}'
    print(f'   end offsets {ends}', flush=True)
    return ends, expected


def check_records(got, expected, who):
    """got: list of (partition, offset, key, value). Every expected record exactly once."""
    seen = {}
    dups = []
    for p, o, k, v in got:
        if (p, o) in seen:
            dups.append((p, o))
        seen[(p, o)] = (k, v)
    assert not dups, f'{who}: {len(dups)} record(s) delivered more than once, first {dups[:5]}'
    missing = sorted(set(expected) - set(seen))
    assert not missing, f'{who}: {len(missing)} record(s) never delivered, first {missing[:5]}'
    extra = sorted(set(seen) - set(expected))
    assert not extra, f'{who}: unexpected records at {extra[:5]}'
    for (p, o), (k, v) in seen.items():
        assert v == expected[(p, o)], f'{who}: partition {p} offset {o}: value {v!r}, expected {expected[(p, o)]!r}'
        assert k is not None and k.decode().replace('key-', 'value-') == v.decode(), \
            f'{who}: partition {p} offset {o}: key {k!r} does not match value {v!r}'


# ---- (a) kafka-python ------------------------------------------------------------------------

def kafka_python_consumer(bootstrap, group):
    return KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                         enable_auto_commit=False, client_id='samsa-compat-kafka-python-group',
                         request_timeout_ms=30000, session_timeout_ms=10000,
                         heartbeat_interval_ms=1000)


def kafka_python_group(bootstrap, topic, ends, expected, group):
    step(f'kafka-python: subscribe in group {group} and consume all {RECORDS}')
    consumer = kafka_python_consumer(bootstrap, group)
    consumer.subscribe([topic])
    got = []
    deadline = time.time() + 40
    while len(got) < RECORDS:
        if time.time() > deadline:
            fail(f'only {len(got)} of {RECORDS} records after 40 s; assignment {consumer.assignment()}')
        for tp, records in consumer.poll(timeout_ms=500).items():
            got.extend((r.partition, r.offset, r.key, r.value) for r in records)
    # Anything past the 200 would be a duplicate: give it a moment to show up.
    end = time.time() + 1
    while time.time() < end:
        for tp, records in consumer.poll(timeout_ms=200).items():
            got.extend((r.partition, r.offset, r.key, r.value) for r in records)
    check_records(got, expected, 'kafka-python consumer')
    assignment = sorted(tp.partition for tp in consumer.assignment())
    assert assignment == list(range(PARTITIONS)), f'sole member assigned {assignment}'

    step('kafka-python: commit and close')
    consumer.commit()
    for p in range(PARTITIONS):
        committed = consumer.committed(KTopicPartition(topic, p))
        assert committed == ends[p], f'committed({p}) = {committed}, expected {ends[p]}'
    consumer.close()

    step(f'kafka-python admin: list groups, describe {group}, list its offsets')
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='samsa-compat-kafka-python-admin',
                             request_timeout_ms=15000)
    listed = {g['group_id']: g for g in admin.list_groups()}
    assert group in listed, f'list_groups() lacks {group}: {sorted(listed)}'
    assert listed[group]['protocol_type'] == 'consumer', f'list_groups() entry {listed[group]}'
    assert listed[group]['group_state'] == 'Empty', f'list_groups() entry {listed[group]} (no members left)'
    described = admin.describe_groups([group])[group]
    assert described['error'] is None and described['group_state'] == 'Empty' and described['members'] == [], \
        f'describe_groups({group}) = {described}'
    offsets = admin.list_group_offsets(group)[group]
    by_partition = {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == topic}
    assert by_partition == ends, f'list_group_offsets({group}) = {by_partition}, expected {ends}'
    admin.close()

    step(f'kafka-python: a second consumer of {group} resumes at the committed offsets')
    second = kafka_python_consumer(bootstrap, group)
    second.subscribe([topic])
    extra = []
    deadline = time.time() + 30
    while len(second.assignment()) < PARTITIONS:
        if time.time() > deadline:
            fail(f'second consumer assigned {second.assignment()} after 30 s')
        for tp, records in second.poll(timeout_ms=300).items():
            extra.extend((r.partition, r.offset) for r in records)
    end = time.time() + 3
    while time.time() < end:
        for tp, records in second.poll(timeout_ms=300).items():
            extra.extend((r.partition, r.offset) for r in records)
    assert not extra, f'second consumer got {len(extra)} already-committed record(s), first {extra[:5]}'
    for p in range(PARTITIONS):
        pos = second.position(KTopicPartition(topic, p))
        assert pos == ends[p], f'second consumer position on partition {p} is {pos}, expected {ends[p]}'
    second.close()


# ---- (b) confluent-kafka ---------------------------------------------------------------------

def confluent_consumer(bootstrap, group, **extra):
    conf = dict(common(bootstrap), **{'group.id': group, 'auto.offset.reset': 'earliest',
                                      'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000})
    conf.update(extra)
    return Consumer(conf)


def poll_one(consumer, timeout, into, who):
    msg = consumer.poll(timeout)
    if msg is None:
        return
    if msg.error():
        fail(f'{who}: consumer error on {msg.topic()}[{msg.partition()}]: {msg.error()}')
    into.append((msg.partition(), msg.offset(), msg.key(), msg.value()))


def confluent_group(bootstrap, topic, ends, expected, group):
    step(f'confluent-kafka: subscribe in group {group} and consume all {RECORDS}')
    consumer = confluent_consumer(bootstrap, group, **{'enable.auto.commit': False})
    consumer.subscribe([topic])
    got = []
    deadline = time.time() + 40
    while len(got) < RECORDS:
        if time.time() > deadline:
            fail(f'only {len(got)} of {RECORDS} records after 40 s; assignment {consumer.assignment()}')
        poll_one(consumer, 0.5, got, 'confluent consumer')
    end = time.time() + 1
    while time.time() < end:
        poll_one(consumer, 0.2, got, 'confluent consumer')
    check_records(got, expected, 'confluent consumer')
    assignment = sorted(tp.partition for tp in consumer.assignment())
    assert assignment == list(range(PARTITIONS)), f'sole member assigned {assignment}'

    step('confluent-kafka: commit(asynchronous=False) and committed()')
    result = consumer.commit(asynchronous=False)
    errs = [(tp.partition, str(tp.error)) for tp in (result or []) if tp.error is not None]
    assert not errs, f'commit reported errors {errs}'
    committed = consumer.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=15)
    by_partition = {}
    for tp in committed:
        assert tp.error is None, f'committed() error for partition {tp.partition}: {tp.error}'
        by_partition[tp.partition] = tp.offset
    assert by_partition == ends, f'committed offsets {by_partition}, expected the end offsets {ends}'

    step(f'confluent-kafka admin: list and describe {group} with a member, list its offsets')
    admin = AdminClient(common(bootstrap))
    listing = admin.list_consumer_groups(request_timeout=15).result(timeout=20)
    assert not listing.errors, f'list_consumer_groups errors {listing.errors}'
    states = {g.group_id: g.state for g in listing.valid}
    assert states.get(group) == ConsumerGroupState.STABLE, f'list_consumer_groups: {group} is {states.get(group)}'
    desc = admin.describe_consumer_groups([group], request_timeout=15)[group].result(timeout=20)
    assert desc.state == ConsumerGroupState.STABLE and len(desc.members) == 1, \
        f'describe_consumer_groups({group}): state {desc.state}, {len(desc.members)} member(s)'
    assigned = sorted(tp.partition for tp in desc.members[0].assignment.topic_partitions)
    assert assigned == list(range(PARTITIONS)), f'describe_consumer_groups: member assigned {assigned}'
    req = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(PARTITIONS)])
    got = admin.list_consumer_group_offsets([req], request_timeout=15)[group].result(timeout=20)
    listed = {tp.partition: tp.offset for tp in got.topic_partitions}
    assert listed == ends, f'list_consumer_group_offsets({group}) = {listed}, expected {ends}'
    latest = admin.list_offsets({TopicPartition(topic, p): OffsetSpec.latest() for p in range(PARTITIONS)},
                                request_timeout=15)
    high = {tp.partition: fut.result(timeout=20).offset for tp, fut in latest.items()}
    assert high == ends, f'list_offsets(latest) = {high}, expected {ends}'
    consumer.close()

    split_group = f'{group}-pair'
    step(f'confluent-kafka: two consumers in {split_group} split the partitions')
    a = confluent_consumer(bootstrap, split_group)
    b = confluent_consumer(bootstrap, split_group)
    a.subscribe([topic])
    b.subscribe([topic])
    got_a, got_b = [], []
    deadline = time.time() + 60
    settled_at = None
    while True:
        poll_one(a, 0.1, got_a, 'consumer A')
        poll_one(b, 0.1, got_b, 'consumer B')
        pa = sorted(tp.partition for tp in a.assignment())
        pb = sorted(tp.partition for tp in b.assignment())
        split = len(pa) > 0 and len(pb) > 0 and sorted(pa + pb) == list(range(PARTITIONS))
        if split and settled_at is None:
            settled_at = time.time()
        if not split:
            settled_at = None
        union = {(p, o) for p, o, _, _ in got_a} | {(p, o) for p, o, _, _ in got_b}
        # Done once the split held for a second and everything was consumed.
        if settled_at is not None and time.time() - settled_at > 1 and len(union) >= RECORDS:
            break
        if time.time() > deadline:
            fail(f'after 60 s: A assigned {pa}, B assigned {pb}; {len(union)} of {RECORDS} distinct records consumed')
    print(f'   A assigned {pa} ({len(got_a)} records), B assigned {pb} ({len(got_b)} records)', flush=True)
    assert len(pa) == PARTITIONS // 2 and len(pb) == PARTITIONS // 2, \
        f'assignment sizes {len(pa)} and {len(pb)}, expected {PARTITIONS // 2} each'
    assert not set(pa) & set(pb), f'both consumers own {sorted(set(pa) & set(pb))}'
    seen = {}
    for p, o, k, v in got_a + got_b:
        seen[(p, o)] = (k, v)
    missing = sorted(set(expected) - set(seen))
    assert not missing, f'{len(missing)} record(s) consumed by neither, first {missing[:5]}'
    for (p, o), (k, v) in seen.items():
        assert expected.get((p, o)) == v, f'partition {p} offset {o}: value {v!r}, expected {expected.get((p, o))!r}'
    dups = len(got_a) + len(got_b) - len(seen)
    if dups:
        # Records read before the second member joined may be read again by the new owner.
        print(f'   note: {dups} record(s) consumed twice across the rebalance', flush=True)
    a.close()
    b.close()


def main():
    bootstrap, prefix = suite_args()
    print(f'kafka-python {kafka.__version__}, confluent-kafka {confluent_kafka.__version__} / '
          f'librdkafka {confluent_kafka.libversion()[0]} against {bootstrap}, prefix {prefix}', flush=True)
    time_budget(150)
    topic = f'{prefix}-events'
    create_topic(bootstrap, topic)
    ends, expected = produce(bootstrap, topic)
    kafka_python_group(bootstrap, topic, ends, expected, f'{prefix}-kafka-python')
    confluent_group(bootstrap, topic, ends, expected, f'{prefix}-confluent')
    report_client_errors()
    print('PASS group suite', flush=True)


if __name__ == '__main__':
    run(main)
