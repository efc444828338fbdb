// For the root `tsc -b` only (see tsconfig.json): plain tsc cannot read single-file
// components, so it sees each one as a component of unknown props. vue-tsc, which does read
// them, never loads this file (tsconfig.app.json does not include it).
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
