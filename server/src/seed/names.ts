// People, companies and addresses of the four markets, in their own script and diacritics.
// Word lists come from faker's locale data (read as plain lists, picked with our own seeded
// PRNG) where it is good; the most common names, gendered surname forms (Polish -ski/-ska, Greek
// -πουλος/-πούλου), Polish streets and the big cities with their postcodes and area codes are
// listed here because faker's lists lack them or mix the forms.
import { faker as fakerEL } from '@faker-js/faker/locale/el';
import { faker as fakerHR } from '@faker-js/faker/locale/hr';
import { faker as fakerHU } from '@faker-js/faker/locale/hu';
import { faker as fakerPL } from '@faker-js/faker/locale/pl';
import type { Faker } from '@faker-js/faker';
import { foldLatin } from '@ringside/shared';
import type { SeedCountry } from './phones';
import type { Rng } from './random';

export type Gender = 'female' | 'male';

export interface City {
  name: string;
  /** Leading postcode digits used in the city. */
  postcodePrefixes: readonly string[];
  /** Landline area code (national significant digits, no trunk prefix). */
  areaCode: string;
  weight: number;
}

export interface CountryProfile {
  country: SeedCountry;
  timeZone: string;
  currency: 'PLN' | 'EUR' | 'HUF';
  language: string;
  /** Family name first (Hungarian usage: "Kovács Anna"). */
  familyNameFirst: boolean;
  cities: readonly City[];
  /** Smaller towns from faker's list; they get an area code from `cities` at random. */
  towns: readonly string[];
  postcodeLength: number;
  formatPostcode(digits: string): string;
}

