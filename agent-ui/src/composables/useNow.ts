import { onScopeDispose, readonly, ref, type Ref } from 'vue';

// One clock for every timer on screen (time in state, ringing, talk and wrap-up timers):
// a single interval that runs while at least one component is watching it.
const now = ref(Date.now());
let watchers = 0;
let timer: ReturnType<typeof setInterval> | null = null;

/** The current time in ms, updated every second while the calling component is alive. */
export function useNow(): Readonly<Ref<number>> {
  watchers += 1;
  if (timer === null) {
    now.value = Date.now();
    timer = setInterval(() => {
      now.value = Date.now();
    }, 1000);
  }
  onScopeDispose(() => {
    watchers -= 1;
    if (watchers === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  });
  return readonly(now);
}
