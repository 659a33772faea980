/**
 * The embedded "consumer" protocol of classic groups: a member's subscription is an int16 version
 * followed by ConsumerProtocolSubscription. The broker reads it only to know which topics a group
 * consumes (OffsetDelete); assignment stays the clients' business.
 */
import { Reader } from '../../protocol/codec/reader.js';
import { decodeConsumerProtocolSubscription } from '../../protocol/messages/data/consumer-protocol-subscription.js';

const MAX_KNOWN_VERSION = 3;

/** Topics a consumer-protocol subscription names; [] when it cannot be read. */
export function subscribedTopics(metadata: Buffer): string[] {
  try {
    const r = new Reader(metadata);
    const version = r.int16();
    // Newer versions only append fields: read them as the newest version known.
    return decodeConsumerProtocolSubscription(r, Math.min(Math.max(version, 0), MAX_KNOWN_VERSION)).topics;
  } catch {
    return [];
  }
}
