// `npm run eval -- embed | zeroshot | fewshot`: sentence-embedding parity with sentence-transformers, zero-shot and
// few-shot classification on SST-2, AG News and MASSIVE (issue 14), through the same calls users make.
import {
  cosine,
  loadEmbedder,
  trainFewShot,
  ZeroShotClassifier,
  type Classification,
  type Embedder,
} from '../../lib/index.js';
import { EvalError, readJsonFile } from '../data.js';
import { accuracy, confusionMatrix, macroF1, percentile, perClassScores } from '../metrics.js';
import { fixed, pct, table, writeJson } from '../report.js';
import { progress, runAll, runSequential } from '../timing.js';
import { readSets, sample, type FewShotSet, type Labelled } from './few-shot-data.js';
import { setFitEncoder } from './setfit.js';

export const EMBEDDING_TASKS = ['embed', 'zeroshot', 'fewshot'] as const;

export interface EmbeddingContext {
  task: (typeof EMBEDDING_TASKS)[number];
  modelDir: string;
  modelFile?: string;
  data?: string;
  sets: string[];
  shots: number;
  seeds: number;
  limit?: number;
  maxBatchSize?: number;
  reference?: string;
  fitScale: boolean;
  setfit: boolean;
  python?: string;
  /** fewshot: write the drawn examples and test rows, for models/embed/fewshot_reference.py. */
  dump?: string;
  log: (line: string) => void;
  command: string;
}

export interface EmbeddingReport {
  markdown: string;
  json: Record<string, unknown>;
}

export async function runEmbeddingTask(ctx: EmbeddingContext): Promise<EmbeddingReport> {
  const embedder = await loadEmbedder(ctx.modelDir, { modelFile: ctx.modelFile, maxBatchSize: ctx.maxBatchSize });
  try {
    if (ctx.task === 'embed') return await parity(embedder, ctx);
    const sets = readSets(ctx.sets, ctx.data).map((s) => ({ ...s, test: s.test.slice(0, ctx.limit ?? Infinity) }));
    return ctx.task === 'zeroshot' ? await zeroShot(new ZeroShotClassifier(embedder), sets, ctx) : await fewShot(embedder, sets, ctx);
  } finally {
    await embedder.dispose();
  }
}

const header = (ctx: EmbeddingContext, embedder: Embedder) =>
  `model ${ctx.modelDir} (${embedder.model.modelPath.split('/').at(-1)}, pooling ${embedder.pooling.join('+')}, normalize ${embedder.normalize}), ` +
  `${new Date().toISOString()}\n\n\`${ctx.command}\`\n`;

// ------------------------------------------------------------------ parity

async function parity(embedder: Embedder, ctx: EmbeddingContext): Promise<EmbeddingReport> {
  if (!ctx.reference) throw new EvalError('embed: --reference <reference.json> (written by models/embed/export.py) is required');
  const ref = readJsonFile(ctx.reference) as { texts: string[]; embeddings: number[][]; model?: string };
  if (!Array.isArray(ref?.texts) || !Array.isArray(ref.embeddings)) throw new EvalError(`${ctx.reference}: expected { texts, embeddings }`);
  const texts = ref.texts.slice(0, ctx.limit ?? Infinity);
  const aloneVectors: Float32Array[] = [];
  const alone = await runSequential(texts, async (t) => aloneVectors.push(await embedder.embed(t)), progress('one at a time', texts.length, ctx.log));
  const together = await runAll(texts, (t) => embedder.embed(t), embedder.engine.maxQueue / 2, progress('all at once', texts.length, ctx.log));
  const cos = aloneVectors.map((v, i) => cosine(v, ref.embeddings[i]));
  let maxDiff = 0;
  together.results.forEach((v, i) => v.forEach((x, d) => (maxDiff = Math.max(maxDiff, Math.abs(x - aloneVectors[i][d])))));
  const summary = { n: texts.length, min: Math.min(...cos), mean: cos.reduce((a, b) => a + b, 0) / cos.length, p01: percentile(cos, 1) };
  const markdown = [
    `## embed: cosine to sentence-transformers (${ref.model ?? 'reference'}) on ${texts.length} texts`,
    '',
    header(ctx, embedder),
    table(
      ['texts', 'min cosine', '1st percentile', 'mean', 'max abs diff, all at once vs one at a time', 'p50 ms (one at a time)'],
      [[String(summary.n), summary.min.toFixed(7), summary.p01.toFixed(7), summary.mean.toFixed(7), maxDiff.toExponential(2), fixed(percentile(alone, 50), 2)]],
    ),
    '',
  ].join('\n');
  return { markdown, json: { task: 'embed', command: ctx.command, model: ctx.modelDir, file: embedder.model.modelPath, cosine: summary, batchedVsAloneMaxAbsDiff: maxDiff } };
}

