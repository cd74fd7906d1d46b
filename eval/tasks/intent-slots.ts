// SNIPS (intent + slots), MASSIVE (intent + scenario) and 20 Newsgroups (group + category, eval/tasks/newsgroups.ts):
// a multi-head model, or a set of single-task models (--dual), evaluated the way users run them (parse / classify /
// tagSlots). With --dual, both systems answer the same texts in the same run, so their metrics and latencies compare
// directly.
import path from 'node:path';
import { readDataset, spansToChunks, type Example, type Format } from '../../datasets/index.js';
import { loadClassifier, loadParser, loadTagger, type LoadOptions, type SequencePrediction, type SlotSpan } from '../../lib/index.js';
import { readModelDir } from '../../lib/model-dir.js';
import { longPlan, type LongOptions } from '../../lib/postprocess/chunks.js';
import { TextTokenizer } from '../../lib/tokenize.js';
import { classificationMetrics } from '../classification.js';
import { EvalError, requireFile, sha256File, taskDataDir } from '../data.js';
import { confusionMatrix, exactMatch, macroF1, perClassScores, spanScores } from '../metrics.js';
import { modelInfo } from '../model-info.js';
import { latencySummary, progress, runAll, runSequential, throughputSummary } from '../timing.js';
import type { EvalRun, EvalTask, SystemReport, TaskContext } from '../types.js';

/** A sequence head's answer and the temperature it was calibrated with. */
type FieldAnswer = SequencePrediction & { temperature: number };

interface Prediction {
  fields: Record<string, FieldAnswer>;
  slots?: SlotSpan[];
  /** Model windows the text took (long: 'chunks'; summed over a dual system's models). */
  chunks?: number;
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
  /** Fields a system may answer from another field's scores (20NG: the 7 categories from the 20 groups). */
  derived?: Record<string, { from: string; map: (label: string) => string }>;
  /** A system may answer a subset of the fields (at least one); the others print n/a. */
  someFields?: boolean;
  /** Also time documents of about 1,000 tokens one at a time. */
  longDocs?: boolean;
}

