// Every request and response shape of the service, with the JSON schemas Fastify validates bodies against.
// POST /predict follows Hugging Face text-embeddings-inference (router/src/http/types.rs) so TEI clients work
// unchanged; /v1/* expose the engine's own results with the TS API's options in snake_case.
import type { Classification, ParseResult, Tagging } from '../lib/index.js';

/** TEI: one text, or a batch. TEI reads `[a, b]` as a sentence pair; the engine has no pair input, so a flat
 * array is a batch here, and TEI's nested batch form `[[a], [b]]` is accepted too. */
export type PredictInputs = string | (string | [string])[];

export interface PredictRequest {
  inputs: PredictInputs;
  /** Logits instead of probabilities (TEI's flag). */
  raw_scores?: boolean;
  /** TEI defaults to false: a text longer than the window is refused (413) rather than cut. */
  truncate?: boolean;
  /** Not in TEI: which loaded classifier answers; default the first one. */
  model?: string;
}

/** TEI: for one text, its labels best first; for a batch, one such list per text. */
export interface Prediction {
  score: number;
  label: string;
}
export type PredictResponse = Prediction[] | Prediction[][];

interface EngineRequest {
  model?: string;
  inputs: string | string[];
  /** The request's deadline: dropped with 504 if it has not started running by then. */
  timeout_ms?: number;
}

export interface ClassifyRequest extends EngineRequest {
  top_k?: number;
  threshold?: number;
  multi_label?: boolean;
  temperature?: number;
  truncate?: boolean;
}
export type ClassifyResponse = Classification | Classification[];

export interface ParseRequest extends EngineRequest {
  top_k?: number;
  threshold?: number | Record<string, number>;
}
export type ParseResponse = ParseResult | ParseResult[];

export type TagRequest = EngineRequest;
export type TagResponse = Tagging | Tagging[];

export interface ErrorBody {
  error: string;
  code: string;
}

export type ModelKind = 'classifier' | 'tagger' | 'parser';

export interface ModelInfo {
  name: string;
  kind: ModelKind;
  dir: string;
  provider: string;
  /** Classifier and tagger labels; for a parser, per head. */
  labels?: readonly string[];
  heads?: { name: string; kind: 'sequence' | 'token'; labels: readonly string[] }[];
  maxTokens: number;
  maxQueue: number;
}

export interface InfoResponse {
  models: ModelInfo[];
  ready: boolean;
  maxInputs: number;
  bodyLimit: number;
  providers: string[];
  versions: { service: string; node: string; onnxruntime: string; fastify: string };
}

// Schemas. `additionalProperties: false` turns a misspelt option into a 400 rather than silently ignoring it;
// /predict stays lenient like TEI (serde ignores unknown fields).
const text = { type: 'string' } as const;
const texts = { anyOf: [text, { type: 'array', minItems: 1, items: text }] } as const;
const model = { type: 'string', minLength: 1 } as const;
const timeoutMs = { type: 'number', minimum: 0 } as const;
const topK = { type: 'integer', minimum: 1 } as const;
const unit = { type: 'number', minimum: 0, maximum: 1 } as const;

export const predictSchema = {
  type: 'object',
  required: ['inputs'],
  properties: {
    inputs: { anyOf: [text, { type: 'array', minItems: 1, items: { anyOf: [text, { type: 'array', minItems: 1, maxItems: 1, items: text }] } }] },
    raw_scores: { type: 'boolean' },
    truncate: { type: 'boolean' },
    model,
  },
} as const;

export const classifySchema = {
  type: 'object',
  required: ['inputs'],
  additionalProperties: false,
  properties: {
    model, inputs: texts, timeout_ms: timeoutMs, top_k: topK, threshold: unit,
    multi_label: { type: 'boolean' }, temperature: { type: 'number', exclusiveMinimum: 0 }, truncate: { type: 'boolean' },
  },
} as const;

export const parseSchema = {
  type: 'object',
  required: ['inputs'],
  additionalProperties: false,
  properties: {
    model, inputs: texts, timeout_ms: timeoutMs, top_k: topK,
    threshold: { anyOf: [unit, { type: 'object', additionalProperties: unit }] },
  },
} as const;

export const tagSchema = {
  type: 'object',
  required: ['inputs'],
  additionalProperties: false,
  properties: { model, inputs: texts, timeout_ms: timeoutMs },
} as const;
