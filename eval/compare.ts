// --compare: the engine's predictions against Python ONNX Runtime's for the same rows (a JSON file from the export).
import { softmax } from '../lib/postprocess/activations.js';
import { argmax } from './classification.js';
import { EvalError, readJsonFile } from './data.js';
import type { CompareReport, EvalRow } from './types.js';

const DISAGREEMENTS_SHOWN = 10;
/** The head of a multi-head Python file that --compare checks (the one the classification metrics report). */
const COMPARED_HEAD = 'intent';

interface PyPrediction {
  index: number;
  /** Predicted class id. */
  pred: number;
  /** Gold class id, when the file records it apart from the prediction. */
  gold?: number;
  logits?: number[];
}

/**
 * Reads `{ preds: [...] }` or a bare array of `{ index?, pred?, label?, gold?, logits? }`. The prediction is `pred`,
 * else the argmax of `logits`, else `label`; `gold` (or `label`) is taken as the gold label only when a prediction is
 * given apart from it. Labels may be class ids or names (mapped through `labels` case-insensitively). Multi-head
 * files (`{ index, heads: { intent: { gold, pred, logits }, ... } }`) are read at the `intent` head.
 */
export function readPythonPredictions(file: string, labels: readonly string[]): { model?: string; preds: PyPrediction[] } {
  const json = readJsonFile(file);
  const obj = json as { preds?: unknown; predictions?: unknown; model?: unknown };
  const list = Array.isArray(json) ? json : (obj?.preds ?? obj?.predictions);
  if (!Array.isArray(list)) throw new EvalError(`--compare ${file}: expected an array of predictions or an object with 'preds'`);
  const classId = (v: unknown, at: number): number => {
    const id = typeof v === 'string' ? labels.findIndex((l) => l.toLowerCase() === v.toLowerCase()) : v;
    if (!(Number.isInteger(id) && (id as number) >= 0 && (id as number) < labels.length)) {
      throw new EvalError(`--compare ${file}: entry ${at} has label ${JSON.stringify(v)}, not one of the model's ${labels.length} classes`);
    }
    return id as number;
  };
  const preds = list.map((raw: Record<string, unknown>, at): PyPrediction => {
    const heads = raw.heads as Record<string, Record<string, unknown>> | undefined;
    if (heads && !heads[COMPARED_HEAD]) throw new EvalError(`--compare ${file}: entry ${at} has no '${COMPARED_HEAD}' head`);
    const e = heads ? { index: raw.index, ...heads[COMPARED_HEAD] } : raw;
    const logits = Array.isArray(e.logits) ? e.logits.map(Number) : undefined;
    if (logits && logits.length !== labels.length) throw new EvalError(`--compare ${file}: entry ${at} has ${logits.length} logits for ${labels.length} classes`);
    const explicit = e.pred ?? e.prediction;
    const pred = explicit !== undefined ? classId(explicit, at) : logits ? argmax(logits) : classId(e.label, at);
    const goldLabel = e.gold ?? e.label;
    const gold = explicit !== undefined || logits ? (goldLabel === undefined ? undefined : classId(goldLabel, at)) : undefined;
    return { index: Number.isInteger(e.index) ? (e.index as number) : at, pred, gold, logits };
  });
  return { model: typeof obj?.model === 'string' ? obj.model : undefined, preds };
}

/** `rows` are the engine's, in data order, with gold ids into `taskLabels`; `labels` are the model's (id2label). */
export function comparePredictions(file: string, labels: readonly string[], taskLabels: readonly string[], rows: readonly EvalRow[]): CompareReport {
  const { model, preds } = readPythonPredictions(file, labels);
  const report: CompareReport = { file, pythonModel: model, n: 0, agree: 0, agreement: NaN, goldMismatch: 0, disagreements: [] };
  let maxProb = -Infinity;
  let maxLogit = -Infinity;
  for (const py of preds) {
    const row = rows[py.index];
    if (!row) continue; // beyond --limit
    report.n++;
    const engine = argmax(row.modelProbs);
    if (engine === py.pred) report.agree++;
    else if (report.disagreements.length < DISAGREEMENTS_SHOWN) {
      report.disagreements.push({ index: py.index, text: row.text, engine: labels[engine], python: labels[py.pred] });
    }
    if (py.gold !== undefined && labels[py.gold].toLowerCase() !== taskLabels[row.gold].toLowerCase()) report.goldMismatch++;
    if (py.logits) {
      const pyProbs = Array.from(softmax(py.logits));
      maxProb = Math.max(maxProb, ...pyProbs.map((p, c) => Math.abs(p - row.modelProbs[c])));
      const engineLogits = centred(row.modelProbs.map(Math.log));
      if (engineLogits.every(Number.isFinite)) maxLogit = Math.max(maxLogit, ...centred(py.logits).map((z, c) => Math.abs(z - engineLogits[c])));
    }
  }
  if (report.n === 0) throw new EvalError(`--compare ${file}: none of its ${preds.length} indices is among the ${rows.length} rows evaluated`);
  report.agreement = report.agree / report.n;
  if (maxProb > -Infinity) report.maxProbDiff = maxProb;
  if (maxLogit > -Infinity) report.maxLogitDiff = maxLogit;
  return report;
}

/** Subtracts the mean: softmax forgets a per-row constant, so logits are only comparable centred. */
function centred(z: readonly number[]): number[] {
  const mean = z.reduce((a, b) => a + b, 0) / z.length;
  return z.map((v) => v - mean);
}
