#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), and lets user files anywhere on disk
// `import … from 'opsproof'` (resolve hook), so canaries and configs need no install of their own.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./resolve-opsproof.js', import.meta.url);
const { main } = await import('../cli/main.ts');
const code = await main(process.argv);
// Exit explicitly so idle keep-alive sockets cannot hold the process open; stdio writes to files and
// pipes are synchronous on POSIX, so nothing printed is lost.
process.exit(code);
