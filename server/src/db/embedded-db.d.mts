export declare const SECANTUS_CRATE: string;
export declare const SECANTUS_VERSION: string;
export declare const SECANTUS_BINARY: string;
export declare function cacheDir(env?: NodeJS.ProcessEnv): string;
export declare function secantusRoot(env?: NodeJS.ProcessEnv): string;
export declare function secantusBinaryPath(env?: NodeJS.ProcessEnv): string;
export declare function secantusInstalled(env?: NodeJS.ProcessEnv): boolean;
export type ResolvedDatabase =
  | { kind: 'uri'; uri: string }
  | { kind: 'mongod'; bin: string }
  | { kind: 'secantus'; bin: string }
  | { kind: 'missing'; reason: string };
export declare function resolveDatabase(env?: NodeJS.ProcessEnv): ResolvedDatabase;
export declare function freePort(): Promise<number>;
export declare function canConnect(port: number): Promise<boolean>;
export interface StartDatabaseOptions {
  /** Data directory; kept across restarts. */
  dataDir: string;
  /** Port to listen on; a free one when omitted. */
  port?: number;
  /** Database name put in the returned URI (default `ringside`). */
  dbName?: string;
  env?: NodeJS.ProcessEnv;
  /** SecantusDB write-ahead log file size (e.g. `16MB` for short-lived test stores). */
  logFileMax?: string;
  log?: (line: string) => void;
}
export interface RunningDatabase {
  uri: string;
  kind: 'uri' | 'mongod' | 'secantus';
  port?: number;
  pid?: number;
  stop(): Promise<void>;
}
export declare function startDatabase(options: StartDatabaseOptions): Promise<RunningDatabase>;
