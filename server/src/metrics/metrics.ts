import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CallPathHealth } from './call-path-health';

/** Prometheus metrics of one app instance, served at `GET /metrics`. */
export interface Metrics {
  registry: Registry;
  popLatency: Histogram<'provider'>;
  /**
   * Where a pop's milliseconds go: resolve+build (the caller look-up and the pop, together), within it
   * popsummary (the pop summary's read by id) and popbuild (the full build, only when the summary was
   * missing or stale), then wait, reserve, store, deliver (sent → acknowledged).
   */
  popStage: Histogram<'stage'>;
  calls: Counter<'provider'>;
  queueWaiting: Gauge<'queue'>;
  setWaiting(queue: string, n: number): void;
  /** This process's event-loop stalls and recent pop latency (started and stopped with the app). */
  health: CallPathHealth;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const popLatency = new Histogram({
    name: 'ringside_pop_latency_seconds',
    help: 'Provider event received → screen pop acknowledged by the agent console',
    labelNames: ['provider'],
    buckets: [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const popStage = new Histogram({
    name: 'ringside_pop_stage_seconds',
    help: 'Time spent per stage of the screen-pop path',
    labelNames: ['stage'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
    registers: [registry],
  });
  const calls = new Counter({
    name: 'ringside_calls_total',
    help: 'Inbound calls received',
    labelNames: ['provider'],
    registers: [registry],
  });
  const queueWaiting = new Gauge({
    name: 'ringside_queue_waiting',
    help: 'Calls waiting per queue',
    labelNames: ['queue'],
    registers: [registry],
  });
  return {
    registry,
    popLatency,
    popStage,
    calls,
    queueWaiting,
    setWaiting: (queue, n) => queueWaiting.set({ queue }, n),
    health: new CallPathHealth(),
  };
}
