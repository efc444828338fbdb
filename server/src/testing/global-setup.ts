import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDatabase } from '../db/embedded-db.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URI of the test run's database server; each test file takes a fresh database on it. */
    mongoUri: string;
  }
}

/** One real MongoDB-wire server for the test run, on a free port, in a temporary directory. */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'ringside-test-db-'));
  const db = await startDatabase({ dataDir: dir, logFileMax: '16MB', dbName: 'ringside_test' });
  project.provide('mongoUri', db.uri);
  return async () => {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
