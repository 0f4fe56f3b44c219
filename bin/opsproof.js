#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), and lets user files anywhere on disk
// `import … from 'opsproof'` (resolve hook), so canaries and configs need no install of their own.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./resolve-opsproof.js', import.meta.url);
await import('../cli/main.ts');
