#!/usr/bin/env node
// @ts-check
// Runs as part of `npm install`: makes sure a MongoDB-wire server is available for
// `npm start` and `npm test`. Skipped when MONGODB_URI is set, when a `mongod` is on PATH,
// or when SecantusDB's server of the pinned version is already in the cache directory.
// Otherwise builds it once with cargo (about 9 minutes on 2 cores) and prints progress.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  SECANTUS_BINARY,
  SECANTUS_CRATE,
  SECANTUS_VERSION,
  resolveDatabase,
  secantusRoot,
} from '../server/src/db/embedded-db.mjs';

const say = (/** @type {string} */ line) => process.stderr.write(`ringside: ${line}\n`);

if (process.env.RINGSIDE_SKIP_DB_SETUP === '1') {
  say('database set-up skipped (RINGSIDE_SKIP_DB_SETUP=1)');
  process.exit(0);
}

const found = resolveDatabase();
if (found.kind === 'uri') {
  say('MONGODB_URI is set; no embedded database needed');
  process.exit(0);
}
if (found.kind !== 'missing') {
  say(`embedded database ready (${found.kind}: ${found.bin})`);
  process.exit(0);
}

// rustup installs cargo in ~/.cargo/bin, which a non-login shell may not have on PATH.
const rustupCargo = join(process.env.CARGO_HOME || join(homedir(), '.cargo'), 'bin', 'cargo');
const cargoBin =
  spawnSync('cargo', ['--version']).status === 0 ? 'cargo' : existsSync(rustupCargo) ? rustupCargo : 'cargo';
const cargo = spawnSync(cargoBin, ['--version'], { encoding: 'utf8' });
if (cargo.error || cargo.status !== 0) {
  say(
    `cannot build the embedded database: 'cargo' (Rust) is not installed. ` +
      `Install Rust (https://rustup.rs) plus cmake and a C compiler and run 'npm install' again, ` +
      `or put a 'mongod' on PATH, or set MONGODB_URI to an existing MongoDB.`,
  );
  process.exit(1);
}

const root = secantusRoot();
mkdirSync(root, { recursive: true });
say(
  `building the embedded database ${SECANTUS_BINARY} (${SECANTUS_CRATE} ${SECANTUS_VERSION}) into ${root}; ` +
    'this happens once and takes about 9 minutes on 2 cores',
);

const started = Date.now();
const child = spawn(
  cargoBin,
  ['install', SECANTUS_CRATE, '--version', SECANTUS_VERSION, '--ignore-rust-version', '--locked', '--root', root],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let compiled = 0;
let tail = '';
const interactive = process.stderr.isTTY;
const onData = (/** @type {Buffer} */ chunk) => {
  const text = chunk.toString();
  tail = (tail + text).slice(-6000);
  for (const line of text.split('\n')) {
    const m = /^\s*Compiling (\S+) /.exec(line);
    if (!m) continue;
    compiled += 1;
    const secs = Math.round((Date.now() - started) / 1000);
    const msg = `ringside: building embedded database… ${compiled} crates compiled (${secs}s), now ${m[1]}`;
    if (interactive) process.stderr.write(`\r${msg.padEnd(100).slice(0, 100)}`);
    else if (compiled % 25 === 0) process.stderr.write(`${msg}\n`);
  }
};
child.stdout.on('data', onData);
child.stderr.on('data', onData);
child.on('close', (code) => {
  if (interactive) process.stderr.write('\n');
  const secs = Math.round((Date.now() - started) / 1000);
  if (code !== 0) {
    say(`building the embedded database failed (cargo exit ${code}) after ${secs}s:\n${tail}`);
    process.exit(1);
  }
  const check = resolveDatabase();
  if (check.kind !== 'secantus') {
    say(
      `cargo finished but ${SECANTUS_BINARY} ${SECANTUS_VERSION} is not usable: ${check.kind === 'missing' ? check.reason : check.kind}`,
    );
    process.exit(1);
  }
  say(`embedded database built in ${secs}s: ${check.bin}`);
});
