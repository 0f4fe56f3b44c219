// Module resolve hook: `opsproof` (and `opsproof/…`) resolve to this checkout, wherever the importer is.
const root = new URL('../', import.meta.url);
const entry = new URL('index.ts', root).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'opsproof') return next(entry, context);
  if (specifier.startsWith('opsproof/')) {
    return next(new URL(specifier.slice('opsproof/'.length), root).href, context);
  }
  return next(specifier, context);
}
