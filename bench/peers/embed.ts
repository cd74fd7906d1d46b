// Contestants for an embedder folder (the `embed` rows): the engine's Embedder.embed and transformers.js's
// feature-extraction pipeline with the same pooling and normalisation, on the same ONNX file.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Embedder, readSentencePipeline } from '../../lib/embed.js';
import { Engine, type EngineOptions } from '../../lib/engine.js';
import { liftedTokenizerConfig, type ModelView } from '../model-view.js';
import { ortSessionOptions, type Subject, type ThreadSettings } from './subject.js';

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
export async function transformersJsEmbed(view: ModelView, threads: ThreadSettings): Promise<Subject> {
  const pipe = readSentencePipeline(view.target.dir);
  if (pipe.pooling.length !== 1 || !['mean', 'cls'].includes(pipe.pooling[0])) throw new Error(`transformers.js pools by mean or cls only, not ${pipe.pooling.join('+')}`);
  const { env, pipeline } = await import('@huggingface/transformers');
  const root = mkdtempSync(path.join(os.tmpdir(), 'textclf-bench-embed-'));
  try {
    const folder = path.join(root, 'model');
    mkdirSync(path.join(folder, 'onnx'), { recursive: true });
    for (const file of ['config.json', 'tokenizer.json']) symlinkSync(path.resolve(view.target.dir, file), path.join(folder, file));
    writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify(liftedTokenizerConfig(view)));
    symlinkSync(path.resolve(view.target.modelFile), path.join(folder, 'onnx/model.onnx'));
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = root;
    const extract = await pipeline('feature-extraction', 'model', { dtype: 'fp32', device: 'cpu', session_options: ortSessionOptions(threads) });
    const options = { pooling: pipe.pooling[0] as 'mean' | 'cls', normalize: pipe.normalize };
    await extract('a first call, so a model this pipeline cannot read is skipped here rather than failing later', options);
    return {
      name: 'transformers.js',
      input: 'text',
      call: async (item) => {
        await extract(item.text, options);
        return 1;
      },
      close: async () => {
        await extract.dispose();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
