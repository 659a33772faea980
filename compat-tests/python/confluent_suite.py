#!/usr/bin/env python3
"""confluent-kafka (librdkafka) compat suite for Samsa.

Usage: VENV/bin/python confluent_suite.py BOOTSTRAP TOPIC_PREFIX   (VENV: see venv.sh)

Admin (create/list/describe configs/delete), keyed produce with headers and timestamps to
explicit partitions with an idempotent producer, read-back with manual assignment (group.id is
set but no group subscription), and one round trip per compression codec.
Exits non-zero with a message naming the step that failed.
"""
import sys
import time

from suite_support import fail, librdkafka_config, report_client_errors, run, step, suite_args, time_budget

try:
    import confluent_kafka
    from confluent_kafka import (OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME, Consumer, KafkaError,
                                 Producer, TopicPartition)
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
except ImportError as e:
    print(f'FAIL: confluent-kafka is not importable ({e}); run compat-tests/python/venv.sh', flush=True)
    sys.exit(2)

PARTITIONS = 6
PER_PARTITION = 10
BASE_TS = 1_700_000_000_000
CODECS = ('gzip', 'snappy', 'lz4', 'zstd')

def common(bootstrap):
    return librdkafka_config(bootstrap, 'samsa-compat-confluent')


def wait_futures(futures, what):
    for key, fut in futures.items():
        try:
            fut.result(timeout=15)
        except Exception as e:
            fail(f'{what} failed for {key}: {type(e).__name__}: {e}')


def topic_names(admin):
    md = admin.list_topics(timeout=10)
    return set(md.topics.keys()), md


def admin_checks(admin, topic, throwaway):
    step('admin: create topics')
    wait_futures(admin.create_topics([
        NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1,
                 config={'retention.ms': '3600000'}),
        NewTopic(throwaway, num_partitions=1, replication_factor=1),
    ], operation_timeout=10, request_timeout=15), 'CreateTopics')

    step('admin: list topics')
    names, md = topic_names(admin)
    assert topic in names, f'{topic} missing from list_topics(): {sorted(names)}'
    assert throwaway in names, f'{throwaway} missing from list_topics(): {sorted(names)}'
    tmd = md.topics[topic]
    assert tmd.error is None, f'metadata for {topic} has error {tmd.error}'
    assert sorted(tmd.partitions) == list(range(PARTITIONS)), \
        f'{topic} has partitions {sorted(tmd.partitions)}, expected 0..{PARTITIONS - 1}'

    step('admin: describe configs')
    futs = admin.describe_configs([ConfigResource('topic', topic)], request_timeout=15)
    for res, fut in futs.items():
        try:
            entries = fut.result(timeout=15)
        except Exception as e:
            fail(f'DescribeConfigs for {res} failed: {type(e).__name__}: {e}')
        configs = {name: entry.value for name, entry in entries.items()}
        print(f'   {len(configs)} config entries', flush=True)
        assert configs.get('cleanup.policy') == 'delete', \
            f"cleanup.policy is {configs.get('cleanup.policy')!r}, expected 'delete'"
        assert configs.get('retention.ms') == '3600000', \
            f"retention.ms is {configs.get('retention.ms')!r}, expected '3600000' (set at creation)"

    step('admin: delete throwaway topic')
    wait_futures(admin.delete_topics([throwaway], operation_timeout=10, request_timeout=15),
                 'DeleteTopics')
    deadline = time.time() + 5
    while True:
        names, _ = topic_names(admin)
        if throwaway not in names:
            break
        assert time.time() < deadline, f'{throwaway} still listed 5 s after delete: {sorted(names)}'
        time.sleep(0.2)
    assert topic in names, f'{topic} disappeared after deleting {throwaway}'


