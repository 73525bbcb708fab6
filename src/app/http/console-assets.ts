/**
 * Where the built web console is: `dist/console` of this package (Vite writes it
 * there, see console/vite.config.ts). The same path resolves from the compiled
 * `dist/app/http/` and from `src/app/http/` under tsx, because both sit three
 * levels below the package root. Null when it has not been built (the HTTP server then
 * serves no console rather than failing).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function consoleDirectory(): string | null {
  const dir = fileURLToPath(new URL('../../../dist/console/', import.meta.url));
  return existsSync(`${dir}index.html`) ? dir : null;
}
