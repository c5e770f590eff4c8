// One Vite step builds every third-party script and style the staff pages use, from package-lock.json, into
// backend/console/static/console/build/ (not committed; ./run and ./run test build it when missing or stale).
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  publicDir: false,
  build: {
    outDir: resolve("backend/console/static/console/build"),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        console: resolve("frontend/console/main.js"),
        charts: resolve("frontend/console/charts.js"),
        rules: resolve("frontend/rules/editor.js"),
      },
      output: {
        entryFileNames: "[name].js",
        chunkFileNames: "chunks/[name].js",
        assetFileNames: "[name][extname]",
      },
    },
  },
});
