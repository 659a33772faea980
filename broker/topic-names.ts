/** Kafka's all-zero topic id, and its topic name rules (shared with the controller). */
export { topicNameError } from '../controller/topic-control.js';

/** Uuid.ZERO_UUID in the base64url form the generated codecs use. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
