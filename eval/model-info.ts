// What a result records about the model it ran: folder, name, the ONNX file with its size and hash, labels.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { readJsonFile, sha256File } from './data.js';
import type { ModelInfo } from './types.js';

export function readManifest(dir: string): Record<string, unknown> | undefined {
  const file = path.join(dir, 'manifest.json');
  return existsSync(file) ? (readJsonFile(file) as Record<string, unknown>) : undefined;
}

export function modelInfo(dir: string, modelPath: string, labels: readonly string[], temperature: number): ModelInfo {
  const name = readManifest(dir)?.name;
  return {
    dir,
    name: typeof name === 'string' ? name : path.basename(path.resolve(dir)),
    file: modelPath,
    bytes: statSync(modelPath).size,
    sha256: sha256File(modelPath),
    labels: [...labels],
    temperature,
  };
}
