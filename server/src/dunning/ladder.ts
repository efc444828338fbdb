import { DEFAULT_LADDER, ladderSchema, parseLadder, type LadderStep } from '@ringside/shared';

export { DEFAULT_LADDER, ladderSchema, parseLadder, type LadderStep };

export const DAY_MS = 86_400_000;

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
export function nextStep(
  ladder: readonly LadderStep[],
  position: LadderPosition,
): { step: LadderStep; index: number; dueAt: Date } | null {
  const index = ladder.findIndex((s) => !position.stepsDone.includes(s.action));
  if (index < 0) return null;
  const step = ladder[index] as LadderStep;
  const byAge = position.oldestDueAt.getTime() + step.day * DAY_MS;
  const previous = index > 0 ? ladder[index - 1] : undefined;
  const bySpacing =
    previous && position.lastStepAt ? position.lastStepAt.getTime() + (step.day - previous.day) * DAY_MS : 0;
  return { step, index, dueAt: new Date(Math.max(byAge, bySpacing)) };
}

/** Rounds a money amount to cents. */
export const round2 = (n: number) => Math.round(n * 100) / 100;
