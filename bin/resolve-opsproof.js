// Module resolve hook: `opsproof` (and `opsproof/…`) resolve to this checkout, wherever the importer is,
// and TypeScript files outside any package (configs and canaries in a bare folder) load as ES modules
// rather than CommonJS, so their `import … from 'opsproof'` goes through this hook too.
const root = new URL('../', import.meta.url);
const entry = new URL('index.ts', root).href;

export async function resolve(specifier, context, next) {
  let result;
  if (specifier === 'opsproof') result = await next(entry, context);
  else if (specifier.startsWith('opsproof/'))
    result = await next(new URL(specifier.slice('opsproof/'.length), root).href, context);
  else result = await next(specifier, context);
  const path = result.url.split('?')[0];
  if (
    path.startsWith('file:') &&
    /\.(ts|mts)$/.test(path) &&
    !path.includes('/node_modules/') &&
    result.format !== 'module'
  ) {
    return { ...result, format: 'module' };
  }
  return result;
}
