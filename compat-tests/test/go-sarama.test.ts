/**
 * IBM/sarama against a real `bin/samsa start` process and against the reference Kafka, with the
 * same checks: an idempotent sync producer and an async producer with each codec (gzip, snappy, lz4, zstd) read back by the
 * partition consumer, and a consumer group (sarama.NewConsumerGroup) that reads everything,
 * commits, and resumes from its committed offsets. The scenarios are in compat-tests/go/sarama.go;
 * the suite skips with the reason where Go or its modules cannot be had.
 */
import t from 'tap';
import { goFamilySuite } from '../harness/go-clients.js';

// A cold first build downloads modules and compiles them; later runs reuse the cached binary.
t.setTimeout(15 * 60_000);

await goFamilySuite(t, {
  name: 'sarama',
  scenarios: ['sarama-produce', 'sarama-group'],
  samsaOverrides: { 'group.initial.rebalance.delay.ms': '0' },
});
