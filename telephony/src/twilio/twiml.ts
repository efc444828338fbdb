import twilio from 'twilio';

const { VoiceResponse } = twilio.twiml;

/** TwiML documents, built with the twilio library. */
export const twiml = {
  hold(musicUrl: string, announce?: string): string {
    const r = new VoiceResponse();
    if (announce) r.say(announce);
    r.play({ loop: 0 }, musicUrl);
    return r.toString();
  },
  reject(reason: 'busy' | 'rejected'): string {
    const r = new VoiceResponse();
    r.reject({ reason });
    return r.toString();
  },
  /** `client:agent1` rings a Twilio Client identity, `sip:…` a SIP endpoint, anything else a number. */
  dial(address: string): string {
    const r = new VoiceResponse();
    const dial = r.dial({ answerOnBridge: true });
    if (address.startsWith('client:')) dial.client(address.slice(7));
    else if (address.startsWith('sip:')) dial.sip(address);
    else dial.number(address);
    return r.toString();
  },
};
