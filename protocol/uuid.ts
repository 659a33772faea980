/**
 * Kafka's well-known Uuid values in the base64url form the generated codecs read and write
 * (Uuids are 22-character strings here; see protocol/codec/reader.ts).
 */

/** Uuid.ZERO_UUID: "no topic id", as requests by name and responses without ids carry it. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
