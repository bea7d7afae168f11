#!/usr/bin/env node
// Runs publint and arethetypeswrong on every publishable package (after `turbo run build`).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(root, 'packages', d.name));

let failed = 0;
for (const dir of dirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  for (const [cmd, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.', '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    process.stdout.write(`${pkg.name}: ${cmd} ... `);
    try {
      execFileSync(join(root, 'node_modules', '.bin', cmd), args, { cwd: dir, stdio: 'pipe' });
      process.stdout.write('ok\n');
    } catch (error) {
      failed++;
      process.stdout.write('FAILED\n');
      process.stdout.write(String(error.stdout ?? ''));
      process.stdout.write(String(error.stderr ?? ''));
    }
  }
}
if (failed > 0) {
  console.error(`${failed} package check(s) failed`);
  process.exit(1);
}
console.log(`package checks passed for ${dirs.length} packages`);
