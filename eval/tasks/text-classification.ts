// The shared runner for single-label text classification tasks (SST-2, intents, topics): a task supplies its
// labels and a reader; this loads the classifier and runs it the way users do, through classify().
import { textsInFlight } from '../../lib/classify.js';
import { loadClassifier, type Classification, type Classifier } from '../../lib/index.js';
import { classificationMetrics, mapLabels } from '../classification.js';
import { EvalError, sha256File, taskDataDir } from '../data.js';
import { modelInfo } from '../model-info.js';
import { latencySummary, progress, runAll, runSequential, throughputSummary } from '../timing.js';
import type { EvalRun, EvalTask, TaskContext } from '../types.js';

export interface LabelledTexts {
  texts: string[];
  /** Indices into the task's labels. */
  gold: number[];
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
  const data = spec.read(dataDir, ctx.split);
  const n = Math.min(ctx.limit ?? Infinity, data.texts.length);
  const texts = data.texts.slice(0, n);
  const gold = data.gold.slice(0, n);
  if (n === 0) throw new EvalError(`no examples in ${spec.name}/${ctx.split}`);

  const clf = await loadClassifier(ctx.modelDir, { modelFile: ctx.modelFile, maxBatchSize: ctx.maxBatchSize });
  try {
    if (clf.multiLabel) throw new EvalError(`${ctx.modelDir} is a multi-label model; task ${spec.name} is single-label`);
    const toTask = mapLabels(spec.labels, clf.labels, spec.name);
    const passes = await runPasses(clf, texts, ctx);
    const modelProbs = (c: Classification) => {
      const byLabel = new Map(c.scores.map((s) => [s.label, s.score]));
      return clf.labels.map((l) => byLabel.get(l) ?? 0);
    };
    const taskProbs = (c: Classification) => {
      const out = new Array<number>(spec.labels.length);
      modelProbs(c).forEach((p, m) => (out[toTask[m]] = p));
      return out;
    };
    const before = passes.before.map(modelProbs);
    return {
      result: {
        task: spec.name,
        split: ctx.split,
        n,
        date: new Date().toISOString(),
        command: ctx.command,
        provider: clf.engine.provider,
        ...(ctx.maxBatchSize ? { maxBatchSize: ctx.maxBatchSize } : {}),
        data: { dir: dataDir, files: data.files.map((file) => ({ file, sha256: sha256File(file) })) },
        model: modelInfo(ctx.modelDir, clf.model.modelPath, clf.labels, clf.temperature),
        classification: classificationMetrics(
          spec.labels,
          gold,
          passes.after.map(taskProbs),
          passes.before.map(taskProbs),
          clf.temperature,
          spec.positive,
        ),
        timing: { latency: latencySummary(passes.latencyMs), throughput: throughputSummary(n, passes.seconds) },
      },
      rows: texts.map((text, i) => ({ text, gold: gold[i], modelProbs: before[i] })),
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
