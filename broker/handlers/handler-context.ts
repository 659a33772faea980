/**
 * What request handlers may use of their broker, built once by the Broker: the replica manager
 * for partitions, the group coordinator, the controller for metadata changes, and the few other
 * pieces a handler needs. Handlers see this rather than the Broker itself, so that they depend on
 * the subsystems they use and not on what starts and stops them.
 */
import type { BrokerRegistration, MetadataImage } from '../../controller/image.js';
import type { QuorumController } from '../../controller/quorum-controller.js';
import type { BufferPool } from '../buffer-pool.js';
import type { ServerConfig } from '../../config/server-config.js';
import type { FetchSessionCache } from '../fetch/fetch-session-cache.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import type { Logger } from '../logger.js';
import type { ProducerIdManager } from '../producer-id-manager.js';
import type { ReplicaManager } from '../replica-manager.js';

/** The controller as handlers use it: the metadata image and the changes they forward. */
export type ControllerClient = Pick<QuorumController, 'image' | 'quorumState' | 'createTopics' | 'deleteTopics' | 'createPartitions' | 'alterConfigs'>;

export interface ListenerAddress {
  host: string;
  port: number;
}

export interface HandlerContext {
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly replicaManager: ReplicaManager;
  readonly groups: GroupCoordinator;
  readonly controller: ControllerClient;
  readonly producerIds: ProducerIdManager;
  readonly fetchSessions: FetchSessionCache;
  /** Request frames and Fetch read buffers, reused once their responses are written. */
  readonly buffers: BufferPool;
  /** Aborted when the broker starts shutting down: long-polling fetches answer at once. */
  readonly shutdownSignal: AbortSignal;
  /** The current metadata image. */
  image(): MetadataImage;
  /** Where clients reach broker `b` (for this node, with the port actually bound). */
  advertisedListenerOf(b: BrokerRegistration): ListenerAddress;
  /** Creates topics with the broker's defaults (Metadata auto-creation); error code per name. */
  autoCreateTopics(names: string[]): Promise<Map<string, number>>;
}
