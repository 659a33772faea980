/** node-rdkafka clients in tests: connecting (ready, or the first error event) and disconnecting. */
import type { Client, KafkaClientEvents } from 'node-rdkafka';

/** Connects `client`; resolves to it once 'ready', rejects with the first 'event.error'. */
export function connected<C extends Client<KafkaClientEvents>>(client: C): Promise<C> {
  return new Promise<C>((resolve, reject) => {
    client.once('ready', () => resolve(client));
    client.once('event.error', reject);
    client.connect();
  });
}

export function disconnected(client: Client<KafkaClientEvents>): Promise<void> {
  return new Promise<void>((resolve) => client.disconnect(() => resolve()));
}
