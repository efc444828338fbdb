// After the run: what the callers, consoles and probes saw, set against the database and the
// server processes' own logs. Each check is one line, `ok` or `FAIL`; the figures go in a table.
import type { Types } from 'mongoose';
import type { Models } from '../../server/src/db/models';
import type { AgentConsole, Counters } from './consoles';
import type { CallRecord, Ledger } from './ledger';
import type { HealthSample, NoteResult } from './probes';
import type { ServerProcess, UnexpectedExit } from './processes';

export class Report {
  readonly rows: Array<[string, string]> = [];
  readonly lines: Array<{ ok: boolean; text: string }> = [];

  figure(name: string, value: string | number): void {
    this.rows.push([name, String(value)]);
  }

  check(ok: boolean, text: string): void {
    this.lines.push({ ok, text });
  }

  get failed(): number {
    return this.lines.filter((l) => !l.ok).length;
  }

  print(): void {
    const width = Math.max(...this.rows.map(([k]) => k.length));
    console.log('\nfigures');
    for (const [k, v] of this.rows) console.log(`  ${k.padEnd(width)}  ${v}`);
    console.log('\nchecks');
    for (const l of this.lines) console.log(`  ${l.ok ? 'ok  ' : 'FAIL'}  ${l.text}`);
  }
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);
const TERMINAL = new Set(['ended', 'abandoned']);

export interface RunFacts {
  models: Models;
  ledger: Ledger;
  consoles: AgentConsole[];
  counters: Counters;
  callerStatuses: Map<string, number>;
  notes: NoteResult[];
  health: HealthSample[];
  servers: ServerProcess[];
  exits: UnexpectedExit[];
  callbacksAcked: Set<string>;
  /** Consoles on the killed process when it was killed, and when each was connected again. */
  moved: Array<{ n: number; connectedAt: number | undefined; firstPopAt: number | undefined }>;
  drained: number;
  runMs: number;
}