// ------------------------------------------------------------------ zero-shot

function scores(gold: number[], pred: number[], classes: number) {
  return { accuracy: accuracy(gold, pred), macroF1: macroF1(perClassScores(confusionMatrix(gold, pred, classes))) };
}

const predicted = (set: FewShotSet, results: Classification[]) => results.map((r) => set.labels.indexOf(r.scores[0].label));
const goldOf = (set: FewShotSet, rows: Labelled[]) => rows.map((r) => set.labels.indexOf(r.label));

async function zeroShot(clf: ZeroShotClassifier, sets: FewShotSet[], ctx: EmbeddingContext): Promise<EmbeddingReport> {
  const rows: string[][] = [];
  const json: Record<string, unknown>[] = [];
  for (const set of sets) {
    const options = { labels: descriptions(set), template: set.prompts.template };
    const { results, seconds } = await runAll(set.test.map((r) => r.text), (t) => clf.classify(t, options), 2048, progress(`${set.name} zero-shot`, set.test.length, ctx.log));
    const s = scores(goldOf(set, set.test), predicted(set, results), set.labels.length);
    rows.push([set.name, String(set.test.length), pct(s.accuracy, 1), fixed(s.macroF1, 3), pct(set.anchors.zeroShot, 1), delta(s.accuracy, set.anchors.zeroShot), set.prompts.template]);
    json.push({ set: set.name, n: set.test.length, ...s, anchor: set.anchors.zeroShot, seconds, template: set.prompts.template, descriptions: set.prompts.descriptions });
  }
  const parts = [
    `## zero-shot: cosine to label prompts (scale ${clf.scale})`,
    '',
    header(ctx, clf.embedder),
    table(['set', 'test texts', 'accuracy', 'macro-F1', 'anchor (Python, one prompt per label)', 'vs anchor', 'template'], rows),
    '',
  ];
  const fitted = ctx.fitScale ? await fitScale(clf, sets, ctx) : undefined;
  if (fitted) parts.push(`Fitted on the example pools (${fitted.n} texts): scale ${fitted.scale.toFixed(2)} (softmax NLL), multi-label bias ${fitted.bias.toFixed(3)} (sigmoid NLL at that scale).`, '');
  return { markdown: parts.join('\n'), json: { task: 'zeroshot', command: ctx.command, model: ctx.modelDir, scale: clf.scale, sets: json, fitted } };
}

const descriptions = (set: FewShotSet) => Object.fromEntries(set.labels.map((l) => [l, set.prompts.descriptions[l] ?? [l]]));
const delta = (a: number, b: number) => `${a >= b ? '+' : ''}${(100 * (a - b)).toFixed(1)} pts`;

const FIT_PER_SET = 600;

/** The scale (and multi-label bias) minimising NLL on pool texts: softmax(scale * cos), sigmoid(scale * (cos - bias)). */
async function fitScale(clf: ZeroShotClassifier, sets: FewShotSet[], ctx: EmbeddingContext) {
  const points: { cos: number[]; gold: number }[] = [];
  for (const set of sets) {
    const rows = sample(set, Math.min(...set.labels.map((l) => set.pool.filter((r) => r.label === l).length), Math.ceil(FIT_PER_SET / set.labels.length)), 1234);
    const options = { labels: descriptions(set), template: set.prompts.template };
    const { results } = await runAll(rows, (r) => clf.cosines(r.text, options), 2048, progress(`${set.name} scale fit`, rows.length, ctx.log));
    results.forEach((cos, i) => points.push({ cos, gold: set.labels.indexOf(rows[i].label) }));
  }
  const softmaxNll = (s: number) =>
    points.reduce((sum, p) => {
      const z = p.cos.map((c) => s * c);
      const max = Math.max(...z);
      return sum - (z[p.gold] - max - Math.log(z.reduce((a, v) => a + Math.exp(v - max), 0)));
    }, 0);
  const scale = goldenMin(softmaxNll, 1, 200);
  const sigmoidNll = (b: number) =>
    points.reduce((sum, p) => sum + p.cos.reduce((a, c, k) => a + Math.log1p(Math.exp((k === p.gold ? -1 : 1) * scale * (c - b))), 0), 0);
  const bias = goldenMin(sigmoidNll, -1, 1);
  return { n: points.length, scale, bias };
}

