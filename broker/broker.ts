/**
 * One Samsa node: the controller (a quorum of one), the log manager, the replica manager and the
 * socket server, wired together. Handlers reach the subsystems they use through its HandlerContext.
 */
import { QuorumController } from '../controller/quorum-controller.js';
import type { BrokerRegistration, MetadataImage } from '../controller/image.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { FileSystem } from '../storage/fs/file-system.js';
import type { ServerConfig } from '../config/server-config.js';
import { FetchSessionCache } from './fetch/fetch-session-cache.js';
import { GroupCoordinator } from './group/group-coordinator.js';
import { Logger } from './logger.js';
import { SocketServer } from './network/server.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { ReplicaManager } from './replica-manager.js';
import { BufferPool } from './buffer-pool.js';
import { BrokerRequestDispatcher } from './request-dispatcher.js';
import { LogDirLock } from './log-dir-lock.js';
import { describeErrno, StartupError } from './startup-error.js';
import type { HandlerContext, ListenerAddress } from './handlers/handler-context.js';

/** What `samsa.debug.poison.buffers` fills released buffers with: 'L', easy to spot in a dump. */
const POISON_BYTE = 0x4c;

export type { ListenerAddress };

export interface BrokerStartOptions {
  /** The file system under the partition logs (tests use an in-memory one that injects faults). */
  fs?: FileSystem;
}

export class Broker {
  private server: SocketServer | null = null;
  private boundPort = 0;
  private closed = false;
  /** Aborted when the broker starts shutting down: long-polling fetches answer at once. */
  private readonly shutdown = new AbortController();
  /** Request frames and Fetch read buffers, reused once their responses are written. */
  readonly buffers: BufferPool;
  /** What request handlers may use of this broker. */
  readonly handlerContext: HandlerContext;

  private constructor(
    readonly config: ServerConfig,
    readonly logger: Logger,
    readonly controller: QuorumController,
    readonly replicaManager: ReplicaManager,
    readonly fetchSessions: FetchSessionCache,
    readonly producerIds: ProducerIdManager,
    readonly groups: GroupCoordinator,
    private readonly logDirLocks: readonly LogDirLock[],
  ) {
    this.buffers = new BufferPool(undefined, config.poisonBuffers ? POISON_BYTE : null);
    this.handlerContext = {
      config,
      logger,
      replicaManager,
      groups,
      controller,
      producerIds,
      fetchSessions,
      buffers: this.buffers,
      shutdownSignal: this.shutdown.signal,
      image: () => this.image(),
      advertisedListenerOf: (b) => this.advertisedListenerOf(b),
      autoCreateTopics: (names) => this.autoCreateTopics(names),
    };
  }

