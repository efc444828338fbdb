import { z } from 'zod';
import { dunningActionSchema, type DunningAction } from '@ringside/shared';

export const DAY_MS = 86_400_000;

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
  if (!parsed.success) throw new Error(`bad dunning ladder "${text}": ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

export interface LadderPosition {
  oldestDueAt: Date;
  stepsDone: readonly string[];
  lastStepAt?: Date | undefined;
}

/**
 * The next rung not done yet and when it is due: its day after the oldest due date, and never
 * sooner after the previous rung than the ladder's own spacing (a customer found 60 days late
 * still gets the reminder, then the letter a week and a half later, and so on).
 */
export function nextStep(ladder: readonly LadderStep[], position: LadderPosition): { step: LadderStep; index: number; dueAt: Date } | null {
  const index = ladder.findIndex((s) => !position.stepsDone.includes(s.action));
  if (index < 0) return null;
  const step = ladder[index] as LadderStep;
  const byAge = position.oldestDueAt.getTime() + step.day * DAY_MS;
  const previous = index > 0 ? ladder[index - 1] : undefined;
  const bySpacing = previous && position.lastStepAt ? position.lastStepAt.getTime() + (step.day - previous.day) * DAY_MS : 0;
  return { step, index, dueAt: new Date(Math.max(byAge, bySpacing)) };
}

/** Rounds a money amount to cents. */
export const round2 = (n: number) => Math.round(n * 100) / 100;
