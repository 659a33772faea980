/**
 * Metadata record framing (Kafka's MetadataRecordSerde): every record type the controller writes
 * survives encode and decode; the frame names the type and version; other known types decode as
 * 'Other'; a wrong frame version, an unknown type or trailing bytes are CORRUPT_RECORD.
 */
import t from 'tap';
import { Reader } from '../../protocol/codec/reader.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from '../metadata-records.js';
import { ID_A, partition, partitionChange, registerBroker, removeTopic, topic, topicConfig } from './records.js';

const RECORDS: Array<[MetadataRecord, number, number]> = [
  [registerBroker(3, { epoch: 42n }), 0, 3],
  [{ type: 'UnregisterBrokerRecord', data: { brokerId: 3, brokerEpoch: 42n } }, 1, 0],
  [topic('orders', ID_A), 2, 0],
  [partition(ID_A, 4, [1, 2, 3], 2), 3, 0],
  [topicConfig('orders', 'retention.ms', '1000'), 4, 0],
  [topicConfig('orders', 'retention.ms', null), 4, 0],
  [partitionChange(ID_A, 4, { leader: 3, isr: [3] }), 5, 0],
  [removeTopic(ID_A), 9, 0],
  [{ type: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: 21 } }, 12, 0],
  [{ type: 'ProducerIdsRecord', data: { brokerId: 1, brokerEpoch: 7n, nextProducerId: 5000n } }, 15, 0],
];

t.test('every record type the controller writes round-trips, framed with its type and version', async (t) => {
  for (const [record, apiKey, version] of RECORDS) {
    const bytes = encodeMetadataRecord(record);
    const r = new Reader(bytes);
    t.same([r.uvarint(), r.uvarint(), r.uvarint()], [1, apiKey, version], `${record.type}: frame 1, type ${apiKey}, v${version}`);
    t.same(decodeMetadataRecord(bytes), record, `${record.type} decodes to what was written`);
  }
});

t.test('other known record types decode as Other and cannot be written', async (t) => {
  const decoded = decodeMetadataRecord(Buffer.from([1, 20, 0, 0]));
  t.match(decoded, { type: 'Other', apiKey: 20, version: 0 });
  t.throws(() => encodeMetadataRecord(decoded), /cannot write metadata record type 20/);
});

t.test('bad frames are CORRUPT_RECORD', async (t) => {
  const good = encodeMetadataRecord(removeTopic(ID_A));
  t.throws(() => decodeMetadataRecord(Buffer.from([0, ...good.subarray(1)])), { code: 'CORRUPT_RECORD', message: /frame version 0/ });
  t.throws(() => decodeMetadataRecord(Buffer.from([1, 99, 0])), { code: 'CORRUPT_RECORD', message: /unknown metadata record type 99/ });
  t.throws(() => decodeMetadataRecord(Buffer.concat([good, Buffer.from([0])])), 'trailing bytes');
  t.throws(() => decodeMetadataRecord(good.subarray(0, good.length - 2)), 'a truncated body');
});
