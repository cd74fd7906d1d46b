// Hand-computed cases for eval/metrics.ts and eval/classification.ts (figures cross-checked with scikit-learn 1.9
// and seqeval 1.2 where those define the metric).
import { describe, expect, it } from 'vitest';
import { classificationMetrics, mapLabels } from '../eval/classification.js';
import {
  accuracy,
  accuracyAtCoverage,
  auroc,
  bioToSpans,
  confusionMatrix,
  coverageCurve,
  exactMatch,
  expectedCalibrationError,
  macroAurocOvr,
  macroF1,
  percentile,
  perClassScores,
  reliabilityBins,
  spanScores,
  type Span,
} from '../eval/metrics.js';

const span = (type: string, start: number, end: number): Span => ({ type, start, end });

describe('accuracy, confusion matrix, per-class scores, macro-F1', () => {
  // gold 0 0 0 1 1 2 / pred 0 0 1 1 2 2
  const gold = [0, 0, 0, 1, 1, 2];
  const pred = [0, 0, 1, 1, 2, 2];

  it('counts matches', () => {
    expect(accuracy(gold, pred)).toBeCloseTo(4 / 6, 12);
    expect(accuracy([0, 1, 1, 0], [0, 1, 0, 0])).toBe(0.75);
  });

  it('puts gold on rows and predictions on columns', () => {
    expect(confusionMatrix(gold, pred, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/out of range/);
    expect(() => confusionMatrix([0], [0, 1], 3)).toThrow(/1 gold vs 2 predicted/);
  });

  it('gives precision, recall and F1 per class and their unweighted mean', () => {
    const scores = perClassScores(confusionMatrix(gold, pred, 3));
    // class 0: P 2/2, R 2/3, F1 0.8; class 1: P 1/2, R 1/2, F1 0.5; class 2: P 1/2, R 1/1, F1 2/3
    expect(scores.map((s) => s.precision)).toEqual([1, 0.5, 0.5]);
    expect(scores[0].recall).toBeCloseTo(2 / 3, 12);
    expect(scores.map((s) => s.support)).toEqual([3, 2, 1]);
    expect(scores[0].f1).toBeCloseTo(0.8, 12);
    expect(scores[2].f1).toBeCloseTo(2 / 3, 12);
    expect(macroF1(scores)).toBeCloseTo(59 / 90, 12); // (0.8 + 0.5 + 2/3) / 3; sklearn: 0.6555...
  });

  it('scores a class that is never predicted as precision 0, not NaN', () => {
    const [neg, pos] = perClassScores(confusionMatrix([0, 1, 1], [1, 1, 1], 2));
    expect(neg).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(pos.precision).toBeCloseTo(2 / 3, 12);
    expect(macroF1([neg, pos])).toBeCloseTo(0.4, 12); // F1(pos) = 2 * (2/3) * 1 / (5/3) = 0.8
  });
});

describe('auroc', () => {
  const labels = [false, false, true, true];

  it('is 1 for a perfect ranking, 0 for a reversed one and 0.5 when every score ties', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], labels)).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], labels)).toBe(0);
    expect(auroc([0.5, 0.5, 0.5, 0.5], labels)).toBe(0.5);
  });

  it('counts the pairs a positive wins, a tie as one half', () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], labels)).toBe(0.75); // sklearn's docstring example
    // positives {0.5, 0.9} vs negatives {0.5, 0.2}: 0.5 (tie) + 1 + 1 + 1 of 4 pairs
    expect(auroc([0.5, 0.5, 0.2, 0.9], [true, false, false, true])).toBe(0.875);
  });

  it('is NaN without both classes', () => {
    expect(auroc([0.1, 0.2], [true, true])).toBeNaN();
  });

  it('averages one-vs-rest over the classes present', () => {
    const probs = [
      [0.7, 0.2, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.3, 0.6],
      [0.3, 0.6, 0.1],
    ];
    // class 0: 1; class 1: 0.5 beats 0.2 and 0.3, loses to 0.6 -> 2/3; class 2: 1
    expect(macroAurocOvr(probs, [0, 1, 2, 0])).toEqual({ auroc: expect.closeTo(8 / 9, 12), classes: 3 });
    // class 2 has no gold example: only classes 0 and 1 count
    expect(macroAurocOvr(probs, [0, 1, 1, 0]).classes).toBe(2);
  });
});

