#!/usr/bin/env python3
"""kafka-python compat suite for Samsa.

Usage: VENV/bin/python kafka_python_suite.py BOOTSTRAP TOPIC_PREFIX   (VENV: see venv.sh)

Admin (create/list/describe configs/delete), keyed produce with headers and timestamps to
explicit partitions, and read-back with a manually assigned consumer (no consumer group).
Exits non-zero with a message naming the step that failed.
"""
import sys
import time

from suite_support import fail, run, step, suite_args, time_budget

try:
    import kafka
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType
except ImportError as e:
    print(f'FAIL: kafka-python is not importable ({e}); run compat-tests/python/venv.sh', flush=True)
    sys.exit(2)

PARTITIONS = 6
PER_PARTITION = 10
BASE_TS = 1_700_000_000_000


def topic_names(admin):
    return set(admin.list_topics())


def admin_checks(bootstrap, topic, throwaway):
    step('admin: connect')
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id='samsa-compat-kafka-python',
                             request_timeout_ms=15000)

    step('admin: create topics')
    # kafka-python 3.x: topics as {name: options}; errors raise unless raise_errors=False.
    res = admin.create_topics({
        topic: {'num_partitions': PARTITIONS, 'replication_factor': 1,
                'configs': {'retention.ms': '3600000'}},
        throwaway: {'num_partitions': 1, 'replication_factor': 1},
    }, timeout_ms=10000, raise_errors=False)
    created = {t['name']: t for t in res['topics']}
    assert set(created) == {topic, throwaway}, f'CreateTopics answered for {sorted(created)}'
    for name, t in created.items():
        assert t['error_code'] == 0, f"CreateTopics returned error_code={t['error_code']} for {name}: {t['error_message']}"
    assert created[topic]['num_partitions'] == PARTITIONS, \
        f"CreateTopics reports {created[topic]['num_partitions']} partitions for {topic}"
    returned = created[topic].get('configs') or {}
    assert returned.get('retention.ms', {}).get('value') == '3600000', \
        f"CreateTopics v5+ configs report retention.ms {returned.get('retention.ms')!r}"
    admin.wait_for_topics([topic, throwaway], timeout_ms=10000)

    step('admin: list topics')
    names = topic_names(admin)
    assert topic in names, f'{topic} missing from list_topics(): {sorted(names)}'
    assert throwaway in names, f'{throwaway} missing from list_topics(): {sorted(names)}'
    described = {t['name']: t for t in admin.describe_topics([topic])}
    assert sorted(p['partition_index'] for p in described[topic]['partitions']) == list(range(PARTITIONS)), \
        f'describe_topics({topic}): {described[topic]}'

    step('admin: describe configs')
    resource = ConfigResource(ConfigResourceType.TOPIC, topic)
    modified = admin.describe_configs([resource])['topic'][topic]
    assert set(modified) == {'retention.ms'}, \
        f'describe_configs (modified only) lists {sorted(modified)}, expected only retention.ms'
    entries = admin.describe_configs([resource], config_filter='all')['topic'][topic]
    configs = {name: entry['value'] for name, entry in entries.items()}
    print(f'   {len(configs)} config entries', flush=True)
    assert configs.get('cleanup.policy') == 'delete', \
        f"cleanup.policy is {configs.get('cleanup.policy')!r}, expected 'delete'"
    assert configs.get('retention.ms') == '3600000', \
        f"retention.ms is {configs.get('retention.ms')!r}, expected '3600000' (set at creation)"
    assert entries['retention.ms']['config_source'] == 'DYNAMIC_TOPIC_CONFIG', \
        f"retention.ms source {entries['retention.ms']['config_source']}"

    step('admin: delete throwaway topic')
    res = admin.delete_topics([throwaway], timeout_ms=10000, raise_errors=False)
    for t in res['topics']:
        assert t['error_code'] == 0, f"DeleteTopics returned error_code={t['error_code']} for {t['name']}"
    deadline = time.time() + 5
    while True:
        names = topic_names(admin)
        if throwaway not in names:
            break
        assert time.time() < deadline, f'{throwaway} still listed 5 s after delete: {sorted(names)}'
        time.sleep(0.2)
    assert topic in names, f'{topic} disappeared after deleting {throwaway}'
    admin.close()


