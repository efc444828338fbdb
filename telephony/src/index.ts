export * from './provider';
export * from './twilio/twilio-provider';
