// Which ONNX files this run measures; absent ones (models still being trained) are skipped with a note.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface ModelTarget {
  /** Row label, e.g. 'sentiment-minilm-l6 int8'. */
  name: string;
  /** Set on the GPU rows' targets (the fp32 export and its fp16 twin). */
  precision?: 'fp32' | 'fp16';
  /** The Hugging Face style folder: config.json, tokenizer.json (the ONNX file may live elsewhere). */
  dir: string;
  modelFile: string;
  /** Which runs measure it: the tiny fixture only --quick, the big exports only the full run. */
  runs: 'quick' | 'full' | 'both';
}

export interface SkippedModel {
  name: string;
  reason: string;
}

export interface ModelChoice {
  targets: ModelTarget[];
  skipped: SkippedModel[];
}

/**
 * The git-ignored fp32 export of the committed int8 model: where its manifest says export.py left it, else beside it.
 */
function fp32Candidates(root: string, dir: string): string[] {
  const beside = path.join(dir, 'model_fp32.onnx');
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { export?: { fp32_optimised_model?: { path?: string } } };
    const recorded = manifest.export?.fp32_optimised_model?.path;
    return recorded ? [path.resolve(root, recorded), beside] : [beside];
  } catch {
    return [beside];
  }
}

export function chooseModels(root: string, options: { quick: boolean; fp32?: string; only?: string[] }): ModelChoice {
  const sentiment = path.join(root, 'models/sentiment-minilm-l6');
  const lookedAt = fp32Candidates(root, sentiment);
  const fp32 = options.fp32 ? path.resolve(options.fp32) : lookedAt.find((f) => existsSync(f));
  const joint = path.join(root, 'models/snips-joint-minilm');
  const massive = path.join(root, 'models/massive-consolidated-minilm');
  const embed = path.join(root, 'models/embed-minilm-l6');
  const candidates: (ModelTarget & { missing?: string })[] = [
    { name: 'tiny-bert (fixture)', dir: path.join(root, 'test/fixtures/tiny-bert'), modelFile: path.join(root, 'test/fixtures/tiny-bert/model.onnx'), runs: 'quick' },
    { name: 'sentiment-minilm-l6 int8', dir: sentiment, modelFile: path.join(sentiment, 'model.onnx'), runs: 'both' },
    {
      name: 'sentiment-minilm-l6 fp32', dir: sentiment, modelFile: fp32 ?? path.join(sentiment, 'model_fp32.onnx'),
      runs: options.fp32 ? 'both' : 'full',
      missing: fp32 ? undefined : `no fp32 export found (looked for ${lookedAt.map((f) => path.relative(root, f)).join(', ')}; pass --fp32 <file>)`,
    },
    { name: 'snips-joint-minilm', dir: joint, modelFile: path.join(joint, 'model.onnx'), runs: 'full' },
    { name: 'massive-consolidated-minilm', dir: massive, modelFile: path.join(massive, 'model.onnx'), runs: 'full' },
    { name: 'embed-minilm-l6 int8', dir: embed, modelFile: path.join(embed, 'model.onnx'), runs: 'full' },
  ];
  const choice: ModelChoice = { targets: [], skipped: [] };
  for (const { missing, ...c } of candidates) {
    const named = options.only?.length ? options.only.some((o) => c.name.includes(o)) : undefined;
    if (named === false) continue;
    const absent = missing ?? [c.modelFile, path.join(c.dir, 'config.json'), path.join(c.dir, 'tokenizer.json')].find((f) => !existsSync(f));
    const thisRun = options.quick ? 'quick' : 'full';
    if (absent) choice.skipped.push({ name: c.name, reason: missing ?? `missing ${path.relative(root, absent)}` });
    else if (!named && c.runs !== 'both' && c.runs !== thisRun) choice.skipped.push({ name: c.name, reason: `measured in the ${c.runs} run only` });
    else choice.targets.push(c);
  }
  return choice;
}

export const FP16_BESIDE_FP32 = 'model_fp16.onnx';

/** What `python models/scripts/make_gpu_models.py --out DIR` writes: real-size random-weight models, fp32 and fp16. */
export const GPU_MODELS_INDEX = 'models.json';

interface GpuModelsIndex {
  models: { name: string; precision: string; folder: string }[];
}

