/**
 * Metadata records as they sit in the metadata log: each is one record of a record batch, with a
 * null key and a value framed as Kafka's MetadataRecordSerde does it:
 *
 *   uvarint frame version (1) | uvarint record type (apiKey) | uvarint record version | record body
 *
 * so the log has the layout of Kafka's `__cluster_metadata` partition.
 */
import { ProtocolError } from '../protocol/codec/errors.js';
import { Reader } from '../protocol/codec/reader.js';
import { Writer } from '../protocol/codec/writer.js';
import {
  configRecordCodec,
  featureLevelRecordCodec,
  partitionChangeRecordCodec,
  partitionRecordCodec,
  producerIdsRecordCodec,
  recordCodecByKey,
  registerBrokerRecordCodec,
  removeTopicRecordCodec,
  topicRecordCodec,
  unregisterBrokerRecordCodec,
  type ConfigRecord,
  type FeatureLevelRecord,
  type PartitionChangeRecord,
  type PartitionRecord,
  type ProducerIdsRecord,
  type RecordCodec,
  type RegisterBrokerRecord,
  type RemoveTopicRecord,
  type TopicRecord,
  type UnregisterBrokerRecord,
} from '../protocol/metadata/index.js';

const FRAME_VERSION = 1;

export type MetadataRecord =
  | { type: 'TopicRecord'; data: TopicRecord }
  | { type: 'PartitionRecord'; data: PartitionRecord }
  | { type: 'PartitionChangeRecord'; data: PartitionChangeRecord }
  | { type: 'RemoveTopicRecord'; data: RemoveTopicRecord }
  | { type: 'ConfigRecord'; data: ConfigRecord }
  | { type: 'RegisterBrokerRecord'; data: RegisterBrokerRecord }
  | { type: 'UnregisterBrokerRecord'; data: UnregisterBrokerRecord }
  | { type: 'FeatureLevelRecord'; data: FeatureLevelRecord }
  | { type: 'ProducerIdsRecord'; data: ProducerIdsRecord }
  /** A record type this version does not act on; kept so the log replays unchanged. */
  | { type: 'Other'; apiKey: number; version: number; data: unknown };

type KnownType = Exclude<MetadataRecord['type'], 'Other'>;

const codecs: { [K in KnownType]: RecordCodec<Extract<MetadataRecord, { type: K }>['data']> } = {
  TopicRecord: topicRecordCodec,
  PartitionRecord: partitionRecordCodec,
  PartitionChangeRecord: partitionChangeRecordCodec,
  RemoveTopicRecord: removeTopicRecordCodec,
  ConfigRecord: configRecordCodec,
  RegisterBrokerRecord: registerBrokerRecordCodec,
  UnregisterBrokerRecord: unregisterBrokerRecordCodec,
  FeatureLevelRecord: featureLevelRecordCodec,
  ProducerIdsRecord: producerIdsRecordCodec,
};

const typeByKey = new Map<number, KnownType>(Object.entries(codecs).map(([type, c]) => [c.apiKey, type as KnownType]));

/** The version each record type is written with. */
const WRITE_VERSION: { [K in KnownType]: number } = {
  TopicRecord: 0,
  PartitionRecord: 0,
  PartitionChangeRecord: 0,
  RemoveTopicRecord: 0,
  ConfigRecord: 0,
  RegisterBrokerRecord: 3,
  UnregisterBrokerRecord: 0,
  FeatureLevelRecord: 0,
  ProducerIdsRecord: 0,
};

export function encodeMetadataRecord(record: MetadataRecord): Buffer {
  if (record.type === 'Other') throw new Error(`cannot write metadata record type ${record.apiKey}`);
  const codec = codecs[record.type] as RecordCodec<unknown>;
  const w = new Writer(128);
  w.uvarint(FRAME_VERSION);
  w.uvarint(codec.apiKey);
  const version = WRITE_VERSION[record.type];
  w.uvarint(version);
  codec.encode(w, record.data, version);
  return w.toBuffer();
}

export function decodeMetadataRecord(value: Buffer): MetadataRecord {
  const r = new Reader(value);
  const frame = r.uvarint();
  if (frame !== FRAME_VERSION) throw new ProtocolError('CORRUPT_RECORD', `metadata record frame version ${frame}; expected ${FRAME_VERSION}`);
  const apiKey = r.uvarint();
  const version = r.uvarint();
  const type = typeByKey.get(apiKey);
  if (type === undefined) {
    const codec = recordCodecByKey[apiKey];
    if (codec === undefined) throw new ProtocolError('CORRUPT_RECORD', `unknown metadata record type ${apiKey}`);
    return { type: 'Other', apiKey, version, data: codec.decode(r, version) };
  }
  const data = (codecs[type] as RecordCodec<unknown>).decode(r, version);
  r.expectEnd(`${type} v${version}`);
  return { type, data } as MetadataRecord;
}
