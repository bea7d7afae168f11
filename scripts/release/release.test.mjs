#!/usr/bin/env node
// Release test (`pnpm test:release`): publishes every public package to a throwaway Verdaccio
// exactly as `pnpm release` does, inspects the published tarballs, then installs them into two
// plain npm projects outside the workspace (ESM and CommonJS), type-checks a TypeScript program
// against their types, runs it and asserts its output. A third project installs them with its
// own, older kafkajs and AWS SDK clients (inside the packages' peer ranges) and shows that one
// copy of each is installed and that the packages take its clients.
//
// Prints progress lines and ends with `release test: N passed, M failed`; exits non-zero on any
// failure. RELEASE_TEST_KEEP=1 keeps the temporary directory (and prints where it is).
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { checkManifest, checkSourceMap, checkTarballFiles } from './checks.mjs';
import { cleanEnv, killGroup, run } from './processes.mjs';
import { addUser, startVerdaccio, verdaccioVersion } from './verdaccio.mjs';

const root = resolve(new URL('../..', import.meta.url).pathname);
const here = join(root, 'scripts', 'release');
const TYPESCRIPT = '5.9.3';
const TYPES_NODE = '24.19.4';
const CORE = ['@marketplace/product-events', '@marketplace/analytics-aggregator', '@marketplace/retry'];
/**
 * The third consumer's own client libraries: older releases than the workspace's (its
 * devDependencies), inside the packages' peer ranges (kafkajs ^2.2.3, AWS SDK ^3.1100.0).
 */
const SIBLING_PEERS = {
  kafkajs: '2.2.3',
  '@aws-sdk/client-dynamodb': '3.1100.0',
  '@aws-sdk/client-s3': '3.1100.0',
  '@aws-sdk/lib-storage': '3.1100.0',
};
const started = Date.now();

const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const progress = (message) => console.log(`[release-test ${elapsed()}] ${message}`);

let passed = 0;
let failed = 0;
const failures = [];

/** Records one named check: `fn` returns a list of problems (or throws). */
async function check(name, fn) {
  try {
    const problems = (await fn()) ?? [];
    if (problems.length === 0) {
      passed++;
      progress(`ok   ${name}`);
      return true;
    }
    failed++;
    failures.push(name);
    progress(`FAIL ${name}\n       - ${problems.join('\n       - ')}`);
  } catch (error) {
    failed++;
    failures.push(name);
    progress(`FAIL ${name}\n${error instanceof Error ? error.message : String(error)}`);
  }
  return false;
}

/** A step that later steps need: a failure ends the test. */
async function step(name, fn) {
  try {
    const result = await fn();
    passed++;
    progress(`ok   ${name}`);
    return result;
  } catch (error) {
    failed++;
    failures.push(name);
    progress(`FAIL ${name}\n${error instanceof Error ? error.message : String(error)}`);
    throw new StopError();
  }
}
class StopError extends Error {}

const deepEqualProblem = (label, actual, expected) =>
  isDeepStrictEqual(actual, expected)
    ? []
    : [
        `${label}\n         expected ${JSON.stringify(expected)}\n         actual   ${JSON.stringify(actual)}`,
      ];

function publicPackages() {
  const dirs = readdirSync(join(root, 'packages'), { withFileTypes: true }).filter((d) => d.isDirectory());
  const packages = [];
  for (const dir of dirs) {
    const path = join(root, 'packages', dir.name, 'package.json');
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      continue;
    }
    if (manifest.private) continue;
    packages.push({
      name: manifest.name,
      version: manifest.version,
      dir: join(root, 'packages', dir.name),
      manifest,
    });
  }
  return packages.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Expected metrics of one product from its raw event JSON, by docs/architecture.md#metrics. */
function oneProductMetrics(raw, threshold = 10) {
  const event = JSON.parse(raw);
  const d = event.data;
  const deleted = event.type === 'product.deleted';
  const value = deleted ? 0n : BigInt(d.priceCents) * BigInt(d.quantity);
  const low = !deleted && d.quantity < threshold;
  return {
    sellers: {
      [d.sellerId]: {
        totalProducts: 1,
        activeProducts: !deleted && d.status === 'active' ? 1 : 0,
        deletedProducts: deleted ? 1 : 0,
        totalValue: deleted ? {} : { [d.currency]: value.toString() },
        lowStockCount: low ? 1 : 0,
      },
    },
    categories: deleted
      ? {}
      : {
          [d.category]: {
            productCount: 1,
            pricedCount: { [d.currency]: '1' },
            totalValue: { [d.currency]: value.toString() },
            priceSum: { [d.currency]: String(d.priceCents) },
            averagePrice: { [d.currency]: String(d.priceCents) },
          },
        },
    lowStock: low
      ? [{ productId: event.productId, sellerId: d.sellerId, category: d.category, quantity: d.quantity }]
      : [],
  };
}

