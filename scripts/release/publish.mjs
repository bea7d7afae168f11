#!/usr/bin/env node
// `pnpm release`: builds the packages (turbo) and runs `changeset publish` against the private
// registry that configuration names for the @marketplace scope. Never a hard-coded host, and
// never the public npm registry by accident: with no registry configured it stops before building.
//
// Where the registry comes from, first match wins:
//   1. env MARKETPLACE_REGISTRY (e.g. https://npm.example.internal/)
//   2. an `@marketplace:registry=...` line in an .npmrc that pnpm reads (the user's ~/.npmrc,
//      the file named by NPM_CONFIG_USERCONFIG, or the project's .npmrc)
// pnpm 12 reads neither `npm_config_@scope:registry` variables nor `${VAR}` in .npmrc, so the
// variable is turned into a temporary user config (the current one plus the scope line) for the
// publish run. The auth token stays where it is: `//host/:_authToken=...` in that user config.
//
// Extra arguments go to `changeset publish` (e.g. `pnpm release --no-git-tag`, `--tag next`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const SCOPE = '@marketplace';
const root = new URL('../..', import.meta.url).pathname;

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(1);
}

function configuredRegistry() {
  // biome-ignore lint/suspicious/noUndeclaredEnvVars: a release script, not a turbo task
  const fromEnv = process.env.MARKETPLACE_REGISTRY?.trim();
  if (fromEnv) return { registry: fromEnv, source: 'MARKETPLACE_REGISTRY' };
  const result = spawnSync('pnpm', ['config', 'get', `${SCOPE}:registry`], { cwd: root, encoding: 'utf8' });
  const value = result.status === 0 ? result.stdout.trim() : '';
  if (value && value !== 'undefined') return { registry: value, source: '.npmrc' };
  return undefined;
}

const found = configuredRegistry();
if (!found) {
  fail(
    `no registry configured for ${SCOPE}. Set MARKETPLACE_REGISTRY=https://your-registry/ or add ` +
      `"${SCOPE}:registry=https://your-registry/" to your user .npmrc (with its //host/:_authToken line).`,
  );
}
let url;
try {
  url = new URL(found.registry);
} catch {
  fail(`${found.source} gives "${found.registry}", which is not a URL`);
}
if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${found.registry} is not an http(s) URL`);
if (/(^|\.)npmjs\.(org|com)$/i.test(url.hostname) || url.hostname === 'registry.yarnpkg.com') {
  fail(`${found.registry} is a public registry; ${SCOPE} packages are published to the private one only`);
}
const registry = url.href.endsWith('/') ? url.href : `${url.href}/`;

const env = { ...process.env, [`npm_config_${SCOPE}:registry`]: registry };
let overlayDir;
if (found.source === 'MARKETPLACE_REGISTRY') {
  const { NPM_CONFIG_USERCONFIG, npm_config_userconfig } = process.env;
  const userConfig = NPM_CONFIG_USERCONFIG ?? npm_config_userconfig ?? join(homedir(), '.npmrc');
  const current = existsSync(userConfig) ? readFileSync(userConfig, 'utf8') : '';
  overlayDir = mkdtempSync(join(tmpdir(), 'marketplace-release-'));
  const overlay = join(overlayDir, '.npmrc');
  writeFileSync(overlay, `${current}\n${SCOPE}:registry=${registry}\n`, { mode: 0o600 });
  env.NPM_CONFIG_USERCONFIG = overlay;
  delete env.npm_config_userconfig;
}
// What `pnpm publish` will actually use (a project .npmrc line would win over the user config).
const effective = spawnSync('pnpm', ['config', 'get', `${SCOPE}:registry`], {
  cwd: root,
  env,
  encoding: 'utf8',
});
const effectiveRegistry = effective.stdout?.trim().replace(/\/?$/, '/');
if (effectiveRegistry !== registry) {
  if (overlayDir) rmSync(overlayDir, { recursive: true, force: true });
  fail(
    `pnpm would publish ${SCOPE} to ${effectiveRegistry}, not ${registry}: is it set in a project .npmrc?`,
  );
}

const cleanup = () => {
  if (overlayDir) rmSync(overlayDir, { recursive: true, force: true });
};
let child;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child?.kill(signal);
  });
}
/** Runs a command with inherited output; resolves with its exit code. */
function exec(command, args, childEnv) {
  return new Promise((resolve) => {
    child = spawn(command, args, { cwd: root, env: childEnv, stdio: 'inherit' });
    child.on('error', (error) => {
      console.error(`release: cannot run ${command}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const args = process.argv.slice(2);
if (args[0] === '--') args.shift();
console.log(`release: building the packages`);
let code = await exec('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=./packages/*'], process.env);
if (code === 0) {
  console.log(`release: publishing ${SCOPE}/* to ${registry} (from ${found.source})`);
  code = await exec('pnpm', ['exec', 'changeset', 'publish', ...args], env);
}
cleanup();
process.exit(code);