export async function checkRun(facts: RunFacts, report: Report): Promise<void> {
  const { ledger, models } = facts;
  const f = ledger.faults;
  const calls = [...ledger.calls.values()];

  for (const exit of facts.exits)
    report.check(
      false,
      `server ${exit.server} ended by itself (code ${exit.code}, signal ${exit.signal}) ${seconds(exit.at - f.loadStart)} into the load`,
    );
  if (facts.exits.length === 0) report.check(true, 'no server process ended by itself');

  // Calls: what the callers saw.
  const admitted = calls.filter((c) => c.webhook?.status === 200);
  const refused = calls.filter((c) => c.refused);
  const offered = calls.filter((c) => c.pops.length > 0);
  const answered = calls.filter((c) => c.dialedAt !== undefined);
  const unanswered = admitted.filter((c) => c.hungUp?.why === 'drain');
  report.figure('calls sent', calls.length);
  report.figure('calls/s held', ((calls.length / ((f.loadEnd ?? Date.now()) - f.loadStart)) * 1000).toFixed(1));
  report.figure('calls admitted (voice 200)', admitted.length);
  report.figure('calls refused (no TwiML)', refused.length);
  report.figure('calls offered (pop at a console)', offered.length);
  report.figure('calls answered (<Dial>)', answered.length);
  report.figure('calls never answered (hung up at the end)', unanswered.length);
  const waits = answered.map((c) => (c.dialedAt ?? 0) - c.sentAt).sort((a, b) => a - b);
  report.figure(
    'answer time p50 / p99 / max',
    `${seconds(pct(waits, 50))} / ${seconds(pct(waits, 99))} / ${seconds(waits.at(-1))}`,
  );
  for (const [k, v] of [...facts.callerStatuses].sort()) report.figure(`webhook answers: ${k}`, v);

  // Refusals belong in the database outage, as 503.
  const dbWindow = (c: CallRecord) =>
    f.dbStopAt !== undefined && c.sentAt >= f.dbStopAt - 2000 && c.sentAt <= (f.dbStartAt ?? Infinity) + 30_000;
  const refusedOutside = refused.filter((c) => !dbWindow(c));
  report.check(
    refusedOutside.length === 0,
    `calls refused outside the database outage: ${refusedOutside.length}${refusedOutside[0] ? ` (first: ${refusedOutside[0].sid}, answer ${refusedOutside[0].webhook?.status})` : ''}`,
  );
  const five00 = [...facts.callerStatuses].filter(([k]) => / 500$/.test(k)).reduce((s, [, v]) => s + v, 0);
  report.check(five00 === 0, `webhooks answered 500 (a database outage must be a 503): ${five00}`);

  // The database's account of every call.
  const sids = calls.map((c) => c.sid);
  const stored = new Map<string, { state: string; offers: number; agentId?: Types.ObjectId }>();
  const entries = new Map<string, number>();
  for (let i = 0; i < sids.length; i += 500) {
    const chunk = sids.slice(i, i + 500);
    for (const c of await models.Call.find({ _id: { $in: chunk } }, { state: 1, offers: 1, agentId: 1 }).lean())
      stored.set(c._id, { state: c.state, offers: c.offers.length, ...(c.agentId ? { agentId: c.agentId } : {}) });
    for (const e of await models.Interaction.find({ callId: { $in: chunk }, type: 'call' }, { callId: 1 }).lean())
      if (e.callId) entries.set(e.callId, (entries.get(e.callId) ?? 0) + 1);
  }
  const byState = new Map<string, number>();
  for (const c of stored.values()) byState.set(c.state, (byState.get(c.state) ?? 0) + 1);
  report.figure('calls in the database by state', [...byState].map(([k, v]) => `${k} ${v}`).join(', '));
  const stuck = [...stored].filter(([, c]) => !TERMINAL.has(c.state));
  const missing = admitted.filter((c) => !stored.has(c.sid));
  const lost = new Set([...unanswered.map((c) => c.sid), ...stuck.map(([sid]) => sid), ...missing.map((c) => c.sid)]);
  report.figure('calls lost', lost.size);
  report.check(
    lost.size === 0,
    `calls lost: ${lost.size} (never answered ${unanswered.length}, left in a live state ${stuck.length}${stuck[0] ? ` e.g. ${stuck[0][0]} ${stuck[0][1].state}` : ''}, admitted but not stored ${missing.length})`,
  );
  const answeredNotEnded = answered.filter((c) => stored.get(c.sid)?.state !== 'ended');
  report.check(answeredNotEnded.length === 0, `answered calls not wrapped up to "ended": ${answeredNotEnded.length}`);
  const duplicated = [...entries].filter(([, n]) => n > 1).length;
  const noEntry = admitted.filter((c) => !entries.has(c.sid)).length;
  report.figure('interactions duplicated / missing', `${duplicated} / ${noEntry}`);
  report.check(duplicated === 0, `calls with more than one interaction entry: ${duplicated}`);
  report.check(noEntry === 0, `admitted calls without their interaction entry: ${noEntry}`);

  // Callbacks scheduled at wrap-up: one per customer, reason and half-hour window, none lost.
  const callbacks = await models.Callback.find({ source: 'agent' }, { customerId: 1, reason: 1, dueAt: 1 }).lean();
  const keys = new Map<string, number>();
  for (const cb of callbacks) {
    const key = `${cb.customerId.toString()}|${cb.reason}|${Math.floor(cb.dueAt.getTime() / 1_800_000)}`;
    keys.set(key, (keys.get(key) ?? 0) + 1);
  }
  const cbDup = [...keys.values()].filter((n) => n > 1).length;
  const cbIds = new Set(callbacks.map((c) => c._id.toString()));
  const cbLost = [...facts.callbacksAcked].filter((id) => !cbIds.has(id)).length;
  report.figure('callbacks scheduled / duplicated / lost', `${callbacks.length} / ${cbDup} / ${cbLost}`);
  report.check(cbDup === 0, `callbacks duplicated: ${cbDup}`);
  report.check(cbLost === 0, `acknowledged callbacks missing: ${cbLost}`);

  // Agents are free again.
  const agents = await models.User.find(
    { _id: { $in: facts.consoles.map((c) => c.agentId) } },
    { state: 1, console: 1 },
  ).lean();
  const busy = agents.filter((a) => ['reserved', 'on_call', 'wrap_up'].includes(a.state.status));
  const agentStates = new Map<string, number>();
  for (const a of agents) agentStates.set(a.state.status, (agentStates.get(a.state.status) ?? 0) + 1);
  report.figure('agents at the end by state', [...agentStates].map(([k, v]) => `${k} ${v}`).join(', '));
  report.check(busy.length === 0, `agents left reserved, on a call or in wrap-up with no call: ${busy.length}`);

  // The kill: consoles moved to the survivor.
  const killAt = f.killAt ?? 0;
  const back = facts.moved.filter((m) => m.connectedAt !== undefined);
  const reconnectMs = back.length ? Math.max(...back.map((m) => (m.connectedAt ?? 0) - killAt)) : undefined;
  const servedMs = facts.moved.every((m) => m.firstPopAt !== undefined)
    ? Math.max(...facts.moved.map((m) => (m.firstPopAt ?? 0) - killAt))
    : undefined;
  report.figure(`consoles on ${f.killedNode ?? 'the killed server'} when it was killed`, facts.moved.length);
  report.figure('kill → all moved consoles connected again', seconds(reconnectMs));
  report.figure('kill → every moved console had a pop again', seconds(servedMs));
  report.check(facts.moved.length > 0, `consoles on the killed server: ${facts.moved.length}`);
  report.check(
    back.length === facts.moved.length && reconnectMs !== undefined && reconnectMs < 30_000,
    `moved consoles connected again through nginx: ${back.length} of ${facts.moved.length} within ${seconds(reconnectMs)} (at most 30 s)`,
  );
  report.check(
    servedMs !== undefined,
    `every moved console was offered a call again (${seconds(servedMs)} after the kill)`,
  );

  checkDatabaseOutage(facts, report);
  await checkNotes(facts, report);
  checkRedisOutage(facts, report);

  for (const [k, v] of facts.counters.entries('')) report.figure(`consoles: ${k}`, v);
  report.figure('run time', seconds(facts.runMs));
}

