// Single-label classification: the model's labels mapped onto a task's, and the whole metric set from probabilities.
import { EvalError } from './data.js';
import {
  accuracy,
  accuracyAtCoverage,
  auroc,
  confusionMatrix,
  coverageCurve,
  expectedCalibrationError,
  f1Of,
  macroAurocOvr,
  macroF1,
  perClassScores,
  ratio,
  reliabilityBins,
} from './metrics.js';
import type { ClassificationMetrics } from './types.js';

export const ECE_BINS = 15;
export const COVERAGE_LEVELS = [1, 0.95, 0.9, 0.8, 0.7, 0.5];

/**
 * For each model class id, the task class index with the same name compared case-insensitively. Throws an
 * EvalError naming both label sets when they are not the same set.
 */
export function mapLabels(taskLabels: readonly string[], modelLabels: readonly string[], task: string): number[] {
  const byName = new Map(taskLabels.map((l, i) => [l.toLowerCase(), i]));
  const mapping = modelLabels.map((l) => byName.get(l.toLowerCase()) ?? -1);
  const unknown = modelLabels.filter((_, i) => mapping[i] < 0);
  const missing = taskLabels.filter((_, i) => !mapping.includes(i));
  if (unknown.length || missing.length || new Set(mapping).size !== mapping.length) {
    throw new EvalError(
      `the model's labels ${JSON.stringify(modelLabels)} do not map onto task ${task}'s labels ${JSON.stringify(taskLabels)} ` +
        `(compared case-insensitively${unknown.length ? `; not in the task: ${unknown.join(', ')}` : ''}` +
        `${missing.length ? `; not in the model: ${missing.join(', ')}` : ''})`,
    );
  }
  return mapping;
}

export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

const maxOf = (p: ArrayLike<number>) => p[argmax(p)];

/**
 * Metrics from per-example probabilities in task label order: `after` with the model's temperature (what users
 * get, and what predictions, AUROC and coverage use), `before` with temperature 1 (for the ECE comparison).
 * `positive` picks the binary AUROC's positive class (default: the second label).
 */
export function classificationMetrics(
  labels: readonly string[],
  gold: readonly number[],
  after: readonly (readonly number[])[],
  before: readonly (readonly number[])[],
  temperature: number,
  positive = 1,
): ClassificationMetrics {
  const pred = after.map(argmax);
  const correct = pred.map((p, i) => p === gold[i]);
  const correctBefore = before.map((p, i) => argmax(p) === gold[i]);
  const confAfter = after.map(maxOf);
  const confBefore = before.map(maxOf);
  const confusion = confusionMatrix(gold, pred, labels.length);
  const perClass = perClassScores(confusion).map((s, c) => ({ label: labels[c], ...s }));
  const binary = labels.length === 2;
  const curve = coverageCurve(confAfter, correct);
  return {
    labels: [...labels],
    accuracy: accuracy(gold, pred),
    macroF1: macroF1(perClass),
    auroc: binary ? auroc(after.map((p) => p[positive]), gold.map((g) => g === positive)) : macroAurocOvr(after, gold).auroc,
    aurocKind: binary ? 'binary' : 'macro-ovr',
    ...(binary ? { aurocPositive: labels[positive] } : {}),
    perClass,
    confusion,
    ece: {
      before: expectedCalibrationError(confBefore, correctBefore, ECE_BINS),
      after: expectedCalibrationError(confAfter, correct, ECE_BINS),
      temperature,
      bins: ECE_BINS,
    },
    reliability: { before: reliabilityBins(confBefore, correctBefore, ECE_BINS), after: reliabilityBins(confAfter, correct, ECE_BINS) },
    coverage: accuracyAtCoverage(curve, COVERAGE_LEVELS),
    coverageCurve: accuracyAtCoverage(curve, Array.from({ length: 100 }, (_, i) => (i + 1) / 100)),
  };
}

/**
 * Multi-label metrics in the same shape, from per-label sigmoid probabilities (a label is predicted at >= 0.5):
 * accuracy is exact match (the predicted set equals the gold set), per-class and macro-F1 are per label, AUROC
 * the mean over labels that have both gold positives and negatives, ECE and reliability pool every
 * (example, label) decision with confidence max(p, 1 - p), coverage abstains on the least confident label of an
 * example, and the confusion matrix counts co-occurrence: [gold label][predicted label] over examples.
 */
export function multiLabelMetrics(
  labels: readonly string[],
  gold: readonly (readonly boolean[])[],
  after: readonly (readonly number[])[],
  before: readonly (readonly number[])[],
  temperature: number,
): ClassificationMetrics {
  const predicted = (probs: readonly (readonly number[])[]) => probs.map((p) => p.map((x) => x >= MULTI_LABEL_THRESHOLD));
  const pred = predicted(after);
  const exact = pred.map((p, i) => p.every((x, l) => x === gold[i][l]));
  const perClass = labels.map((label, l) => {
    const g = gold.map((row) => row[l]);
    const p = pred.map((row) => row[l]);
    const tp = g.filter((x, i) => x && p[i]).length;
    const support = g.filter(Boolean).length;
    const precision = ratio(tp, p.filter(Boolean).length);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: f1Of(precision, recall), support };
  });
  const confusion = labels.map((_, g) => labels.map((__, p) => gold.filter((row, i) => row[g] && pred[i][p]).length));
  const aurocs = labels.map((_, l) => auroc(after.map((p) => p[l]), gold.map((row) => row[l]))).filter(Number.isFinite);
  const decisions = (probs: readonly (readonly number[])[]) => {
    const confidence = probs.flatMap((p) => p.map((x) => Math.max(x, 1 - x)));
    const correct = probs.flatMap((p, i) => p.map((x, l) => x >= MULTI_LABEL_THRESHOLD === gold[i][l]));
    return { confidence, correct };
  };
  const dAfter = decisions(after);
  const dBefore = decisions(before);
  const curve = coverageCurve(after.map((p) => Math.min(...p.map((x) => Math.max(x, 1 - x)))), exact);
  return {
    labels: [...labels],
    multiLabel: true,
    accuracy: ratio(exact.filter(Boolean).length, exact.length),
    macroF1: macroF1(perClass),
    auroc: aurocs.length ? aurocs.reduce((a, b) => a + b, 0) / aurocs.length : NaN,
    aurocKind: 'macro-labels',
    perClass,
    confusion,
    ece: {
      before: expectedCalibrationError(dBefore.confidence, dBefore.correct, ECE_BINS),
      after: expectedCalibrationError(dAfter.confidence, dAfter.correct, ECE_BINS),
      temperature,
      bins: ECE_BINS,
    },
    reliability: { before: reliabilityBins(dBefore.confidence, dBefore.correct, ECE_BINS), after: reliabilityBins(dAfter.confidence, dAfter.correct, ECE_BINS) },
    coverage: accuracyAtCoverage(curve, COVERAGE_LEVELS),
    coverageCurve: accuracyAtCoverage(curve, Array.from({ length: 100 }, (_, i) => (i + 1) / 100)),
  };
}

const MULTI_LABEL_THRESHOLD = 0.5;
