import { describe, expect, it } from 'vitest';
import { normalizePhone } from './phone';

describe('normalizePhone', () => {
  it.each([
    ['601 234 567', 'PL', '+48601234567'],
    ['601-234-567', 'PL', '+48601234567'],
    ['+48 601 234 567', 'PL', '+48601234567'],
    ['0048601234567', 'PL', '+48601234567'],
    ['(22) 628 12 34', 'PL', '+48226281234'],
    ['06 30 123 4567', 'HU', '+36301234567'],
    ['+36 30 123 4567', 'PL', '+36301234567'],
    ['091 234 5678', 'HR', '+385912345678'],
    ['00385 91 234 5678', 'PL', '+385912345678'],
    ['694 123 4567', 'GR', '+306941234567'],
    ['tel:+306941234567', 'PL', '+306941234567'],
    ['sip:+48601234567@pbx.example.com', 'PL', '+48601234567'],
  ] as const)('%s (default %s) → %s', (raw, country, e164) => {
    expect(normalizePhone(raw, country)).toMatchObject({ raw, e164 });
  });

  it('refuses what is not a phone number', () => {
    expect(normalizePhone('', 'PL')).toBeNull();
    expect(normalizePhone('anonymous', 'PL')).toBeNull();
    expect(normalizePhone('12', 'PL')).toBeNull();
  });
});
