// What the browser tests (agent-ui/e2e) take from the server: the running-server harness, the
// demo seed, the pieces a first call needs and the console's build check (`@ringside/server/testing`).
export {
  TWILIO,
  addCustomer,
  startCallsHarness,
  until,
  sleep,
  type CallsHarness,
  type TestAgent,
} from './calls-harness';
export { DEMO_PASSWORD, seedDatabase } from '../seed/seed';
export { SuggestionsService } from '../suggestions/suggestions.service';
export { DocumentStore, renderLegalSummary } from '../dunning/documents';
export { isCallable } from '../callbacks/calling-hours';
export { createLogger } from '../logger';
export { systemClock } from '../clock';
export { buildConsoleSync, consoleBuildState } from '../http/console-build.mjs';
