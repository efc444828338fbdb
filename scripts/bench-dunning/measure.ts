// Measuring a run of the dunning benchmark: wall time, CPU time and resident memory of this process
// and of the database server (from /proc, Linux), garbage collected first; and CPU profiles.
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BenchDatabase } from '../bench-db';

/** Resident and peak resident memory of a process, from /proc (Linux). */
export function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

// Garbage collection on demand, so that each measurement starts from what is really in use.
setFlagsFromString('--expose-gc');
const collect: unknown = runInNewContext('gc');
const collectGarbage = () => {
  if (typeof collect === 'function') collect();
};

/** CPU time (user + system) a process has used so far, from /proc (Linux). */
function cpuOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) || 0) + (Number(fields[12]) || 0)) * 10;
  } catch {
    return undefined;
  }
}

/** Samples the resident memory of this process and of the database server while `work` runs. */
export async function measured<T>(bench: BenchDatabase, work: () => Promise<T>): Promise<Run & { result: T }> {
  collectGarbage();
  const baseline = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const dbCpuBefore = bench.pid ? cpuOf(bench.pid) : undefined;
  let peak = process.memoryUsage().rss;
  let dbPeak = bench.pid ? (memoryOf(bench.pid)?.rss ?? 0) : undefined;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (bench.pid && dbPeak !== undefined) dbPeak = Math.max(dbPeak, memoryOf(bench.pid)?.rss ?? 0);
  };
  const sampler = setInterval(sample, 100);
  const started = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - started;
    sample();
    const used = process.cpuUsage(cpuBefore);
    const dbCpuAfter = bench.pid ? cpuOf(bench.pid) : undefined;
    const dbCpu = dbCpuBefore !== undefined && dbCpuAfter !== undefined ? dbCpuAfter - dbCpuBefore : undefined;
    return { result, ms, peak, dbPeak, baseline, cpu: (used.user + used.system) / 1000, dbCpu };
  } finally {
    clearInterval(sampler);
  }
}

export interface Run {
  ms: number;
  peak: number;
  dbPeak: number | undefined;
  baseline: number;
  /** CPU time of this process and of the database server during the run, ms. */
  cpu: number;
  dbCpu: number | undefined;
}

/** Runs `work` under V8's sampling profiler and writes the profile to `file`. */
export async function profiled<T>(file: string, work: () => Promise<T>): Promise<T> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  CPU profile of the daily scan written to ${file}`);
  }
}
