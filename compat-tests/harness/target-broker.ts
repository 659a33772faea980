/**
 * Runs one compat suite twice with the same assertions: against a fresh `bin/samsa start` process
 * and against the reference Kafka (compat-tests/reference-kafka). A test that fails only against
 * Samsa is Samsa's bug; one that fails against both is the test's. When the reference cannot run
 * here, its half skips with the one-line reason.
 */
import { join } from 'node:path';
import type { Test } from 'tap';
import { ReferenceKafka } from './reference-kafka.js';
import { SamsaProcess, type SamsaOptions } from './samsa-process.js';

/** Which broker a suite talks to: a suite marks what is known to differ by it. */
export type BrokerKind = 'samsa' | 'kafka';

/** What a suite needs to know of the broker it runs against. */
export interface TargetBroker {
  readonly kind: BrokerKind;
  readonly host: string;
  readonly port: number;
  readonly bootstrap: string;
  /** The folder holding the `<topic>-<partition>` directories of the partitions' logs. */
  readonly logDir: string;
  /** What the broker has logged so far, for failure messages. */
  log(): string;
  /**
   * Stops the broker and starts it again on the same port and data, for tests of what survives a
   * restart; SIGKILL for a crash.
   */
  restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface EachBrokerOptions {
  /** How the Samsa process is started. */
  samsa?: SamsaOptions;
  /** server.properties settings of the reference Kafka, by Kafka's name. */
  kafka?: Record<string, string>;
}

function samsaTarget(samsa: SamsaProcess): TargetBroker {
  return {
    kind: 'samsa',
    get host() {
      return samsa.host;
    },
    get port() {
      return samsa.port;
    },
    get bootstrap() {
      return samsa.bootstrap;
    },
    logDir: samsa.dataDir,
    log: () => samsa.stderr,
    restart: (signal) => samsa.restart(signal),
  };
}

function kafkaTarget(kafka: ReferenceKafka): TargetBroker {
  return {
    kind: 'kafka',
    host: kafka.host,
    port: kafka.port,
    bootstrap: kafka.bootstrap,
    logDir: join(kafka.dir, 'data'),
    log: () => kafka.stderr,
    restart: (signal) => kafka.restart(signal),
  };
}

/**
 * Registers `suite` as two subtests of `t`, "against Samsa" and "against the reference Kafka",
 * each with its own freshly started broker that is stopped when the subtest ends. `suite` registers
 * its tests on the subtest it is given.
 */
export async function onEachBroker(t: Test, opts: EachBrokerOptions, suite: (t: Test, broker: TargetBroker) => void | Promise<void>): Promise<void> {
  const noReference = await ReferenceKafka.unavailable();
  if (noReference !== null) t.comment(noReference);
  t.test('against Samsa', async (t) => {
    const samsa = await SamsaProcess.start(opts.samsa);
    t.teardown(() => samsa.close());
    await suite(t, samsaTarget(samsa));
  });
  t.test('against the reference Kafka', { skip: noReference ?? false }, async (t) => {
    const kafka = await ReferenceKafka.start({ overrides: opts.kafka ?? {} });
    t.teardown(() => kafka.close());
    t.comment(`reference Kafka ${kafka.version} answered ${kafka.startMs} ms after start`);
    await suite(t, kafkaTarget(kafka));
  });
}
