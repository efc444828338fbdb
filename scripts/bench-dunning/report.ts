// How the dunning benchmark prints: sizes, durations and counts, and one scan's report (what it
// did, its phases, CPU time and peak memory of this process and of the database server).
import type { ScanReport } from '../../server/src/dunning/dunning.service';
import type { Run } from './measure';

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const n = (x: number) => x.toLocaleString('en');

export function printReport(title: string, report: ScanReport, run: Run, sms: number) {
  console.log(`\n${title}`);
  console.log(`  wall time          ${seconds(run.ms)}`);
  console.log(`  overdue invoices   ${n(report.overdueInvoices)}`);
  console.log(
    `  cases              ${n(report.cases.live)} live; opened ${n(report.cases.opened)}, updated ${n(report.cases.updated)}, closed ${n(report.cases.closed)}`,
  );
  console.log(`  cases looked at    ${n(report.cases.due)} due`);
  console.log(
    `  phases             invoices and cases read ${seconds(report.phases.read)}, then cases in step ${seconds(report.phases.sync)}; steps (begun with the reading) done at ${seconds(report.phases.steps)}`,
  );
  console.log(
    `  steps' parts       ${Object.entries(report.stepParts)
      .map(([part, ms]) => `${part} ${seconds(ms)}`)
      .join(', ')} (summed over batches in flight)`,
  );
  const actions = Object.entries(report.actions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${n(v)}`);
  console.log(`  actions            ${actions.join(', ')}`);
  console.log(`  SMS requests       ${n(sms)} at the Twilio stand-in`);
  console.log(
    `  CPU time           scanning process ${seconds(run.cpu)}; database server ${run.dbCpu === undefined ? 'n/a' : seconds(run.dbCpu)} (2 cores: ${seconds(2 * run.ms)} available)`,
  );
  console.log(
    `  peak RSS           scanning process ${mb(run.peak)} (${mb(run.baseline)} before the scan); database server ${run.dbPeak === undefined ? 'n/a (not run by this machine)' : mb(run.dbPeak)}`,
  );
}
