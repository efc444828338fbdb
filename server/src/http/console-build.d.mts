/** agent-ui/, and agent-ui/dist: what the server serves at `/`. */
export declare const AGENT_UI: string;
export declare const CONSOLE_DIST: string;
export interface ConsoleBuildState {
  /** `unbuildable`: out of date or missing, and no sources or no Vite to build it with. */
  state: 'fresh' | 'missing' | 'stale' | 'unbuildable';
  reason: string;
  /** There is a build (agent-ui/dist/index.html), whatever its age. */
  built: boolean;
}
/** Whether agent-ui/dist is there and newer than every source it is built from. */
export declare function consoleBuildState(): ConsoleBuildState;
export declare class ConsoleBuildError extends Error {
  /** The end of what Vite printed. */
  readonly output: string;
  constructor(message: string, output: string);
}
/** Builds agent-ui/dist with Vite in a child process; rejects with a ConsoleBuildError. */
export declare function buildConsole(): Promise<{ ms: number }>;
/** The same build, blocking; throws a ConsoleBuildError. */
export declare function buildConsoleSync(): { ms: number };