function checkDatabaseOutage(facts: RunFacts, report: Report): void {
  const f = facts.ledger.faults;
  if (f.dbStopAt === undefined || f.dbStartAt === undefined) return;
  const stopAt = f.dbStopAt;
  const startAt = f.dbStartAt;
  // Away for sure: from 2 s after the stop began until the start began, less the 1.5 s a ping may
  // wait (a probe sent just before the start can be answered by the database that came back).
  const backFrom = (f.dbStartingAt ?? startAt) - 1500;
  report.figure('database down for', seconds(startAt - stopAt));
  for (const server of facts.servers) {
    const samples = facts.health.filter((s) => s.node === server.name);
    const during = samples.filter((s) => s.at > stopAt + 2000 && s.at < backFrom);
    const down = during.filter((s) => s.status === 503 && s.db === 'down').length;
    const other = during.filter((s) => !(s.status === 503 && s.db === 'down'));
    report.check(
      during.length > 0 && other.length === 0,
      `${server.name}: /healthz while the database was away: ${down} of ${during.length} answered 503 db "down"${other[0] ? ` (also ${other[0].status} ${other[0].db ?? ''})` : ''}`,
    );
    const recovered = samples.find((s) => s.at > startAt && s.status === 200 && s.db === 'ok');
    report.figure(
      `${server.name}: database back → /healthz ok`,
      seconds(recovered ? recovered.at - startAt : undefined),
    );
    report.check(
      recovered !== undefined && recovered.at - startAt < 30_000,
      `${server.name}: recovered by itself after the database came back`,
    );
  }
}

