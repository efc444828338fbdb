import twilio from 'twilio';
import { CALLBACK_CONFIRMED_TEXT, CALLBACK_OFFER_TEXT, waitAnnouncementText, type WaitAnnouncement } from '../provider';

const { VoiceResponse } = twilio.twiml;

/** TwiML documents, built with the twilio library. */
export const twiml = {
  hold(musicUrl: string, announce?: string): string {
    const r = new VoiceResponse();
    if (announce) r.say(announce);
    r.play({ loop: 0 }, musicUrl);
    return r.toString();
  },
  /**
   * Waiting in line: where the caller stands, the callback offer (a key press during the music
   * posts to `gatherUrl`), one round of music, then Twilio asks `waitUrl` what comes next.
   */
  wait(opts: {
    musicUrl: string;
    waitUrl: string;
    gatherUrl: string;
    announce?: string;
    wait?: WaitAnnouncement;
    offerCallback?: boolean;
  }): string {
    const r = new VoiceResponse();
    if (opts.announce) r.say(opts.announce);
    if (opts.wait) r.say(waitAnnouncementText(opts.wait));
    if (opts.offerCallback) {
      const gather = r.gather({
        input: ['dtmf'],
        numDigits: 1,
        action: opts.gatherUrl,
        method: 'POST',
        actionOnEmptyResult: false,
      });
      gather.say(CALLBACK_OFFER_TEXT);
      gather.play(opts.musicUrl);
    } else {
      r.play(opts.musicUrl);
    }
    r.redirect({ method: 'POST' }, opts.waitUrl);
    return r.toString();
  },
  goodbye(): string {
    const r = new VoiceResponse();
    r.say(CALLBACK_CONFIRMED_TEXT);
    r.hangup();
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
