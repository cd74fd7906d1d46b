// Contestants for an embedder folder (the `embed` rows): the engine's Embedder.embed, onnxruntime-node's session.run
// and transformers.js's feature-extraction pipeline, with the same pooling and normalisation, on the same ONNX file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Embedder, readSentencePipeline } from '../../lib/embed.js';
import { Engine, type EngineOptions } from '../../lib/engine.js';
import { l2Normalize, pool } from '../../lib/postprocess/pooling.js';
import type { ModelView } from '../model-view.js';
import { ortNodePeer } from './ort-node.js';
import type { Subject, ThreadSettings } from './subject.js';
import { pipelineSubject } from './transformers-js.js';

export const isEmbedder = (view: ModelView) => existsSync(path.join(view.target.dir, 'modules.json'));

/** `embed(text)` as a user calls it, on the bench's tokenizer. */
export function engineEmbed(view: ModelView, options: EngineOptions, name = 'engine'): Subject {
  const engine = new Engine(view.target.modelFile, { ...options, padId: view.tokenizer.padId, maxTokens: view.tokenizer.maxTokens });
  const embedder = new Embedder({ engine, model: view.dir, tokenizer: view.tokenizer }, readSentencePipeline(view.target.dir));
  return {
    name,
    input: 'text',
    call: async (item) => (await embedder.embedOne(item.text)).timing.batchSize,
    close: () => engine.dispose(),
  };
}

/** transformers.js `feature-extraction` with the folder's pooling (mean or cls) and normalisation, local files only. */
export function transformersJsEmbed(view: ModelView, threads: ThreadSettings): Promise<Subject> {
  const { pooling, normalize } = readSentencePipeline(view.target.dir);
  if (pooling.length !== 1 || !['mean', 'cls'].includes(pooling[0])) {
    return Promise.reject(new Error(`transformers.js pools by mean or cls only, not ${pooling.join('+')}`));
  }
  return pipelineSubject(view, threads, 'feature-extraction', { pooling: pooling[0], normalize });
}

/** onnxruntime-node's session.run per text, then the folder's pooling and normalisation (the engine's own functions). */
export function ortNodeEmbed(view: ModelView, threads: ThreadSettings): Promise<Subject> {
  const { pooling, normalize } = readSentencePipeline(view.target.dir);
  return ortNodePeer(view, threads, 'cpu', (states, dims) => {
    const vector = pool(states, dims[2], pooling);
    if (normalize) l2Normalize(vector);
  });
}
