// The fixed product catalogue (stable SKUs, EUR list prices) and the local price lists derived
// from it. Consumables carry `replenishDays`, which the suggestions job uses for timing.
import type { Product } from '../db/schemas/product.model';
import { productObjectId } from './ids';

export interface CatalogItem {
  sku: string;
  name: string;
  category: 'pool' | 'garden' | 'office' | 'kitchen' | 'home' | 'tools';
  /** List price in EUR. */
  price: number;
  replenishDays?: number;
}

const item = (
  sku: string,
  name: string,
  category: CatalogItem['category'],
  price: number,
  replenishDays?: number,
): CatalogItem => ({
  sku,
  name,
  category,
  price,
  ...(replenishDays ? { replenishDays } : {}),
});

export const CATALOG: readonly CatalogItem[] = [
  // Pools and their upkeep.
  item('POOL-FRAME-366', 'Frame pool 366 × 76 cm', 'pool', 189),
  item('POOL-FRAME-457', 'Frame pool 457 × 122 cm', 'pool', 429),
  item('POOL-CLEAN-AUTO', 'Automatic pool cleaner', 'pool', 249),
  item('POOL-CLEAN-HAND', 'Pool vacuum cleaner, hand-held', 'pool', 59),
  item('POOL-CHLOR-1KG', 'Chlorine tablets 1 kg', 'pool', 19.9, 30),
  item('POOL-CHLOR-5KG', 'Chlorine tablets 5 kg', 'pool', 79, 90),
  item('POOL-PUMP-SAND', 'Sand filter pump', 'pool', 199),
  item('POOL-COVER-366', 'Pool cover 366 cm', 'pool', 35),
  item('POOL-TEST-KIT', 'Pool water test kit', 'pool', 15, 120),
  // Garden.
  item('MOW-PETROL-46', 'Petrol lawn mower 46 cm', 'garden', 329),
  item('MOW-ELEC-38', 'Electric lawn mower 38 cm', 'garden', 149),
  item('MOW-ROBOT-600', 'Robotic lawn mower 600 m²', 'garden', 699),
  item('BLADE-46', 'Replacement mower blade 46 cm', 'garden', 24.9, 180),
  item('BLADE-38', 'Replacement mower blade 38 cm', 'garden', 19.9, 180),
  item('BLADE-ROBOT-9', 'Robot mower blades (9 pcs)', 'garden', 14.9, 120),
  item('TRIM-LINE-2MM', 'Trimmer line 2 mm, 15 m', 'garden', 7.9, 90),
  item('GRASS-TRIMMER', 'Grass trimmer 500 W', 'garden', 69),
  item('HOSE-25M', 'Garden hose 25 m', 'garden', 39),
  item('SPRINKLER-OSC', 'Oscillating sprinkler', 'garden', 19),
  item('GRILL-GAS-3', 'Gas grill, 3 burners', 'garden', 349),
  item('CHARCOAL-10KG', 'Charcoal briquettes 10 kg', 'garden', 12.9, 60),
  item('LAWN-SEED-5KG', 'Lawn seed 5 kg', 'garden', 29, 365),
  item('FERT-LAWN-10KG', 'Lawn fertiliser 10 kg', 'garden', 24, 120),
  // Office.
  item('PRN-LASER-MONO', 'Laser printer, mono', 'office', 189),
  item('PRN-LASER-COLOR', 'Colour laser printer', 'office', 389),
  item('PRN-INKJET-MFP', 'Inkjet all-in-one printer', 'office', 99),
  item('TONER-MONO', 'Toner cartridge, black', 'office', 69, 90),
  item('TONER-COLOR-SET', 'Toner cartridge set CMYK', 'office', 239, 120),
  item('INK-SET', 'Ink cartridge set', 'office', 39, 60),
  item('PAPER-A4-BOX', 'Copy paper A4, box of 5 reams', 'office', 24.9, 30),
  item('SHREDDER', 'Paper shredder', 'office', 89),
  item('DESK-LAMP-LED', 'LED desk lamp', 'office', 34),
  item('OFFICE-CHAIR', 'Office chair', 'office', 159),
  // Kitchen.
  item('COF-ESPRESSO', 'Espresso machine', 'kitchen', 449),
  item('COF-BEAN2CUP', 'Bean-to-cup coffee machine', 'kitchen', 699),
  item('DESCALER-500', 'Descaler 500 ml', 'kitchen', 12.9, 75),
  item('COF-BEANS-1KG', 'Coffee beans 1 kg', 'kitchen', 18.9, 30),
  item('MILK-CLEANER', 'Milk system cleaner', 'kitchen', 9.9, 60),
  item('WATER-FILTER-JUG', 'Water filter jug', 'kitchen', 24),
  item('FILTER-CART-3', 'Water filter cartridges (3 pcs)', 'kitchen', 17.9, 90),
  item('KETTLE', 'Electric kettle', 'kitchen', 29),
  item('BLENDER-1200', 'Blender 1200 W', 'kitchen', 79),
  item('TOASTER', 'Toaster', 'kitchen', 35),
  // Home and tools.
  item('VAC-BAGLESS', 'Bagless vacuum cleaner', 'home', 149),
  item('VAC-BAGGED', 'Vacuum cleaner with bag', 'home', 119),
  item('VAC-BAGS-10', 'Vacuum cleaner bags (10 pcs)', 'home', 12.9, 90),
  item('AIR-PURIFIER', 'Air purifier', 'home', 199),
  item('HEPA-FILTER', 'HEPA replacement filter', 'home', 39, 180),
  item('LED-BULB-6', 'LED bulbs E27 (6 pcs)', 'home', 14.9, 365),
  item('BATT-AA-24', 'AA batteries (24 pcs)', 'home', 11.9, 90),
  item('DRILL-18V', 'Cordless drill 18 V', 'tools', 129),
  item('DRILL-BITS-50', 'Drill bit set, 50 pcs', 'tools', 24),
  item('EXT-CORD-10M', 'Extension cord 10 m', 'tools', 19),
];

