// SNIPS (intent + slots) and MASSIVE (intent + scenario): a multi-head model, or a set of single-task models
// (--dual), evaluated the way users run them (parse / classify / tagSlots). With --dual, both systems answer the
// same utterances in the same run, so their metrics and latencies compare directly.
import path from 'node:path';
import { readDataset, spansToChunks, type Example, type Format } from '../../datasets/index.js';
import { loadClassifier, loadParser, loadTagger, type LoadOptions, type SequencePrediction, type SlotSpan } from '../../lib/index.js';
import { readModelDir } from '../../lib/model-dir.js';
import { classificationMetrics } from '../classification.js';
import { EvalError, requireFile, taskDataDir } from '../data.js';
import { exactMatch, spanScores } from '../metrics.js';
import { modelInfo } from '../model-info.js';
import { latencySummary, progress, runAll, runSequential, throughputSummary } from '../timing.js';
import type { EvalRun, EvalTask, SystemReport, TaskContext } from '../types.js';

/** A sequence head's answer and the temperature it was calibrated with. */
type FieldAnswer = SequencePrediction & { temperature: number };

interface Prediction {
  fields: Record<string, FieldAnswer>;
  slots?: SlotSpan[];
}

interface System {
  name: string;
  dirs: string[];
  fields: string[];
  slots: boolean;
  predict(text: string): Promise<Prediction>;
  dispose(): Promise<void>;
}

/** What is scored: the sequence fields (the first one gets the classification report) and whether slots are. */
export interface Scoring {
  name: string;
  fields: string[];
  slots: boolean;
}

interface Spec extends Scoring {
  description: string;
  folder: string;
  format: Format;
  reference?: EvalTask['reference'];
}

/** One evaluation: examples already read, the label set of each field, where they came from. */
export interface IntentSlotsData extends Scoring {
  split: string;
  dir: string;
  files: { file: string; sha256: string }[];
  utterances: Example[];
  labels: Record<string, string[]>;
}

const CALLERS = 64;
const SPLITS = ['train', 'dev', 'test'];

// Every row counts, as in the published numbers (the files repeat a few utterances).
const readExamples = (file: string, format: Format) => readDataset(requireFile(file), { format, duplicates: 'keep' });

export const snips = intentSlotsTask({
  name: 'snips',
  description: 'SNIPS (Goo et al. split): 7 intents, 39 slot types, BIO tags on whitespace words',
  folder: 'snips',
  format: 'snips',
  fields: ['intent'],
  slots: true,
  reference: { name: 'JointBERT (BERT-base)', accuracy: 0.986, source: 'Chen et al. 2019: intent 98.6, slot F1 97.0, sentence 92.8 (test)' },
});

export const massive = intentSlotsTask({
  name: 'massive',
  description: 'MASSIVE en-US: 60 intents in 18 scenarios (intent and scenario)',
  folder: 'massive',
  format: 'massive',
  fields: ['intent', 'scenario'],
  slots: false,
  reference: { name: 'RoBERTa-base', accuracy: 0.889, source: 'FitzGerald et al. 2022: test intent accuracy 88.9' },
});

function intentSlotsTask(spec: Spec): EvalTask {
  return { name: spec.name, description: spec.description, splits: SPLITS, defaultSplit: 'test', reference: spec.reference, evaluate: (ctx) => evaluate(spec, ctx) };
}

async function evaluate(spec: Spec, ctx: TaskContext): Promise<EvalRun> {
  if (!SPLITS.includes(ctx.split)) throw new EvalError(`task ${spec.name} has no split '${ctx.split}' (splits: ${SPLITS.join(', ')})`);
  const dir = taskDataDir(spec.folder, ctx.data);
  const data = readExamples(path.join(dir, `${ctx.split}.jsonl`), spec.format);
  // Label sets come from train, so every split and every model is scored against the same classes.
  const train = readExamples(path.join(dir, 'train.jsonl'), spec.format);
  const labels = Object.fromEntries(spec.fields.map((f) => [f, train.heads.find((h) => h.name === f)!.labels]));
  const files = [{ file: data.file, sha256: data.sha256 }];
  return evaluateIntentSlots({ ...spec, split: ctx.split, dir, files, utterances: data.examples, labels }, ctx);
}

