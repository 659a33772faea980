#!/usr/bin/env python3
"""aiokafka (asyncio) compat suite for Samsa.

Usage: VENV/bin/python aiokafka_suite.py BOOTSTRAP TOPIC_PREFIX   (VENV: see venv.sh)

AIOKafkaAdminClient creates, lists, describes (configs) and deletes topics; an idempotent
AIOKafkaProducer sends keyed records with headers and timestamps, zstd-compressed, to explicit
partitions; an AIOKafkaConsumer in a group consumes them all, commits, seeks to the beginning and
reads them again, commits an explicit offset; the admin client lists and describes the group and
its committed offsets; a second consumer of the group resumes at those offsets.
The broker should run with group.initial.rebalance.delay.ms=0. Exits non-zero with a message
naming the step that failed.
"""
import asyncio
import sys
import time

from suite_support import fail, run, step, suite_args, time_budget

try:
    import aiokafka
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
except ImportError as e:
    print(f'FAIL: aiokafka is not importable ({e}); run compat-tests/python/venv.sh', flush=True)
    sys.exit(2)

PARTITIONS = 3
PER_PARTITION = 20
BASE_TS = 1_700_000_000_000
CLIENT_ID = 'samsa-compat-aiokafka'


def ts_of(p, i):
    return BASE_TS + p * 1000 + i


async def topic_names(admin):
    return set(await admin.list_topics())


async def admin_topics(admin, topic, throwaway):
    step('admin: create topics')
    res = await admin.create_topics([
        NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1,
                 topic_configs={'retention.ms': '3600000'}),
        NewTopic(throwaway, num_partitions=1, replication_factor=1),
    ], timeout_ms=10000)
    errors = {name: code for name, code, *_ in res.topic_errors}
    assert errors == {topic: 0, throwaway: 0}, f'CreateTopics error codes {errors}'

    step('admin: list and describe topics')
    deadline = time.time() + 10
    while True:
        described = {t['topic']: t for t in await admin.describe_topics([topic, throwaway])}
        ready = [name for name, t in described.items()
                 if t['error_code'] == 0 and t['partitions'] and all(p['leader'] >= 0 for p in t['partitions'])]
        if sorted(ready) == sorted([topic, throwaway]):
            break
        assert time.time() < deadline, f'topics not ready with leaders after 10 s: {described}'
        await asyncio.sleep(0.2)
    partitions = sorted(p['partition'] for p in described[topic]['partitions'])
    assert partitions == list(range(PARTITIONS)), f'{topic} has partitions {partitions}'
    names = await topic_names(admin)
    assert {topic, throwaway} <= names, f'list_topics() lacks {topic} or {throwaway}: {sorted(names)}'

    step('admin: describe configs')
    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    configs = {}
    for response in responses:
        for err, err_msg, _rtype, rname, entries in (r[:5] for r in response.resources):
            assert err == 0, f'DescribeConfigs error_code={err} ({err_msg}) for {rname}'
            assert rname == topic, f'DescribeConfigs answered for {rname!r}, expected {topic!r}'
            configs.update((entry[0], entry[1]) for entry in entries)
    print(f'   {len(configs)} config entries', flush=True)
    assert configs.get('cleanup.policy') == 'delete', \
        f"cleanup.policy is {configs.get('cleanup.policy')!r}, expected 'delete'"
    assert configs.get('retention.ms') == '3600000', \
        f"retention.ms is {configs.get('retention.ms')!r}, expected '3600000' (set at creation)"

    step('admin: delete throwaway topic')
    res = await admin.delete_topics([throwaway], timeout_ms=10000)
    errors = {name: code for name, code, *_ in res.topic_error_codes}
    assert errors == {throwaway: 0}, f'DeleteTopics error codes {errors}'
    deadline = time.time() + 5
    while throwaway in (names := await topic_names(admin)):
        assert time.time() < deadline, f'{throwaway} still listed 5 s after delete: {sorted(names)}'
        await asyncio.sleep(0.2)
    assert topic in names, f'{topic} disappeared after deleting {throwaway}'


async def produce(bootstrap, topic):
    step(f'produce {PARTITIONS * PER_PARTITION} records (idempotent, zstd)')
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id=CLIENT_ID, acks='all',
                                enable_idempotence=True, compression_type='zstd', linger_ms=5,
                                request_timeout_ms=15000)
    await producer.start()
    try:
        sends = []
        for p in range(PARTITIONS):
            for i in range(PER_PARTITION):
                sends.append(((p, i), await producer.send(
                    topic, key=f'k-{p}-{i}'.encode(), value=f'v-{p}-{i}'.encode(), partition=p,
                    timestamp_ms=ts_of(p, i), headers=[('h', f'x{i}'.encode())])))
        for (p, i), fut in sends:
            md = await asyncio.wait_for(fut, 20)
            assert (md.partition, md.offset) == (p, i), \
                f'record k-{p}-{i} acked at partition {md.partition} offset {md.offset}, expected {p}/{i}'
    finally:
        await producer.stop()