/** Metrics of the hand-written events of scenario.ts (threshold 10). */
const SPEC_METRICS = {
  sellers: {
    's-1': {
      totalProducts: 2,
      activeProducts: 1,
      deletedProducts: 1,
      totalValue: { USD: '23988' },
      lowStockCount: 0,
    },
    's-2': {
      totalProducts: 1,
      activeProducts: 1,
      deletedProducts: 0,
      totalValue: { JPY: '750' },
      lowStockCount: 1,
    },
  },
  categories: {
    // p-1 at 19.99 USD x 12 and p-3 at 250 JPY x 3: never added together.
    books: {
      productCount: 2,
      pricedCount: { JPY: '1', USD: '1' },
      totalValue: { JPY: '750', USD: '23988' },
      priceSum: { JPY: '250', USD: '1999' },
      averagePrice: { JPY: '250', USD: '1999' },
    },
  },
  lowStock: [{ productId: 'p-3', sellerId: 's-2', category: 'books', quantity: 3 }],
};

function consumerFiles(kind, registry, packages, { name, extraDependencies = {} } = {}) {
  const namespaces = packages.map((pkg, i) => `import * as pkg${i} from '${pkg.name}';`).join('\n');
  const entries = packages.map((pkg, i) => `  '${pkg.name}': pkg${i},`).join('\n');
  const subpaths = packages.flatMap((pkg) =>
    Object.keys(pkg.manifest.exports ?? {})
      .filter((key) => key !== '.' && key !== './package.json' && !key.includes('*'))
      .map((key) => `${pkg.name}/${key.slice(2)}`),
  );
  return {
    'package.json': `${JSON.stringify(
      {
        name: name ?? `sibling-service-${kind === 'module' ? 'esm' : 'cjs'}`,
        version: '1.0.0',
        private: true,
        type: kind,
        dependencies: Object.fromEntries([
          ...packages.map((pkg) => [pkg.name, pkg.version]),
          ...Object.entries(extraDependencies),
          ['@types/node', TYPES_NODE],
          ['typescript', TYPESCRIPT],
        ]),
      },
      null,
      2,
    )}\n`,
    // What a sibling service commits: only the scope goes to the private registry; the token
    // comes from the environment (npm expands ${VAR} in .npmrc).
    '.npmrc': `@marketplace:registry=${registry}\n//${new URL(registry).host}/:_authToken=\${MARKETPLACE_NPM_TOKEN}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2023'],
          types: ['node'],
          strict: true,
          noUncheckedIndexedAccess: true,
          verbatimModuleSyntax: false,
          esModuleInterop: true,
          skipLibCheck: false,
          noEmitOnError: true,
          rootDir: 'src',
          outDir: 'out',
        },
        include: ['src'],
      },
      null,
      2,
    )}\n`,
    'src/packages.ts': `// generated by scripts/release/release.test.mjs\n${namespaces}\n\nexport const packageNamespaces: Record<string, object> = {\n${entries}\n};\nexport const subpathExports: string[] = ${JSON.stringify(subpaths)};\n`,
  };
}