// faker's definitions are typed as optional records; read them defensively.
function list(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
function gendered(f: Faker, key: 'first_name' | 'last_name', gender: Gender | 'generic'): string[] {
  const group = f.rawDefinitions.person?.[key];
  if (!group || typeof group !== 'object') return [];
  return list((group as Record<string, unknown>)[gender]);
}
function locationList(f: Faker, key: string): string[] {
  return list((f.rawDefinitions.location as Record<string, unknown> | undefined)?.[key]);
}

const city = (name: string, postcodePrefixes: string[], areaCode: string, weight: number): City => ({
  name,
  postcodePrefixes,
  areaCode,
  weight,
});

export const PROFILES: Record<SeedCountry, CountryProfile> = {
  PL: {
    country: 'PL',
    timeZone: 'Europe/Warsaw',
    currency: 'PLN',
    language: 'pl',
    familyNameFirst: false,
    cities: [
      city('Warszawa', ['00', '01', '02', '03', '04'], '22', 20),
      city('Kraków', ['30', '31'], '12', 9),
      city('Łódź', ['90', '91', '92', '93', '94'], '42', 7),
      city('Wrocław', ['50', '51', '52', '53', '54'], '71', 7),
      city('Poznań', ['60', '61'], '61', 6),
      city('Gdańsk', ['80'], '58', 5),
      city('Szczecin', ['70', '71'], '91', 4),
      city('Lublin', ['20'], '81', 4),
      city('Katowice', ['40'], '32', 4),
      city('Bydgoszcz', ['85'], '52', 3),
      city('Białystok', ['15'], '85', 3),
      city('Rzeszów', ['35'], '17', 2),
    ],
    towns: locationList(fakerPL, 'city_name'),
    postcodeLength: 5,
    formatPostcode: (d) => `${d.slice(0, 2)}-${d.slice(2)}`,
  },
  HR: {
    country: 'HR',
    timeZone: 'Europe/Zagreb',
    currency: 'EUR',
    language: 'hr',
    familyNameFirst: false,
    cities: [
      city('Zagreb', ['10'], '1', 30),
      city('Split', ['21'], '21', 10),
      city('Rijeka', ['51'], '51', 7),
      city('Osijek', ['31'], '31', 6),
      city('Zadar', ['23'], '23', 4),
      city('Pula', ['52'], '52', 3),
      city('Slavonski Brod', ['35'], '35', 3),
      city('Varaždin', ['42'], '42', 3),
      city('Dubrovnik', ['20'], '20', 2),
    ],
    towns: locationList(fakerHR, 'city_name'),
    postcodeLength: 5,
    formatPostcode: (d) => d,
  },
  HU: {
    country: 'HU',
    timeZone: 'Europe/Budapest',
    currency: 'HUF',
    language: 'hu',
    familyNameFirst: true,
    cities: [
      city('Budapest', ['10', '11', '12'], '1', 35),
      city('Debrecen', ['40'], '52', 6),
      city('Szeged', ['67'], '62', 5),
      city('Miskolc', ['35'], '46', 5),
      city('Pécs', ['76'], '72', 4),
      city('Győr', ['90'], '96', 4),
      city('Nyíregyháza', ['44'], '42', 3),
      city('Kecskemét', ['60'], '76', 3),
    ],
    towns: locationList(fakerHU, 'city_name'),
    postcodeLength: 4,
    formatPostcode: (d) => d,
  },
  GR: {
    country: 'GR',
    timeZone: 'Europe/Athens',
    currency: 'EUR',
    language: 'el',
    familyNameFirst: false,
    cities: [
      city('Αθήνα', ['104', '105', '106', '111', '112', '113', '114', '115', '116', '117'], '210', 35),
      city('Θεσσαλονίκη', ['540', '541', '546', '551'], '2310', 14),
      city('Πειραιάς', ['185'], '210', 6),
      city('Πάτρα', ['262', '263'], '2610', 5),
      city('Ηράκλειο', ['712', '713', '714'], '2810', 5),
      city('Λάρισα', ['412', '413'], '2410', 4),
      city('Βόλος', ['382', '383'], '2421', 3),
    ],
    towns: locationList(fakerEL, 'city_name').filter((name) => !['Νέα', 'Άγιος'].includes(name)),
    postcodeLength: 5,
    formatPostcode: (d) => `${d.slice(0, 3)} ${d.slice(3)}`,
  },
};

// ---- given names -------------------------------------------------------------------------

const COMMON_GIVEN: Record<SeedCountry, Record<Gender, readonly string[]>> = {
  PL: {
    female: [
      'Anna',
      'Maria',
      'Katarzyna',
      'Małgorzata',
      'Agnieszka',
      'Barbara',
      'Ewa',
      'Krystyna',
      'Magdalena',
      'Elżbieta',
      'Joanna',
      'Aleksandra',
      'Monika',
      'Zofia',
      'Teresa',
      'Danuta',
      'Natalia',
      'Karolina',
      'Marta',
      'Beata',
      'Dorota',
      'Halina',
      'Jadwiga',
      'Janina',
      'Julia',
      'Justyna',
      'Paulina',
      'Iwona',
      'Grażyna',
      'Renata',
      'Alicja',
      'Zuzanna',
      'Wiktoria',
      'Hanna',
      'Maja',
    ],
    male: [
      'Piotr',
      'Krzysztof',
      'Andrzej',
      'Tomasz',
      'Paweł',
      'Jan',
      'Michał',
      'Marcin',
      'Stanisław',
      'Jakub',
      'Adam',
      'Marek',
      'Łukasz',
      'Grzegorz',
      'Mateusz',
      'Wojciech',
      'Mariusz',
      'Dariusz',
      'Zbigniew',
      'Jerzy',
      'Maciej',
      'Rafał',
      'Robert',
      'Kamil',
      'Józef',
      'Janusz',
      'Ryszard',
      'Tadeusz',
      'Dawid',
      'Szymon',
      'Bartosz',
      'Kacper',
      'Sławomir',
      'Przemysław',
      'Kazimierz',
    ],
  },
  HR: {
    female: [
      'Ana',
      'Marija',
      'Ivana',
      'Petra',
      'Maja',
      'Lucija',
      'Kristina',
      'Sara',
      'Martina',
      'Nikolina',
      'Katarina',
      'Ivona',
      'Jelena',
      'Mirjana',
      'Snježana',
      'Vesna',
      'Sanja',
      'Marina',
      'Dragica',
      'Gordana',
      'Tea',
      'Ema',
      'Mia',
      'Lana',
      'Josipa',
      'Antonija',
      'Branka',
      'Željka',
      'Dubravka',
      'Kata',
    ],
    male: [
      'Ivan',
      'Marko',
      'Josip',
      'Luka',
      'Stjepan',
      'Tomislav',
      'Ante',
      'Mario',
      'Nikola',
      'Dario',
      'Petar',
      'Hrvoje',
      'Zoran',
      'Goran',
      'Damir',
      'Matej',
      'Filip',
      'Karlo',
      'Mate',
      'Franjo',
      'Krešimir',
      'Davor',
      'Željko',
      'Igor',
      'Dražen',
      'Zvonimir',
      'Domagoj',
      'Vedran',
      'Boris',
      'Mislav',
    ],
  },
  HU: {
    female: [
      'Mária',
      'Erzsébet',
      'Katalin',
      'Éva',
      'Ilona',
      'Anna',
      'Zsuzsanna',
      'Margit',
      'Judit',
      'Ágnes',
      'Andrea',
      'Erika',
      'Krisztina',
      'Eszter',
      'Mónika',
      'Edit',
      'Gabriella',
      'Szilvia',
      'Anita',
      'Tímea',
      'Hanna',
      'Zsófia',
      'Réka',
      'Dóra',
      'Viktória',
    ],
    male: [
      'László',
      'István',
      'József',
      'János',
      'Zoltán',
      'Sándor',
      'Gábor',
      'Ferenc',
      'Attila',
      'Péter',
      'Tamás',
      'Zsolt',
      'Tibor',
      'András',
      'Csaba',
      'Imre',
      'Lajos',
      'György',
      'Balázs',
      'Róbert',
      'Dániel',
      'Bence',
      'Máté',
      'Levente',
      'Ádám',
    ],
  },
  GR: {
    female: [
      'Μαρία',
      'Ελένη',
      'Αικατερίνη',
      'Κατερίνα',
      'Βασιλική',
      'Σοφία',
      'Αγγελική',
      'Γεωργία',
      'Δήμητρα',
      'Ευαγγελία',
      'Ιωάννα',
      'Χριστίνα',
      'Παναγιώτα',
      'Αναστασία',
      'Κωνσταντίνα',
      'Δέσποινα',
      'Σταυρούλα',
      'Αθηνά',
      'Ειρήνη',
      'Φωτεινή',
      'Χρυσούλα',
      'Παρασκευή',
      'Ελευθερία',
      'Αλεξάνδρα',
      'Θεοδώρα',
      'Νίκη',
      'Άννα',
      'Μαρίνα',
      'Ζωή',
      'Ευτυχία',
    ],
    male: [
      'Γιώργος',
      'Γεώργιος',
      'Δημήτρης',
      'Κωνσταντίνος',
      'Νίκος',
      'Γιάννης',
      'Ιωάννης',
      'Χρήστος',
      'Παναγιώτης',
      'Βασίλης',
      'Αθανάσιος',
      'Μιχάλης',
      'Ευάγγελος',
      'Σπύρος',
      'Αντώνης',
      'Ανδρέας',
      'Στέλιος',
      'Θανάσης',
      'Μανώλης',
      'Σταύρος',
      'Πέτρος',
      'Αλέξανδρος',
      'Ηλίας',
      'Θεόδωρος',
      'Άγγελος',
      'Παύλος',
      'Λευτέρης',
      'Στέφανος',
      'Απόστολος',
      'Χαράλαμπος',
    ],
  },
};

/** faker's longer lists, for variety; Greek has only its accented male list (its female one lacks accents). */
const MORE_GIVEN: Record<SeedCountry, Record<Gender, readonly string[]>> = {
  PL: { female: gendered(fakerPL, 'first_name', 'female'), male: gendered(fakerPL, 'first_name', 'male') },
  HR: { female: gendered(fakerHR, 'first_name', 'female'), male: gendered(fakerHR, 'first_name', 'male') },
  HU: { female: gendered(fakerHU, 'first_name', 'female'), male: gendered(fakerHU, 'first_name', 'male') },
  GR: { female: COMMON_GIVEN.GR.female, male: gendered(fakerEL, 'first_name', 'male') },
};

export function pickGivenName(rng: Rng, country: SeedCountry, gender: Gender): string {
  const more = MORE_GIVEN[country][gender];
  return rng.chance(0.8) || more.length === 0 ? rng.pick(COMMON_GIVEN[country][gender]) : rng.pick(more);
}

// ---- surnames ----------------------------------------------------------------------------

/** A family name in both grammatical genders (the same string where the language has one form). */
export interface Surname {
  male: string;
  female: string;
}

/** Polish adjectival surnames agree with gender: Kowalski/Kowalska, Wolny/Wolna. */
function polishSurname(male: string): Surname {
  if (/(ski|cki|dzki)$/.test(male)) return { male, female: `${male.slice(0, -1)}a` };
  if (/[^aeiouy]y$/.test(male)) return { male, female: `${male.slice(0, -1)}a` };
  return { male, female: male };
}

/** faker's Croatian list glues some double surnames together ("BalogŠandor"); hyphenate them. */
function croatianSurname(name: string): Surname {
  const fixed = name.replace(/(\p{Ll})(\p{Lu})/gu, '$1-$2');
  return { male: fixed, female: fixed };
}

const same = (name: string): Surname => ({ male: name, female: name });

const COMMON_SURNAMES: Record<SeedCountry, readonly Surname[]> = {
  PL: [
    'Nowak',
    'Kowalski',
    'Wiśniewski',
    'Wójcik',
    'Kowalczyk',
    'Kamiński',
    'Lewandowski',
    'Zieliński',
    'Szymański',
    'Woźniak',
    'Dąbrowski',
    'Kozłowski',
    'Jankowski',
    'Mazur',
    'Wojciechowski',
    'Kwiatkowski',
    'Krawczyk',
    'Kaczmarek',
    'Piotrowski',
    'Grabowski',
    'Zając',
    'Pawłowski',
    'Michalski',
    'Król',
    'Wieczorek',
    'Jabłoński',
    'Wróbel',
    'Nowakowski',
    'Majewski',
    'Olszewski',
  ].map(polishSurname),
  HR: [
    'Horvat',
    'Kovačević',
    'Babić',
    'Marić',
    'Jurić',
    'Novak',
    'Kovačić',
    'Knežević',
    'Vuković',
    'Marković',
    'Petrović',
    'Matić',
    'Tomić',
    'Pavlović',
    'Kovač',
    'Božić',
    'Blažević',
    'Grgić',
    'Pavić',
    'Radić',
    'Perić',
    'Šarić',
    'Lovrić',
    'Vidović',
    'Perković',
    'Filipović',
    'Bošnjak',
    'Mandić',
    'Klarić',
    'Vukić',
  ].map(same),
  HU: [
    'Nagy',
    'Kovács',
    'Tóth',
    'Szabó',
    'Horváth',
    'Varga',
    'Kiss',
    'Molnár',
    'Németh',
    'Farkas',
    'Balogh',
    'Papp',
    'Takács',
    'Juhász',
    'Lakatos',
    'Mészáros',
    'Oláh',
    'Simon',
    'Rácz',
    'Fekete',
  ].map(same),
  GR: [
    ['Παπαδόπουλος', 'Παπαδοπούλου'],
    ['Παπαδάκης', 'Παπαδάκη'],
    ['Νικολάου', 'Νικολάου'],
    ['Γεωργίου', 'Γεωργίου'],
    ['Οικονόμου', 'Οικονόμου'],
    ['Κωνσταντίνου', 'Κωνσταντίνου'],
    ['Δημητρίου', 'Δημητρίου'],
    ['Ιωάννου', 'Ιωάννου'],
    ['Παπαγεωργίου', 'Παπαγεωργίου'],
    ['Βασιλείου', 'Βασιλείου'],
    ['Αλεξίου', 'Αλεξίου'],
    ['Μαυρίδης', 'Μαυρίδου'],
    ['Ιωαννίδης', 'Ιωαννίδου'],
    ['Γεωργιάδης', 'Γεωργιάδου'],
    ['Καραγιάννης', 'Καραγιάννη'],
    ['Παπανικολάου', 'Παπανικολάου'],
    ['Αθανασίου', 'Αθανασίου'],
    ['Χριστοδούλου', 'Χριστοδούλου'],
    ['Πετρόπουλος', 'Πετροπούλου'],
    ['Αντωνίου', 'Αντωνίου'],
    ['Μιχαηλίδης', 'Μιχαηλίδου'],
    ['Μακρής', 'Μακρή'],
    ['Σταθόπουλος', 'Σταθοπούλου'],
    ['Κυριακίδης', 'Κυριακίδου'],
    ['Παππάς', 'Παππά'],
    ['Ζαχαρίου', 'Ζαχαρίου'],
    ['Λαμπράκης', 'Λαμπράκη'],
    ['Αναγνωστόπουλος', 'Αναγνωστοπούλου'],
    ['Βλάχος', 'Βλάχου'],
    ['Οικονομίδης', 'Οικονομίδου'],
    ['Σπυρόπουλος', 'Σπυροπούλου'],
    ['Κωστόπουλος', 'Κωστοπούλου'],
    ['Χατζηδάκης', 'Χατζηδάκη'],
    ['Μαρκόπουλος', 'Μαρκοπούλου'],
    ['Αλεξόπουλος', 'Αλεξοπούλου'],
    ['Γιαννόπουλος', 'Γιαννοπούλου'],
    ['Δημόπουλος', 'Δημοπούλου'],
    ['Καραμανλής', 'Καραμανλή'],
    ['Παπαδημητρίου', 'Παπαδημητρίου'],
    ['Τσακίρης', 'Τσακίρη'],
    ['Αργυρίου', 'Αργυρίου'],
    ['Μπακάλης', 'Μπακάλη'],
    ['Ζερβός', 'Ζερβού'],
    ['Γαλάνης', 'Γαλάνη'],
    ['Σαββίδης', 'Σαββίδου'],
    ['Τζαννετάκης', 'Τζαννετάκη'],
    ['Χριστόπουλος', 'Χριστοπούλου'],
    ['Θεοδωρίδης', 'Θεοδωρίδου'],
    ['Αποστολίδης', 'Αποστολίδου'],
    ['Κατσαρός', 'Κατσαρού'],
    ['Φραγκιαδάκης', 'Φραγκιαδάκη'],
    ['Πανταζής', 'Πανταζή'],
    ['Σιδηρόπουλος', 'Σιδηροπούλου'],
    ['Ηλιόπουλος', 'Ηλιοπούλου'],
    ['Βασιλόπουλος', 'Βασιλοπούλου'],
    ['Λαζαρίδης', 'Λαζαρίδου'],
  ].map(([male = '', female = '']) => ({ male, female })),
};

const MORE_SURNAMES: Record<SeedCountry, readonly Surname[]> = {
  PL: gendered(fakerPL, 'last_name', 'generic').map(polishSurname),
  HR: gendered(fakerHR, 'last_name', 'generic').map(croatianSurname),
  HU: gendered(fakerHU, 'last_name', 'generic').map(same),
  GR: [],
};

export function pickSurname(rng: Rng, country: SeedCountry): Surname {
  const more = MORE_SURNAMES[country];
  return rng.chance(0.65) || more.length === 0 ? rng.pick(COMMON_SURNAMES[country]) : rng.pick(more);
}

export function fullName(country: SeedCountry, given: string, surname: Surname, gender: Gender): string {
  const family = surname[gender];
  return PROFILES[country].familyNameFirst ? `${family} ${given}` : `${given} ${family}`;
}

// ---- addresses ---------------------------------------------------------------------------

const POLISH_STREETS = [
  'ul. Mickiewicza',
  'ul. Kościuszki',
  'ul. Słowackiego',
  'ul. Sienkiewicza',
  'ul. Jana Pawła II',
  'ul. Piłsudskiego',
  'ul. Kopernika',
  'ul. Kościelna',
  'ul. Polna',
  'ul. Leśna',
  'ul. Ogrodowa',
  'ul. Lipowa',
  'ul. Szkolna',
  'ul. Długa',
  'ul. Krótka',
  'ul. Słoneczna',
  'ul. Kwiatowa',
  'ul. Parkowa',
  'ul. Łąkowa',
  'ul. Brzozowa',
  'ul. Wiejska',
  'ul. Główna',
  'ul. 3 Maja',
  'ul. Żeromskiego',
  'ul. Reymonta',
  'ul. Chopina',
  'ul. Wojska Polskiego',
  'ul. Konopnickiej',
  'ul. Prusa',
  'ul. Zielona',
  'al. Niepodległości',
  'al. Jerozolimskie',
  'os. Tysiąclecia',
  'pl. Wolności',
  'ul. Marszałkowska',
  'ul. Piotrkowska',
  'ul. Grunwaldzka',
  'ul. Klonowa',
  'ul. Akacjowa',
  'ul. Wrzosowa',
];
const CROATIAN_STREETS = [
  'Ilica',
  'Vukovarska',
  'Savska cesta',
  'Ulica kralja Zvonimira',
  'Trg bana Jelačića',
  ...locationList(fakerHR, 'street_name'),
];
const HUNGARIAN_STREET_NAMES = locationList(fakerHU, 'street_name_part');
const HUNGARIAN_SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ['utca', 70],
  ['út', 12],
  ['tér', 5],
  ['körút', 3],
  ['köz', 4],
  ['sor', 3],
  ['fasor', 2],
  ['sétány', 1],
];
const GREEK_STREETS = [
  'Ερμού',
  'Πανεπιστημίου',
  'Σταδίου',
  'Αιόλου',
  'Λεωφ. Κηφισίας',
  'Λεωφ. Συγγρού',
  'Εγνατίας',
  'Τσιμισκή',
  ...locationList(fakerEL, 'street_name'),
];

