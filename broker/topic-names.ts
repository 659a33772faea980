/** Kafka's rules for topic names and the all-zero topic id (Kafka's Topic and Uuid classes). */

/** Uuid.ZERO_UUID in the base64url form the generated codecs use. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

/** Why a topic name is invalid, or null when it is valid. */
export function topicNameError(name: string): string | null {
  if (name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}
