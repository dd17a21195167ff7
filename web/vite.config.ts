/**
 * Vite: `npm run build` writes web/dist (served by the gateway, gateway/web.ts);
 * `npm run dev` serves on :5173 with hot reload and proxies the API and Socket.io
 * to the gateway of `deno task dev` on :8000.
 */
import { defineConfig, type HtmlTagDescriptor, type Plugin } from "vite";
import react from "@vitejs/plugin-react";
import tailwindcss from "@tailwindcss/vite";

/** The pages people land on from links and search engines (routes/router.tsx). */
const LANDING_PAGES = /\/src\/pages\/(Home|browse\/Search|browse\/Gig)\.tsx$/;

/**
 * `<link rel="modulepreload">` in index.html for the landing pages' chunks and
 * the chunks they import: the browser fetches them beside the entry script
 * instead of after it has run and the router has asked for the page (one
 * round trip less before the first paint of the page). Vite preloads only the
 * entry's static imports; these pages are lazy routes. Together they are a few
 * KiB compressed.
 */
function preloadLandingPages(): Plugin {
  return {
    name: "marketplace:preload-landing-pages",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(_html, { bundle }) {
        if (!bundle) return [];
        const chunks = new Map(
          Object.values(bundle).flatMap((item) => item.type === "chunk" ? [[item.fileName, item] as const] : []),
        );
        const files = new Set<string>();
        const add = (fileName: string) => {
          const chunk = chunks.get(fileName);
          if (!chunk || chunk.isEntry || files.has(fileName)) return;
          files.add(fileName);
          chunk.imports.forEach(add);
        };
        for (const chunk of chunks.values()) {
          if (chunk.facadeModuleId && LANDING_PAGES.test(chunk.facadeModuleId)) add(chunk.fileName);
        }
        return [...files].map((fileName): HtmlTagDescriptor => ({
          tag: "link",
          attrs: { rel: "modulepreload", crossorigin: true, href: `/${fileName}` },
          injectTo: "head",
        }));
      },
    },
  };
}

const gateway = process.env.GATEWAY_URL ?? "http://localhost:8000";

export default defineConfig({
  plugins: [react(), tailwindcss(), preloadLandingPages()],
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
