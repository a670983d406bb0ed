import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';

export default defineConfig({
  root: path.resolve(__dirname, 'renderer'),
  // Relative asset URLs so the same build loads from file:// in Electron and from `isolab serve`.
  base: './',
  plugins: [react()],
  build: {
    outDir: path.resolve(__dirname, 'out/renderer'),
    emptyOutDir: true,
    sourcemap: true,
  },
});
