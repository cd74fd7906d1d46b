// `npm run eval -- custom --data FILE --model DIR`: the user's own data in any format datasets/ reads, scored
// with the report that fits the model and the data: classification (single- or multi-label) as sst2 does,
// intent + slots (or several sequence heads) as snips/massive do. Data labels are mapped to the model's by name.
import path from 'node:path';
import { readDataset, type Dataset, type Example, type HeadSpec } from '../../datasets/index.js';
import { labelList, readModelDir, type HeadConfig } from '../../lib/model-dir.js';
import { EvalError } from '../data.js';
import type { EvalRun, EvalTask, TaskContext } from '../types.js';
import { evaluateIntentSlots } from './intent-slots.js';
import { runClassifier } from './text-classification.js';

export const custom: EvalTask = {
  name: 'custom',
  description: 'your own data: --data FILE in any format of docs/data-formats.md (--format, --text-column, ...)',
  splits: ['file'],
  defaultSplit: 'file',
  evaluate,
};

async function evaluate(ctx: TaskContext): Promise<EvalRun> {
  if (!ctx.data) throw new EvalError('custom: --data <file> is required');
  // Every row counts in an evaluation; duplicates are only reported.
  const ds = readDataset(ctx.data, { ...ctx.dataOptions, duplicates: 'keep' });
  for (const warning of ds.warnings) ctx.log(`warning: ${warning}`);
  const { config } = readModelDir(ctx.modelDir, ctx.modelFile);
  return Array.isArray(config.heads) ? evaluateHeads(ds, config.heads, ctx) : evaluateClassifier(ds, labelList(config.id2label, ctx.modelDir), ctx);
}

/** A multi-head model: every sequence head of the data (and its spans) against the model's heads of those names. */
function evaluateHeads(ds: Dataset, modelHeads: HeadConfig[], ctx: TaskContext): Promise<EvalRun> {
  const sequence = ds.heads.filter((h) => h.kind === 'sequence');
  const token = ds.heads.find((h) => h.kind === 'token');
  if (sequence.length === 0) throw new EvalError(`${ds.file} has only spans; custom scores a sequence head (intent) with them`);
  const modelHead = (h: HeadSpec, kind: 'sequence' | 'token') => {
    const found = kind === 'token' ? modelHeads.find((m) => m.kind === 'token') : modelHeads.find((m) => m.name === h.name && m.kind !== 'token');
    if (!found) throw new EvalError(`the data's ${kind} head '${h.name}' has no counterpart in ${ctx.modelDir} (model heads: ${modelHeads.map((m) => m.name).join(', ')})`);
    return found;
  };
  let examples = ds.examples;
  const labels: Record<string, string[]> = {};
  for (const head of sequence) {
    if (head.problemType === 'multi_label_classification') throw new EvalError(`${ds.file}: head '${head.name}' is multi-label; multi-head models are scored on single-label heads`);
    labels[head.name] = labelList(modelHead(head, 'sequence').id2label, `${ctx.modelDir} head ${head.name}`);
    examples = renameLabels(examples, head.name, labels[head.name], ctx.modelDir);
  }
  if (token) {
    const types = new Set(labelList(modelHead(token, 'token').id2label, ctx.modelDir).filter((t) => t !== 'O').map((t) => t.slice(2)));
    for (const ex of examples) {
      const unknown = ex.spans!.find((s) => !types.has(s.label));
      if (unknown) throw new EvalError(`${ex.where}: slot '${unknown.label}' is not a slot of ${ctx.modelDir} (its slots: ${[...types].sort().join(', ')})`);
    }
  }
  return evaluateIntentSlots(
    {
      name: 'custom',
      fields: sequence.map((h) => h.name),
      slots: token !== undefined,
      split: path.basename(ds.file),
      dir: path.dirname(path.resolve(ds.file)),
      files: [{ file: ds.file, sha256: ds.sha256 }],
      utterances: examples,
      labels,
    },
    ctx,
  );
}

/** A single-head classifier: the data's one sequence head, its labels mapped to the model's by name. */
function evaluateClassifier(ds: Dataset, modelLabels: string[], ctx: TaskContext): Promise<EvalRun> {
  const sequence = ds.heads.filter((h) => h.kind === 'sequence');
  if (sequence.length !== 1) {
    throw new EvalError(`${ctx.modelDir} predicts one head; ${ds.file} has ${sequence.length ? `heads ${sequence.map((h) => h.name).join(', ')}` : 'no sequence head'}`);
  }
  if (ds.heads.some((h) => h.kind === 'token')) ctx.log(`the model has no token head: the spans in ${ds.file} are not scored`);
  const head = sequence[0].name;
  const examples = renameLabels(ds.examples, head, modelLabels, ctx.modelDir);
  const index = (label: string) => modelLabels.indexOf(label);
  return runClassifier(
    { name: 'custom', split: path.basename(ds.file), dataDir: path.dirname(path.resolve(ds.file)), labels: modelLabels },
    {
      texts: examples.map((e) => e.text),
      gold: sequence[0].problemType === 'multi_label_classification' ? examples.map((e) => (e.heads[head] as string[]).map(index)) : examples.map((e) => index(e.heads[head] as string)),
      files: [ds.file],
    },
    ctx,
  );
}

/** The data's labels of one head spelled as the model's (compared case-insensitively); an unknown one is an error. */
function renameLabels(examples: Example[], head: string, modelLabels: readonly string[], modelDir: string): Example[] {
  const byName = new Map(modelLabels.map((l) => [l.toLowerCase(), l]));
  const rename = (label: string, ex: Example) => {
    const found = byName.get(label.toLowerCase());
    if (found === undefined) {
      throw new EvalError(`${ex.where}: label '${label}' of head '${head}' is not a label of ${modelDir} (its labels: ${modelLabels.join(', ')})`);
    }
    return found;
  };
  return examples.map((ex) => {
    const value = ex.heads[head];
    return { ...ex, heads: { ...ex.heads, [head]: Array.isArray(value) ? value.map((l) => rename(l, ex)) : rename(value, ex) } };
  });
}
