// The shared runner for text classification (SST-2, intents, topics, and multi-label data): a task supplies its
// labels and a reader; this loads the classifier and runs it the way users do, through classify().
import { textsInFlight } from '../../lib/classify.js';
import { loadClassifier, type Classification, type Classifier } from '../../lib/index.js';
import { classificationMetrics, mapLabels, multiLabelMetrics } from '../classification.js';
import { EvalError, sha256File, taskDataDir } from '../data.js';
import { modelInfo } from '../model-info.js';
import { latencySummary, progress, runAll, runSequential, throughputSummary } from '../timing.js';
import type { EvalRun, EvalTask, TaskContext } from '../types.js';

export interface LabelledTexts {
  texts: string[];
  /** Indices into the task's labels; multi-label: the indices of each text's labels. */
  gold: number[] | number[][];
  /** The files read, recorded with their sha256. */
  files: string[];
}

export interface TextClassificationSpec extends Omit<EvalTask, 'evaluate'> {
  /** Folder under the data root. */
  dataFolder: string;
  /** Class names, compared case-insensitively with the model's id2label. */
  labels: readonly string[];
  /** Binary tasks: the index of the class whose score AUROC ranks by (default 1). */
  positive?: number;
  read(dataDir: string, split: string): LabelledTexts;
}

export function textClassificationTask(spec: TextClassificationSpec): EvalTask {
  return { ...spec, evaluate: (ctx) => evaluateClassifier(spec, ctx) };
}

async function evaluateClassifier(spec: TextClassificationSpec, ctx: TaskContext): Promise<EvalRun> {
  if (!spec.splits.includes(ctx.split)) throw new EvalError(`task ${spec.name} has no split '${ctx.split}' (splits: ${spec.splits.join(', ')})`);
  const dataDir = taskDataDir(spec.dataFolder, ctx.data);
  return runClassifier({ ...spec, split: ctx.split, dataDir }, spec.read(dataDir, ctx.split), ctx);
}

export interface ClassifierRun {
  name: string;
  split: string;
  dataDir: string;
  labels: readonly string[];
  positive?: number;
}

/** Evaluates texts with gold labels through classify(): single-label, or multi-label when gold holds lists. */
export async function runClassifier(task: ClassifierRun, data: LabelledTexts, ctx: TaskContext): Promise<EvalRun> {
  const n = Math.min(ctx.limit ?? Infinity, data.texts.length);
  const texts = data.texts.slice(0, n);
  const gold = data.gold.slice(0, n);
  if (n === 0) throw new EvalError(`no examples in ${task.name}/${task.split}`);
  const multiLabel = Array.isArray(gold[0]);

  const clf = await loadClassifier(ctx.modelDir, { modelFile: ctx.modelFile, maxBatchSize: ctx.maxBatchSize });
  try {
    if (clf.multiLabel !== multiLabel) {
      throw new EvalError(`${ctx.modelDir} is a ${clf.multiLabel ? 'multi' : 'single'}-label model; the ${task.name} data is ${multiLabel ? 'multi' : 'single'}-label`);
    }
    const toTask = mapLabels(task.labels, clf.labels, task.name);
    const passes = await runPasses(clf, texts, ctx);
    const modelProbs = (c: Classification) => {
      const byLabel = new Map(c.scores.map((s) => [s.label, s.score]));
      return clf.labels.map((l) => byLabel.get(l) ?? 0);
    };
    const taskProbs = (c: Classification) => {
      const out = new Array<number>(task.labels.length);
      modelProbs(c).forEach((p, m) => (out[toTask[m]] = p));
      return out;
    };
    const before = passes.before.map(modelProbs);
    const after = passes.after.map(taskProbs);
    const beforeTask = passes.before.map(taskProbs);
    const classification = multiLabel
      ? multiLabelMetrics(task.labels, (gold as number[][]).map((g) => task.labels.map((_, c) => g.includes(c))), after, beforeTask, clf.temperature)
      : classificationMetrics(task.labels, gold as number[], after, beforeTask, clf.temperature, task.positive);
    return {
      result: {
        task: task.name,
        split: task.split,
        n,
        date: new Date().toISOString(),
        command: ctx.command,
        provider: clf.engine.provider,
        ...(ctx.maxBatchSize ? { maxBatchSize: ctx.maxBatchSize } : {}),
        data: { dir: task.dataDir, files: data.files.map((file) => ({ file, sha256: sha256File(file) })) },
        model: modelInfo(ctx.modelDir, clf.model.modelPath, clf.labels, clf.temperature),
        classification,
        timing: { latency: latencySummary(passes.latencyMs), throughput: throughputSummary(n, passes.seconds) },
      },
      // --compare reads single-label rows; a multi-label row carries its first gold label (-1: none).
      rows: texts.map((text, i) => ({ text, gold: multiLabel ? ((gold[i] as number[])[0] ?? -1) : (gold[i] as number), modelProbs: before[i] })),
    };
  } finally {
    await clf.dispose();
  }
}

const WARMUP_TEXTS = 16;

/** Warm-up, batch-1 latency over the first texts, then every text at once with the model's temperature and with 1. */
async function runPasses(clf: Classifier, texts: string[], ctx: TaskContext) {
  const inFlight = textsInFlight(clf.engine.maxQueue, ctx.long ?? {});
  const timed = texts.slice(0, ctx.latencyTexts);
  const long = ctx.long ?? {};
  await runSequential(texts.slice(0, WARMUP_TEXTS), (t) => clf.classify(t, long), () => {});
  const latencyMs = await runSequential(timed, (t) => clf.classify(t, long), progress('latency, batch 1', timed.length, ctx.log));
  const after = await runAll(texts, (t) => clf.classify(t, long), inFlight, progress('all texts at once', texts.length, ctx.log));
  const before = await runAll(texts, (t) => clf.classify(t, { ...long, temperature: 1 }), inFlight, progress('again at temperature 1', texts.length, ctx.log));
  return { latencyMs, after: after.results, before: before.results, seconds: after.seconds };
}
