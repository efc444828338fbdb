import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

/** Where `npm run dev` forwards API, socket and webhook traffic: the Ringside server. */
function apiTarget(): string {
  const target = process.env.RINGSIDE_API ?? 'http://localhost:3000';
  if (!URL.canParse(target))
    throw new Error(`RINGSIDE_API must be an absolute URL such as http://localhost:3000, got "${target}"`);
  return target;
}

const target = apiTarget();

export default defineConfig({
  // Explicit, so the config behaves the same from this folder, from the repo root and as a
  // Vitest project of the root config.
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative asset URLs; index.html's <base href="/"> anchors them (and the router's history),
  // so a deep link such as /calls/42 still loads ./assets/* from the root.
  base: './',
  plugins: [vue()],
  server: {
    // The console talks to its own origin only; in development Vite forwards to the server.
    // `vite preview` uses the same proxy.
    proxy: {
      '/api': { target },
      '/socket.io': { target, ws: true },
      '/healthz': { target },
      '/telephony': { target },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true },
});