/** One consumer project (ESM or CommonJS): install, type-check, run, assert. Returns its output. */
async function consumerProject(kind, { registry, token, packages, work, workspaceExports }) {
  const label = kind === 'module' ? 'ESM' : 'CommonJS';
  const dir = join(work, `sibling-service-${kind === 'module' ? 'esm' : 'cjs'}`);
  mkdirSync(join(dir, 'src'), { recursive: true });
  for (const [name, content] of Object.entries(consumerFiles(kind, registry.url, packages))) {
    writeFileSync(join(dir, name), content);
  }
  copyFileSync(join(here, 'consumer', 'scenario.ts'), join(dir, 'src', 'scenario.ts'));
  const env = cleanEnv({ MARKETPLACE_NPM_TOKEN: token });
  progress(
    `${label} project: npm install (the @marketplace scope from ${registry.url}, the rest from the npm registry)`,
  );
  await step(
    `${label} project: npm install of ${packages.length} packages + typescript@${TYPESCRIPT} + @types/node@${TYPES_NODE}`,
    () =>
      run(
        'npm',
        ['install', '--no-audit', '--no-fund', '--omit-lockfile-registry-resolved=false', '--loglevel=error'],
        {
          cwd: dir,
          env,
          timeoutMs: 600_000,
        },
      ),
  );
  await check(
    `${label} project: @marketplace packages came from the private registry, nothing else did`,
    () => {
      const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
      const problems = [];
      for (const [path, entry] of Object.entries(lock.packages ?? {})) {
        if (!path.startsWith('node_modules/')) continue;
        const fromPrivate = String(entry.resolved ?? '').startsWith(registry.url);
        const isOurs = path.replace(/^.*node_modules\//, '').startsWith('@marketplace/');
        if (isOurs !== fromPrivate) problems.push(`${path} resolved from ${entry.resolved}`);
      }
      for (const pkg of packages) {
        if (lock.packages?.[`node_modules/${pkg.name}`]?.version !== pkg.version)
          problems.push(`${pkg.name} not installed`);
      }
      return problems;
    },
  );
  await step(
    `${label} project: tsc (module nodenext, strict, skipLibCheck false) type-checks and compiles`,
    () =>
      run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
        cwd: dir,
        env,
        timeoutMs: 300_000,
      }),
  );
  const result = await step(`${label} project: the program runs`, () =>
    run(process.execPath, [join(dir, 'out', 'scenario.js')], {
      cwd: dir,
      env: cleanEnv(),
      timeoutMs: 120_000,
    }),
  );
  const output = JSON.parse(result.stdout.trim().split('\n').at(-1));
  await check(`${label} project: runs as ${kind}`, () => deepEqualProblem('format', output.format, kind));
  await check(`${label} project: hand-written events parse, apply and give the spec's metrics`, () => [
    ...deepEqualProblem('apply results', output.spec.results, [
      'applied',
      'applied',
      'applied',
      'duplicate',
      'stale',
      'applied',
      'applied',
    ]),
    ...deepEqualProblem('encode/parse round trips', output.spec.roundTrips, 7),
    ...deepEqualProblem('metrics', output.spec.metrics, SPEC_METRICS),
    ...deepEqualProblem('rejections', output.spec.rejected, ['SCHEMA_VIOLATION', 'KEY_MISMATCH']),
  ]);
  await check(`${label} project: a generated event parses, applies and gives its own metrics`, () => {
    const g = output.generated;
    return [
      ...deepEqualProblem('first apply', g.firstApply, 'applied'),
      ...deepEqualProblem('metrics of the first event', g.firstMetrics, oneProductMetrics(g.firstValue)),
    ];
  });
  await check(
    `${label} project: the seeded stream is deterministic and every message is classified right`,
    () => {
      const g = output.generated;
      const c = g.counts;
      return [
        ...deepEqualProblem('same stream for the same seed', g.sameStreamAgain, true),
        ...deepEqualProblem('malformed messages accepted', c.malformedAccepted, 0),
        ...deepEqualProblem('well-formed messages rejected', c.wellFormedRejected, 0),
        ...deepEqualProblem('malformed messages rejected with another code', c.reasonMismatch, 0),
        ...deepEqualProblem('duplicates applied', c.duplicateApplied, 0),
        ...deepEqualProblem('products not at their latest version', g.latestVersionMismatch, 0),
        ...(c.invalid > 0 && c.duplicates > 0
          ? []
          : [`no malformed (${c.invalid}) or duplicate (${c.duplicates}) messages`]),
        ...deepEqualProblem('ok + invalid = messages', c.ok + c.invalid, g.messages),
        ...deepEqualProblem('applied + duplicate + stale = ok', c.applied + c.duplicate + c.stale, c.ok),
        ...deepEqualProblem('sum of totalProducts = products', g.totalProducts, g.products),
        ...(g.messages >= 100 ? [] : [`only ${g.messages} messages`]),
      ];
    },
  );
  await check(`${label} project: withRetry retries, gives up and rethrows as documented`, () =>
    deepEqualProblem('retry', output.retry, {
      value: 'ok after 3',
      attempts: [1, 2, 3],
      reported: [1, 2],
      exhausted: { code: 'RETRIES_EXHAUSTED', attempts: 3, cause: 'still throttled' },
      permanent: { attempts: 1, rethrown: true },
    }),
  );
  await check(`${label} project: every package loads with the same exports as the workspace build`, () => [
    ...deepEqualProblem('exports', output.exports, workspaceExports),
    ...CORE.filter((name) => (output.exports[name] ?? []).length === 0).map(
      (name) => `${name} exports nothing`,
    ),
    ...Object.entries(output.subpaths)
      .filter(([, type]) => type !== 'object')
      .map(([specifier, type]) => `${specifier} loaded as ${type}`),
  ]);
  return output;
}

