// What bench:pop measures besides the pops themselves: latency summaries, the floor (an indexed
// read and a Socket.IO round trip on this machine) and the app's per-stage figures from /metrics.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import { io as connectSocket } from 'socket.io-client';
import type { Database } from '../../server/src/db/connection';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
export const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
export function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
}

export async function floor(
  db: Database,
  numbers: string[],
): Promise<{ db: ReturnType<typeof summary>; emit: ReturnType<typeof summary> }> {
  const dbSamples: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await db.models.Customer.findOne({ phoneKeys: numbers[(i * 37) % numbers.length] }).lean();
    dbSamples.push(performance.now() - t);
  }
  const http = createServer();
  const io = new IoServer(http);
  io.on('connection', (s) => s.on('ping-floor', (ack: () => void) => ack()));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const client = connectSocket(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
    transports: ['websocket'],
  });
  await new Promise<void>((r) => client.once('connect', () => r()));
  const emitSamples: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t = performance.now();
    await new Promise<void>((r) => client.emit('ping-floor', () => r()));
    emitSamples.push(performance.now() - t);
  }
  client.close();
  await new Promise<void>((r) => io.close(() => r()));
  return { db: summary(dbSamples), emit: summary(emitSamples) };
}

export interface StageTotals {
  sum: number;
  count: number;
  /** Cumulative counts per bucket upper bound (seconds). */
  buckets: Map<number, number>;
}

/** Per-stage totals of the pop path, read from the app's Prometheus metrics. */
export async function popStages(url: string, metricsToken: string): Promise<Map<string, StageTotals>> {
  const text = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } }).then((r) =>
    r.text(),
  );
  const stages = new Map<string, StageTotals>();
  const entry = (stage: string) => {
    const e = stages.get(stage) ?? { sum: 0, count: 0, buckets: new Map<number, number>() };
    stages.set(stage, e);
    return e;
  };
  for (const m of text.matchAll(/^ringside_pop_stage_seconds_(sum|count)\{stage="([^"]+)"\} (\S+)$/gm)) {
    const [, kind, stage, value] = m;
    if (kind && stage && value) entry(stage)[kind as 'sum' | 'count'] = Number(value);
  }
  for (const m of text.matchAll(/^ringside_pop_stage_seconds_bucket\{le="([^"]+)",stage="([^"]+)"\} (\S+)$/gm)) {
    const [, le, stage, value] = m;
    if (le && stage && value && le !== '+Inf') entry(stage).buckets.set(Number(le), Number(value));
  }
  return stages;
}

/** Mean and the p99 bucket of each stage between two readings. */
export function stageFigures(before: Map<string, StageTotals>, after: Map<string, StageTotals>): string {
  return [...after]
    .map(([stage, a]) => {
      const b = before.get(stage);
      const count = a.count - (b?.count ?? 0);
      if (count <= 0) return `${stage} -`;
      const mean = ((a.sum - (b?.sum ?? 0)) / count) * 1000;
      const bound = [...a.buckets].find(([le, n]) => n - (b?.buckets.get(le) ?? 0) >= 0.99 * count)?.[0];
      return `${stage} ×${count} mean ${mean.toFixed(2)} ms, p99 ${bound === undefined ? '> 500 ms' : `≤ ${bound * 1000} ms`}`;
    })
    .join('; ');
}
