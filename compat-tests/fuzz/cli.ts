/**
 * `node dist/compat-tests/fuzz/cli.js [--seconds N] [--seed S]` (`make fuzz`): the request fuzzer
 * against a fresh `bin/samsa` for a longer run than `make test` allows. SAMSA_FUZZ_SEED and
 * SAMSA_FUZZ_SECONDS work here too; flags win. `--case N,M` replays single cases of a seed and
 * `--deadline MS` changes the per-request deadline. Exits 1 on any finding.
 */
import { SamsaProcess } from '../harness/samsa-process.js';
import { checkServesClients, formatReport, FUZZ_BROKER_OVERRIDES, fuzzSettingsFromEnv, runRequestFuzzer } from './request-fuzzer.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const settings = fuzzSettingsFromEnv(600);
const seed = flag('--seed') !== undefined ? Number(flag('--seed')) >>> 0 : settings.seed;
const seconds = flag('--seconds') !== undefined ? Number(flag('--seconds')) : settings.seconds;
/** `--case 17,40`: replay only these cases of the seed (with `--deadline` ms to see how long they take). */
const only = flag('--case')?.split(',').map(Number);
const deadlineMs = flag('--deadline') !== undefined ? Number(flag('--deadline')) : undefined;

const samsa = await SamsaProcess.start({ overrides: FUZZ_BROKER_OVERRIDES });
let ok = false;
try {
  const report = await runRequestFuzzer(samsa, { seed, seconds, only, deadlineMs });
  console.log(formatReport(report));
  ok = report.failure === null && report.handlerFailures.length === 0;
  if (report.failure === null) {
    await checkServesClients(samsa);
    console.log('after fuzzing: a new client created a topic, produced and fetched its records');
  }
} catch (e) {
  console.log(`fuzz run failed (seed ${seed}): ${(e as Error).stack ?? String(e)}`);
  ok = false;
} finally {
  await samsa.close();
}
process.exit(ok ? 0 : 1);
