import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

/** Where `npm run dev` forwards signaling; the signaling service's default address. */
const SIGNALING_ORIGIN = 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [solid()],
  server: {
    port: 5173,
    strictPort: true,
    // The page talks to the signaling service on its own origin (`/ws`), exactly as when the
    // signaling service serves the built page, so dev and production take the same code path.
    proxy: {
      '/ws': { target: SIGNALING_ORIGIN, ws: true },
      '/healthz': { target: SIGNALING_ORIGIN },
      '/readyz': { target: SIGNALING_ORIGIN },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
});
