// Peer: transformers.js on the same ONNX file, local files only: its text-classification pipeline (or the model called
// directly where the pipeline cannot read it), and feature-extraction for embedders (peers/embed.ts).
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { liftedTokenizerConfig, type ModelView } from '../model-view.js';
import { ortSessionOptions, softmaxFirstRow, type Subject, type ThreadSettings } from './subject.js';

/**
 * A text-classification pipeline; for models it cannot read (two-head joint models: it wants an output named
 * `logits`), the same steps by hand, as the engine's subject does them: tokenizer, model call, softmax of the first
 * output.
 */
export async function transformersJsPeer(view: ModelView, threads: ThreadSettings): Promise<Subject> {
  try {
    return await pipelineSubject(view, threads, 'text-classification');
  } catch (pipelineError) {
    return modelSubject(view, threads).catch(() => {
      throw pipelineError;
    });
  }
}

/** A transformers.js pipeline as a contestant: `call` runs it on one text with `options` (e.g. pooling). */
export async function pipelineSubject(view: ModelView, threads: ThreadSettings, task: Task, options: Record<string, unknown> = {}): Promise<Subject> {
  const { loaded: pipe, close } = await fromLocalFolder(view, (lib) => lib.pipeline(task, MODEL, loadOptions(threads)));
  const run = pipe as unknown as (text: string, options: Record<string, unknown>) => Promise<unknown>;
  return textSubject((text) => run(text, options), close);
}

/** AutoTokenizer + AutoModel called directly; the first output's first row through a softmax. */
async function modelSubject(view: ModelView, threads: ThreadSettings): Promise<Subject> {
  const { loaded, close } = await fromLocalFolder(view, async (lib) => {
    const tokenizer = await lib.AutoTokenizer.from_pretrained(MODEL);
    const model = await lib.AutoModel.from_pretrained(MODEL, loadOptions(threads));
    return { tokenizer, model, dispose: () => model.dispose() };
  });
  return textSubject(async (text) => {
    const outputs = (await loaded.model(loaded.tokenizer(text))) as Record<string, { data: Float32Array; dims: number[] }>;
    const first = Object.values(outputs)[0];
    softmaxFirstRow(first.data, first.dims);
  }, close);
}

/**
 * `run` as a contestant, once a first call has worked, so a model transformers.js cannot read is skipped here rather
 * than failing later; otherwise it is closed and the call's error thrown.
 */
async function textSubject(run: (text: string) => Promise<unknown>, close: () => Promise<void>): Promise<Subject> {
  try {
    await run('a first call');
  } catch (err) {
    await close();
    throw err;
  }
  return {
    name: 'transformers.js',
    input: 'text',
    call: async (item) => {
      await run(item.text);
      return 1;
    },
    close,
  };
}

type Task = 'text-classification' | 'feature-extraction';
type Library = typeof import('@huggingface/transformers');
const MODEL = 'model';

const loadOptions = (threads: ThreadSettings) => ({
  dtype: 'fp32' as const, // "fp32" only names the file onnx/model.onnx; the symlink decides what is in it
  device: 'cpu' as const,
  session_options: ortSessionOptions(threads),
});

/**
 * transformers.js expects `<folder>/onnx/model.onnx` beside config.json and the tokenizer files, so this builds a
 * temporary folder of symlinks to the model under test, switches remote downloads off and lets `open` load from it.
 */
async function fromLocalFolder<T extends { dispose(): Promise<unknown> }>(view: ModelView, open: (lib: Library) => Promise<T>) {
  const model = view.target;
  const lib = await import('@huggingface/transformers');
  const root = mkdtempSync(path.join(os.tmpdir(), 'textclf-bench-'));
  try {
    const folder = path.join(root, MODEL);
    mkdirSync(path.join(folder, 'onnx'), { recursive: true });
    for (const file of ['config.json', 'tokenizer.json', 'special_tokens_map.json']) {
      if (existsSync(path.join(model.dir, file))) symlinkSync(path.resolve(model.dir, file), path.join(folder, file));
    }
    // Written, not linked: it carries the same token window as the other contestants (see model-view.ts).
    writeFileSync(path.join(folder, 'tokenizer_config.json'), JSON.stringify(liftedTokenizerConfig(view)));
    symlinkSync(path.resolve(model.modelFile), path.join(folder, 'onnx/model.onnx'));
    lib.env.allowRemoteModels = false;
    lib.env.allowLocalModels = true;
    lib.env.localModelPath = root;
    const loaded = await open(lib);
    return {
      loaded,
      close: async () => {
        await loaded.dispose();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