const BY_SKU = new Map(CATALOG.map((p) => [p.sku, p]));

export function catalogItem(sku: string): CatalogItem {
  const found = BY_SKU.get(sku);
  if (!found) throw new Error(`unknown SKU ${sku}`);
  return found;
}

export type Currency = 'EUR' | 'PLN' | 'HUF';

/** Local list prices in minor units (cents, grosze; forints are whole). */
function localPriceMinor(eur: number, currency: Currency): number {
  switch (currency) {
    case 'EUR':
      return Math.round(eur * 100);
    case 'PLN':
      // x9.99-style shelf prices: 4.3 PLN per EUR, rounded up to the next whole złoty, minus a grosz.
      return Math.ceil(eur * 4.3) * 100 - 1;
    case 'HUF':
      // Whole forints ending in 90: 395 HUF per EUR.
      return (Math.round((eur * 395) / 100) * 100 - 10) * 100;
  }
}

const PRICE_CACHE = new Map<string, number>();

/** A SKU's unit price in `currency`, in minor units. */
export function unitPriceMinor(sku: string, currency: Currency): number {
  const key = `${currency}:${sku}`;
  let price = PRICE_CACHE.get(key);
  if (price === undefined) {
    price = localPriceMinor(catalogItem(sku).price, currency);
    PRICE_CACHE.set(key, price);
  }
  return price;
}

/** Minor units per major unit, for every currency here (forints are whole, stored the same way). */
export const MINOR = 100;

export function catalogProducts(): Product[] {
  return CATALOG.map((p, index) => ({
    _id: productObjectId(index),
    sku: p.sku,
    name: p.name,
    category: p.category,
    price: p.price,
    currency: 'EUR',
    ...(p.replenishDays ? { replenishDays: p.replenishDays } : {}),
    active: true,
  }));
}

/** Everyday purchases with no planted follow-up, for background orders. */
export const BACKGROUND_SKUS: readonly string[] = [
  'HOSE-25M',
  'SPRINKLER-OSC',
  'GRASS-TRIMMER',
  'TRIM-LINE-2MM',
  'GRILL-GAS-3',
  'CHARCOAL-10KG',
  'LAWN-SEED-5KG',
  'FERT-LAWN-10KG',
  'PAPER-A4-BOX',
  'SHREDDER',
  'DESK-LAMP-LED',
  'OFFICE-CHAIR',
  'COF-BEANS-1KG',
  'WATER-FILTER-JUG',
  'FILTER-CART-3',
  'KETTLE',
  'BLENDER-1200',
  'TOASTER',
  'VAC-BAGLESS',
  'VAC-BAGGED',
  'VAC-BAGS-10',
  'AIR-PURIFIER',
  'LED-BULB-6',
  'BATT-AA-24',
  'DRILL-18V',
  'DRILL-BITS-50',
  'EXT-CORD-10M',
  'POOL-TEST-KIT',
];

/** What offices buy again and again. */
export const OFFICE_SKUS: readonly string[] = [
  'PAPER-A4-BOX',
  'BATT-AA-24',
  'COF-BEANS-1KG',
  'LED-BULB-6',
  'DESK-LAMP-LED',
  'OFFICE-CHAIR',
  'SHREDDER',
];
