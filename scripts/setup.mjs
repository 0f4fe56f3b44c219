#!/usr/bin/env node
// One-command setup: installs what is missing, idempotently, and is quick when everything is present.
// Plain Node with no dependencies (it runs before node_modules exists). Used by `npm start`,
// `npm test`, `npm run bench` and `npm run synth`:  node scripts/setup.mjs --for start|test|bench|synth|all
// and by `opsproof doctor --install` (from any repository: it ships in opsproof's package), which
// names the missing tools:  node scripts/setup.mjs --only chromium,k6,moto
//
// k6: go.k6.io/k6/v2 does not exist on the Go module proxy, so we pin k6 v1.8.1 (`go install go.k6.io/k6@v1.8.1`).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
export const K6_VERSION = 'v1.8.1';
export const MOTO_VERSION = '5.2.5';
// The AWS SDK v3 clients speak protocols (e.g. CloudWatch's JSON) that older botocore models lack, so
// moto's botocore is pinned too; pip alone may resolve an old one.
export const BOTOCORE_VERSION = '1.44.18';
// checkov pins its own boto3 (1.35.x), which would take moto's botocore back: it gets a venv of its own.
export const CHECKOV_VERSION = '3.3.30';

const STEPS_FOR = {
  start: ['node-modules', 'chromium'],
  test: ['node-modules', 'chromium', 'k6', 'moto', 'checkov'],
  bench: ['node-modules', 'chromium', 'k6', 'wrk'],
  synth: ['node-modules'],
  all: ['node-modules', 'chromium', 'k6', 'moto', 'checkov', 'wrk'],
};

function log(line) {
  process.stderr.write(`setup: ${line}\n`);
}