export interface Address {
  street: string;
  city: string;
  postalCode: string;
  country: SeedCountry;
  /** Where its landlines ring: the city's area code. */
  areaCode: string;
}

function streetLine(rng: Rng, country: SeedCountry): string {
  switch (country) {
    case 'PL': {
      const flat = rng.chance(0.55) ? `/${rng.int(1, 80)}` : '';
      return `${rng.pick(POLISH_STREETS)} ${rng.int(1, 180)}${flat}`;
    }
    case 'HR':
      return `${rng.pick(CROATIAN_STREETS)} ${rng.int(1, 150)}`;
    case 'HU':
      return `${rng.pick(HUNGARIAN_STREET_NAMES)} ${rng.weighted(HUNGARIAN_SUFFIXES)} ${rng.int(1, 120)}.`;
    case 'GR':
      return `${rng.pick(GREEK_STREETS)} ${rng.int(1, 200)}`;
  }
}

export function randomAddress(rng: Rng, country: SeedCountry): Address {
  const profile = PROFILES[country];
  const big = rng.weighted(profile.cities.map((c) => [c, c.weight] as const));
  const inTown = rng.chance(0.35) && profile.towns.length > 0;
  const prefix = rng.pick(big.postcodePrefixes);
  // A town gets a postcode in the same region as the city whose area code it shares.
  const postcodeDigits = inTown
    ? prefix.slice(0, 1) + rng.digits(profile.postcodeLength - 1)
    : prefix + rng.digits(profile.postcodeLength - prefix.length);
  return {
    street: streetLine(rng, country),
    city: inTown ? rng.pick(profile.towns) : big.name,
    postalCode: profile.formatPostcode(postcodeDigits),
    country,
    areaCode: big.areaCode,
  };
}