/**
 * The third consumer: a sibling service with its own kafkajs and AWS SDK clients (SIBLING_PEERS).
 * npm installs one copy of each (the packages declare them as peer dependencies), `tsc`
 * type-checks a program passing those clients to the packages, and the program shows from
 * inside each package which copy it loads.
 */
async function siblingWithOwnClients({ registry, token, packages, work }) {
  const label = 'Own-clients project';
  const dir = join(work, 'sibling-service-own-clients');
  mkdirSync(join(dir, 'src'), { recursive: true });
  const files = consumerFiles('module', registry.url, packages, {
    name: 'sibling-service-own-clients',
    extraDependencies: SIBLING_PEERS,
  });
  delete files['src/packages.ts'];
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  copyFileSync(join(here, 'consumer', 'peers.ts'), join(dir, 'src', 'peers.ts'));
  const env = cleanEnv({ MARKETPLACE_NPM_TOKEN: token });
  const peerList = Object.entries(SIBLING_PEERS)
    .map(([name, version]) => `${name}@${version}`)
    .join(', ');

  await check(`${label}: its client versions differ from the workspace's and are peer dependencies`, () => {
    const problems = [];
    for (const [name, version] of Object.entries(SIBLING_PEERS)) {
      const declaring = packages.filter((pkg) => pkg.manifest.peerDependencies?.[name]);
      if (declaring.length === 0) problems.push(`no package declares ${name} as a peer dependency`);
      for (const pkg of declaring) {
        if (pkg.manifest.dependencies?.[name]) problems.push(`${pkg.name} also depends on ${name}`);
        if (pkg.manifest.devDependencies?.[name] === version)
          problems.push(`${pkg.name} tests with ${name}@${version} itself: choose another version`);
      }
    }
    return problems;
  });
  await step(`${label}: npm install of ${packages.length} packages + ${peerList}`, () =>
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--omit-lockfile-registry-resolved=false', '--loglevel=error'],
      { cwd: dir, env, timeoutMs: 600_000 },
    ),
  );
  await check(`${label}: npm ls shows exactly one copy of each client library, its own version`, async () => {
    const names = Object.keys(SIBLING_PEERS);
    // Exits non-zero on a missing or out-of-range peer (ELSPROBLEMS).
    const result = await run('npm', ['ls', '--all', '--parseable', '--long', ...names], {
      cwd: dir,
      env,
      allowFailure: true,
      timeoutMs: 120_000,
    });
    const problems = result.code === 0 ? [] : [`npm ls exited ${result.code}: ${result.stderr.trim()}`];
    const copies = new Map(names.map((name) => [name, new Set()]));
    for (const line of result.stdout.split('\n').filter(Boolean)) {
      const [, spec] = line.split(':');
      const at = spec?.lastIndexOf('@') ?? -1;
      const name = at > 0 ? spec.slice(0, at) : undefined;
      if (name && copies.has(name)) copies.get(name).add(line);
    }
    for (const [name, lines] of copies) {
      const expected = `${name}@${SIBLING_PEERS[name]}`;
      if (lines.size !== 1 || ![...lines][0].split(':')[1]?.startsWith(expected))
        problems.push(`${name}: expected one copy, ${expected}; npm ls: ${[...lines].join(' | ') || 'none'}`);
    }
    return problems;
  });
  await step(`${label}: tsc type-checks a program passing its own clients to the packages`, () =>
    run(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], {
      cwd: dir,
      env,
      timeoutMs: 300_000,
    }),
  );
  const result = await step(`${label}: the program runs`, () =>
    run(process.execPath, [join(dir, 'out', 'peers.js')], { cwd: dir, env: cleanEnv(), timeoutMs: 120_000 }),
  );
  const output = JSON.parse(result.stdout.trim().split('\n').at(-1));
  await check(`${label}: every package loads the project's own copy of each client library`, () => {
    const problems = [];
    for (const [peer, seen] of Object.entries(output.resolved)) {
      const own = seen['sibling-service'];
      if (!own?.includes(`${dir}/node_modules/${peer}/`))
        problems.push(`${peer}: the project resolves ${own}`);
      for (const [pkg, file] of Object.entries(seen)) {
        if (file !== own) problems.push(`${pkg} loads ${peer} from ${file}, the project from ${own}`);
      }
    }
    return [
      ...problems,
      ...deepEqualProblem('constructed', output.constructed, [
        'aggregateProcessor',
        'metricChangeConsumer',
        'dynamoDbMetricsSink',
        'metricsReader',
        's3MetricsArchive',
        'upload',
      ]),
    ];
  });
}