def produce(bootstrap, topic, compression):
    step(f'produce 60 records (compression={compression})')
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', compression_type=compression,
                             linger_ms=5, retries=0, request_timeout_ms=15000,
                             client_id='samsa-compat-kafka-python')
    futures = []
    for p in range(PARTITIONS):
        for i in range(PER_PARTITION):
            futures.append(((p, i), producer.send(
                topic, key=f'k-{p}-{i}'.encode(), value=f'v-{p}-{i}'.encode(), partition=p,
                headers=[('h', f'x{i}'.encode())], timestamp_ms=BASE_TS + p * 1000 + i)))
    producer.flush(timeout=30)
    for (p, i), fut in futures:
        try:
            md = fut.get(timeout=10)
        except Exception as e:
            fail(f'produce of k-{p}-{i} to partition {p} failed: {type(e).__name__}: {e}')
        assert md.partition == p, f'record k-{p}-{i} acked for partition {md.partition}, expected {p}'
        assert md.offset == i, f'record k-{p}-{i} acked at offset {md.offset}, expected {i}'
    producer.close(timeout=10)


def consume_and_check(bootstrap, topic, partitions, per_partition, ts_of):
    step(f'consume {topic} with manual assignment')
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset='earliest', request_timeout_ms=30000,
                             client_id='samsa-compat-kafka-python')
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    got = {p: [] for p in range(partitions)}
    deadline = time.time() + 30
    while sum(len(v) for v in got.values()) < partitions * per_partition:
        if time.time() > deadline:
            counts = {p: len(v) for p, v in got.items()}
            fail(f'only got {counts} records per partition after 30 s (expected {per_partition} each)')
        for tp, records in consumer.poll(timeout_ms=500).items():
            got[tp.partition].extend(records)
    consumer.close()
    for p in range(partitions):
        recs = got[p]
        assert len(recs) == per_partition, f'partition {p}: {len(recs)} records, expected {per_partition}'
        for i, r in enumerate(recs):
            where = f'partition {p} offset {r.offset}'
            assert r.offset == i, f'partition {p}: offsets {[x.offset for x in recs]}, expected 0..{per_partition - 1}'
            assert r.key == f'k-{p}-{i}'.encode(), f'{where}: key {r.key!r}'
            assert r.value == f'v-{p}-{i}'.encode(), f'{where}: value {r.value!r}'
            assert list(r.headers) == [('h', f'x{i}'.encode())], f'{where}: headers {r.headers!r}'
            assert r.timestamp == ts_of(p, i), f'{where}: timestamp {r.timestamp}, expected {ts_of(p, i)}'
            assert r.timestamp_type == 0, f'{where}: timestamp_type {r.timestamp_type}, expected 0 (CreateTime)'
    print(f'   {partitions * per_partition} records verified', flush=True)


def compression_round_trips(bootstrap, prefix):
    # The venv installs kafka-python's codec extras (requirements.txt), so every codec runs.
    for codec in ('snappy', 'lz4', 'zstd'):
        topic = f'{prefix}-{codec}'
        step(f'{codec}: produce/consume on {topic}')
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
        admin.create_topics({topic: {'num_partitions': 1, 'replication_factor': 1}}, timeout_ms=10000,
                            wait_for_metadata=True)
        admin.close()
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', compression_type=codec,
                                 linger_ms=5, retries=0)
        futs = [producer.send(topic, key=f'k-0-{i}'.encode(), value=f'v-0-{i}'.encode(), partition=0,
                              headers=[('h', f'x{i}'.encode())], timestamp_ms=BASE_TS + i)
                for i in range(PER_PARTITION)]
        producer.flush(timeout=30)
        for f in futs:
            f.get(timeout=10)
        producer.close(timeout=10)
        consume_and_check(bootstrap, topic, 1, PER_PARTITION, lambda p, i: BASE_TS + i)


def main():
    bootstrap, prefix = suite_args()
    print(f'kafka-python {kafka.__version__} against {bootstrap}, prefix {prefix}', flush=True)
    time_budget(100)
    topic = f'{prefix}-main'
    admin_checks(bootstrap, topic, f'{prefix}-throwaway')
    produce(bootstrap, topic, 'gzip')
    consume_and_check(bootstrap, topic, PARTITIONS, PER_PARTITION,
                      lambda p, i: BASE_TS + p * 1000 + i)
    compression_round_trips(bootstrap, prefix)
    print('PASS kafka-python suite', flush=True)


if __name__ == '__main__':
    run(main)