export interface Spec extends Scoring {
  description: string;
  folder: string;
  reference?: EvalTask['reference'];
  /** A split's file in the task folder (default `<split>.jsonl`). */
  file?: (split: string) => string;
  /** How the task's files are read: a datasets/ format, or a reader of the task's own (20NG's stripping). */
  read: Format | ((file: string, ctx: TaskContext) => Example[]);
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
const readExamples = (file: string, format: Format) => readDataset(requireFile(file), { format, duplicates: 'keep' }).examples;

export const snips = intentSlotsTask({
  name: 'snips',
  description: 'SNIPS (Goo et al. split): 7 intents, 39 slot types, BIO tags on whitespace words',
  folder: 'snips',
  fields: ['intent'],
  slots: true,
  reference: { name: 'JointBERT (BERT-base)', accuracy: 0.986, source: 'Chen et al. 2019: intent 98.6, slot F1 97.0, sentence 92.8 (test)' },
  read: 'snips',
});

export const massive = intentSlotsTask({
  name: 'massive',
  description: 'MASSIVE en-US: 60 intents in 18 scenarios (intent and scenario)',
  folder: 'massive',
  fields: ['intent', 'scenario'],
  slots: false,
  reference: { name: 'RoBERTa-base', accuracy: 0.889, source: 'FitzGerald et al. 2022: test intent accuracy 88.9' },
  read: 'massive',
});

export function intentSlotsTask(spec: Spec): EvalTask {
  return { name: spec.name, description: spec.description, splits: SPLITS, defaultSplit: 'test', reference: spec.reference, evaluate: (ctx) => evaluate(spec, ctx) };
}

async function evaluate(spec: Spec, ctx: TaskContext): Promise<EvalRun> {
  if (!SPLITS.includes(ctx.split)) throw new EvalError(`task ${spec.name} has no split '${ctx.split}' (splits: ${SPLITS.join(', ')})`);
  const dir = taskDataDir(spec.folder, ctx.data);
  const fileOf = spec.file ?? ((split: string) => `${split}.jsonl`);
  const read = (file: string) => (typeof spec.read === 'string' ? readExamples(file, spec.read) : spec.read(file, ctx));
  const file = path.join(dir, fileOf(ctx.split));
  const utterances = read(file);
  // Label sets come from train, so every split and every model is scored against the same classes.
  const train = read(path.join(dir, fileOf('train')));
  const labels = Object.fromEntries(spec.fields.map((f) => [f, labelsOf(train, f)]));
  const files = [{ file, sha256: sha256File(file) }];
  return evaluateIntentSlots({ ...spec, split: ctx.split, dir, files, utterances, labels }, ctx);
}

/** Runs --model (and the --dual pair) over the utterances; the first field --model answers gets the classification report. */
export async function evaluateIntentSlots(data: IntentSlotsData, ctx: TaskContext): Promise<EvalRun> {
  const utterances = data.utterances.slice(0, ctx.limit ?? Infinity);
  const { labels } = data;
  const main = await openSystem([ctx.modelDir], data, labels, { modelFile: ctx.modelFile, maxBatchSize: ctx.maxBatchSize }, ctx.long);
  const dual = ctx.dual ? await openSystem(ctx.dual, data, labels, { maxBatchSize: ctx.maxBatchSize }, ctx.long) : undefined;
  try {
    const systems = [main, ...(dual ? [dual] : [])];
    const longDocs = data.longDocs ? aboutThousandTokens(ctx.modelDir, ctx.modelFile, utterances) : undefined;
    const reports: SystemReport[] = [];
    let primary: { preds: Prediction[]; report: SystemReport } | undefined;
    for (const system of systems) {
      const { preds, report } = await runSystem(system, data, utterances, ctx, longDocs);
      reports.push(report);
      primary ??= { preds, report };
    }
    // The headline classification metrics are the first field the --model system answers.
    const field = data.fields.find((f) => main.fields.includes(f))!;
    const fieldLabels = labels[field];
    const gold = utterances.map((u) => fieldLabels.indexOf(u.heads[field] as string));
    const [after, before] = probabilityViews(primary!.preds.map((p) => p.fields[field]), fieldLabels);
    const info = modelInfo(ctx.modelDir, readModelDir(ctx.modelDir, ctx.modelFile).modelPath, fieldLabels, 1);
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
        classification: classificationMetrics(fieldLabels, gold, after, before, primary!.preds[0]?.fields[field].temperature ?? 1),
        timing: { latency: primary!.report.latency, throughput: primary!.report.throughput },
        intentSlots: { callers: CALLERS, systems: reports },
      },
      // The headline field's rows, for --compare against export.py's per-head Python predictions.
      rows: utterances.map((u, i) => ({ text: u.text, gold: gold[i], modelProbs: before[i] })),
    };
  } finally {
    await main.dispose();
    await dual?.dispose();
  }
}

