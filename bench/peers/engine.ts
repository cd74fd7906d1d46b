// The engine under test, end to end from text (a Classifier) or fed pre-tokenized ids (Engine.run).
import { Classifier } from '../../lib/classify.js';
import { Engine, type EngineOptions } from '../../lib/engine.js';
import { ModelLoadError } from '../../lib/errors.js';
import { TokenizerPool } from '../../lib/tokenize-pool.js';
import type { ModelView } from '../model-view.js';
import { softmaxFirstRow, type Subject } from './subject.js';

/**
 * `classify(text)` as a user calls it, on the bench's tokenizer (see model-view.ts). Models a Classifier cannot
 * serve (multi-head joint models) fall back to the same steps by hand: tokenize, `Engine.run`, softmax.
 */
export function engineFromText(model: ModelView, options: EngineOptions & { tokenizerThreads?: number }, name = 'engine'): Subject {
  const { tokenizerThreads = 0, ...engineOptions } = options;
  const engine = newEngine(model, engineOptions);
  const pool = tokenizerThreads > 0 ? new TokenizerPool({ dir: model.dir.dir, modelFile: model.target.modelFile }, tokenizerThreads) : undefined;
  let classifier: Classifier | null = null;
  try {
    classifier = new Classifier({ engine, model: model.dir, tokenizer: model.tokenizer, pool });
  } catch (err) {
    if (!(err instanceof ModelLoadError)) throw err;
  }
  const first = engine.outputs[0].name;
  return {
    name,
    input: 'text',
    call: classifier
      ? async (item) => (await classifier.classify(item.text)).timing.batchSize
      : async (item) => {
          const out = await engine.run(model.tokenizer.encode(item.text).ids, null);
          softmaxFirstRow(out.outputs[first].data, out.outputs[first].dims);
          return out.batchSize;
        },
    close: async () => void (await Promise.all([engine.dispose(), pool?.close()])),
  };
}

/** `Engine.run(ids, null)`: no tokenizer in the timed path, for the comparison with a bare C++ Run. */
export function engineFromIds(model: ModelView, options: EngineOptions, name = 'engine (ids)'): Subject {
  const engine = newEngine(model, options);
  return {
    name,
    input: 'ids',
    call: async (item) => (await engine.run(item.ids, null)).batchSize,
    close: () => engine.dispose(),
  };
}

function newEngine(model: ModelView, options: EngineOptions): Engine {
  return new Engine(model.target.modelFile, { ...options, padId: model.tokenizer.padId, maxTokens: model.tokenizer.maxTokens });
}
