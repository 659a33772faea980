/**
 * The seeded request fuzzer (compat-tests/fuzz) against a real broker for about a minute: every
 * advertised API and version, structurally valid requests with extreme values, lying length
 * prefixes and corrupted bytes. The seed is random unless SAMSA_FUZZ_SEED is set and is printed
 * first; SAMSA_FUZZ_SECONDS lengthens the run (`make fuzz` runs ten minutes).
 */
import t from 'tap';
import { SamsaProcess } from '../harness/samsa-process.js';
import { checkServesClients, formatReport, FUZZ_BROKER_OVERRIDES, fuzzSettingsFromEnv, runRequestFuzzer } from '../fuzz/request-fuzzer.js';

const { seed, seconds } = fuzzSettingsFromEnv(42);

t.test(`seeded request fuzzing (seed ${seed}, ${seconds} s)`, async (t) => {
  t.comment(`SAMSA_FUZZ_SEED=${seed}`);
  const samsa = await SamsaProcess.start({ overrides: FUZZ_BROKER_OVERRIDES });
  t.teardown(() => samsa.close());
  const report = await runRequestFuzzer(samsa, { seed, seconds, log: (l) => t.comment(l) });
  t.comment(formatReport(report));
  t.equal(report.failure, null, 'no crash, hang, undecodable response or memory blow-up');
  t.same(report.handlerFailures, [], 'no request made a handler throw');
  t.ok(report.perApi.size >= 20, `${report.perApi.size} APIs exercised`);
  await checkServesClients(samsa);
  t.pass('a normal client produces and fetches afterwards');
});
