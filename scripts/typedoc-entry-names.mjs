// TypeDoc plugin: names each module of the API reference by the specifier users import it with
// (`novita-reconciler`, `novita-reconciler/http`, ...) instead of its file name (`index`, `http`, ...),
// so the reference reads as the package's entry points without a `@module` tag in every src index file.
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      module.name = module.name === 'index' ? 'novita-reconciler' : `novita-reconciler/${module.name}`;
    }
  });
}
