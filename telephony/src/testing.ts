// Provider-boundary stand-ins for tests, the call simulator and benchmarks.
export * from './twilio/testing/twilio-rest-server';
export * from './asterisk/testing/ari-server';