/** Runs --model (and the --dual pair) over the utterances; the first field gets the classification report. */
export async function evaluateIntentSlots(data: IntentSlotsData, ctx: TaskContext): Promise<EvalRun> {
  const utterances = data.utterances.slice(0, ctx.limit ?? Infinity);
  const { labels } = data;
  const main = await openSystem([ctx.modelDir], data, labels, { modelFile: ctx.modelFile, maxBatchSize: ctx.maxBatchSize });
  const dual = ctx.dual ? await openSystem(ctx.dual, data, labels, { maxBatchSize: ctx.maxBatchSize }) : undefined;
  try {
    const systems = [main, ...(dual ? [dual] : [])];
    const reports: SystemReport[] = [];
    let primary: { preds: Prediction[]; report: SystemReport } | undefined;
    for (const system of systems) {
      const { preds, report } = await runSystem(system, data, utterances, ctx);
      reports.push(report);
      primary ??= { preds, report };
    }
    const field = data.fields[0];
    const classes = labels[field];
    const gold = utterances.map((u) => classes.indexOf(u.heads[field] as string));
    const [after, before] = probabilityViews(primary!.preds.map((p) => p.fields[field]), classes);
    const info = modelInfo(ctx.modelDir, readModelDir(ctx.modelDir, ctx.modelFile).modelPath, classes, 1);
    return {
      result: {
        task: data.name,
        split: data.split,
        n: utterances.length,
        date: new Date().toISOString(),
        command: ctx.command,
        provider: 'cpu',
        ...(ctx.maxBatchSize ? { maxBatchSize: ctx.maxBatchSize } : {}),
        data: { dir: data.dir, files: data.files },
        model: info,
        classification: classificationMetrics(classes, gold, after, before, primary!.preds[0]?.fields[field].temperature ?? 1),
        timing: { latency: primary!.report.latency, throughput: primary!.report.throughput },
        intentSlots: { callers: CALLERS, systems: reports },
      },
      // The first field's rows (intent), for --compare against export.py's per-head Python predictions.
      rows: utterances.map((u, i) => ({ text: u.text, gold: gold[i], modelProbs: before[i] })),
    };
  } finally {
    await main.dispose();
    await dual?.dispose();
  }
}

async function runSystem(system: System, spec: Scoring, utterances: Example[], ctx: TaskContext) {
  const texts = utterances.map((u) => u.text);
  const latencyMs = await runSequential(texts.slice(0, ctx.latencyTexts), (t) => system.predict(t), progress(`${system.name} batch-1 latency`, Math.min(ctx.latencyTexts, texts.length), ctx.log));
  const { results: preds, seconds } = await runAll(texts, (t) => system.predict(t), CALLERS, progress(`${system.name} ${CALLERS} callers`, texts.length, ctx.log));
  const accuracy: Record<string, number> = {};
  const allRight = utterances.map(() => true);
  for (const field of spec.fields) {
    const right = utterances.map((u, i) => preds[i].fields[field]?.label === u.heads[field]);
    right.forEach((r, i) => (allRight[i] &&= r));
    accuracy[field] = right.filter(Boolean).length / utterances.length;
  }
  const report: SystemReport = {
    name: system.name,
    dirs: system.dirs,
    accuracy,
    sentenceAccuracy: allRight.filter(Boolean).length / utterances.length,
    latency: latencySummary(latencyMs),
    throughput: throughputSummary(texts.length, seconds),
  };
  if (spec.slots) {
    // Both sides as whitespace-word chunks, the units BIO tags (and seqeval) count in.
    const gold = utterances.map((u) => spansToChunks(u.text, u.spans ?? []));
    const pred = utterances.map((u, i) => spansToChunks(u.text, (preds[i].slots ?? []).map((s) => ({ ...s, label: s.slot }))));
    report.slots = spanScores(gold, pred);
    report.sentenceAccuracy = exactMatch(gold, pred, allRight);
  }
  return { preds, report };
}

