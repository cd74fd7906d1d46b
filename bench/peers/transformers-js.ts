// Peer: a transformers.js text-classification pipeline on the same ONNX file, local files only.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { liftedTokenizerConfig, type ModelView } from '../model-view.js';
import { ortSessionOptions, type Subject, type ThreadSettings } from './subject.js';

/**
 * transformers.js expects `<folder>/onnx/model.onnx` beside config.json and the tokenizer files, so this builds a
 * temporary folder of symlinks to the model under test. Remote downloads are switched off.
 */
export function transformersJsPeer(view: ModelView, threads: ThreadSettings): Promise<Subject> {
  return pipelineSubject(view, threads, 'text-classification');
}

/** A transformers.js pipeline as a contestant: `call` runs it on one text with `options` (e.g. pooling). */
export async function pipelineSubject(view: ModelView, threads: ThreadSettings, task: Task, options: Record<string, unknown> = {}): Promise<Subject> {
  const { pipe, close } = await localPipeline(view, threads, task);
  const run = pipe as unknown as (text: string, options: Record<string, unknown>) => Promise<unknown>;
  await run('a first call, so a model this pipeline cannot read is skipped here rather than failing later', options).catch(async (err: unknown) => {
    await close();
    throw err;
  });
  return {
    name: 'transformers.js',
    input: 'text',
    call: async (item) => {
      await run(item.text, options);
      return 1;
    },
    close,
  };
}

type Task = 'text-classification' | 'feature-extraction';

/** A transformers.js pipeline of `task` over the model under test, and how to free it (and its temp folder). */
async function localPipeline(view: ModelView, threads: ThreadSettings, task: Task) {
  const model = view.target;
  const { env, pipeline } = await import('@huggingface/transformers');
  const root = mkdtempSync(path.join(os.tmpdir(), 'textclf-bench-'));
  try {
    const folder = path.join(root, 'model');
    mkdirSync(path.join(folder, 'onnx'), { recursive: true });
    for (const file of ['config.json', 'tokenizer.json', 'special_tokens_map.json']) {
      if (existsSync(path.join(model.dir, file))) symlinkSync(path.resolve(model.dir, file), path.join(folder, file));
    }
    // Written, not linked: it carries the same token window as the other contestants (see model-view.ts).
    writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify(liftedTokenizerConfig(view)));
    symlinkSync(path.resolve(model.modelFile), path.join(folder, 'onnx/model.onnx'));
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = root;
    const pipe = await pipeline(task, 'model', {
      dtype: 'fp32', // "fp32" only names the file onnx/model.onnx; the symlink decides what is in it
      device: 'cpu',
      session_options: ortSessionOptions(threads),
    });
    return {
      pipe,
      close: async () => {
        await pipe.dispose();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
