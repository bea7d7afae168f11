import { definePackageBuild } from '../../tsup.config.base.js';

export default definePackageBuild();
