/**
 * The production image, checked without Docker (none on the machines this runs on): what the
 * Dockerfile and .dockerignore say, and what the production install of the app would contain.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEMO_DEPENDENCIES } from './demoDependencies.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const ROOT_DIR = fileURLToPath(new URL('../../..', import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions: comments dropped, continuation lines joined. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    current += `${line.replace(/\\\s*$/, '')} `;
    if (!continued) {
      if (current.trim() !== '') logical.push(current.trim());
      current = '';
    }
  }
  if (current.trim() !== '') logical.push(current.trim());
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

const instructions = parseDockerfile(readFileSync(join(APP_DIR, 'Dockerfile'), 'utf8'));
const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
const runtime = instructions.slice(lastFrom);
const build = instructions.slice(0, lastFrom);

/** Every package name in the production dependency closure of the app, per pnpm. */
function productionClosure(): Set<string> {
  const json = execFileSync(
    'pnpm',
    ['--filter', '@marketplace/analytics-service', 'list', '--prod', '--depth', 'Infinity', '--json'],
    { cwd: ROOT_DIR, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  type Tree = Record<string, { dependencies?: Tree }>;
  const [app] = JSON.parse(json) as Array<{ dependencies?: Tree }>;
  const names = new Set<string>();
  const walk = (tree: Tree | undefined): void => {
    for (const [name, node] of Object.entries(tree ?? {})) {
      if (names.has(name)) continue;
      names.add(name);
      walk(node.dependencies);
    }
  };
  walk(app?.dependencies);
  return names;
}

describe('production image (apps/analytics-service/Dockerfile)', () => {
  it('is multi-stage and installs production dependencies only (pnpm deploy --prod)', () => {
    expect(lastFrom).toBeGreaterThan(0);
    expect(build.some((i) => i.keyword === 'RUN' && /\bdeploy\b.*--prod\b/.test(i.args))).toBe(true);
    expect(runtime.filter((i) => i.keyword === 'RUN')).toEqual([]);
  });

  it('runs as a non-root user that cannot write the code (copied as root, no chown to the user)', () => {
    const users = runtime.filter((i) => i.keyword === 'USER');
    const user = users.at(-1)?.args ?? '';
    const copies = runtime.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    const lastCopy = runtime.lastIndexOf(copies.at(-1) as Instruction);

    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(user).not.toBe('');
    expect(runtime.indexOf(users.at(-1) as Instruction)).toBeGreaterThan(lastCopy);
    for (const copy of copies) {
      const chown = /--chown=(\S+)/.exec(copy.args)?.[1];
      if (chown !== undefined) expect(chown).toMatch(/^(root|0)(:(root|0))?$/);
      expect(copy.args).not.toMatch(/--chmod=/);
    }
  });

  it('has a HEALTHCHECK that asks /healthz with node (slim images have no curl)', () => {
    const healthchecks = runtime.filter((i) => i.keyword === 'HEALTHCHECK');

    expect(healthchecks).toHaveLength(1);
    expect(healthchecks[0]?.args).toMatch(/CMD \["node",/);
    expect(healthchecks[0]?.args).toContain('/healthz');
    expect(healthchecks[0]?.args).not.toMatch(/\b(curl|wget)\b/);
  });

  it('keeps .git (and local secrets) out of the build context', () => {
    const ignored = readFileSync(join(ROOT_DIR, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim());

    expect(ignored).toContain('.git');
    expect(ignored).toContain('node_modules');
    expect(ignored).toContain('**/.env');
  });
});

describe('production dependencies of the app', () => {
  it('do not include the demo-only packages (local stack, dynalite, pino-pretty)', () => {
    const pkg = JSON.parse(readFileSync(join(APP_DIR, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    const closure = productionClosure();

    expect(closure.has('kafkajs')).toBe(true);
    expect(closure.has('@marketplace/kafka-processor')).toBe(true);
    for (const name of [...DEMO_DEPENDENCIES, 'dynalite']) expect(closure.has(name)).toBe(false);
    for (const name of DEMO_DEPENDENCIES) {
      expect(pkg.dependencies[name]).toBeUndefined();
      expect(pkg.devDependencies[name]).toBeDefined();
    }
  });

  it('are the only packages production code loads statically; the demo is imported dynamically', () => {
    const sources = readdirSync(join(APP_DIR, 'src')).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    const staticImport = (text: string, what: string): boolean =>
      new RegExp(`^import (?!type )[^;]*from '${what.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}';`, 'm').test(
        text,
      );
    const offenders: string[] = [];
    for (const file of sources) {
      const text = readFileSync(join(APP_DIR, 'src', file), 'utf8');
      // Demo.ts itself is loaded only through `await import('./Demo.js')` after checkDemoDependencies.
      if (file !== 'Demo.ts') {
        for (const name of DEMO_DEPENDENCIES)
          if (staticImport(text, name)) offenders.push(`${file}: ${name}`);
      }
      if (staticImport(text, './Demo.js')) offenders.push(`${file}: ./Demo.js`);
    }

    expect(offenders).toEqual([]);
    expect(readFileSync(join(APP_DIR, 'src', 'main.ts'), 'utf8')).toContain("await import('./Demo.js')");
  });
});