  /**
   * Takes the data directory (creating it), opens metadata and logs, then listens. A failure an
   * operator can fix throws a `StartupError` naming the setting and the path or port; whatever was
   * opened is closed again and the data directory released, so a later start in this process works.
   */
  static async start(config: ServerConfig, logger = new Logger(), opts: BrokerStartOptions = {}): Promise<Broker> {
    const listener = config.listeners[0]!;
    // Every log directory and the metadata log's is locked (Kafka's LogManager.lockLogDirs).
    const locks: LogDirLock[] = [];
    const releaseLocks = async (): Promise<void> => {
      for (const l of locks.splice(0).reverse()) await l.release();
    };
    try {
      for (const dir of new Set([config.metadataLogDir, ...config.logDirs])) locks.push(await LogDirLock.acquire(dir));
    } catch (e) {
      await releaseLocks().catch(() => undefined);
      throw e;
    }
    let controller: QuorumController | null = null;
    let replicaManager: ReplicaManager | null = null;
    let groups: GroupCoordinator | null = null;
    try {
      controller = await QuorumController.open({
        dataDir: config.metadataLogDir,
        nodeId: config.nodeId,
        listeners: config.advertisedListeners.length > 0 ? config.advertisedListeners : config.listeners,
        config,
        fsync: config.fsyncEnabled,
        log: (msg) => logger.info(`metadata log: ${msg}`),
      });
      replicaManager = await ReplicaManager.open(config, controller, logger, opts.fs);
      const producerIds = new ProducerIdManager(controller, config.nodeId);
      groups = new GroupCoordinator(config, controller, replicaManager, logger);
      groups.start();
      const broker = new Broker(config, logger, controller, replicaManager, new FetchSessionCache(config.maxIncrementalFetchSessionCacheSlots), producerIds, groups, locks);
      const server = new SocketServer(new BrokerRequestDispatcher(broker.handlerContext), {
        maxFrameBytes: config.socketRequestMaxBytes,
        maxInFlight: 100,
        maxInFlightBytes: 4 << 20,
        allocateFrame: (size) => broker.buffers.take(size),
        maxConnections: config.maxConnections,
        maxConnectionsPerIp: config.maxConnectionsPerIp,
        maxConnectionsPerIpOverrides: config.maxConnectionsPerIpOverrides,
        maxConnectionCreationRate: config.maxConnectionCreationRate,
        connectionsMaxIdleMs: config.connectionsMaxIdleMs,
        refusalLogIntervalMs: config.connectionRefusalLogIntervalMs,
        log: (level, msg) => logger.log(level, msg),
      });
      let addr: ListenerAddress;
      try {
        addr = await server.listen(listener.host, listener.port);
      } catch (e) {
        broker.fetchSessions.close();
        throw new StartupError(`listeners: cannot listen on ${listener.host}:${listener.port}: ${describeErrno(e)}`);
      }
      broker.server = server;
      broker.boundPort = addr.port;
      // Once started, so that a failed start prints only its one line.
      if (config.poisonBuffers) {
        logger.warn(`samsa.debug.poison.buffers=true: released buffers are filled with 0x${POISON_BYTE.toString(16)} (debugging; slower)`);
      }
      if (!config.fsyncEnabled) {
        logger.warn('samsa.log.fsync.enable=false: data is never fsynced; a machine crash can lose acknowledged writes');
      }
      return broker;
    } catch (e) {
      // Best effort: the start-up error is what the caller needs to see.
      const quietly = async (fn: () => unknown): Promise<void> => {
        try {
          await fn();
        } catch (closeError) {
          logger.debug(`closing after a failed start: ${String(closeError)}`);
        }
      };
      await quietly(() => groups?.close());
      await quietly(() => replicaManager?.close());
      await quietly(() => controller?.close());
      await quietly(releaseLocks);
      throw e;
    }
  }

  /** The address clients connect to (the first listener, with the port actually bound). */
  get address(): ListenerAddress {
    const l = this.config.listeners[0]!;
    return { host: l.host, port: this.boundPort };
  }

  image(): MetadataImage {
    return this.controller.image();
  }

  /**
   * Where clients reach broker `b`. For this node the port actually bound is used, so that a
   * listener on port 0 advertises the real port.
   */
  advertisedListenerOf(b: BrokerRegistration): ListenerAddress {
    const l = b.listeners[0]!;
    if (b.id === this.config.nodeId) {
      const advertised = this.config.advertisedListeners[0] ?? this.config.listeners[0]!;
      const port = advertised.port === 0 ? this.boundPort : advertised.port;
      return { host: advertised.host === '0.0.0.0' || advertised.host === '' ? '127.0.0.1' : advertised.host, port };
    }
    return { host: l.host, port: l.port };
  }

  /** Creates topics with the broker's defaults (Metadata auto-creation); error code per name. */
  async autoCreateTopics(names: string[]): Promise<Map<string, number>> {
    const results = await this.controller.createTopics(
      names.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
      false,
    );
    const out = new Map<string, number>();
    for (const r of results) {
      out.set(r.name, r.errorCode);
      if (r.errorCode === ErrorCode.NONE) this.logger.info(`auto-created topic ${r.name} with ${r.numPartitions} partitions`);
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.shutdown.abort();
    await this.server?.close();
    this.groups.close();
    this.fetchSessions.close();
    await this.replicaManager.close();
    await this.controller.close();
    for (const l of this.logDirLocks) await l.release();
    this.logger.info(`stopped; data in ${this.config.logDirs.join(',')}`);
  }
}
