/**
 * Vite: `npm run build` writes web/dist (served by the gateway, gateway/web.ts);
 * `npm run dev` serves on :5173 with hot reload and proxies the API and Socket.io
 * to the gateway of `deno task dev` on :8000.
 */
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

const gateway = process.env.GATEWAY_URL ?? "http://localhost:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": { target: gateway, changeOrigin: false },
      "/socket.io": { target: gateway, ws: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The site's CSP allows no inline script: keep the module preload polyfill off the page.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
