import { describe, expect, it } from 'vitest';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { normalizePhone } from '@ringside/shared';
import { PROFILES } from './names';
import {
  WRITTEN_STYLES,
  expectedE164,
  randomLandline,
  randomMobile,
  writeAndNormalize,
  writePhone,
  type PhoneNumber,
  type SeedCountry,
} from './phones';
import { Rng } from './random';

const COUNTRIES: SeedCountry[] = ['PL', 'HR', 'HU', 'GR'];

describe('seed phone numbers', () => {
  it('writes the forms people use in each country', () => {
    const pl: PhoneNumber = { country: 'PL', kind: 'mobile', groups: ['601', '234', '567'] };
    const plLand: PhoneNumber = { country: 'PL', kind: 'landline', groups: ['22', '123', '45', '67'] };
    const hu: PhoneNumber = { country: 'HU', kind: 'mobile', groups: ['30', '123', '4567'] };
    const hr: PhoneNumber = { country: 'HR', kind: 'mobile', groups: ['91', '234', '5678'] };
    const gr: PhoneNumber = { country: 'GR', kind: 'landline', groups: ['210', '123', '4567'] };
    expect(writePhone(pl, 'national')).toBe('601 234 567');
    expect(writePhone(pl, 'nationalDashes')).toBe('601-234-567');
    expect(writePhone(pl, 'international00')).toBe('0048 601 234 567');
    expect(writePhone(plLand, 'local')).toBe('(22) 123-45-67');
    expect(writePhone(hu, 'national')).toBe('06 30 123 4567');
    expect(writePhone(hu, 'nationalCompact')).toBe('06301234567');
    expect(writePhone(hu, 'local')).toBe('06-30/123-4567');
    expect(writePhone(hu, 'international')).toBe('+36 30 123 4567');
    expect(writePhone(hr, 'national')).toBe('091 234 5678');
    expect(writePhone(hr, 'local')).toBe('091/234-5678');
    expect(writePhone(gr, 'e164')).toBe('+302101234567');
    expect(writePhone(gr, 'national')).toBe('210 123 4567');
  });

  for (const country of COUNTRIES) {
    it(`every written form of ${country} numbers normalizes back to the same valid E.164`, () => {
      const rng = new Rng(7, country.charCodeAt(0));
      const numbers: PhoneNumber[] = [];
      for (let i = 0; i < 60; i++) numbers.push(randomMobile(rng, country));
      for (const city of PROFILES[country].cities) {
        for (let i = 0; i < 6; i++)
          numbers.push(randomLandline(rng, country, city.areaCode, { switchboard: i % 2 === 0 }));
      }
      for (const phone of numbers) {
        const e164 = expectedE164(phone);
        const parsed = parsePhoneNumberFromString(e164);
        expect(parsed?.isValid(), `${e164} should be valid`).toBe(true);
        expect(parsed?.country).toBe(country);
        const type = parsed?.getType();
        if (phone.kind === 'mobile') expect(type, e164).toBe('MOBILE');
        else expect(type, e164).toBe('FIXED_LINE');
        for (const style of WRITTEN_STYLES) {
          const raw = writePhone(phone, style);
          // Through shared's normalizer directly, and through the generator's checked path.
          expect(normalizePhone(raw, country)?.e164, `${raw} (${style})`).toBe(e164);
          expect(writeAndNormalize(phone, style, country)).toEqual({ raw, e164 });
        }
      }
    });
  }

  it('the international forms resolve even against another default country', () => {
    const phone: PhoneNumber = { country: 'GR', kind: 'mobile', groups: ['694', '123', '4567'] };
    for (const style of ['international', 'international00', 'e164'] as const) {
      expect(normalizePhone(writePhone(phone, style), 'PL')?.e164).toBe('+306941234567');
    }
  });
});