/** Probabilities in task label order: as served (calibrated), and at temperature 1 (softmax(T · log p)). */
function probabilityViews(preds: readonly FieldAnswer[], labels: readonly string[]): [number[][], number[][]] {
  const after = preds.map((p) => {
    const byLabel = new Map(p.scores.map((s) => [s.label, s.score]));
    return labels.map((l) => byLabel.get(l) ?? 0);
  });
  const before = after.map((p, i) => {
    const logits = p.map((x) => preds[i].temperature * Math.log(Math.max(x, 1e-30)));
    const max = Math.max(...logits);
    const exp = logits.map((l) => Math.exp(l - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => e / sum);
  });
  return [after, before];
}

/** A folder with `heads` is one system by itself; single-task folders (classifier or tagger) combine into one. */
async function openSystem(dirs: string[], spec: Scoring, labels: Record<string, string[]>, load: LoadOptions): Promise<System> {
  const parts: System[] = [];
  for (const dir of dirs) parts.push(await openPart(dir, spec, labels, load));
  for (const field of spec.fields) {
    if (!parts.some((p) => p.fields.includes(field))) throw new EvalError(`no model in ${dirs.join(', ')} predicts ${field}`);
  }
  if (spec.slots && !parts.some((p) => p.slots)) throw new EvalError(`no model in ${dirs.join(', ')} tags slots`);
  if (parts.length === 1) return parts[0];
  return {
    name: `dual (${parts.map((p) => p.name).join(' + ')})`,
    dirs,
    fields: parts.flatMap((p) => p.fields),
    slots: parts.some((p) => p.slots),
    // The separate models are called concurrently, as a service would.
    predict: async (text) => {
      const answers = await Promise.all(parts.map((p) => p.predict(text)));
      return { fields: Object.assign({}, ...answers.map((a) => a.fields)), slots: answers.find((a) => a.slots)?.slots };
    },
    dispose: async () => {
      await Promise.all(parts.map((p) => p.dispose()));
    },
  };
}

async function openPart(dir: string, spec: Scoring, labels: Record<string, string[]>, load: LoadOptions): Promise<System> {
  const { config } = readModelDir(dir, load.modelFile);
  const name = path.basename(path.resolve(dir));
  if (Array.isArray(config.heads)) {
    const parser = await loadParser<Record<string, 'sequence' | 'token'>>(dir, load);
    const fields = parser.heads.filter((h) => h.kind === 'sequence' && spec.fields.includes(h.name)).map((h) => h.name);
    const slotHead = parser.heads.find((h) => h.kind === 'token')?.name;
    return {
      name, dirs: [dir], fields, slots: slotHead !== undefined,
      predict: async (text) => {
        const r = await parser.parse(text);
        const answer: Prediction = {
          fields: Object.fromEntries(fields.map((f) => [f, { ...(r[f] as SequencePrediction), temperature: parser.heads.find((h) => h.name === f)!.temperature }])),
        };
        if (slotHead) answer.slots = r[slotHead] as unknown as SlotSpan[];
        return answer;
      },
      dispose: () => parser.dispose(),
    };
  }
  const modelLabels = Object.values(config.id2label ?? {}).map(String);
  if (modelLabels.length > 0 && modelLabels.every((l) => l === 'O' || /^[BI]-/.test(l))) {
    const tagger = await loadTagger(dir, load);
    return { name, dirs: [dir], fields: [], slots: true, predict: async (text) => ({ fields: {}, slots: (await tagger.tagSlots(text)).slots }), dispose: () => tagger.dispose() };
  }
  const field = spec.fields.find((f) => modelLabels.every((l) => labels[f].includes(l)));
  if (!field) throw new EvalError(`${dir}: its labels match none of ${spec.name}'s fields (${spec.fields.join(', ')})`);
  const clf = await loadClassifier(dir, load);
  return {
    name, dirs: [dir], fields: [field], slots: false,
    predict: async (text) => ({ fields: { [field]: { ...(await clf.classify(text)), temperature: clf.temperature } } }),
    dispose: () => clf.dispose(),
  };
}