function goldenMin(f: (x: number) => number, lo: number, hi: number): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo;
  let b = hi;
  for (let i = 0; i < 80; i++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (f(c) < f(d)) b = d;
    else a = c;
  }
  return (a + b) / 2;
}

// ------------------------------------------------------------------ few-shot

async function fewShot(embedder: Embedder, sets: FewShotSet[], ctx: EmbeddingContext): Promise<EmbeddingReport> {
  const rows: string[][] = [];
  const json: Record<string, unknown>[] = [];
  const method = ctx.setfit ? 'setfit' : 'head';
  const dump: Record<string, unknown> = {};
  for (const set of sets) {
    const runs: { seed: number; accuracy: number; macroF1: number; trainSeconds: number }[] = [];
    const texts = set.test.map((r) => r.text);
    const gold = goldOf(set, set.test);
    // The frozen encoder's test vectors do not change between seeds: embed them once, through the engine.
    const frozen = ctx.setfit ? undefined : (await runAll(texts, (t) => embedder.embed(t), 2048, progress(`${set.name} test embeddings`, texts.length, ctx.log))).results;
    const drawn: Labelled[][] = [];
    for (let seed = 0; seed < ctx.seeds; seed++) {
      const examples = sample(set, ctx.shots, seed);
      drawn.push(examples);
      const start = performance.now();
      const body = ctx.setfit ? await setFitEncoder(examples, set.name, seed, ctx) : embedder;
      try {
        const clf = await trainFewShot(body, examples, { labels: set.labels });
        const trainSeconds = (performance.now() - start) / 1000;
        const vectors = frozen ?? (await runAll(texts, (t) => body.embed(t, clf.embedding), 2048, progress(`${set.name} seed ${seed}`, texts.length, ctx.log))).results;
        const pred = vectors.map((v) => set.labels.indexOf(clf.predict(v).scores[0].label));
        runs.push({ seed, ...scores(gold, pred, set.labels.length), trainSeconds });
        ctx.log(`${set.name} seed ${seed}: accuracy ${pct(runs.at(-1)!.accuracy)}, trained in ${trainSeconds.toFixed(1)} s`);
      } finally {
        if (body !== embedder) await body.dispose();
      }
    }
    const mean = (k: 'accuracy' | 'macroF1' | 'trainSeconds') => runs.reduce((a, r) => a + r[k], 0) / runs.length;
    const sd = Math.sqrt(runs.reduce((a, r) => a + (r.accuracy - mean('accuracy')) ** 2, 0) / Math.max(1, runs.length - 1));
    const anchor = ctx.shots === 8 ? set.anchors.shots8 : ctx.shots === 64 ? set.anchors.shots64 : undefined;
    rows.push([
      set.name,
      String(set.test.length),
      `${pct(mean('accuracy'), 1)} ± ${(100 * sd).toFixed(1)}`,
      fixed(mean('macroF1'), 3),
      anchor === undefined ? 'n/a' : pct(anchor, 1),
      anchor === undefined ? 'n/a' : delta(mean('accuracy'), anchor),
      mean('trainSeconds').toFixed(1),
    ]);
    json.push({ set: set.name, n: set.test.length, shots: ctx.shots, runs, accuracy: mean('accuracy'), macroF1: mean('macroF1'), sd, anchor });
    dump[set.name] = { labels: set.labels, examples: drawn, test: set.test };
  }
  const markdown = [
    `## few-shot (${method === 'setfit' ? 'SetFit-style contrastive fine-tune of the encoder (Python), then the logistic head (Node)' : 'logistic head on frozen embeddings, trained in Node'}): ${ctx.shots} per class, ${ctx.seeds} seeds`,
    '',
    header(ctx, embedder),
    table(['set', 'test texts', 'accuracy (mean ± sd)', 'macro-F1', `anchor (Python logistic, ${ctx.shots} per class)`, 'vs anchor', 'train s (mean)'], rows),
    '',
  ].join('\n');
  if (ctx.dump) {
    writeJson(ctx.dump, dump);
    ctx.log(`wrote ${ctx.dump} (python models/embed/fewshot_reference.py ${ctx.dump}: scikit-learn on the same examples)`);
  }
  return { markdown, json: { task: 'fewshot', method, command: ctx.command, model: ctx.modelDir, shots: ctx.shots, seeds: ctx.seeds, sets: json } };
}
