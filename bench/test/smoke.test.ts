/**
 * Smoke test of `make bench`: the suite in --quick mode (a fresh broker, a few thousand records,
 * 200 round trips) exits 0 and writes every section of its report. No timing is asserted.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const suite = join(dirname(fileURLToPath(import.meta.url)), '..', 'suite.js');

t.test('bench suite --quick runs and writes its report', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-bench-smoke-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'results.md');
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  let output = '';
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [suite, '--quick', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'], env });
    child.stdout.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  t.equal(code, 0, `suite exits 0${code === 0 ? '' : `; output:\n${output.slice(-4000)}`}`);
  t.ok(existsSync(out), 'report written to --out');
  if (!existsSync(out)) return;
  const text = readFileSync(out, 'utf8');
  for (const section of [
    '# Samsa benchmark results',
    'Machine:',
    '## Produce',
    '## Consume',
    '## End-to-end latency',
    '## Broker process',
    '## Comparison with Apache Kafka and the Samsa goals',
    '## Broker log',
  ]) {
    t.ok(text.includes(section), `report has ${JSON.stringify(section)}`);
  }
  for (const row of ['100 B, acks=1', '100 B, acks=all', '1,000 B, acks=1', '1,000 B, acks=all', 'assign (no group)', 'group (subscribe)', 'launch to first Metadata']) {
    t.ok(text.includes(row), `report has a row for ${JSON.stringify(row)}`);
  }
});