def produce(bootstrap, topic, partitions, ts_of, extra):
    conf = dict(common(bootstrap), **{'acks': 'all', 'linger.ms': 5, 'message.timeout.ms': 20000})
    conf.update(extra)
    step(f'produce {partitions * PER_PARTITION} records to {topic} ({extra})')
    producer = Producer(conf)
    reports = []

    def on_delivery(err, msg):
        reports.append((err, msg))

    for p in range(partitions):
        for i in range(PER_PARTITION):
            producer.produce(topic, key=f'k-{p}-{i}'.encode(), value=f'v-{p}-{i}'.encode(),
                             partition=p, timestamp=ts_of(p, i), headers=[('h', f'x{i}'.encode())],
                             on_delivery=on_delivery)
    remaining = producer.flush(30)
    assert remaining == 0, f'{remaining} messages still unacknowledged after 30 s'
    assert len(reports) == partitions * PER_PARTITION, f'{len(reports)} delivery reports'
    errors = [(m.partition(), m.key(), str(e)) for e, m in reports if e is not None]
    assert not errors, f'{len(errors)} deliveries failed, first: {errors[:3]}'
    seen = {}
    for _, m in reports:
        seen.setdefault(m.partition(), []).append(m.offset())
    for p in range(partitions):
        assert sorted(seen.get(p, [])) == list(range(PER_PARTITION)), \
            f'partition {p}: acked offsets {sorted(seen.get(p, []))}, expected 0..{PER_PARTITION - 1}'


def consume_and_check(bootstrap, topic, partitions, ts_of):
    step(f'consume {topic} with manual assignment')
    consumer = Consumer(dict(common(bootstrap), **{
        'group.id': f'{topic}-reader', 'enable.auto.commit': False,
        'auto.offset.reset': 'earliest', 'enable.partition.eof': False,
    }))
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    got = {p: [] for p in range(partitions)}
    deadline = time.time() + 30
    while sum(len(v) for v in got.values()) < partitions * PER_PARTITION:
        if time.time() > deadline:
            counts = {p: len(v) for p, v in got.items()}
            fail(f'only got {counts} records per partition after 30 s (expected {PER_PARTITION} each)')
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            fail(f'consumer error on {msg.topic()}[{msg.partition()}]: {msg.error()}')
        got[msg.partition()].append(msg)
    consumer.close()
    for p in range(partitions):
        msgs = got[p]
        assert len(msgs) == PER_PARTITION, f'partition {p}: {len(msgs)} records'
        for i, m in enumerate(msgs):
            where = f'{topic} partition {p} offset {m.offset()}'
            assert m.offset() == i, \
                f'{topic} partition {p}: offsets {[x.offset() for x in msgs]}, expected 0..{PER_PARTITION - 1}'
            assert m.key() == f'k-{p}-{i}'.encode(), f'{where}: key {m.key()!r}'
            assert m.value() == f'v-{p}-{i}'.encode(), f'{where}: value {m.value()!r}'
            assert m.headers() == [('h', f'x{i}'.encode())], f'{where}: headers {m.headers()!r}'
            ts_type, ts = m.timestamp()
            assert ts_type == TIMESTAMP_CREATE_TIME, f'{where}: timestamp type {ts_type}'
            assert ts == ts_of(p, i), f'{where}: timestamp {ts}, expected {ts_of(p, i)}'
    print(f'   {partitions * PER_PARTITION} records verified', flush=True)


def main():
    bootstrap, prefix = suite_args()
    print(f'confluent-kafka {confluent_kafka.__version__} / librdkafka {confluent_kafka.libversion()[0]}'
          f' against {bootstrap}, prefix {prefix}', flush=True)
    time_budget(100)

    admin = AdminClient(common(bootstrap))
    topic = f'{prefix}-main'
    admin_checks(admin, topic, f'{prefix}-throwaway')

    main_ts = lambda p, i: BASE_TS + p * 1000 + i
    produce(bootstrap, topic, PARTITIONS, main_ts, {'enable.idempotence': True})
    consume_and_check(bootstrap, topic, PARTITIONS, main_ts)

    codec_topics = {c: f'{prefix}-{c}' for c in CODECS}
    step('admin: create compression topics')
    wait_futures(admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1)
                                      for t in codec_topics.values()],
                                     operation_timeout=10, request_timeout=15), 'CreateTopics')
    for codec, t in codec_topics.items():
        codec_ts = lambda p, i: BASE_TS + 500 + i
        produce(bootstrap, t, 1, codec_ts, {'compression.type': codec})
        consume_and_check(bootstrap, t, 1, codec_ts)

    report_client_errors()
    print('PASS confluent-kafka suite', flush=True)


if __name__ == '__main__':
    run(main)
