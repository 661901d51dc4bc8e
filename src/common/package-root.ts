/**
 * Where the package's own files are, wherever this module runs from: the
 * sources under tsx (`src/common/package-root.ts`), the compiled tree
 * (`dist/src/common/package-root.js`), a clone, or a global npm install.
 * Modules that need a repo file (the native addon, the Lua dissector,
 * package.json, an entry point to spawn) ask here instead of counting `..`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PACKAGE_NAME = 'condis-tap';

let root: string | undefined;

/** the directory holding condis-tap's package.json (walks up from this module) */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return (root = dir);
      } catch {
        // not ours (or unreadable): keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`condis-tap: no package.json named '${PACKAGE_NAME}' above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** a file of the package: `packagePath('wireshark', 'condis.lua')` */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/** the package's version, from its package.json */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
}

/** true when this code runs compiled from dist/, false when it runs from the TypeScript sources (tsx) */
export const COMPILED = import.meta.url.endsWith('.js');

/**
 * The node arguments that run one of the package's entry points in the same
 * form as the code asking: `entryArgs('daemons/condisd')` is
 * `[ROOT/dist/daemons/condisd.js]` from the compiled tree and
 * `['--import', TSX, ROOT/daemons/condisd.ts]` from the sources, so a process
 * never mixes compiled and source copies of the stack. tsx is named by its
 * absolute location, so the child's working directory does not matter.
 */
export function entryArgs(entry: string): string[] {
  return COMPILED ? [packagePath('dist', `${entry}.js`)] : [...tsxImportArgs(), packagePath(`${entry}.ts`)];
}

/** `['--import', <tsx's loader>]` for a child that runs TypeScript; empty from the compiled tree */
export function tsxImportArgs(): string[] {
  return COMPILED ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}
