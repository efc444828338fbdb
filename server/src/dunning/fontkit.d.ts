// The part of fontkit (pdfkit's font engine) that the dunning documents use.
declare module 'fontkit' {
  /** A parsed font. pdfkit embeds it wherever it takes a font file. */
  export interface Font {
    readonly postscriptName: string;
    layout(text: string): unknown;
  }
  /** Parses a font file (a TrueType file gives one font; a collection gives several). */
  export function create(buffer: Uint8Array, postscriptName?: string): Font;
}
