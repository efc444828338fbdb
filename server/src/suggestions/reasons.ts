// The sentence an agent reads next to a suggestion. Product names are used as they are in the
// catalogue (no articles: "Chlorine tablets 1 kg" and "Espresso machine" both read right).

/** A length of time in words: "3 days", "2 weeks", "7 months", "2 years". */
export function formatDays(days: number): string {
  const d = Math.max(0, days);
  if (d < 1.5) return '1 day';
  if (d < 14) return `${Math.round(d)} days`;
  if (d < 56) return plural(Math.round(d / 7), 'week');
  if (d < 700) return plural(Math.max(2, Math.round(d / 30.44)), 'month');
  return plural(Math.round(d / 365.25), 'year');
}

/** "today", "yesterday", "7 months ago". */
export function formatAgo(days: number): string {
  if (days < 1) return 'today';
  if (days < 2) return 'yesterday';
  return `${formatDays(days)} ago`;
}

/** A product bought some time ago, and what usually follows it about then. */
export function followUpReason(
  antecedent: string,
  elapsedDays: number,
  consequent: string,
  medianDays: number,
): string {
  return `Bought ${antecedent} ${formatAgo(elapsedDays)}; customers usually buy ${consequent} about ${formatDays(medianDays)} after.`;
}

/** A consumable due again. */
export function replenishReason(product: string, elapsedDays: number, cycleDays: number): string {
  return `Last bought ${product} ${formatAgo(elapsedDays)}; customers usually buy it again after about ${formatDays(cycleDays)}.`;
}

/** Bought together (or soon after), with how much likelier than average. */
export function associationReason(antecedent: string, consequent: string, lift: number): string {
  return `Customers who bought ${antecedent} also buy ${consequent} (${formatLift(lift)} more likely than average).`;
}

export function formatLift(lift: number): string {
  return `${lift < 10 ? lift.toFixed(1) : Math.round(lift).toString()}×`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
