/**
 * Protocol versions newer than the spec snapshot the generator reads, described as changes to it.
 * Clients released after that snapshot speak them and accept nothing older: librdkafka 2.12 and
 * the Java 4.0 client only send ConsumerGroupHeartbeat v1 (the KIP-848 protocol as released,
 * with SubscribedTopicRegex and client-generated member ids, KIP-1082). Each overlay states the
 * versions and fields Kafka added; the generator applies them to the loaded spec.
 */
import type { FieldSpec, MessageSpec } from './spec.js';

export interface SpecOverlay {
  /** Spec name (`ConsumerGroupHeartbeatRequest`). */
  name: string;
  validVersions: string;
  /** Fields to insert, each after the named existing field. */
  addFields?: ReadonlyArray<{ after: string; field: FieldSpec }>;
}

export const SPEC_OVERLAYS: readonly SpecOverlay[] = [
  {
    name: 'ConsumerGroupHeartbeatRequest',
    validVersions: '0-1',
    addFields: [
      {
        after: 'SubscribedTopicNames',
        field: {
          name: 'SubscribedTopicRegex',
          type: 'string',
          versions: '1+',
          nullableVersions: '1+',
          default: 'null',
          about: "null if it didn't change since the last heartbeat; the subscribed topic regex otherwise.",
        },
      },
    ],
  },
  { name: 'ConsumerGroupHeartbeatResponse', validVersions: '0-1' },
];

/** Applies the overlay for `spec`, if any; returns whether one applied. */
export function applyOverlay(spec: MessageSpec): boolean {
  const overlay = SPEC_OVERLAYS.find((o) => o.name === spec.name);
  if (overlay === undefined) return false;
  spec.validVersions = overlay.validVersions;
  for (const { after, field } of overlay.addFields ?? []) {
    if (spec.fields.some((f) => f.name === field.name)) continue;
    const i = spec.fields.findIndex((f) => f.name === after);
    if (i < 0) throw new Error(`overlay for ${spec.name}: no field ${after}`);
    spec.fields.splice(i + 1, 0, field);
  }
  return true;
}
