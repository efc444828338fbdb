// bench:pop at scale: the server's memory while a phase runs (the web process and its worker, from
// /proc), and the knee: the call rate at which the pop's p99 passes its bound.
import { readFileSync, readdirSync } from 'node:fs';

/** Resident memory of a process, MB (undefined when it is gone or this is not Linux). */
function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The children of a process (the web process's worker). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
        } catch {
          return false;
        }
      })
      .map(Number);
  } catch {
    return [];
  }
}

/** Samples the web process's and its worker's resident memory every 500 ms until stopped; their peaks, MB. */
export function sampleMemory(webPid: number): { stop(): { webMb: number; workerMb: number } } {
  let web = 0;
  let worker = 0;
  const take = () => {
    web = Math.max(web, rssMb(webPid) ?? 0);
    for (const c of childrenOf(webPid)) worker = Math.max(worker, rssMb(c) ?? 0);
  };
  take();
  const timer = setInterval(take, 500);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { webMb: Math.round(web), workerMb: Math.round(worker) };
    },
  };
}

/**
 * Raises the call rate by `factor` from `from` until a step's p99 passes `p99LimitMs` or pops go
 * missing; answers the last rate that held (the knee) and the first that did not.
 */
export async function findKnee(
  measure: (rate: number) => Promise<{ p99: number; missing: number }>,
  opts: { from: number; factor?: number; p99LimitMs?: number; maxRate?: number; log: (line: string) => void },
): Promise<{ held?: number; broke?: number }> {
  const factor = opts.factor ?? 1.25;
  const limit = opts.p99LimitMs ?? 100;
  let held: number | undefined;
  for (let rate = opts.from; rate <= (opts.maxRate ?? 1000); rate = Math.round(rate * factor)) {
    const r = await measure(rate);
    const ok = r.p99 <= limit && r.missing === 0;
    opts.log(`knee: ${rate} calls/s → p99 ${r.p99.toFixed(1)} ms, ${r.missing} missing${ok ? '' : ' (past the knee)'}`);
    if (!ok) return { ...(held === undefined ? {} : { held }), broke: rate };
    held = rate;
  }
  return held === undefined ? {} : { held };
}
