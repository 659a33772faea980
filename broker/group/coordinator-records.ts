/**
 * Records of the `__consumer_offsets` topic, in Kafka's layout: the record key is an int16 key
 * version followed by the key struct, the value an int16 value version followed by the value
 * struct, and a null value deletes the key (a tombstone, removed by compaction).
 *
 *   key version 0/1  OffsetCommitKey    (group, topic, partition) → OffsetCommitValue
 *   key version 2    GroupMetadataKey   (group) → GroupMetadataValue (classic groups)
 *   key version 3..8 ConsumerGroup*     consumer groups of the KIP-848 protocol
 */
import { ProtocolError } from '../../protocol/codec/errors.js';
import { Reader } from '../../protocol/codec/reader.js';
import { Writer } from '../../protocol/codec/writer.js';
import {
  consumerGroupCurrentMemberAssignmentKeyCodec,
  consumerGroupCurrentMemberAssignmentValueCodec,
  consumerGroupMemberMetadataKeyCodec,
  consumerGroupMemberMetadataValueCodec,
  consumerGroupMetadataKeyCodec,
  consumerGroupMetadataValueCodec,
  consumerGroupTargetAssignmentMemberKeyCodec,
  consumerGroupTargetAssignmentMemberValueCodec,
  consumerGroupTargetAssignmentMetadataKeyCodec,
  consumerGroupTargetAssignmentMetadataValueCodec,
  groupMetadataKeyCodec,
  groupMetadataValueCodec,
  offsetCommitKeyCodec,
  offsetCommitValueCodec,
  type ConsumerGroupCurrentMemberAssignmentValue,
  type ConsumerGroupMemberMetadataValue,
  type ConsumerGroupMetadataValue,
  type ConsumerGroupTargetAssignmentMemberValue,
  type ConsumerGroupTargetAssignmentMetadataValue,
  type GroupMetadataValue,
  type OffsetCommitValue,
  type RecordCodec,
} from '../../protocol/group-coordinator/index.js';

export type CoordinatorRecord =
  | { type: 'offset'; group: string; topic: string; partition: number; value: OffsetCommitValue | null }
  | { type: 'group'; group: string; value: GroupMetadataValue | null }
  | { type: 'consumerGroup'; group: string; value: ConsumerGroupMetadataValue | null }
  | { type: 'consumerMember'; group: string; memberId: string; value: ConsumerGroupMemberMetadataValue | null }
  | { type: 'targetAssignmentMetadata'; group: string; value: ConsumerGroupTargetAssignmentMetadataValue | null }
  | { type: 'targetAssignmentMember'; group: string; memberId: string; value: ConsumerGroupTargetAssignmentMemberValue | null }
  | { type: 'currentAssignment'; group: string; memberId: string; value: ConsumerGroupCurrentMemberAssignmentValue | null };

const OFFSET_VALUE_VERSION = 3;
const GROUP_VALUE_VERSION = 3;

function encode<T>(codec: RecordCodec<T>, version: number, x: T): Buffer {
  const w = new Writer(128);
  w.int16(version);
  codec.encode(w, x, version);
  return w.toBuffer();
}

function decodeValue<T>(codec: RecordCodec<T>, value: Buffer | null): T | null {
  if (value === null) return null;
  const r = new Reader(value);
  const version = r.int16();
  return codec.decode(r, version);
}

export function encodeCoordinatorRecord(rec: CoordinatorRecord): { key: Buffer; value: Buffer | null } {
  switch (rec.type) {
    case 'offset':
      return {
        key: encode(offsetCommitKeyCodec, 1, { group: rec.group, topic: rec.topic, partition: rec.partition }),
        value: rec.value && encode(offsetCommitValueCodec, OFFSET_VALUE_VERSION, rec.value),
      };
    case 'group':
      return { key: encode(groupMetadataKeyCodec, 2, { group: rec.group }), value: rec.value && encode(groupMetadataValueCodec, GROUP_VALUE_VERSION, rec.value) };
    case 'consumerGroup':
      return { key: encode(consumerGroupMetadataKeyCodec, 3, { groupId: rec.group }), value: rec.value && encode(consumerGroupMetadataValueCodec, 0, rec.value) };
    case 'consumerMember':
      return {
        key: encode(consumerGroupMemberMetadataKeyCodec, 5, { groupId: rec.group, memberId: rec.memberId }),
        value: rec.value && encode(consumerGroupMemberMetadataValueCodec, 0, rec.value),
      };
    case 'targetAssignmentMetadata':
      return {
        key: encode(consumerGroupTargetAssignmentMetadataKeyCodec, 6, { groupId: rec.group }),
        value: rec.value && encode(consumerGroupTargetAssignmentMetadataValueCodec, 0, rec.value),
      };
    case 'targetAssignmentMember':
      return {
        key: encode(consumerGroupTargetAssignmentMemberKeyCodec, 7, { groupId: rec.group, memberId: rec.memberId }),
        value: rec.value && encode(consumerGroupTargetAssignmentMemberValueCodec, 0, rec.value),
      };
    case 'currentAssignment':
      return {
        key: encode(consumerGroupCurrentMemberAssignmentKeyCodec, 8, { groupId: rec.group, memberId: rec.memberId }),
        value: rec.value && encode(consumerGroupCurrentMemberAssignmentValueCodec, 0, rec.value),
      };
  }
}

/** Decodes a record of `__consumer_offsets`; null for key types this broker does not use (share groups, partition metadata). */
export function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): CoordinatorRecord | null {
  const r = new Reader(key);
  const version = r.int16();
  switch (version) {
    case 0:
    case 1: {
      const k = offsetCommitKeyCodec.decode(r, version);
      return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: decodeValue(offsetCommitValueCodec, value) };
    }
    case 2:
      return { type: 'group', group: groupMetadataKeyCodec.decode(r, 2).group, value: decodeValue(groupMetadataValueCodec, value) };
    case 3:
      return { type: 'consumerGroup', group: consumerGroupMetadataKeyCodec.decode(r, 3).groupId, value: decodeValue(consumerGroupMetadataValueCodec, value) };
    case 5: {
      const k = consumerGroupMemberMetadataKeyCodec.decode(r, 5);
      return { type: 'consumerMember', group: k.groupId, memberId: k.memberId, value: decodeValue(consumerGroupMemberMetadataValueCodec, value) };
    }
    case 6:
      return { type: 'targetAssignmentMetadata', group: consumerGroupTargetAssignmentMetadataKeyCodec.decode(r, 6).groupId, value: decodeValue(consumerGroupTargetAssignmentMetadataValueCodec, value) };
    case 7: {
      const k = consumerGroupTargetAssignmentMemberKeyCodec.decode(r, 7);
      return { type: 'targetAssignmentMember', group: k.groupId, memberId: k.memberId, value: decodeValue(consumerGroupTargetAssignmentMemberValueCodec, value) };
    }
    case 8: {
      const k = consumerGroupCurrentMemberAssignmentKeyCodec.decode(r, 8);
      return { type: 'currentAssignment', group: k.groupId, memberId: k.memberId, value: decodeValue(consumerGroupCurrentMemberAssignmentValueCodec, value) };
    }
    case 4:
    case 9:
    case 10:
    case 11:
    case 12:
      return null;
    default:
      throw new ProtocolError('CORRUPT_RECORD', `unknown __consumer_offsets key version ${version}`);
  }
}