async def read_all(consumer, count, who):
    got = {p: [] for p in range(PARTITIONS)}
    deadline = time.time() + 30
    while sum(len(v) for v in got.values()) < count:
        if time.time() > deadline:
            state = {tp.partition: (await consumer.position(tp), await consumer.committed(tp), consumer.highwater(tp))
                     for tp in consumer.assignment()}
            fail(f'{who}: only {({p: len(v) for p, v in got.items()})} records per partition after 30 s; '
                 f'(position, committed, high watermark) by assigned partition: {state}')
        for tp, records in (await consumer.getmany(timeout_ms=500)).items():
            got[tp.partition].extend(records)
    return got


def check_records(got, who):
    for p in range(PARTITIONS):
        recs = got[p]
        assert [r.offset for r in recs] == list(range(PER_PARTITION)), \
            f'{who}: partition {p} offsets {[r.offset for r in recs]}, expected 0..{PER_PARTITION - 1}'
        for i, r in enumerate(recs):
            where = f'{who}: partition {p} offset {r.offset}'
            assert r.key == f'k-{p}-{i}'.encode(), f'{where}: key {r.key!r}'
            assert r.value == f'v-{p}-{i}'.encode(), f'{where}: value {r.value!r}'
            assert list(r.headers) == [('h', f'x{i}'.encode())], f'{where}: headers {r.headers!r}'
            assert r.timestamp == ts_of(p, i), f'{where}: timestamp {r.timestamp}, expected {ts_of(p, i)}'
            assert r.timestamp_type == 0, f'{where}: timestamp_type {r.timestamp_type} (0 is CreateTime)'


def group_consumer(bootstrap, topic, group):
    return AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, client_id=CLIENT_ID, group_id=group,
                            auto_offset_reset='earliest', enable_auto_commit=False,
                            session_timeout_ms=10000, heartbeat_interval_ms=1000,
                            request_timeout_ms=30000)


async def consume_in_group(bootstrap, admin, topic, group):
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    ends = {p: PER_PARTITION for p in range(PARTITIONS)}

    step(f'consume all in group {group}')
    consumer = group_consumer(bootstrap, topic, group)
    await consumer.start()
    try:
        check_records(await read_all(consumer, PARTITIONS * PER_PARTITION, 'group consumer'), 'group consumer')
        assigned = sorted(tp.partition for tp in consumer.assignment())
        assert assigned == list(range(PARTITIONS)), f'sole member assigned {assigned}'

        step('commit() and committed()')
        await consumer.commit()
        committed = {tp.partition: await consumer.committed(tp) for tp in tps}
        assert committed == ends, f'committed offsets {committed}, expected {ends}'

        step('seek_to_beginning() and read everything again')
        await consumer.seek_to_beginning()
        for tp in tps:
            pos = await consumer.position(tp)
            assert pos == 0, f'position of {tp} after seek_to_beginning() is {pos}'
        check_records(await read_all(consumer, PARTITIONS * PER_PARTITION, 'after seek'), 'after seek')

        step('commit an explicit offset')
        await consumer.commit({tps[0]: 5})
        ends[0] = 5
        committed = {tp.partition: await consumer.committed(tp) for tp in tps}
        assert committed == ends, f'committed offsets {committed}, expected {ends}'

        step(f'admin: list and describe {group} with its member, list its offsets')
        groups = {g[0]: g[1] for g in await admin.list_consumer_groups()}
        assert groups.get(group) == 'consumer', f'list_consumer_groups(): {group} is {groups.get(group)!r} in {groups}'
        described = [g for response in await admin.describe_consumer_groups([group]) for g in response.groups]
        assert len(described) == 1, f'describe_consumer_groups returned {described}'
        err, gid, state, protocol_type, protocol, members = described[0][:6]
        assert (err, gid, state, protocol_type) == (0, group, 'Stable', 'consumer'), \
            f'describe_consumer_groups: error {err}, group {gid}, state {state}, protocol type {protocol_type}'
        assert len(members) == 1, f'describe_consumer_groups: {len(members)} members'
        offsets = await admin.list_consumer_group_offsets(group)
        listed = {tp.partition: om.offset for tp, om in offsets.items() if tp.topic == topic}
        assert listed == ends, f'list_consumer_group_offsets({group}) = {listed}, expected {ends}'
    finally:
        await consumer.stop()

    step(f'a second consumer of {group} resumes at the committed offsets')
    second = group_consumer(bootstrap, topic, group)
    await second.start()
    try:
        got = await read_all(second, PER_PARTITION - 5, 'second consumer')
        offsets = [r.offset for r in got[0]]
        assert offsets == list(range(5, PER_PARTITION)), f'second consumer read partition 0 offsets {offsets}'
        assert not got[1] and not got[2], \
            f'second consumer re-read committed records: {[(r.partition, r.offset) for r in got[1] + got[2]]}'
    finally:
        await second.stop()


async def suite(bootstrap, prefix):
    topic = f'{prefix}-main'
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=CLIENT_ID, request_timeout_ms=15000)
    await admin.start()
    try:
        await admin_topics(admin, topic, f'{prefix}-throwaway')
        await produce(bootstrap, topic)
        await consume_in_group(bootstrap, admin, topic, f'{prefix}-group')
    finally:
        await admin.close()


def main():
    bootstrap, prefix = suite_args()
    print(f'aiokafka {aiokafka.__version__} against {bootstrap}, prefix {prefix}', flush=True)
    time_budget(100)
    asyncio.run(suite(bootstrap, prefix))
    print('PASS aiokafka suite', flush=True)


if __name__ == '__main__':
    run(main)
