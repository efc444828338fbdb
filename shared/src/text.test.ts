import { describe, expect, it } from 'vitest';
import { foldLatin, foldText, nameKeys, prefixRange } from './text';

describe('search keys', () => {
  it('folds case and diacritics, including letters without a decomposition', () => {
    expect(foldText('Łódź')).toBe('lodz');
    expect(foldText('Kovács Ödön')).toBe('kovacs odon');
    expect(foldText('Đurđević, Šime')).toBe('durdevic sime');
    expect(foldText('  ZAŻÓŁĆ   gęślą ')).toBe('zazolc gesla');
  });

  it('transliterates Greek so that a Latin keyboard finds it', () => {
    expect(foldText('Παπαδόπουλος')).toBe('παπαδοπουλος');
    expect(foldLatin('Παπαδόπουλος')).toBe('papadopoulos');
    expect(foldLatin('Χριστίνα Ψαρρά')).toBe('christina psarra');
  });

  it('keys every word onward, in the written script and in Latin', () => {
    expect(nameKeys('Anna Kovács')).toEqual(['anna kovacs', 'kovacs']);
    expect(nameKeys('Γιώργος Νικολάου')).toEqual(['γιωργος νικολαου', 'νικολαου', 'giorgos nikolaou', 'nikolaou']);
  });

  it('turns a prefix into an index range that contains exactly the keys starting with it', () => {
    const range = prefixRange('kowal');
    expect(range).toEqual({ $gte: 'kowal', $lt: 'kowam' });
    const inRange = (k: string) => k >= range.$gte && k < range.$lt;
    expect(['kowal', 'kowalski', 'kowalska anna'].every(inRange)).toBe(true);
    expect(['kowak', 'kowam', 'kowb', 'kow'].some(inRange)).toBe(false);
  });
});