async function checkNotes(facts: RunFacts, report: Report): Promise<void> {
  const notes = facts.notes;
  const byStatus = new Map<string, number>();
  for (const n of notes) {
    const key = `${n.status || 'no answer'}${n.code ? ` ${n.code}` : ''}`;
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  report.figure('notes posted, by answer', [...byStatus].map(([k, v]) => `${k}: ${v}`).join(', '));
  const acked = notes.flatMap((n) => (n.note ? [n.note] : []));
  const found = new Map<string, string>();
  for (let i = 0; i < acked.length; i += 500) {
    const ids = acked.slice(i, i + 500).map((n) => n.id);
    for (const doc of await facts.models.Interaction.find({ _id: { $in: ids } }, { summary: 1 }).lean())
      found.set(doc._id.toString(), doc.summary);
  }
  const lost = acked.filter((n) => found.get(n.id) !== n.text).length;
  report.check(lost === 0, `notes answered 201 and not in the database: ${lost} of ${acked.length}`);
  const refusedBadly = notes.filter((n) => n.status >= 500 && n.status !== 503).length;
  report.check(refusedBadly === 0, `notes refused with a 5xx other than 503: ${refusedBadly}`);
  const f = facts.ledger.faults;
  const refused503 = notes.filter((n) => n.status === 503 && n.code === 'unavailable').length;
  if (f.dbStopAt !== undefined)
    report.check(
      refused503 > 0 || notes.every((n) => n.status === 201),
      `notes refused with 503 unavailable during the outage: ${refused503}`,
    );
}

function checkRedisOutage(facts: RunFacts, report: Report): void {
  const f = facts.ledger.faults;
  if (f.redisStopAt === undefined || f.redisStartAt === undefined) return;
  const stopAt = f.redisStopAt;
  const startAt = f.redisStartAt;
  // Which process offered a pop: a call offered on arrival pops before its voice webhook is
  // answered (the pop is on screen before Twilio is told anything), so a first pop that came before
  // the answer of a webhook sent once was offered by the process that answered it. Pops of calls
  // that waited in line (offered by whichever process freed an agent) are left out.
  const pops: Array<{ at: number; cross: boolean }> = [];
  for (const call of facts.ledger.calls.values()) {
    const first = call.pops[0];
    const hook = call.webhook;
    if (!first || !hook || hook.status !== 200 || hook.attempts !== 1 || !hook.node || !first.consoleNode) continue;
    if (first.at > hook.at) continue;
    pops.push({ at: first.at, cross: hook.node !== first.consoleNode });
  }
  const during = pops.filter((p) => p.at > stopAt + 500 && p.at < startAt);
  const same = during.filter((p) => !p.cross).length;
  const cross = during.length - same;
  const crossBefore = pops.filter((p) => p.cross && p.at < stopAt).length;
  const firstCrossAfter = pops.filter((p) => p.cross && p.at > startAt).sort((a, b) => a.at - b.at)[0];
  report.figure('Redis down for', seconds(startAt - stopAt));
  report.figure('pops while Redis was down: same node / cross-node', `${same} / ${cross}`);
  report.figure('cross-node pops before the outage', crossBefore);
  report.figure(
    'Redis back → first cross-node pop',
    seconds(firstCrossAfter ? firstCrossAfter.at - startAt : undefined),
  );
  report.check(same > 0, `pops reached consoles on the offering server while Redis was down: ${same}`);
  report.check(
    firstCrossAfter !== undefined && firstCrossAfter.at - startAt < 20_000,
    `cross-node pops came back after Redis: ${firstCrossAfter ? `${seconds(firstCrossAfter.at - startAt)} after it was up` : 'none'}`,
  );
}

function pct(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
