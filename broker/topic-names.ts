/** Kafka's topic name rules (shared with the controller). */
export { topicNameError } from '../controller/topic-control.js';