async function runSystem(system: System, spec: Scoring, utterances: Example[], ctx: TaskContext, longDocs?: LongDocs) {
  const texts = utterances.map((u) => u.text);
  const latencyMs = await runSequential(texts.slice(0, ctx.latencyTexts), (t) => system.predict(t), progress(`${system.name} batch-1 latency`, Math.min(ctx.latencyTexts, texts.length), ctx.log));
  const { results: preds, seconds } = await runAll(texts, (t) => system.predict(t), CALLERS, progress(`${system.name} ${CALLERS} callers`, texts.length, ctx.log));
  const accuracy: Record<string, number> = {};
  const f1: Record<string, number> = {};
  const allRight = utterances.map(() => true);
  for (const field of spec.fields.filter((f) => system.fields.includes(f))) {
    const right = utterances.map((u, i) => preds[i].fields[field]?.label === u.heads[field]);
    right.forEach((r, i) => (allRight[i] &&= r));
    accuracy[field] = right.filter(Boolean).length / utterances.length;
    f1[field] = macroF1Of(utterances.map((u) => u.heads[field] as string), preds.map((p) => p.fields[field]?.label ?? null), labelsOf(utterances, field));
  }
  const report: SystemReport = {
    name: system.name,
    dirs: system.dirs,
    accuracy,
    macroF1: f1,
    sentenceAccuracy: allRight.filter(Boolean).length / utterances.length,
    latency: latencySummary(latencyMs),
    throughput: throughputSummary(texts.length, seconds),
  };
  // Chunked by --long, or by the folder's own default (config.json long_options).
  if ((ctx.long?.long && ctx.long.long !== 'truncate') || preds.some((p) => (p.chunks ?? 1) > 1)) report.meanChunks = preds.reduce((a, p) => a + (p.chunks ?? 1), 0) / preds.length;
  if (longDocs) {
    const timed = longDocs.texts.slice(0, ctx.latencyTexts);
    const ms = await runSequential(timed, (t) => system.predict(t), progress(`${system.name} ~1,000-token documents`, timed.length, ctx.log));
    report.longDocs = { ...latencySummary(ms), minTokens: longDocs.minTokens, maxTokens: longDocs.maxTokens };
  }
  if (spec.slots) {
    // Both sides as whitespace-word chunks, the units BIO tags (and seqeval) count in.
    const gold = utterances.map((u) => spansToChunks(u.text, u.spans ?? []));
    const pred = utterances.map((u, i) => spansToChunks(u.text, (preds[i].slots ?? []).map((s) => ({ ...s, label: s.slot }))));
    report.slots = spanScores(gold, pred);
    report.sentenceAccuracy = exactMatch(gold, pred, allRight);
  }
  return { preds, report };
}

const labelsOf = (examples: readonly Example[], field: string) => [...new Set(examples.map((u) => u.heads[field] as string))].sort();

/** Macro-F1 over the gold labels; a prediction outside them (or an abstention) counts against its gold class. */
function macroF1Of(gold: readonly string[], pred: readonly (string | null)[], classes: readonly string[]): number {
  const index = (l: string | null) => (l !== null && classes.includes(l) ? classes.indexOf(l) : classes.length);
  const matrix = confusionMatrix(gold.map(index), pred.map(index), classes.length + 1);
  return macroF1(perClassScores(matrix).slice(0, classes.length));
}

interface LongDocs {
  texts: string[];
  minTokens: number;
  maxTokens: number;
}