describe('calibration', () => {
  it('computes ECE over 15 equal-width bins by hand', () => {
    // bins (13/15, 14/15]: 0.9, 0.9 with accuracy 1/2 -> 2/5 * 0.4 = 0.16
    //      (9/15, 10/15]:  0.62, 0.62 with accuracy 1 -> 2/5 * 0.38 = 0.152
    //      (8/15, 9/15]:   0.55 with accuracy 0       -> 1/5 * 0.55 = 0.11
    const conf = [0.9, 0.9, 0.62, 0.62, 0.55];
    const correct = [true, false, true, true, false];
    expect(expectedCalibrationError(conf, correct)).toBeCloseTo(0.422, 12);
    const bins = reliabilityBins(conf, correct);
    expect(bins).toHaveLength(15);
    expect(bins.map((b) => b.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 2, 0]);
    expect(bins[13]).toMatchObject({ confidence: 0.9, accuracy: 0.5 });
    expect(bins[0].accuracy).toBeNaN();
  });

  it('is 0 when confidence equals accuracy in every bin', () => {
    expect(expectedCalibrationError([0.75, 0.75, 0.75, 0.75], [true, true, true, false])).toBe(0);
  });

  it('puts every confidence in exactly one bin, edges included', () => {
    const edges = Array.from({ length: 15 }, (_, k) => (k + 1) / 15).concat(Array.from({ length: 15 }, (_, k) => (k + 1) * (1 / 15)));
    expect(reliabilityBins(edges, edges.map(() => true)).reduce((a, b) => a + b.count, 0)).toBe(30);
  });

  it('uses bins that are open below and closed above', () => {
    const bins = reliabilityBins([0.5, 0.51, 1], [true, true, true], 2);
    expect(bins.map((b) => b.count)).toEqual([1, 2]);
  });
});