// ---- companies and e-mail ----------------------------------------------------------------

const SECTORS: Record<SeedCountry, readonly string[]> = {
  PL: ['Instalacje', 'Budownictwo', 'Ogrody', 'Serwis', 'Handel', 'Transport', 'Meble', 'Catering', 'Biuro Rachunkowe'],
  HR: ['Trgovina', 'Gradnja', 'Servis', 'Prijevoz', 'Vrtlarstvo', 'Ugostiteljstvo', 'Instalacije'],
  HU: ['Kereskedelmi', 'Építőipari', 'Szerviz', 'Szállítmányozási', 'Kertészeti', 'Vendéglátó'],
  GR: ['Εμπορική', 'Τεχνική', 'Κατασκευαστική', 'Μεταφορική', 'Ξενοδοχειακή'],
};

export function companyName(rng: Rng, country: SeedCountry, surname: Surname): string {
  const family = surname.male;
  const sector = rng.pick(SECTORS[country]);
  switch (country) {
    case 'PL':
      return rng.pick([
        `${family} sp. z o.o.`,
        `P.H.U. ${family}`,
        `${family} i Wspólnicy sp.j.`,
        `${sector} ${family} s.c.`,
        `${family} ${sector} S.A.`,
      ]);
    case 'HR':
      return rng.pick([
        `${family} d.o.o.`,
        `${sector} ${family} j.d.o.o.`,
        `Obrt ${sector} ${family}`,
        `${family} ${sector} d.d.`,
      ]);
    case 'HU':
      return rng.pick([
        `${family} és Társa Kft.`,
        `${family} ${sector} Kft.`,
        `${family} Bt.`,
        `${sector} ${family} Zrt.`,
      ]);
    case 'GR':
      return rng.pick([`${family} Α.Ε.`, `${family} & ΣΙΑ Ο.Ε.`, `${sector} ${family} Ε.Π.Ε.`, `${family} Μ.Ι.Κ.Ε.`]);
  }
}

