import { definePackageBuild } from '../../tsup.config.base.js';

export default definePackageBuild({ entry: { index: 'src/index.ts', cli: 'src/cli.ts' } });
