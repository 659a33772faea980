/**
 * Consumer groups from Python clients against a real `bin/samsa start` process: kafka-python and
 * confluent-kafka (librdkafka) consumers that subscribe() through the classic group protocol,
 * consume, commit, resume from committed offsets and split partitions between two members. The
 * script (compat-tests/python/group_suite.py) exits non-zero naming the step that failed.
 *
 * The broker runs with group.initial.rebalance.delay.ms=0 so the first rebalance of each group
 * does not wait the default 3 s.
 */
import t from 'tap';
import { missingPythonModules, runPythonSuite } from '../harness/python.js';
import { SamsaProcess } from '../harness/samsa-process.js';

const TIMEOUT_MS = 180_000;

const samsa = await SamsaProcess.start({ overrides: { 'group.initial.rebalance.delay.ms': '0' } });
t.teardown(() => samsa.close());

t.test('kafka-python and confluent-kafka consumer groups: subscribe, commit, resume, split', { timeout: TIMEOUT_MS + 10_000 }, async (t) => {
  const missing = missingPythonModules(['kafka', 'confluent_kafka']);
  if (missing !== null) {
    t.fail(missing);
    return;
  }
  const { code, output } = await runPythonSuite('group_suite.py', samsa.bootstrap, 'py-groups', TIMEOUT_MS);
  const brokerLog = code === 0 ? '' : `\n--- broker log (tail) ---\n${samsa.stderr.slice(-4000)}`;
  t.equal(code, 0, `group_suite.py output:\n${output}${brokerLog}`);
});