const TLD: Record<SeedCountry, string> = { PL: 'pl', HR: 'hr', HU: 'hu', GR: 'gr' };
const OFFICE_MAILBOX: Record<SeedCountry, string> = { PL: 'biuro', HR: 'info', HU: 'iroda', GR: 'info' };

const EMAIL_PROVIDERS: Record<SeedCountry, ReadonlyArray<readonly [string, number]>> = {
  PL: [
    ['gmail.com', 30],
    ['wp.pl', 20],
    ['onet.pl', 15],
    ['o2.pl', 10],
    ['interia.pl', 10],
    ['op.pl', 5],
    ['outlook.com', 5],
  ],
  HR: [
    ['gmail.com', 50],
    ['net.hr', 10],
    ['t-com.hr', 15],
    ['yahoo.com', 10],
    ['hotmail.com', 10],
  ],
  HU: [
    ['gmail.com', 45],
    ['freemail.hu', 20],
    ['citromail.hu', 10],
    ['t-online.hu', 10],
    ['outlook.hu', 5],
  ],
  GR: [
    ['gmail.com', 50],
    ['yahoo.gr', 20],
    ['hotmail.com', 15],
    ['otenet.gr', 10],
  ],
};

/** E-mail addresses are ASCII in practice: folded, Greek transliterated. */
function mailPart(text: string): string {
  return foldLatin(text).replace(/[^a-z0-9]+/g, '');
}

export function companyDomain(rng: Rng, country: SeedCountry, surname: Surname): string {
  const word = rng.pick(['', '-serwis', '-trade', '-group', '-tech', '']);
  return `${mailPart(surname.male)}${word}.${TLD[country]}`;
}

export function companyEmail(country: SeedCountry, domain: string): string {
  return `${OFFICE_MAILBOX[country]}@${domain}`;
}

export function personalEmail(rng: Rng, country: SeedCountry, given: string, family: string, domain?: string): string {
  const g = mailPart(given);
  const f = mailPart(family);
  if (domain) return `${g.charAt(0)}.${f}@${domain}`;
  const local = rng.weighted<string>([
    [`${g}.${f}`, 45],
    [`${g}${f}`, 15],
    [`${g.charAt(0)}${f}`, 15],
    [`${f}.${g}`, 10],
    [`${g}_${f}`, 5],
    [`${g}${f.charAt(0)}`, 10],
  ]);
  const suffix = rng.chance(0.45) ? String(rng.chance(0.5) ? rng.int(60, 99) : rng.int(1, 999)) : '';
  return `${local}${suffix}@${rng.weighted(EMAIL_PROVIDERS[country])}`;
}
