/** Kafka's all-zero topic id, and its topic name rules (shared with the controller). */
export { topicNameError, ZERO_UUID } from '../controller/topic-control.js';
