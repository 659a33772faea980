#!/usr/bin/env node
// Runs every compiled test file under tap and ends with the line `N passed, N failed`, counting
// the top-level tests of each file (tap's own summary line is not one CI readers recognise).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js') && p.includes('/test/')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = findTests('dist', []).sort();
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('no test files found under dist/ (run make build first)');
  process.exit(1);
}

const child = spawn('npx', ['tap', '--reporter=tap', ...files], { stdio: ['ignore', 'pipe', 'inherit'] });
let passed = 0;
let failed = 0;
let skipped = 0;
let buffered = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffered += chunk.toString('utf8');
  let nl;
  while ((nl = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    // Level-1 results: the `t.test(...)` blocks inside each test file.
    const m = /^ {4}(not ok|ok) \d+/.exec(line);
    if (!m) continue;
    if (/# SKIP/i.test(line)) skipped++;
    else if (m[1] === 'ok') passed++;
    else failed++;
  }
});
child.on('close', (code) => {
  if (code !== 0 && failed === 0) failed = 1; // a file that crashed before reporting
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(code === 0 ? 0 : 1);
});