function fail(message) {
  process.stderr.write(`setup: FAILED: ${message}\n`);
  process.exit(1);
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with inherited stdout→stderr, so nothing lands on our stdout. */
function run(command, args, options = {}) {
  log(`$ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 2, 2], ...options });
  if (result.error) return `${command} could not start: ${result.error.message}`;
  if (result.status !== 0)
    return `${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`;
  return undefined;
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** `undefined` when every locked package is installed at its locked version, else why not. */
function nodeModulesProblem() {
  const hidden = join(root, 'node_modules', '.package-lock.json');
  if (!existsSync(hidden)) return 'node_modules is missing';
  const locked = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {};
  const installed = JSON.parse(readFileSync(hidden, 'utf8')).packages ?? {};
  for (const [path, entry] of Object.entries(locked)) {
    if (path === '' || !path.startsWith('node_modules/')) continue;
    const have = installed[path];
    if (!have) {
      if (entry.optional) continue; // optional packages for other platforms are never installed
      return `${path.slice('node_modules/'.length)} is not installed`;
    }
    if (entry.version && have.version !== entry.version) {
      return `${path.slice('node_modules/'.length)} is ${have.version}, package-lock.json wants ${entry.version}`;
    }
  }
  return undefined;
}

function aptInstall(pkg) {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const [cmd, ...pre] = sudo.length ? sudo : ['apt-get'];
  const args = (rest) => (sudo.length ? ['apt-get', ...rest] : rest);
  const update = run(cmd, [...pre, ...args(['update'])], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (update) return update;
  return run(cmd, [...pre, ...args(['install', '-y', '--no-install-recommends', pkg])], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

const steps = {
  'node-modules'() {
    const problem = nodeModulesProblem();
    if (!problem) return log('node modules: ok');
    log(`node modules: ${problem}; installing`);
    const error = run('npm', ['ci', '--no-audit', '--no-fund']);
    if (error) fail(`npm ci failed (${error})`);
    log('node modules: installed');
  },

  chromium() {
    if (process.env.OPSPROOF_CHROMIUM && isExecutable(process.env.OPSPROOF_CHROMIUM))
      return log(`chromium: ok (${process.env.OPSPROOF_CHROMIUM})`);
    if (isExecutable('/usr/bin/chromium')) return log('chromium: ok (/usr/bin/chromium)');
    log('chromium: missing; installing the Debian package');
    const error = aptInstall('chromium');
    if (error || !isExecutable('/usr/bin/chromium'))
      fail(
        `could not install Debian chromium (${error ?? '/usr/bin/chromium still missing'}); install it or set OPSPROOF_CHROMIUM`,
      );
    log('chromium: installed');
  },

  k6() {
    const bin = join(root, '.tools', 'bin', 'k6');
    if (isExecutable(bin)) {
      const out = spawnSync(bin, ['version'], { encoding: 'utf8' });
      const version = /k6 (v\d+\.\d+\.\d+)/.exec(out.stdout ?? '')?.[1];
      if (version === K6_VERSION) return log(`k6: ok (${version})`);
      log(`k6: ${version ?? 'unknown version'} in .tools/bin, want ${K6_VERSION}; rebuilding`);
    } else {
      log(`k6: missing; building ${K6_VERSION} with go install`);
    }
    if (!onPath('go'))
      fail(`k6 needs Go to build (go install go.k6.io/k6@${K6_VERSION}); install Go or set OPSPROOF_K6`);
    const error = run('go', ['install', `go.k6.io/k6@${K6_VERSION}`], {
      env: { ...process.env, GOBIN: join(root, '.tools', 'bin'), GOFLAGS: '-trimpath' },
    });
    if (error || !isExecutable(bin))
      fail(`go install go.k6.io/k6@${K6_VERSION} failed (${error ?? 'no binary'})`);
    log('k6: installed into .tools/bin');
  },

  moto() {
    const venv = join(root, '.venv');
    const bin = join(venv, 'bin', 'moto_server');
    if (
      isExecutable(bin) &&
      installedVersion(venv, 'moto') === MOTO_VERSION &&
      installedVersion(venv, 'botocore') === BOTOCORE_VERSION
    )
      return log(`moto: ok (${MOTO_VERSION}, botocore ${BOTOCORE_VERSION})`);
    log(`moto: installing moto[server]==${MOTO_VERSION} (botocore ${BOTOCORE_VERSION}) into .venv`);
    if (!isExecutable(join(venv, 'bin', 'python3'))) {
      const error = run('python3', ['-m', 'venv', venv]);
      if (error) fail(`could not create the virtualenv (${error}); is python3-venv installed?`);
    }
    const error = run(join(venv, 'bin', 'pip'), [
      'install',
      '--disable-pip-version-check',
      `moto[server]==${MOTO_VERSION}`,
      `boto3==${BOTOCORE_VERSION}`,
      `botocore==${BOTOCORE_VERSION}`,
    ]);
    if (error || !isExecutable(bin))
      fail(`pip install moto[server]==${MOTO_VERSION} failed (${error ?? 'no moto_server'})`);
    log('moto: installed into .venv');
  },

  checkov() {
    const venv = join(root, '.tools', 'checkov');
    const bin = join(venv, 'bin', 'checkov');
    if (isExecutable(bin) && installedVersion(venv, 'checkov') === CHECKOV_VERSION)
      return log(`checkov: ok (${CHECKOV_VERSION})`);
    log(`checkov: installing checkov==${CHECKOV_VERSION} into .tools/checkov`);
    if (!isExecutable(join(venv, 'bin', 'python3'))) {
      const error = run('python3', ['-m', 'venv', venv]);
      if (error) fail(`could not create the virtualenv (${error}); is python3-venv installed?`);
    }
    const error = run(join(venv, 'bin', 'pip'), [
      'install',
      '--disable-pip-version-check',
      `checkov==${CHECKOV_VERSION}`,
    ]);
    if (error || !isExecutable(bin))
      fail(`pip install checkov==${CHECKOV_VERSION} failed (${error ?? 'no checkov'})`);
    log('checkov: installed into .tools/checkov');
  },

  wrk() {
    const found = onPath('wrk') ?? (isExecutable('/usr/bin/wrk') ? '/usr/bin/wrk' : undefined);
    if (found) return log(`wrk: ok (${found})`);
    log('wrk: missing; installing the Debian package');
    const error = aptInstall('wrk');
    if (error) fail(`could not install wrk (${error})`);
    log('wrk: installed');
  },
};

function installedVersion(venv, pkg) {
  const lib = join(venv, 'lib');
  if (!existsSync(lib)) return undefined;
  for (const python of readdirSync(lib)) {
    const site = join(lib, python, 'site-packages');
    if (!existsSync(site)) continue;
    for (const entry of readdirSync(site)) {
      const match = new RegExp(`^${pkg}-(.+)\\.dist-info$`).exec(entry);
      if (match) return match[1];
    }
  }
  return undefined;
}

const forIndex = process.argv.indexOf('--for');
const onlyIndex = process.argv.indexOf('--only');
const purpose = forIndex === -1 ? 'all' : process.argv[forIndex + 1];
const wanted = onlyIndex === -1 ? STEPS_FOR[purpose] : (process.argv[onlyIndex + 1] ?? '').split(',');
if (!wanted) fail(`unknown --for ${purpose}; expected one of ${Object.keys(STEPS_FOR).join(', ')}`);
const unknown = wanted.filter((step) => !steps[step]);
if (unknown.length > 0)
  fail(`unknown step ${unknown.join(', ')}; expected some of ${Object.keys(steps).join(', ')}`);
for (const step of wanted) steps[step]();
