/**
 * franz-go (kgo and kadm) against a real `bin/samsa start` process and against the reference
 * Kafka, with the same checks: produce and consume with every compression codec through kgo's
 * idempotent producer, consumer groups with the classic protocol and with KIP-848's consumer
 * protocol (kgo.ServerSideBalancer) and their committed offsets, and administration through kadm.
 * The scenarios are in compat-tests/go/franz.go; the program is built once by
 * compat-tests/go/build.sh, and the suite skips with the reason where Go or its modules cannot be had.
 */
import t from 'tap';
import { goFamilySuite } from '../harness/go-clients.js';

// A cold first build downloads modules and compiles them; later runs reuse the cached binary.
t.setTimeout(15 * 60_000);

await goFamilySuite(t, {
  name: 'franz-go',
  scenarios: ['franz-produce-consume', 'franz-group-classic', 'franz-group-consumer', 'franz-admin'],
  // One-second KIP-848 heartbeats so the two members split the partitions quickly; Kafka bounds
  // the interval below by group.consumer.min.heartbeat.interval.ms.
  samsaOverrides: { 'group.initial.rebalance.delay.ms': '0', 'group.consumer.heartbeat.interval.ms': '1000' },
  referenceOverrides: { 'group.consumer.min.heartbeat.interval.ms': '1000', 'group.consumer.heartbeat.interval.ms': '1000' },
});
