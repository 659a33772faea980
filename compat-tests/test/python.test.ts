/**
 * Python clients from PyPI (pinned in compat-tests/python/requirements.txt, run in the venv that
 * compat-tests/python/venv.sh builds), each against a real `bin/samsa start` process and against
 * the reference Kafka with the same assertions:
 * - kafka-python 3.x: admin (create, list, describe, describe configs, delete), keyed produce with
 *   headers and timestamps in every codec, read-back with a manually assigned consumer;
 * - confluent-kafka 2.x (librdkafka): the same admin, an idempotent producer, every codec;
 * - aiokafka: AIOKafkaAdminClient topics, configs and groups, an idempotent zstd producer, a
 *   consumer in a group that commits, seeks to the beginning and hands over to a second member.
 * The scripts exit non-zero naming the step that failed. Without the venv (no python3-venv, PyPI
 * unreachable) or the reference broker, the runs skip with the one-line reason.
 */
import t from 'tap';
import { registerPythonSuites } from '../harness/python.js';

// A first run may build the venv and resolve the reference Kafka (normally done by `make test`
// before the tests start).
t.setTimeout(20 * 60_000);

await registerPythonSuites(
  t,
  [
    { name: 'kafka-python admin, produce in every codec and manual-assign consume', file: 'kafka_python_suite.py', prefix: 'py-kafka-python', timeoutMs: 120_000 },
    { name: 'confluent-kafka admin, idempotent produce, compression and manual-assign consume', file: 'confluent_suite.py', prefix: 'py-confluent', timeoutMs: 120_000 },
    { name: 'aiokafka admin, idempotent produce, group consume, commit, seek and hand-over', file: 'aiokafka_suite.py', prefix: 'py-aiokafka', timeoutMs: 120_000 },
  ],
  // The first rebalance of aiokafka's group should not wait the default 3 s.
  { 'group.initial.rebalance.delay.ms': '0' },
);
