/**
 * A NestJS module that provides the reconciler to the whole app: built once by an async factory
 * (see ../reconciler.ts), its connection closed when the app shuts down (`app.close()`, or a signal
 * with `app.enableShutdownHooks()`). Inject it with `@Inject(RECONCILER)`.
 *
 * Tokens and `@Inject` rather than injection by class: the reconciler is an interface, and explicit
 * tokens also work under tools that emit no decorator metadata (tsx, esbuild, vitest).
 *
 * Part of: examples/http/nest/main.ts
 */
import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { buildReconciler, type ExampleReconciler } from '../reconciler.js';

/** The `Reconciler`. */
export const RECONCILER = Symbol('RECONCILER');
/** The {@link ExampleReconciler}: the reconciler, how it was built, and what closes it. */
export const EXAMPLE_RECONCILER = Symbol('EXAMPLE_RECONCILER');

@Module({})
export class ReconcilerModule implements OnApplicationShutdown {
  /** Registers the providers globally, built from `env`. */
  static forRoot(env: Readonly<Record<string, string | undefined>> = process.env): DynamicModule {
    return {
      module: ReconcilerModule,
      global: true,
      providers: [
        { provide: EXAMPLE_RECONCILER, useFactory: () => buildReconciler(env) },
        { provide: RECONCILER, useFactory: (built: ExampleReconciler) => built.reconciler, inject: [EXAMPLE_RECONCILER] },
      ],
      exports: [RECONCILER, EXAMPLE_RECONCILER],
    };
  }

  constructor(@Inject(EXAMPLE_RECONCILER) private readonly built: ExampleReconciler) {}

  async onApplicationShutdown(): Promise<void> {
    await this.built.close();
  }
}
