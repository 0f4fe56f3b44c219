import { expect, test } from 'vitest';
import { createMachinePathScrubber } from './scrub-machine-paths.ts';

const scrub = createMachinePathScrubber([
  { path: '/tmp', as: '$TMPDIR' },
  { path: '/tmp/suite', as: '.' },
  { path: '/opt/opsproof', as: 'opsproof' },
  { path: '/home/ci', as: '~' },
]);

test.each([
  // Call stacks of a trace: the canary file, opsproof's own code, node_modules.
  [
    '{"files":["/tmp/suite/canaries/home.canary.ts","/opt/opsproof/canaries/run-canaries.ts"]}',
    '{"files":["./canaries/home.canary.ts","opsproof/canaries/run-canaries.ts"]}',
  ],
  ['at async file:///opt/opsproof/bin/opsproof.js:3:1', 'at async file://opsproof/bin/opsproof.js:3:1'],
  [
    '    at run (/opt/opsproof/node_modules/playwright-core/lib/x.js:1:2)',
    '    at run (opsproof/node_modules/playwright-core/lib/x.js:1:2)',
  ],
  ['/home/ci/.cache/ms-playwright', '~/.cache/ms-playwright'],
  ['/tmp/other/x.png', '$TMPDIR/other/x.png'],
  ['/tmp/suite', '.'],
  // Not a path of the machine: a URL's own path, a longer folder name, a relative path.
  ['GET http://127.0.0.1:8080/tmp/x', 'GET http://127.0.0.1:8080/tmp/x'],
  ['/tmpfiles/x', '/tmpfiles/x'],
  ['/home/circle/x', '/home/circle/x'],
  ['canaries/home.canary.ts', 'canaries/home.canary.ts'],
])('%s → %s', (text, expected) => {
  expect(scrub(text)).toBe(expected);
});

test('no roots: the text as it is', () => {
  expect(createMachinePathScrubber([])('/tmp/x')).toBe('/tmp/x');
});
