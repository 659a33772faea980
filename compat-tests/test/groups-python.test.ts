/**
 * Consumer groups from Python clients (PyPI releases, compat-tests/python/requirements.txt),
 * against a real `bin/samsa start` process and against the reference Kafka with the same
 * assertions: kafka-python and confluent-kafka (librdkafka) consumers that subscribe() through the
 * classic group protocol, consume, commit, resume from committed offsets and split partitions
 * between two members, and each client's admin API lists and describes the groups and their
 * committed offsets. The script (compat-tests/python/group_suite.py) exits non-zero naming the
 * step that failed; without the venv or the reference broker, the runs skip with the reason.
 *
 * Both brokers run with group.initial.rebalance.delay.ms=0 so the first rebalance of each group
 * does not wait the default 3 s.
 */
import t from 'tap';
import { registerPythonSuites } from '../harness/python.js';

t.setTimeout(20 * 60_000);

await registerPythonSuites(
  t,
  [{ name: 'kafka-python and confluent-kafka consumer groups: subscribe, commit, resume, split, list', file: 'group_suite.py', prefix: 'py-groups', timeoutMs: 180_000 }],
  { 'group.initial.rebalance.delay.ms': '0' },
);