/** The texts of 900 to 1,100 tokens (by --model's tokenizer, special tokens counted once). */
function aboutThousandTokens(dir: string, modelFile: string | undefined, utterances: readonly Example[]): LongDocs {
  const tokenizer = new TextTokenizer(readModelDir(dir, modelFile));
  const plan = longPlan({ long: 'chunks', maxChunks: 1e6 }, tokenizer.maxTokens, tokenizer.specialTokens);
  const [minTokens, maxTokens] = [900, 1100];
  const texts = utterances.map((u) => u.text).filter((t) => {
    const { tokens } = tokenizer.encodeLong(t, plan);
    return tokens >= minTokens && tokens <= maxTokens;
  });
  return { texts, minTokens, maxTokens };
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
async function openSystem(dirs: string[], spec: Scoring, labels: Record<string, string[]>, load: LoadOptions, long: LongOptions = {}): Promise<System> {
  const parts: System[] = [];
  for (const dir of dirs) parts.push(await openPart(dir, spec, labels, load, long));
  const answered = (f: string) => parts.some((p) => p.fields.includes(f) || p.fields.includes(spec.derived?.[f]?.from ?? ''));
  for (const field of spec.fields) {
    if (!answered(field) && !(spec.someFields && spec.fields.some(answered))) throw new EvalError(`no model in ${dirs.join(', ')} predicts ${field}`);
  }
  if (spec.slots && !parts.some((p) => p.slots)) throw new EvalError(`no model in ${dirs.join(', ')} tags slots`);
  return withDerived(parts.length === 1 ? parts[0] : combine(dirs, parts), spec);
}

/** Answers the spec's derived fields a system lacks from the field they come from (summing its class scores). */
function withDerived(system: System, spec: Scoring): System {
  const add = Object.entries(spec.derived ?? {}).filter(([f, d]) => !system.fields.includes(f) && system.fields.includes(d.from));
  if (add.length === 0) return system;
  return {
    ...system,
    name: `${system.name} (${add.map(([f, d]) => `${f} from ${d.from}`).join(', ')})`,
    fields: [...system.fields, ...add.map(([f]) => f)],
    predict: async (text) => {
      const answer = await system.predict(text);
      for (const [f, d] of add) answer.fields[f] = deriveAnswer(answer.fields[d.from], d.map);
      return answer;
    },
  };
}

function deriveAnswer(from: FieldAnswer, map: (label: string) => string): FieldAnswer {
  const sums = new Map<string, number>();
  for (const s of from.scores) sums.set(map(s.label), (sums.get(map(s.label)) ?? 0) + s.score);
  const scores = [...sums].map(([label, score]) => ({ label, score })).sort((a, b) => b.score - a.score);
  return { label: scores[0].label, score: scores[0].score, labels: [scores[0].label], scores, temperature: from.temperature };
}

function combine(dirs: string[], parts: System[]): System {
  return {
    name: `dual (${parts.map((p) => p.name).join(' + ')})`,
    dirs,
    fields: parts.flatMap((p) => p.fields),
    slots: parts.some((p) => p.slots),
    // The separate models are called concurrently, as a service would.
    predict: async (text) => {
      const answers = await Promise.all(parts.map((p) => p.predict(text)));
      const chunks = answers.some((a) => a.chunks !== undefined) ? answers.reduce((n, a) => n + (a.chunks ?? 1), 0) : undefined;
      return { fields: Object.assign({}, ...answers.map((a) => a.fields)), slots: answers.find((a) => a.slots)?.slots, chunks };
    },
    dispose: async () => {
      await Promise.all(parts.map((p) => p.dispose()));
    },
  };
}

/** The task field whose labels hold every one of `modelLabels` (a head named like a field is that field). */
const fieldFor = (spec: Scoring, labels: Record<string, string[]>, modelLabels: readonly string[], name?: string) =>
  name !== undefined && spec.fields.includes(name) ? name : spec.fields.find((f) => modelLabels.every((l) => labels[f].includes(l)));

async function openPart(dir: string, spec: Scoring, labels: Record<string, string[]>, load: LoadOptions, long: LongOptions): Promise<System> {
  const { config } = readModelDir(dir, load.modelFile);
  const name = path.basename(path.resolve(dir));
  if (Array.isArray(config.heads)) {
    const parser = await loadParser<Record<string, 'sequence' | 'token'>>(dir, load);
    const heads = parser.heads.filter((h) => h.kind === 'sequence').map((h) => ({ head: h, field: fieldFor(spec, labels, h.labels, h.name) }));
    const byField = heads.filter((h) => h.field !== undefined);
    const fields = byField.map((h) => h.field!);
    const slotHead = parser.heads.find((h) => h.kind === 'token')?.name;
    return {
      name, dirs: [dir], fields, slots: slotHead !== undefined,
      predict: async (text) => {
        const r = await parser.parse(text, long);
        const answer: Prediction = {
          fields: Object.fromEntries(byField.map(({ head, field }) => [field, { ...(r[head.name] as SequencePrediction), temperature: head.temperature }])),
          chunks: r.meta.chunks,
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
  const field = fieldFor(spec, labels, modelLabels);
  if (!field) throw new EvalError(`${dir}: its labels match none of ${spec.name}'s fields (${spec.fields.join(', ')})`);
  const clf = await loadClassifier(dir, load);
  return {
    name, dirs: [dir], fields: [field], slots: false,
    predict: async (text) => {
      const r = await clf.classify(text, long);
      return { fields: { [field]: { ...r, temperature: clf.temperature } }, chunks: r.chunks };
    },
    dispose: () => clf.dispose(),
  };
}
