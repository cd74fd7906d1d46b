// Reads a Hugging Face style model folder (as Optimum exports it): config.json, tokenizer.json, model.onnx.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from './errors.js';
import { packageRoot } from './package-root.js';

/** The sentiment model embedded in the package (models/sentiment-minilm-l6, SST-2, int8): `loadClassifier()`'s default. */
export function defaultModelDir(): string {
  return path.join(packageRoot, 'models/sentiment-minilm-l6');
}

/** One output of a multi-head model, as listed under `heads` in config.json (see docs/model-folders.md). */
export interface HeadConfig {
  name: string;
  output: string;
  kind: 'sequence' | 'token';
  problem_type?: string;
  id2label: Record<string, string>;
  temperature?: number;
  /** Token heads: the slot types whose spans may directly follow one of the same type (lib/postprocess/spans.ts bioRules). */
  adjacent_spans?: unknown;
  /** Token heads: per sequence head, per label, the slot types seen with it in training (lib/postprocess/spans.ts SlotTypes). */
  slot_types_by?: unknown;
}

export interface ModelConfig {
  model_type?: string;
  id2label?: Record<string, string>;
  problem_type?: string;
  pad_token_id?: number;
  max_position_embeddings?: number;
  /** Calibration temperature fitted on held-out data (our manifest convention); 1 when absent. */
  temperature?: number;
  heads?: HeadConfig[];
  /** A token-classification folder's adjacent_spans, as HeadConfig's. */
  adjacent_spans?: unknown;
  /** Default long-text options of classify/parse (a LongOptions object; docs/long-documents.md). */
  long_options?: unknown;
  /** A document_head.json beside the model, applied after a text's windows combine (docs/model-folders.md). */
  document_head?: unknown;
  [key: string]: unknown;
}

export interface ModelDir {
  dir: string;
  config: ModelConfig;
  modelPath: string;
  tokenizerJson: object;
  tokenizerConfig: Record<string, unknown>;
}

function readJson(file: string, required: boolean): Record<string, unknown> | undefined {
  if (!existsSync(file)) {
    if (!required) return undefined;
    throw new ModelLoadError(`missing ${path.basename(file)} in ${path.dirname(file)}`);
  }
  try {
    const value = JSON.parse(readFileSync(file, 'utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value;
  } catch (err) {
    throw new ModelLoadError(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Finds model.onnx (or onnx/model.onnx, or `modelFile`) and reads the JSON files beside it. */
export function readModelDir(dir: string, modelFile?: string): ModelDir {
  if (typeof dir !== 'string' || !existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ModelLoadError(`model folder not found: ${String(dir)}`);
  }
  const candidates = modelFile ? [modelFile] : ['model.onnx', 'onnx/model.onnx'];
  const modelPath = candidates.map((f) => path.resolve(dir, f)).find((f) => existsSync(f));
  if (!modelPath) throw new ModelLoadError(`no ${candidates.join(' or ')} in ${dir}`);
  return {
    dir,
    modelPath,
    config: readJson(path.join(dir, 'config.json'), true) as ModelConfig,
    tokenizerJson: readJson(path.join(dir, 'tokenizer.json'), true)!,
    tokenizerConfig: readJson(path.join(dir, 'tokenizer_config.json'), false) ?? {},
  };
}

/** id2label as an array indexed by class id; throws when ids are not 0..n-1. */
export function labelList(id2label: Record<string, string> | undefined, where: string): string[] {
  if (!id2label || typeof id2label !== 'object') throw new ModelLoadError(`${where} has no id2label map`);
  const entries = Object.entries(id2label);
  const labels: string[] = new Array(entries.length);
  for (const [id, label] of entries) {
    const i = Number(id);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || labels[i] !== undefined) {
      throw new ModelLoadError(`${where} id2label keys must be 0..${entries.length - 1}, got "${id}"`);
    }
    labels[i] = String(label);
  }
  return labels;
}
