// The playground's build: one page under /playground/, hashed assets the API serves as immutable.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/playground/',
  logLevel: 'warn',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsDir: 'assets' },
});
