import { defineConfig, type Options } from 'tsup';

/** Options of {@link definePackageBuild}. */
export interface PackageBuildOptions {
  /** Entry points, relative to the package. @default { index: 'src/index.ts' } */
  entry?: Record<string, string>;
}

/**
 * The one build setup of every package: ESM (`.js`) and CJS (`.cjs`) with `.d.ts`/`.d.cts`
 * and source maps, for Node 20.19+. Dependencies stay external; Node >= 20.19 can `require()`
 * the ESM-only ones (p-retry, tinypool) from the CJS build.
 */
export function definePackageBuild(options: PackageBuildOptions = {}): ReturnType<typeof defineConfig> {
  const config: Options = {
    entry: options.entry ?? { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: false,
    shims: true,
  };
  return defineConfig(config);
}