async function main() {
  const packages = publicPackages();
  progress(`public packages: ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`);
  const missingCore = CORE.filter((name) => !packages.some((pkg) => pkg.name === name));
  if (missingCore.length > 0) {
    await step('the core packages are public', () => {
      throw new Error(`missing: ${missingCore.join(', ')}`);
    });
  }

  const work = mkdtempSync(join(tmpdir(), 'marketplace-release-test-'));
  live.work = work;
  if (!relative(root, work).startsWith('..'))
    throw new Error(`temporary directory ${work} is inside the workspace`);
  progress(`temporary directory ${work}`);
  let registry;
  const tagsBefore = execFileSync('git', ['tag', '--list'], { cwd: root, encoding: 'utf8' });
  try {
    await check('publish refuses when no registry is configured', async () => {
      const empty = join(work, 'empty.npmrc');
      writeFileSync(empty, '');
      const result = await run(process.execPath, [join(here, 'publish.mjs'), '--no-git-tag'], {
        cwd: root,
        env: cleanEnv({ NPM_CONFIG_USERCONFIG: empty, MARKETPLACE_REGISTRY: '' }),
        allowFailure: true,
        timeoutMs: 30_000,
      });
      return result.code !== 0 && /no registry configured for @marketplace/.test(result.stderr)
        ? []
        : [`exit ${result.code}: ${result.stdout}${result.stderr}`];
    });
    await check('publish refuses the public npm registry', async () => {
      const result = await run(process.execPath, [join(here, 'publish.mjs'), '--no-git-tag'], {
        cwd: root,
        env: cleanEnv({ MARKETPLACE_REGISTRY: 'https://registry.npmjs.org/' }),
        allowFailure: true,
        timeoutMs: 30_000,
      });
      return result.code !== 0 && /is a public registry/.test(result.stderr)
        ? []
        : [`exit ${result.code}: ${result.stdout}${result.stderr}`];
    });

    // Once more on failure: in a shared checkout another build may be rewriting a dist/ meanwhile.
    const build = () =>
      run(
        'pnpm',
        [
          'exec',
          'turbo',
          'run',
          'build',
          '--output-logs=errors-only',
          ...packages.map((p) => `--filter=${p.name}`),
        ],
        { cwd: root, timeoutMs: 600_000 },
      );
    await step('build the public packages (turbo)', () =>
      build().catch((error) => {
        progress(`build failed, retrying once:\n${String(error.message).split('\n').slice(-8).join('\n')}`);
        return build();
      }),
    );

    registry = await step(`start verdaccio ${verdaccioVersion()}`, () =>
      startVerdaccio(join(work, 'verdaccio'), { onProgress: progress }),
    );
    live.registry = registry;
    const token = await step(
      'create a registry user and token (PUT /-/user/org.couchdb.user:release-test)',
      () => addUser(registry.url, 'release-test', `pw-${process.pid}-${Date.now()}`),
    );
    const userConfig = join(work, 'user.npmrc');
    writeFileSync(userConfig, `//127.0.0.1:${registry.port}/:_authToken=${token}\n`, { mode: 0o600 });
    const auth = { authorization: `Bearer ${token}` };

    await check('anonymous reads of @marketplace are refused', async () => {
      const response = await fetch(`${registry.url}@marketplace%2fretry`, {
        signal: AbortSignal.timeout(10_000),
      });
      return response.status === 401 || response.status === 403 || response.status === 404
        ? []
        : [`HTTP ${response.status}`];
    });

    await step(
      'pnpm release --no-git-tag (build + changeset publish, registry from MARKETPLACE_REGISTRY)',
      () =>
        run('pnpm', ['run', 'release', '--no-git-tag'], {
          cwd: root,
          env: cleanEnv({ NPM_CONFIG_USERCONFIG: userConfig, MARKETPLACE_REGISTRY: registry.url }),
          timeoutMs: 600_000,
        }),
    );
    await check('publishing created no git tags (--no-git-tag)', () => {
      const after = execFileSync('git', ['tag', '--list'], { cwd: root, encoding: 'utf8' });
      return after === tagsBefore ? [] : [`tags changed:\n${after}`];
    });

    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    for (const pkg of packages) {
      await check(
        `${pkg.name}@${pkg.version}: published tarball holds only dist/README/LICENSE/package.json, clean manifest and maps`,
        async () => {
          const packument = await fetch(`${registry.url}${pkg.name.replace('/', '%2f')}`, {
            headers: auth,
            signal: AbortSignal.timeout(15_000),
          });
          if (!packument.ok) return [`packument: HTTP ${packument.status}`];
          const meta = await packument.json();
          const published = meta.versions?.[pkg.version];
          if (!published)
            return [`version ${pkg.version} not in registry (has ${Object.keys(meta.versions ?? {})})`];
          const response = await fetch(published.dist.tarball, {
            headers: auth,
            signal: AbortSignal.timeout(30_000),
          });
          if (!response.ok) return [`tarball ${published.dist.tarball}: HTTP ${response.status}`];
          const file = join(tarballs, `${pkg.name.replace('@', '').replace('/', '-')}-${pkg.version}.tgz`);
          writeFileSync(file, Buffer.from(await response.arrayBuffer()));
          const entries = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' })
            .split('\n')
            .filter(Boolean);
          const extracted = join(tarballs, pkg.name.replace('@', '').replace('/', '-'));
          mkdirSync(extracted);
          execFileSync('tar', ['-xzf', file, '-C', extracted]);
          const manifest = JSON.parse(readFileSync(join(extracted, 'package', 'package.json'), 'utf8'));
          const problems = [
            ...checkTarballFiles(entries, manifest),
            ...checkManifest(manifest, { name: pkg.name, version: pkg.version, files: entries }),
          ];
          for (const entry of entries.filter((e) => e.endsWith('.map'))) {
            const map = JSON.parse(readFileSync(join(extracted, entry), 'utf8'));
            problems.push(...checkSourceMap(map, entry.slice('package/'.length)));
          }
          return problems;
        },
      );
    }

    // Export names of the workspace build, to compare with what the consumers load.
    const workspaceExports = {};
    for (const pkg of packages) {
      const entry = pkg.manifest.exports?.['.']?.import?.default ?? pkg.manifest.module;
      const namespace = await import(join(pkg.dir, entry));
      workspaceExports[pkg.name] = Object.keys(namespace)
        .filter((key) => key !== 'default')
        .sort();
    }

    const outputs = {};
    for (const kind of ['module', 'commonjs']) {
      try {
        outputs[kind] = await consumerProject(kind, { registry, token, packages, work, workspaceExports });
      } catch (error) {
        if (!(error instanceof StopError)) throw error;
      }
    }
    if (outputs.module && outputs.commonjs) {
      await check('ESM and CommonJS consumers print the same results', () => {
        const strip = ({ format, ...rest }) => rest;
        return deepEqualProblem('ESM vs CommonJS', strip(outputs.module), strip(outputs.commonjs));
      });
    }
    try {
      await siblingWithOwnClients({ registry, token, packages, work });
    } catch (error) {
      if (!(error instanceof StopError)) throw error;
    }
  } catch (error) {
    if (!(error instanceof StopError)) {
      failed++;
      failures.push('unexpected error');
      progress(`FAIL unexpected error\n${error instanceof Error ? error.stack : String(error)}`);
    }
  } finally {
    if (registry) {
      if (failed > 0) {
        console.log(`--- verdaccio log (last 60 lines of ${registry.logFile})`);
        console.log(registry.log().trimEnd().split('\n').slice(-60).join('\n'));
      }
      await registry.stop();
      progress(`verdaccio stopped (pid ${registry.pid})`);
    }
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: a release script, not a turbo task
    if (process.env.RELEASE_TEST_KEEP === '1') progress(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

// Interrupted: stop Verdaccio and remove the temporary directory before exiting.
const live = { registry: undefined, work: undefined };
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    progress(`${signal}: stopping verdaccio and removing the temporary directory`);
    if (live.registry) killGroup(live.registry.pid, 'SIGKILL');
    if (live.work) rmSync(live.work, { recursive: true, force: true });
    console.log(`release test: ${passed} passed, ${failed + 1} failed`);
    process.exit(130);
  });
}

try {
  await main();
} catch (error) {
  failed++;
  progress(`FAIL ${error instanceof Error ? error.stack : String(error)}`);
}
console.log(`release test took ${elapsed()}${failures.length ? `; failed: ${failures.join('; ')}` : ''}`);
console.log(`release test: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
