export * from './provider';
export * from './twilio/twilio-provider';
export * from './asterisk/asterisk-provider';
