// @ts-check
// Tests must pass on any date and at any hour. `npm run test:clock` runs every test suite that
// pins a date (a ManualClock, the seed's fixed "now", a fixed ISO date or Date.UTC, a faked
// system time) twice, under a real clock far from the pinned dates: 400 days and 11 hours
// ahead of now, then 400 days and 5 hours behind. CI runs it after `npm test`.
//
// The suites are found by the PIN pattern below, so a new date-pinned suite is checked with no
// change here. Browser tests (agent-ui/e2e) are left out: they pin no date.
//
// How the clock is moved: Debian's faketime (libfaketime through LD_PRELOAD), with
// - a relative offset (`-f +9611h`): the clock keeps ticking at the real rate and every process
//   under it (Vitest and its workers) computes the same moved time, so FAKETIME_DONT_RESET and
//   FAKETIME_NO_CACHE are not needed (they matter for start-at dates and for a spec that
//   changes while the processes run);
// - the multi-threaded library (`-m`): Node is multi-threaded;
// - `--exclude-monotonic` (FAKETIME_DONT_FAKE_MONOTONIC=1): only the wall clock moves, as when a
//   machine's date is set; timers and durations keep the real monotonic clock.
// Deliberately left on the real clock, because they keep no time Ringside reads and do not run
// well under libfaketime:
// - the test database: started here, before faketime, and handed to the tests as MONGODB_URI
//   (Ringside has no TTL index and no server-side date; under libfaketime the database server
//   runs about four times slower);
// - redis-server (the scale-out and presence suites start it from PATH): under libfaketime it
//   hangs at start (jemalloc's clock calls recurse into the library), so a `redis-server` put
//   first on PATH starts the real one without LD_PRELOAD.
//
//   npm run test:clock                    both runs
//   npm run test:clock -- --list          the suites it would run
//   npm run test:clock -- --all           every unit, integration and console suite instead
//   TEST_CLOCK_OFFSETS='+30d -2h' npm run test:clock      other offsets (faketime -f syntax)
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDatabase } from '../server/src/db/embedded-db.mjs';

/** What counts as pinning a date in a test file. */
const PIN = /new ManualClock|DEFAULT_SEED_NOW|seedDatabase\(|setSystemTime|Date\.UTC\(|['"`]20\d{2}-[01]\d-[0-3]\d/;
const ROOTS = ['shared', 'telephony', 'server', 'scripts', 'agent-ui/src'];
const DEFAULT_OFFSETS = ['+9611h', '-9605h'];

const repo = fileURLToPath(new URL('..', import.meta.url));

/** @param {string} dir @returns {string[]} test files under dir, relative to the repository */
function testFiles(dir) {
  /** @type {string[]} */
  const out = [];
  let entries;
  try {
    entries = readdirSync(join(repo, dir), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') out.push(...testFiles(path));
    } else if (e.name.endsWith('.test.ts')) {
      out.push(path);
    }
  }
  return out;
}

function datePinnedSuites() {
  return ROOTS.flatMap(testFiles)
    .filter((file) => PIN.test(readFileSync(join(repo, file), 'utf8')))
    .sort();
}

/** @param {string} cmd */
function onPath(cmd) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return join(dir, cmd);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** @param {string} offset */
function movedDate(offset) {
  const r = spawnSync('faketime', ['-f', offset, 'date', '-u', '+%Y-%m-%d %H:%M UTC'], { encoding: 'utf8' });
  return r.stdout.trim();
}

/** @param {string[]} args @param {NodeJS.ProcessEnv} env @returns {Promise<number>} */
function run(args, env) {
  return new Promise((resolve) => {
    const child = spawn(args[0] ?? 'false', args.slice(1), { cwd: repo, env, stdio: 'inherit' });
    child.once('error', () => resolve(127));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

async function main() {
  const all = process.argv.includes('--all');
  const suites = all ? [] : datePinnedSuites();
  if (process.argv.includes('--list')) {
    console.log(suites.join('\n'));
    return 0;
  }
  if (!all && suites.length === 0) {
    console.error('test:clock: no date-pinned suites found');
    return 1;
  }
  if (spawnSync('faketime', ['--version']).error) {
    console.error("test:clock: needs Debian's faketime (apt-get install faketime)");
    return 2;
  }
  const offsets = (process.env.TEST_CLOCK_OFFSETS ?? '').split(/\s+/).filter(Boolean);
  if (offsets.length === 0) offsets.push(...DEFAULT_OFFSETS);

  const work = mkdtempSync(join(tmpdir(), 'ringside-test-clock-'));
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const redis = onPath('redis-server');
  if (redis) {
    const wrapper = join(bin, 'redis-server');
    writeFileSync(wrapper, `#!/bin/sh\nunset LD_PRELOAD FAKETIME FAKETIME_DONT_FAKE_MONOTONIC\nexec '${redis}' "$@"\n`);
    chmodSync(wrapper, 0o755);
  }
  const database = await startDatabase({ dataDir: join(work, 'db'), logFileMax: '16MB', dbName: 'ringside_test' });
  let stopping = false;
  const cleanUp = async () => {
    if (stopping) return;
    stopping = true;
    await database.stop();
    rmSync(work, { recursive: true, force: true });
  };
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.once(signal, () => void cleanUp().then(() => process.exit(130)));
  }

  const env = { ...process.env, MONGODB_URI: database.uri, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };
  const what = all ? 'every suite' : `${suites.length} date-pinned suites`;
  console.log(`test:clock: ${what}, clock moved ${offsets.join(' and ')}`);
  /** @type {string[]} */
  const failed = [];
  const started = Date.now();
  try {
    for (const offset of offsets) {
      console.log(`\ntest:clock: the real clock moved ${offset}, to ${movedDate(offset)}`);
      const t0 = Date.now();
      const vitest = [
        'npx',
        'vitest',
        'run',
        '--project',
        'unit',
        '--project',
        'integration',
        '--project',
        'agent-ui',
        ...suites,
      ];
      const code = await run(['faketime', '-m', '--exclude-monotonic', '-f', offset, ...vitest], env);
      const s = Math.round((Date.now() - t0) / 1000);
      console.log(`test:clock: ${offset} ${code === 0 ? 'passed' : 'FAILED'} in ${s} s`);
      if (code !== 0) failed.push(offset);
    }
  } finally {
    await cleanUp();
  }
  const total = Math.round((Date.now() - started) / 1000);
  if (failed.length > 0) {
    console.error(`test:clock: ${what} failed with the clock moved ${failed.join(' and ')} (${total} s)`);
    return 1;
  }
  console.log(`test:clock: ${what} passed with the clock moved ${offsets.join(' and ')} (${total} s)`);
  return 0;
}

process.exitCode = await main();
