/**
 * Broker start-up with several log directories on disk: every one of `log.dirs` and
 * `metadata.log.dir` is locked (a second broker sharing any of them is refused, naming it), the
 * metadata log lives in `metadata.log.dir`, partitions are spread over `log.dirs`, and the locks
 * are released at close.
 */
import t from 'tap';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../broker.js';
import { loadServerConfig } from '../../config/server-config.js';
import { Logger } from '../logger.js';
import { StartupError } from '../startup-error.js';
import { RawConnection } from '../../protocol/test/raw-client.js';
import { createTopicsApi, defaultCreateTopicsRequest } from '../../protocol/messages/index.js';

const root = mkdtempSync(join(tmpdir(), 'samsa-broker-dirs-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const a = join(root, 'a');
const b = join(root, 'b');
const meta = join(root, 'meta');

function start(logDirs: string, metadataLogDir?: string): Promise<Broker> {
  const overrides: Record<string, string> = { 'log.dirs': logDirs, 'samsa.listener.port': '0', 'offsets.topic.num.partitions': '1' };
  if (metadataLogDir !== undefined) overrides['metadata.log.dir'] = metadataLogDir;
  return Broker.start(loadServerConfig({ overrides }), new Logger('warn', () => undefined));
}

t.test('every log directory and the metadata log directory is locked; partitions are spread over log.dirs', async (t) => {
  const broker = await start(`${a},${b}`, meta);
  try {
    t.ok(existsSync(join(meta, '__cluster_metadata-0')), 'the metadata log is in metadata.log.dir');
    t.notOk(existsSync(join(a, '__cluster_metadata-0')), 'not in the first log directory');
    for (const dir of [a, b, meta]) {
      const err = await start(join(root, 'other') + ',' + dir).then(
        (other) => other.close().then(() => null),
        (e: unknown) => e,
      );
      t.ok(err instanceof StartupError, `a second broker sharing ${dir} is refused`);
      t.match(String(err), `log.dirs ${dir} is already in use by another broker in this process`);
    }
    const conn = await RawConnection.open(broker.address.host, broker.address.port);
    const res = await conn.request(createTopicsApi, 7, { ...defaultCreateTopicsRequest(), topics: [{ name: 'spread', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }] });
    conn.close();
    t.equal(res.topics[0]!.errorCode, 0);
    for (let p = 0; p < 4; p++) await broker.replicaManager.partition('spread', p)!.getLog();
    const inA = readdirSync(a).filter((n) => n.startsWith('spread-')).length;
    const inB = readdirSync(b).filter((n) => n.startsWith('spread-')).length;
    t.same([inA, inB], [2, 2], 'two partitions in each log directory');
  } finally {
    await broker.close();
  }
  const again = await start(`${b},${a}`, meta);
  t.ok(again, 'the locks were released at close');
  t.same(
    [0, 1, 2, 3].map((p) => again.replicaManager.logs.logDirOf(`spread-${p}`)),
    [0, 1, 2, 3].map((p) => (existsSync(join(a, `spread-${p}`)) ? a : b)),
    'with the list reordered, each partition is found where it is',
  );
  await again.close();
});
