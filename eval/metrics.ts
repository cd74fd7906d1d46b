// Pure evaluation metrics: classification (accuracy, per-class P/R/F1, AUROC, calibration, coverage), latency
// percentiles, and span-level scores for BIO taggers with seqeval's semantics. Classes are indices 0..k-1.
import { bioToSpans, type Chunk } from '../datasets/bio.js';

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Gold examples of the class. */
  support: number;
}

/** x / y, or 0 when y is 0 (the convention of sklearn's zero_division=0 and seqeval). */
export const ratio = (x: number, y: number) => (y === 0 ? 0 : x / y);

export const f1Of = (precision: number, recall: number) => ratio(2 * precision * recall, precision + recall);

function checkPaired(a: ArrayLike<unknown>, b: ArrayLike<unknown>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: ${a.length} gold vs ${b.length} predicted`);
}

export function accuracy(gold: readonly number[], pred: readonly number[]): number {
  checkPaired(gold, pred, 'accuracy');
  return ratio(gold.filter((g, i) => g === pred[i]).length, gold.length);
}

/** matrix[g][p] counts examples of gold class g predicted as p. */
export function confusionMatrix(gold: readonly number[], pred: readonly number[], classes: number): number[][] {
  checkPaired(gold, pred, 'confusionMatrix');
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  gold.forEach((g, i) => {
    const p = pred[i];
    if (!(g >= 0 && g < classes && p >= 0 && p < classes)) throw new RangeError(`class out of range at ${i}: gold ${g}, predicted ${p}`);
    m[g][p]++;
  });
  return m;
}

export function perClassScores(matrix: readonly (readonly number[])[]): ClassScores[] {
  return matrix.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, r) => a + r[c], 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { precision, recall, f1: f1Of(precision, recall), support };
  });
}

/** Unweighted mean of the per-class F1 over every class (sklearn's average='macro'). */
export function macroF1(scores: readonly ClassScores[]): number {
  return ratio(scores.reduce((a, s) => a + s.f1, 0), scores.length);
}

/**
 * Area under the ROC curve from ranks (Mann-Whitney U): the chance a random positive scores above a random
 * negative, ties counting one half. NaN when either class is missing.
 */
export function auroc(scores: readonly number[], positive: readonly boolean[]): number {
  checkPaired(positive, scores, 'auroc');
  const order = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSum = 0;
  let positives = 0;
  for (let lo = 0; lo < order.length; ) {
    let hi = lo;
    while (hi + 1 < order.length && scores[order[hi + 1]] === scores[order[lo]]) hi++;
    const midRank = (lo + hi) / 2 + 1; // tied scores share the mean of their 1-based ranks
    for (let j = lo; j <= hi; j++) {
      if (positive[order[j]]) {
        rankSum += midRank;
        positives++;
      }
    }
    lo = hi + 1;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean one-vs-rest AUROC over the classes that have both positive and negative examples. */
export function macroAurocOvr(probs: readonly (ArrayLike<number>)[], gold: readonly number[]): { auroc: number; classes: number } {
  checkPaired(gold, probs, 'macroAurocOvr');
  const k = probs[0]?.length ?? 0;
  const per: number[] = [];
  for (let c = 0; c < k; c++) {
    const a = auroc(probs.map((p) => p[c]), gold.map((g) => g === c));
    if (!Number.isNaN(a)) per.push(a);
  }
  return { auroc: per.length ? per.reduce((x, y) => x + y, 0) / per.length : NaN, classes: per.length };
}

export interface ReliabilityBin {
  /** The bin is (lo, hi]. */
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence and accuracy of the examples in the bin (NaN when empty). */
  confidence: number;
  accuracy: number;
}

/** Equal-width bins (lo, lo + 1/bins] over [0, 1] of the top-class confidence, as Guo et al. (2017) define them. */
export function reliabilityBins(confidence: readonly number[], correct: readonly boolean[], bins = 15): ReliabilityBin[] {
  checkPaired(correct, confidence, 'reliabilityBins');
  return Array.from({ length: bins }, (_, b) => {
    // Both edges by division, so one bin's hi is exactly the next one's lo: no value falls between two bins.
    const lo = b / bins;
    const hi = (b + 1) / bins;
    let count = 0;
    let conf = 0;
    let right = 0;
    confidence.forEach((c, i) => {
      if (c > lo && c <= hi) {
        count++;
        conf += c;
        if (correct[i]) right++;
      }
    });
    return { lo, hi, count, confidence: count ? conf / count : NaN, accuracy: count ? right / count : NaN };
  });
}

/** Expected calibration error: the bins' |accuracy - confidence| weighted by their share of the examples. */
export function expectedCalibrationError(confidence: readonly number[], correct: readonly boolean[], bins = 15): number {
  const n = confidence.length;
  return reliabilityBins(confidence, correct, bins).reduce((e, b) => (b.count ? e + (b.count / n) * Math.abs(b.accuracy - b.confidence) : e), 0);
}

export interface CoveragePoint {
  /** Keep an example when its confidence is >= threshold (what classify's `threshold` option does). */
  threshold: number;
  /** Share of the examples kept. */
  coverage: number;
  kept: number;
  /** Accuracy on the kept examples. */
  accuracy: number;
}

/** Accuracy when abstaining below each distinct confidence, from the most confident example down (coverage rises). */
export function coverageCurve(confidence: readonly number[], correct: readonly boolean[]): CoveragePoint[] {
  checkPaired(correct, confidence, 'coverageCurve');
  const order = confidence.map((c, i) => i).sort((a, b) => confidence[b] - confidence[a]);
  const n = order.length;
  const out: CoveragePoint[] = [];
  let right = 0;
  order.forEach((idx, j) => {
    if (correct[idx]) right++;
    // Ties are kept or dropped together, so a point is emitted only after the last of a run of equal confidences.
    if (j + 1 < n && confidence[order[j + 1]] === confidence[idx]) return;
    out.push({ threshold: confidence[idx], coverage: (j + 1) / n, kept: j + 1, accuracy: right / (j + 1) });
  });
  return out;
}

/** For each target coverage in (0, 1], the highest threshold that keeps at least that share, and its accuracy. */
export function accuracyAtCoverage(curve: readonly CoveragePoint[], targets: readonly number[]): (CoveragePoint & { target: number })[] {
  return targets.flatMap((target) => {
    const point = curve.find((p) => p.coverage >= target - 1e-12);
    return point ? [{ target, ...point }] : [];
  });
}

/** Nearest-rank percentile (p in [0, 100]) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

// ---- Spans (slot filling / NER) ----

/** A typed run of tokens (or characters) [start, end), end exclusive; read from BIO tags by datasets/bio.ts. */
export type Span = Chunk;
export { bioToSpans };

export interface SpanScores {
  precision: number;
  recall: number;
  f1: number;
  /** Gold spans, predicted spans, and those that match exactly (type, start and end). */
  gold: number;
  predicted: number;
  correct: number;
}

const spanKey = (s: Span) => `${s.type}\u0000${s.start}\u0000${s.end}`;

function scoresOf(gold: number, predicted: number, correct: number): SpanScores {
  const precision = ratio(correct, predicted);
  const recall = ratio(correct, gold);
  return { precision, recall, f1: f1Of(precision, recall), gold, predicted, correct };
}

/**
 * Micro precision/recall/F1 by exact span match over sentences (seqeval's default scores), plus the same per
 * type. Each sentence's spans are a set: a repeated span counts once.
 */
export function spanScores(gold: readonly (readonly Span[])[], pred: readonly (readonly Span[])[]): SpanScores & { perType: Record<string, SpanScores> } {
  checkPaired(gold, pred, 'spanScores');
  const counts = new Map<string, { gold: number; predicted: number; correct: number }>();
  const bump = (type: string, field: 'gold' | 'predicted' | 'correct') => {
    const c = counts.get(type) ?? { gold: 0, predicted: 0, correct: 0 };
    c[field]++;
    counts.set(type, c);
  };
  gold.forEach((g, i) => {
    const goldSet = new Map(g.map((s) => [spanKey(s), s]));
    const predSet = new Map(pred[i].map((s) => [spanKey(s), s]));
    for (const s of goldSet.values()) bump(s.type, 'gold');
    for (const [key, s] of predSet) {
      bump(s.type, 'predicted');
      if (goldSet.has(key)) bump(s.type, 'correct');
    }
  });
  const perType: Record<string, SpanScores> = {};
  const total = { gold: 0, predicted: 0, correct: 0 };
  for (const [type, c] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    perType[type] = scoresOf(c.gold, c.predicted, c.correct);
    total.gold += c.gold;
    total.predicted += c.predicted;
    total.correct += c.correct;
  }
  return { ...scoresOf(total.gold, total.predicted, total.correct), perType };
}

/** Whether two sentences' span sets are equal (order and repeats ignored). */
export function sameSpans(a: readonly Span[], b: readonly Span[]): boolean {
  const ka = new Set(a.map(spanKey));
  const kb = new Set(b.map(spanKey));
  return ka.size === kb.size && [...ka].every((k) => kb.has(k));
}

/**
 * Sentence-level exact match: the share of sentences whose predicted span set equals the gold one and, when
 * `alsoCorrect` is given (e.g. the intent was right), for which that flag is true too.
 */
export function exactMatch(gold: readonly (readonly Span[])[], pred: readonly (readonly Span[])[], alsoCorrect?: readonly boolean[]): number {
  checkPaired(gold, pred, 'exactMatch');
  if (alsoCorrect) checkPaired(gold, alsoCorrect, 'exactMatch(alsoCorrect)');
  return ratio(gold.filter((g, i) => sameSpans(g, pred[i]) && (alsoCorrect?.[i] ?? true)).length, gold.length);
}
