// The package's own folder, found from this file: lib/ when the sources run (tests), dist/lib/ in the package.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Absolute path of the folder holding this package's package.json. */
export const packageRoot: string = ['..', '../..']
  .map((up) => path.resolve(here, up))
  .find((dir) => existsSync(path.join(dir, 'package.json'))) ?? path.resolve(here, '..');
