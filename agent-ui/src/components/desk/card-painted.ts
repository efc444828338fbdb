// When a call's card is on the agent's screen: a performance mark after the frame that shows it.

/** After `ringside:screenpop` (stores/realtime.ts): marked once the frame showing an offered call's card and pop has been painted, with `{callId}`. */
export const CARD_PAINTED_MARK = 'ringside:card-painted';

/**
 * Marks {@link CARD_PAINTED_MARK} for `callId` right after the next frame is painted. Call it once
 * the card is in the DOM (a post-flush watcher). A requestAnimationFrame callback runs just before
 * that frame's style, layout and paint; a message posted from it is handled in the task after the
 * rendering step, i.e. as soon as the frame has been painted (a second rAF would wait one frame
 * more). The marks are for DevTools' performance panel, the browser tests and `npm run bench:paint`.
 */
export function markWhenPainted(callId: string): void {
  requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      performance.mark(CARD_PAINTED_MARK, { detail: { callId } });
      channel.port1.close();
    };
    channel.port2.postMessage(null);
  });
}
