// The models a service answers with: loaded from folders (kind read from config.json) or handed in already loaded.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Classifier, loadClassifier, loadParser, loadTagger, Parser, Tagger, type LoadOptions } from '../lib/index.js';
import { ServeError } from './errors.js';
import type { ModelInfo, ModelKind } from './types.js';

export type Pipeline = Classifier | Tagger | Parser;

/** A folder (kind from its config.json unless given), or a pipeline the caller loaded and keeps owning. */
export type ModelSource = string | { dir: string; kind?: ModelKind; load?: LoadOptions } | Pipeline;

export interface Served {
  name: string;
  kind: ModelKind;
  pipeline: Pipeline;
  /** Loaded here, so disposed here on close; pipelines handed in stay the caller's. */
  owned: boolean;
}

/** `heads` -> parser, a *ForTokenClassification architecture -> tagger, anything else -> classifier. */
export function kindOfFolder(dir: string): ModelKind {
  let config: { heads?: unknown; architectures?: unknown } = {};
  try {
    config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  } catch {
    // The loader reports the missing or broken file with its own ModelLoadError.
  }
  if (Array.isArray(config.heads)) return 'parser';
  if (Array.isArray(config.architectures) && config.architectures.some((a) => /TokenClassification$/.test(String(a)))) return 'tagger';
  return 'classifier';
}

const loaders = { classifier: loadClassifier, tagger: loadTagger, parser: loadParser } as const;

export async function loadOne(name: string, source: ModelSource, defaults: LoadOptions): Promise<Served> {
  if (source instanceof Classifier) return { name, kind: 'classifier', pipeline: source, owned: false };
  if (source instanceof Tagger) return { name, kind: 'tagger', pipeline: source, owned: false };
  if (source instanceof Parser) return { name, kind: 'parser', pipeline: source, owned: false };
  const spec = typeof source === 'string' ? { dir: source } : source;
  const kind = spec.kind ?? kindOfFolder(spec.dir);
  const pipeline = await loaders[kind](spec.dir, { ...defaults, ...spec.load });
  return { name, kind, pipeline, owned: true };
}

/** Loads every model; if one fails, the ones already loaded are disposed and the first error is thrown. */
export async function loadAll(sources: Record<string, ModelSource>, defaults: LoadOptions): Promise<Served[]> {
  const settled = await Promise.allSettled(Object.entries(sources).map(([name, source]) => loadOne(name, source, defaults)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return settled.map((s) => (s as PromiseFulfilledResult<Served>).value);
  await disposeAll(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
  throw failed.reason;
}

export async function disposeAll(models: readonly Served[]): Promise<void> {
  await Promise.all(models.filter((m) => m.owned).map((m) => m.pipeline.dispose()));
}

/** The model a request names, or the first of the kind the route needs. */
export function pick<K extends ModelKind>(models: readonly Served[], kind: K, name: string | undefined): Served & { kind: K } {
  const found = name === undefined ? models.find((m) => m.kind === kind) : models.find((m) => m.name === name);
  if (!found) throw new ServeError('ERR_UNKNOWN_MODEL', name === undefined ? `no ${kind} model is loaded` : `no model named "${name}"`);
  if (found.kind !== kind) throw new ServeError('ERR_UNKNOWN_MODEL', `model "${found.name}" is ${articled(found.kind)}, not ${articled(kind)}`);
  return found as Served & { kind: K };
}

const articled = (kind: ModelKind) => (kind === 'classifier' ? 'a classifier' : kind === 'tagger' ? 'a tagger' : 'a parser');

export function describe(m: Served): ModelInfo {
  const { pipeline } = m;
  const base = {
    name: m.name,
    kind: m.kind,
    dir: pipeline.model.dir,
    provider: pipeline.engine.provider,
    maxTokens: pipeline.tokenizer.maxTokens,
    maxQueue: pipeline.engine.maxQueue,
  };
  if (pipeline instanceof Parser) return { ...base, heads: pipeline.heads.map((h) => ({ name: h.name, kind: h.kind, labels: h.labels })) };
  return { ...base, labels: pipeline.labels };
}
