/**
 * A NestJS app (`@nestjs/core`, `@nestjs/common`, `@nestjs/platform-express`) with the reconciler
 * module and the instances controller. Decorators need the `experimentalDecorators` of
 * ./tsconfig.json, so run it with that config (a demo on the fake Novita and a memory store; with
 * REDIS_URL, the production wiring of ../reconciler.ts):
 *
 * Run:
 *   TSX_TSCONFIG_PATH=examples/http/nest/tsconfig.json node --import tsx examples/http/nest/main.ts
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { resolveAdminToken, type AdminToken } from '../admin-token.js';
import type { ExampleReconciler } from '../reconciler.js';
import { isMain, listenOptions, runStandalone, type ListenOptions, type RunningExample } from '../standalone.js';
import { ADMIN_TOKEN, AdminGuard, InstancesController } from './instances.controller.js';
import { EXAMPLE_RECONCILER, ReconcilerModule } from './reconciler.module.js';

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest module is a class with a static forRoot.
export class AppModule {
  static forRoot(env: Readonly<Record<string, string | undefined>> = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [ReconcilerModule.forRoot(env)],
      controllers: [InstancesController],
      providers: [
        AdminGuard,
        // Made up for the demo only; the Redis wiring refuses to start without ADMIN_TOKEN.
        {
          provide: ADMIN_TOKEN,
          useFactory: (built: ExampleReconciler) => resolveAdminToken(env, { generateIfUnset: built.mode === 'demo' }),
          inject: [EXAMPLE_RECONCILER],
        },
      ],
    };
  }
}

/** Creates the app, builds the reconciler (see ../reconciler.ts) and listens. */
export async function start(options?: ListenOptions): Promise<RunningExample> {
  const { port, host, env } = listenOptions(options);
  const app = await NestFactory.create(AppModule.forRoot(env), { logger: ['error', 'warn'] });
  try {
    await app.listen(port, host);
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  return {
    url: `http://${host}:${address.port}`,
    built: app.get<ExampleReconciler>(EXAMPLE_RECONCILER),
    admin: app.get<AdminToken>(ADMIN_TOKEN),
    // Runs ReconcilerModule's shutdown hook, which closes the reconciler's connection.
    close: () => app.close(),
  };
}

if (isMain(import.meta.url)) await runStandalone('nest', () => start());
