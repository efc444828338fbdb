// Search keys: lower-cased, diacritics folded, so that a prefix typed without accents
// ("lodz", "kovacs") finds the written name ("Łódź", "Kovács") with an indexed range query.

/** Letters that Unicode decomposition does not fold to a base Latin letter. */
const SPECIAL: Record<string, string> = {
  ł: 'l',
  đ: 'd',
  ð: 'd',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  ß: 'ss',
  þ: 'th',
  ı: 'i',
  ŀ: 'l',
  ħ: 'h',
};

/** Greek to Latin, ELOT 743 (simplified): agents type Greek names on Latin keyboards. */
const GREEK: Record<string, string> = {
  α: 'a',
  β: 'v',
  γ: 'g',
  δ: 'd',
  ε: 'e',
  ζ: 'z',
  η: 'i',
  θ: 'th',
  ι: 'i',
  κ: 'k',
  λ: 'l',
  μ: 'm',
  ν: 'n',
  ξ: 'x',
  ο: 'o',
  π: 'p',
  ρ: 'r',
  σ: 's',
  ς: 's',
  τ: 't',
  υ: 'y',
  φ: 'f',
  χ: 'ch',
  ψ: 'ps',
  ω: 'o',
};

/** Lower-case, strip accents, fold special letters; keeps letters, digits and single spaces. */
export function foldText(input: string): string {
  const lower = input
    .normalize('NFD')
    .replace(/\p{Mn}+/gu, '')
    .toLowerCase();
  let out = '';
  for (const ch of lower) out += SPECIAL[ch] ?? ch;
  return out
    .replace(/[^\p{L}\p{N}@.+_-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Greek digraphs that ELOT 743 writes as one Latin pair (checked before single letters). */
const GREEK_PAIRS: Record<string, string> = {
  ου: 'ou',
  αυ: 'av',
  ευ: 'ev',
  ηυ: 'iv',
  γγ: 'ng',
  γκ: 'gk',
  γξ: 'nx',
  γχ: 'nch',
  μπ: 'mp',
  ντ: 'nt',
};

/** foldText, with Greek letters transliterated to Latin as well. */
export function foldLatin(input: string): string {
  const folded = foldText(input);
  let out = '';
  for (let i = 0; i < folded.length; i++) {
    const pair = GREEK_PAIRS[folded.slice(i, i + 2)];
    if (pair) {
      out += pair;
      i++;
      continue;
    }
    const ch = folded[i] ?? '';
    out += GREEK[ch] ?? ch;
  }
  return out;
}

/**
 * The search keys of a name: the whole folded name and each word from where it starts, in the
 * written script and (if different) in Latin transliteration. "Anna Kovács" → ["anna kovacs", "kovacs"].
 */
export function nameKeys(name: string): string[] {
  const keys = new Set<string>();
  for (const folded of [foldText(name), foldLatin(name)]) {
    const words = folded.split(' ').filter(Boolean);
    for (let i = 0; i < words.length; i++) keys.add(words.slice(i).join(' '));
  }
  return [...keys];
}

/**
 * The half-open range [gte, lt) of keys that start with `prefix`: an indexed range scan,
 * never a regex (see DESIGN.md's measured database facts). On an array field such as
 * `nameKeys`, wrap it in `$elemMatch` so that both bounds hold for the same key.
 */
export function prefixRange(prefix: string): { $gte: string; $lt: string } {
  const last = prefix.codePointAt(prefix.length - 1) ?? 0;
  return { $gte: prefix, $lt: prefix.slice(0, -1) + String.fromCodePoint(last + 1) };
}

/** How many letters and digits `text` has once folded ("Łó-dź" → 4): what a name prefix is measured by. */
export function letterCount(text: string): number {
  return [...foldLatin(text)].filter((ch) => /[\p{L}\p{N}]/u.test(ch)).length;
}
