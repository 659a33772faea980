/**
 * Python clients against a real `bin/samsa start` process: kafka-python and confluent-kafka
 * (librdkafka), each driven by a script under compat-tests/python that does admin (create, list,
 * describe configs, delete), keyed produce with headers and timestamps, and read-back with a
 * manually assigned consumer. The scripts exit non-zero naming the step that failed; a missing
 * interpreter or module fails the test (run `make system-deps`).
 */
import t, { type Test } from 'tap';
import { missingPythonModules, runPythonSuite } from '../harness/python.js';
import { SamsaProcess } from '../harness/samsa-process.js';

const TIMEOUT_MS = 120_000;

const samsa = await SamsaProcess.start();
t.teardown(() => samsa.close());

async function suite(t: Test, module: string, file: string, prefix: string): Promise<void> {
  const missing = missingPythonModules([module]);
  if (missing !== null) {
    t.fail(missing);
    return;
  }
  const { code, output } = await runPythonSuite(file, samsa.bootstrap, prefix, TIMEOUT_MS);
  const brokerLog = code === 0 ? '' : `\n--- broker log (tail) ---\n${samsa.stderr.slice(-4000)}`;
  t.equal(code, 0, `${file} output:\n${output}${brokerLog}`);
}

t.test('kafka-python admin, produce and manual-assign consume', async (t) => {
  await suite(t, 'kafka', 'kafka_python_suite.py', 'py-kafka-python');
});

t.test('confluent-kafka admin, idempotent produce, compression and manual-assign consume', async (t) => {
  await suite(t, 'confluent_kafka', 'confluent_suite.py', 'py-confluent');
});
