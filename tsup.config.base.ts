import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';

/** Options of {@link definePackageBuild}. */
export interface PackageBuildOptions {
  /** Entry points, relative to the package. @default { index: 'src/index.ts' } */
  entry?: Record<string, string>;
}

/**
 * The one build setup of every package: ESM (`.js`) and CJS (`.cjs`) with `.d.ts`/`.d.cts`
 * and source maps, for Node 22+. Dependencies stay external; Node 22.12+ can `require()` the
 * ESM-only ones (p-retry, tinypool) from the CJS build.
 */
export function definePackageBuild(options: PackageBuildOptions = {}): ReturnType<typeof defineConfig> {
  const config: Options = {
    entry: options.entry ?? { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    platform: 'node',
    splitting: false,
    treeshake: false,
    shims: true,
    onSuccess: () => labelSourcesOutsidePackage('dist'),
  };
  return defineConfig(config);
}

/**
 * Published source maps must not point outside the package: esbuild names code it bundles from
 * elsewhere (tsup's CJS shim for `import.meta.url`) by its path in the monorepo's node_modules.
 * Such sources become labels (`bundled:tsup/assets/cjs_shims.js`); their text stays embedded in
 * `sourcesContent`. Sources inside the package (`../src/...`) are kept.
 */
async function labelSourcesOutsidePackage(outDir: string): Promise<void> {
  const packageRoot = process.cwd();
  for (const file of await readdir(outDir)) {
    if (!file.endsWith('.map')) continue;
    const path = join(outDir, file);
    const map = JSON.parse(await readFile(path, 'utf8')) as { sources: string[] };
    map.sources = map.sources.map((source) => {
      const inPackage = relative(packageRoot, resolve(dirname(path), source));
      if (!inPackage.startsWith('..')) return source;
      const modules = source.lastIndexOf('node_modules/');
      const label =
        modules >= 0 ? source.slice(modules + 'node_modules/'.length) : inPackage.replace(/^(\.\.\/)+/, '');
      return `bundled:${label}`;
    });
    await writeFile(path, JSON.stringify(map));
  }
}
