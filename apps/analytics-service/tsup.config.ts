import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'node22',
  platform: 'node',
  // Development dependencies only the demo loads (DEMO_DEPENDENCIES in src/demoDependencies.ts):
  // tsup would bundle them otherwise; they stay out of the production image.
  external: ['@marketplace/local-stack', 'pino-pretty'],
});
