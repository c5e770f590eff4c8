// The technician app (technician_app/): its own Vite build into technician_app/dist/ (not committed), served by
// Django at /tech/. ./run and ./run test build it with the staff assets when missing or stale.
import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import { VitePWA } from 'vite-plugin-pwa'

const here = resolve(import.meta.dirname)

export default defineConfig({
  root: here,
  base: '/tech/',
  publicDir: resolve(here, 'public'),
  // Preact through esbuild's automatic JSX runtime: no Babel, and the models use no decorators.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: resolve(here, 'dist'),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  plugins: [
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false, // registered by src/main.tsx (workbox-window), scope /tech/
      filename: 'sw.js',
      manifestFilename: 'manifest.webmanifest',
      manifest: {
        name: '安心维修 · 工程师',
        short_name: '安心维修',
        description: '离线也能完成一天的维修工单',
        lang: 'zh-CN',
        start_url: '/tech/',
        scope: '/tech/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#0f172a',
        theme_color: '#155e75',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any maskable' },
        ],
      },
      workbox: {
        // The whole shell is precached: the app starts with no network at all.
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        navigateFallback: '/tech/index.html',
        navigateFallbackAllowlist: [/^\/tech\//],
        cleanupOutdatedCaches: true,
        clientsClaim: true, // the first visit is controlled at once: it can be reloaded offline
        skipWaiting: true,
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
        // The owner's photos (media) are kept once seen, so an order's photos show in the basement too.
        runtimeCaching: [{
          urlPattern: ({ url }) => url.pathname.startsWith('/media/'),
          handler: 'CacheFirst',
          options: { cacheName: 'anxin-media', expiration: { maxEntries: 300 } },
        }],
      },
    }),
  ],
})
