// Two observers that run beside the load: a writer of customer notes through the load balancer
// (every note answered 201 must be in the database afterwards; a refusal must be a 503, never a
// 500), and a poller of each server process's /healthz (what it says while the database is away,
// and when it says ok again).
import type { ServerProcess } from './processes';
import { sleep } from './processes';

export interface NoteResult {
  at: number;
  status: number;
  /** Answered 201: the note's id and text, to be found in the database. */
  note?: { id: string; text: string };
  /** The error code of a refusal, when the body had one. */
  code?: string;
}

export class NoteWriter {
  readonly results: NoteResult[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly customerIds: string[],
    private readonly perSecond: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; this.running; i++) {
      const p = this.post(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
      await sleep(1000 / this.perSecond);
    }
    await Promise.all(inFlight);
  }

  private async post(i: number): Promise<void> {
    const customerId = this.customerIds[i % this.customerIds.length] ?? '';
    const text = `fault run note ${i} ${Date.now()}`;
    const at = Date.now();
    try {
      const res = await fetch(`${this.url}/api/customers/${customerId}/notes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await res.json().catch(() => ({}))) as { note?: { id?: string }; error?: { code?: string } };
      const id = body.note?.id;
      this.results.push({
        at,
        status: res.status,
        ...(res.status === 201 && id ? { note: { id, text } } : {}),
        ...(body.error?.code ? { code: body.error.code } : {}),
      });
    } catch {
      this.results.push({ at, status: 0 });
    }
  }
}

export interface HealthSample {
  at: number;
  node: string;
  status: number;
  db: string | undefined;
}

export class HealthPoller {
  readonly samples: HealthSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly servers: ServerProcess[]) {}

  start(everyMs = 250): void {
    this.timer = setInterval(() => {
      for (const server of this.servers) if (server.alive) void this.sample(server);
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(server: ServerProcess): Promise<void> {
    const at = Date.now();
    try {
      const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json().catch(() => ({}))) as { db?: string };
      this.samples.push({ at, node: server.name, status: res.status, db: body.db });
    } catch {
      this.samples.push({ at, node: server.name, status: 0, db: undefined });
    }
  }
}
