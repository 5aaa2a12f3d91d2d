import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    novita: 'src/novita/index.ts',
    redis: 'src/redis/index.ts',
    http: 'src/http/index.ts',
    'cli-config': 'src/cli/index.ts',
    cli: 'src/cli/bin.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // One shared chunk per format, so the error classes exist once even when several entry points load.
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  treeshake: true,
  external: ['ioredis'],
});