/** The models listed in DIR/models.json, or one skipped entry saying how to make them. */
function madeGpuModels(root: string, dir: string): (ModelTarget & { missing?: string })[] {
  const index = path.join(dir, GPU_MODELS_INDEX);
  const make = `python models/scripts/make_gpu_models.py --out ${path.relative(root, dir) || '.'}`;
  let listed: GpuModelsIndex;
  try {
    listed = JSON.parse(readFileSync(index, 'utf8')) as GpuModelsIndex;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no ${path.relative(root, index)}` : `unreadable ${path.relative(root, index)} (${(err as Error).message})`;
    return [{ name: `real-size models (${path.relative(root, dir)})`, dir, modelFile: '', runs: 'both', missing: `${why}: ${make}` }];
  }
  return listed.models.map((m) => {
    const folder = path.join(dir, m.folder);
    const absent = [path.join(folder, 'model.onnx'), path.join(folder, 'config.json'), path.join(folder, 'tokenizer.json')].find((f) => !existsSync(f));
    const precision = m.precision === 'fp32' || m.precision === 'fp16' ? m.precision : undefined;
    return {
      name: m.name, precision, dir: folder, modelFile: path.join(folder, 'model.onnx'), runs: 'both' as const,
      missing: !precision ? `precision ${m.precision} in ${path.relative(root, index)} is not fp32 or fp16`
        : absent ? `missing ${path.relative(root, absent)} (${make} --force)` : undefined,
    };
  });
}

/**
 * The GPU rows' models: fp32 and fp16 of the tiny fixture (both committed) and of the sentiment model (its git-ignored
 * fp32 export, and `model_fp16.onnx` beside it as `python models/fp16.py` writes it, or --fp16 FILE). With
 * `modelsDir` (--gpu-models DIR) the real-size models listed there follow, and the fixture keeps its fp32 row only:
 * it shows the JavaScript thread's ceiling, which fp16 does not change, and the rows must fit gpu-check's 5 minutes.
 */
export function gpuModels(root: string, options: { fp32?: string; fp16?: string; only?: string[]; modelsDir?: string }): ModelChoice {
  const fixture = path.join(root, 'test/fixtures');
  const base = chooseModels(root, { quick: false, fp32: options.fp32, only: ['tiny-bert (fixture)', 'sentiment-minilm-l6 fp32'] });
  const fp32 = base.targets.find((t) => t.name.startsWith('sentiment'));
  const sentimentFp16 = options.fp16 ? path.resolve(options.fp16) : fp32 && path.join(path.dirname(fp32.modelFile), FP16_BESIDE_FP32);
  const candidates: (ModelTarget & { missing?: string })[] = [
    { name: 'tiny-bert (fixture) fp32', precision: 'fp32', dir: path.join(fixture, 'tiny-bert'), modelFile: path.join(fixture, 'tiny-bert/model.onnx'), runs: 'both' },
    ...(options.modelsDir ? [] : [{ name: 'tiny-bert (fixture) fp16', precision: 'fp16' as const, dir: path.join(fixture, 'tiny-bert-fp16'), modelFile: path.join(fixture, 'tiny-bert-fp16/model.onnx'), runs: 'both' as const }]),
    ...(fp32 ? [{ ...fp32, precision: 'fp32' as const }] : []),
    {
      name: 'sentiment-minilm-l6 fp16', precision: 'fp16', dir: path.join(root, 'models/sentiment-minilm-l6'), modelFile: sentimentFp16 ?? '', runs: 'both',
      missing: !sentimentFp16 ? 'no fp32 export to make it from (pass --fp32 FILE)'
        : existsSync(sentimentFp16) ? undefined : `missing ${path.relative(root, sentimentFp16)} (python models/fp16.py <fp32 export> ${path.relative(root, sentimentFp16)})`,
    },
    ...(options.modelsDir ? madeGpuModels(root, path.resolve(options.modelsDir)) : []),
  ];
  const choice: ModelChoice = { targets: [], skipped: base.skipped.filter((s) => s.name.startsWith('sentiment')) };
  for (const { missing, ...c } of candidates) {
    if (options.only?.length && !options.only.some((o) => c.name.includes(o))) continue;
    if (missing) choice.skipped.push({ name: c.name, reason: missing });
    else choice.targets.push(c);
  }
  return choice;
}
