// What `npm run seed` and `npm run bench:seed` share: argument parsing with one clear error
// line, a progress display (a bar on a terminal, periodic lines in logs) and the final report.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import cliProgress from 'cli-progress';
import type { z } from 'zod';
import type { Connection } from 'mongoose';
import type { SeedReport } from './seed';

/** A bad command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `argv` with node's parseArgs, then validates and converts with `schema`. */
export function parseCli<S extends z.ZodType>(argv: string[], options: Options, schema: S): z.output<S> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `--${issue.path.join('.') || 'arguments'} ${issue.message}`);
    throw new UsageError(problems.join('; '));
  }
  return parsed.data;
}

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/** A bar on a TTY; otherwise a line every 10 % or 15 s, whichever comes first. */
export function progressDisplay(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} customers | {rate}/s | ETA {eta_formatted}`,
        stream,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const t0 = performance.now();
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, 0, { rate: 0 });
          started = true;
        }
        bar.update(done, { rate: Math.round(done / Math.max(0.001, (performance.now() - t0) / 1000)) });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  const t0 = performance.now();
  let lastAt = t0;
  let lastTenth = -1;
  return {
    update(done, total) {
      const now = performance.now();
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth === lastTenth && now - lastAt < 15_000) return;
      lastTenth = tenth;
      lastAt = now;
      const seconds = (now - t0) / 1000;
      const pct = total === 0 ? 100 : (done / total) * 100;
      stream.write(
        `${label}: ${done}/${total} customers (${pct.toFixed(0)}%), ${seconds.toFixed(0)} s, ${Math.round(done / Math.max(seconds, 0.001))} customers/s\n`,
      );
    },
    stop() {},
  };
}

export interface DatabaseSize {
  dataSize: number;
  storageSize: number;
  indexSize: number;
}

export async function databaseSize(conn: Connection): Promise<DatabaseSize | undefined> {
  const db = conn.db;
  if (!db) return undefined;
  const stats = await db.command({ dbStats: 1 });
  const num = (v: unknown) => (typeof v === 'number' ? v : 0);
  return { dataSize: num(stats.dataSize), storageSize: num(stats.storageSize), indexSize: num(stats.indexSize) };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Peak resident memory of this process so far (maxRSS is in kilobytes). */
export function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Peak resident memory of another process (Linux /proc), e.g. the database server we started. */
export function processPeakRss(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) another process has used so far (Linux /proc). */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

export interface ServerUsage {
  peakRss?: number;
  cpuSeconds?: number;
}

export function formatReport(
  report: SeedReport,
  extra: { size?: DatabaseSize; wallMs?: number; server?: ServerUsage },
): string {
  const docs =
    report.products +
    report.customers +
    report.orders +
    report.invoices +
    report.payments +
    report.interactions +
    report.cases;
  const seconds = report.ms / 1000;
  const lines = [
    `customers     ${report.customers}`,
    `products      ${report.products}`,
    `orders        ${report.orders}`,
    `invoices      ${report.invoices}`,
    `payments      ${report.payments}`,
    `interactions  ${report.interactions}`,
    `cases         ${report.cases}`,
    `documents     ${docs} (${report.inserted} inserted, ${report.existing} already there)`,
    `time          ${seconds.toFixed(1)} s seeding${extra.wallMs !== undefined ? `, ${(extra.wallMs / 1000).toFixed(1)} s in all` : ''}`,
    `throughput    ${Math.round(docs / Math.max(seconds, 0.001))} documents/s`,
    `peak RSS      ${mb(peakRss())} (this process)${extra.server?.peakRss ? `, ${mb(extra.server.peakRss)} (database server)` : ''}`,
  ];
  // CPU time does not depend on what else the machine is doing, unlike the wall time above.
  const { user, system } = process.cpuUsage();
  const own = `${((user + system) / 1e6).toFixed(0)} s (this process)`;
  lines.push(
    `CPU           ${own}${extra.server?.cpuSeconds !== undefined ? `, ${extra.server.cpuSeconds.toFixed(0)} s (database server)` : ''}`,
  );
  if (extra.size) {
    lines.push(
      `database      data ${mb(extra.size.dataSize)}, storage ${mb(extra.size.storageSize)}, indexes ${mb(extra.size.indexSize)}`,
    );
  }
  return lines.join('\n');
}
