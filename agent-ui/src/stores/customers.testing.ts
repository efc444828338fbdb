// For the customer stores' tests: a signed-in agent and the server's answers, without a server.
import { createPinia, setActivePinia } from 'pinia';
import { useSessionStore } from './session';

export const CUSTOMER = '665f1c2e9b1e4a0012340001';

/** A fresh set of stores, signed in as an agent whose token is `jwt-agent`. */
export function signInAgent(): void {
  setActivePinia(createPinia());
  useSessionStore().token = 'jwt-agent';
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/** A refusal as the server words it: `{ error: { code, message } }`. */
export const refuse = (status: number, code: string, message: string, details?: unknown) =>
  json(status, { error: { code, message, ...(details === undefined ? {} : { details }) } });
