// The dunning ladder's shape and its written form (DUNNING_LADDER: "3:sms,14:letter,21:call,45:legal"):
// days overdue → step. Configuration reads it here; the dunning job climbs it.
import { z } from 'zod';
import { dunningActionSchema, type DunningAction } from './dunning';

/** One rung: this many days after the oldest overdue invoice's due date, do this. */
export interface LadderStep {
  day: number;
  action: DunningAction;
}

export const DEFAULT_LADDER: LadderStep[] = [
  { day: 3, action: 'sms' },
  { day: 14, action: 'letter' },
  { day: 21, action: 'call' },
  { day: 45, action: 'legal' },
];

export const ladderSchema = z
  .array(z.object({ day: z.number().int().min(0).max(3650), action: dunningActionSchema }))
  .min(1, { error: 'the ladder needs at least one step' })
  .refine((steps) => steps.every((s, i) => i === 0 || s.day > (steps[i - 1]?.day ?? -1)), { error: 'days must go up' })
  .refine((steps) => new Set(steps.map((s) => s.action)).size === steps.length, { error: 'each action once' });

/** "3:sms,14:letter,21:call,45:legal" → the ladder (the form of the DUNNING_LADDER variable). */
export function parseLadder(text: string): LadderStep[] {
  const steps = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [day, action] = part.split(':').map((x) => x.trim());
      return { day: Number(day), action };
    });
  const parsed = ladderSchema.safeParse(steps);
  if (!parsed.success)
    throw new Error(`bad dunning ladder "${text}": ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}
