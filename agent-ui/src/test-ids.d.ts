// `data-testid` marks what the browser tests read (figures, the pop, the call panels); Vue's
// strict template types know `data-*` attributes only when told.
import '@vue/runtime-dom';

declare module '@vue/runtime-dom' {
  interface HTMLAttributes {
    'data-testid'?: string;
  }
}