describe('coverage', () => {
  // sorted by confidence: 0.9 right, 0.8 right, 0.8 wrong, 0.6 right, 0.3 wrong
  const conf = [0.6, 0.9, 0.8, 0.3, 0.8];
  const correct = [true, true, false, false, true];

  it('drops or keeps tied confidences together', () => {
    const curve = coverageCurve(conf, correct);
    expect(curve.map((p) => [p.threshold, p.kept])).toEqual([
      [0.9, 1],
      [0.8, 3],
      [0.6, 4],
      [0.3, 5],
    ]);
    expect(curve.map((p) => p.accuracy)).toEqual([1, 2 / 3, 3 / 4, 3 / 5]);
    expect(curve.at(-1)!.coverage).toBe(1);
  });

  it('picks the highest threshold that reaches each target coverage', () => {
    const rows = accuracyAtCoverage(coverageCurve(conf, correct), [1, 0.5, 0.2]);
    expect(rows.map((r) => [r.target, r.threshold, r.coverage])).toEqual([
      [1, 0.3, 1],
      [0.5, 0.8, 0.6],
      [0.2, 0.9, 0.2],
    ]);
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([5, 1, 4, 2, 3], 0)).toBe(1);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('bioToSpans (seqeval default mode; our ends are exclusive)', () => {
  it.each([
    // seqeval get_entities: [('PER', 0, 1), ('LOC', 3, 3), ('ORG', 4, 4)]
    [['I-PER', 'I-PER', 'O', 'B-LOC', 'I-ORG'], [span('PER', 0, 2), span('LOC', 3, 4), span('ORG', 4, 5)]],
    [['B-PER', 'B-PER'], [span('PER', 0, 1), span('PER', 1, 2)]],
    [['B-PER', 'I-PER', 'I-LOC'], [span('PER', 0, 2), span('LOC', 2, 3)]],
    [['O', 'B-X', 'I-X'], [span('X', 1, 3)]],
    [['O', 'O'], []],
    [[], []],
    [['B-time-range', 'I-time-range'], [span('time-range', 0, 2)]],
    [['B', 'I', 'O'], [span('_', 0, 2)]],
    // BIOES, as seqeval reads it without a scheme
    [['S-A', 'B-B', 'E-B', 'E-B'], [span('A', 0, 1), span('B', 1, 3), span('B', 3, 4)]],
    [['I-A', 'B-A', 'I-B', 'E-B', 'O', 'E-A'], [span('A', 0, 1), span('A', 1, 2), span('B', 2, 4), span('A', 5, 6)]],
  ])('%j', (tags, spans) => {
    expect(bioToSpans(tags)).toEqual(spans);
  });
});

describe('spanScores and exactMatch', () => {
  // seqeval on [[B-PER I-PER O B-LOC O], [B-ORG O O]] vs [[B-PER I-PER O B-LOC I-LOC], [B-ORG O B-PER]]:
  // precision 0.5, recall 2/3, F1 4/7
  const gold = [bioToSpans(['B-PER', 'I-PER', 'O', 'B-LOC', 'O']), bioToSpans(['B-ORG', 'O', 'O'])];
  const pred = [bioToSpans(['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC']), bioToSpans(['B-ORG', 'O', 'B-PER'])];

  it('matches spans exactly on type, start and end (micro over sentences)', () => {
    const s = spanScores(gold, pred);
    expect(s).toMatchObject({ gold: 3, predicted: 4, correct: 2, precision: 0.5 });
    expect(s.recall).toBeCloseTo(2 / 3, 12);
    expect(s.f1).toBeCloseTo(4 / 7, 12);
    expect(Object.keys(s.perType)).toEqual(['LOC', 'ORG', 'PER']);
    expect(s.perType.LOC).toMatchObject({ gold: 1, predicted: 1, correct: 0, f1: 0 });
    expect(s.perType.PER).toMatchObject({ gold: 1, predicted: 2, correct: 1, precision: 0.5, recall: 1 });
  });

  it('does not let a span match in another sentence, and counts a repeated span once', () => {
    const s = spanScores([[span('A', 0, 1)], []], [[], [span('A', 0, 1), span('A', 0, 1)]]);
    expect(s).toMatchObject({ gold: 1, predicted: 1, correct: 0, f1: 0 });
  });

  it('is 0 (not NaN) with no spans at all', () => {
    expect(spanScores([[]], [[]])).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it('counts sentences whose span sets are equal, in any order', () => {
    expect(exactMatch(gold, pred)).toBe(0);
    const swapped = [[gold[0][1], gold[0][0]], pred[1]];
    expect(exactMatch(gold, swapped)).toBe(0.5);
    expect(exactMatch([[], []], [[], []])).toBe(1);
    expect(exactMatch([[], []], [[], []], [true, false])).toBe(0.5);
  });
});

describe('mapLabels', () => {
  it('maps model ids onto task classes case-insensitively, in any order', () => {
    expect(mapLabels(['negative', 'positive'], ['NEGATIVE', 'POSITIVE'], 'sst2')).toEqual([0, 1]);
    expect(mapLabels(['negative', 'positive'], ['Positive', 'negative'], 'sst2')).toEqual([1, 0]);
  });

  it('names what does not map', () => {
    expect(() => mapLabels(['negative', 'positive'], ['LABEL_0', 'LABEL_1'], 'sst2')).toThrow(
      /not in the task: LABEL_0, LABEL_1; not in the model: negative, positive/,
    );
    expect(() => mapLabels(['negative', 'positive'], ['negative', 'neutral', 'positive'], 'sst2')).toThrow(/not in the task: neutral\)/);
  });
});

describe('classificationMetrics', () => {
  it('predicts from the calibrated scores and compares ECE before and after temperature', () => {
    const gold = [1, 0, 1, 0];
    const after = [
      [0.2, 0.8],
      [0.6, 0.4],
      [0.7, 0.3],
      [0.9, 0.1],
    ];
    const before = [
      [0.1, 0.9],
      [0.7, 0.3],
      [0.8, 0.2],
      [0.95, 0.05],
    ];
    const m = classificationMetrics(['negative', 'positive'], gold, after, before, 1.5);
    expect(m.accuracy).toBe(0.75);
    expect(m.confusion).toEqual([
      [2, 0],
      [1, 1],
    ]);
    expect(m.aurocKind).toBe('binary');
    expect(m.aurocPositive).toBe('positive');
    // positives score 0.8 and 0.3, negatives 0.4 and 0.1: 3 of 4 pairs
    expect(m.auroc).toBe(0.75);
    // after: bins hold 0.8 (right), 0.6 (right), 0.7 (wrong), 0.9 (right), one per bin:
    // (0.2 + 0.4 + 0.7 + 0.1) / 4 = 0.35
    expect(m.ece.after).toBeCloseTo(0.35, 12);
    // before: 0.9 (right), 0.7 (right), 0.8 (wrong), 0.95 (right): (0.1 + 0.3 + 0.8 + 0.05) / 4 = 0.3125
    expect(m.ece.before).toBeCloseTo(0.3125, 12);
    expect(m.ece.temperature).toBe(1.5);
    expect(m.coverage.map((c) => c.target)).toEqual([1, 0.95, 0.9, 0.8, 0.7, 0.5]);
    expect(m.coverage[0]).toMatchObject({ kept: 4, accuracy: 0.75 });
  });
});
