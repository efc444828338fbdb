// A worker thread of the render pool (render-pool.ts): renders letters and legal summaries off
// the thread that runs the scan. It parses the fonts once, then answers one job at a time.
import { parentPort } from 'node:worker_threads';
import { loadFonts, renderDocument, type RenderJob } from './documents';

const port = parentPort;
if (!port) throw new Error('render.worker.ts runs as a worker thread of the render pool');

loadFonts();
port.on('message', (job: RenderJob & { id: number }) => {
  renderDocument(job).then(
    (pdf) => {
      // A buffer of its own, moved (not copied) to the pool's thread.
      const own = pdf.byteOffset === 0 && pdf.byteLength === pdf.buffer.byteLength ? pdf : new Uint8Array(pdf);
      port.postMessage({ id: job.id, pdf: own }, [own.buffer as ArrayBuffer]);
    },
    (err: unknown) => port.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
port.postMessage({ ready: true });
