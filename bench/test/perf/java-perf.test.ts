/**
 * The summary lines of Kafka's ProducerPerformance and ConsumerPerformance (as Kafka 4.1 prints
 * them) parse into the figures the comparison reports; anything else is not taken for a result.
 */
import t from 'tap';
import { parseConsumerSummary, parseProducerSummary } from '../../perf/java-perf.js';

t.test('ProducerPerformance: the last summary line wins over the periodic reports', async (t) => {
  const stdout = [
    '1033190 records sent, 206638.0 records/sec (19.71 MB/sec), 95.3 ms avg latency, 361.0 ms max latency.',
    '2000000 records sent, 212314.225053 records/sec (20.25 MB/sec), 92.87 ms avg latency, 402.00 ms max latency, 81 ms 50th, 190 ms 95th, 301 ms 99th, 390 ms 99.9th.',
    '',
  ].join('\n');
  t.same(parseProducerSummary(stdout), {
    records: 2000000,
    recordsPerSec: 212314.225053,
    mbPerSec: 20.25,
    avgMs: 92.87,
    maxMs: 402,
    p50Ms: 81,
    p95Ms: 190,
    p99Ms: 301,
    p999Ms: 390,
  });
  t.equal(parseProducerSummary('1033190 records sent, 206638.0 records/sec (19.71 MB/sec), 95.3 ms avg latency, 361.0 ms max latency.\n'), null);
  t.equal(parseProducerSummary(''), null);
});

t.test('ConsumerPerformance: the data line after --hide-header', async (t) => {
  const stdout = 'WARNING: some JVM notice\n2026-12-02 12:40:01:123, 2026-12-02 12:40:09:456, 190.7349, 22.8894, 2000000, 240009.6003, 3045, 5288, 36.0694, 378214.8260\n';
  t.same(parseConsumerSummary(stdout), {
    mb: 190.7349,
    records: 2000000,
    recordsPerSec: 240009.6003,
    rebalanceMs: 3045,
    fetchMbPerSec: 36.0694,
    fetchRecordsPerSec: 378214.826,
  });
  t.equal(parseConsumerSummary('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n'), null);
});
