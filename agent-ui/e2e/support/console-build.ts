import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const AGENT_UI = fileURLToPath(new URL('../..', import.meta.url));
const REPO = join(AGENT_UI, '..');
const BUILT = join(AGENT_UI, 'dist', 'index.html');
/** What the console is built from: when any of it is newer than the build, build again. */
const SOURCES = ['src', 'index.html', 'vite.config.ts', 'package.json', '../shared/src'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/**
 * The server serves `agent-ui/dist` and decides at start whether a build is there, so the
 * console is built before the server starts: once, and again only when a source changed.
 */
export function ensureConsoleBuilt(): void {
  const built = existsSync(BUILT) ? statSync(BUILT).mtimeMs : 0;
  const sources = Math.max(...SOURCES.map((s) => newest(join(AGENT_UI, s))));
  if (built > sources) return;
  console.log(built ? 'agent-ui: sources changed since the last build; building the console…' : 'agent-ui: no build yet; building the console…');
  execFileSync('npm', ['run', 'build', '--workspace', 'agent-ui'], { cwd: REPO, stdio: 'inherit' });
}
