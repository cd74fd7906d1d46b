// Versions for /info: this package, Node, the ONNX Runtime the addon loaded, Fastify.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { binding } from '../lib/binding.js';

let cached: string | undefined;

function packageVersion(): string {
  // Same layout from serve/ (tests run the sources) and dist/serve/ (the compiled package).
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const file = path.resolve(here, up, 'package.json');
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).version ?? 'unknown';
  }
  return 'unknown';
}

export function versions(fastify: string) {
  cached ??= packageVersion();
  return { service: cached, node: process.version, onnxruntime: binding.buildInfo().ortVersion, fastify };
}
