// One sequence head's logits -> a labelled prediction: activation, ranking, top-k and abstain.
import { sigmoid, softmax } from './activations.js';

export interface LabelScore {
  label: string;
  score: number;
}

export interface SequenceDecodeOptions {
  labels: readonly string[];
  /** Independent sigmoid per label instead of one softmax. */
  multiLabel: boolean;
  temperature: number;
  /** Keep only the k best scores (default: all). */
  topK?: number;
  /** Single-label: abstain (label null) when the top score is below it. Multi-label: labels at or above it. */
  threshold?: number;
}

export interface SequencePrediction {
  /** The predicted label, or null when the model abstains (top score under the threshold). */
  label: string | null;
  score: number;
  /** Single-label: [label] or []. Multi-label: every label whose score reaches the threshold, best first. */
  labels: string[];
  /** Scores for the labels, best first (top-k when asked). */
  scores: LabelScore[];
}

export const DEFAULT_MULTI_LABEL_THRESHOLD = 0.5;

export function decodeSequence(logits: ArrayLike<number>, options: SequenceDecodeOptions): SequencePrediction {
  const { labels, multiLabel, temperature } = options;
  const probs = multiLabel ? sigmoid(logits, temperature) : softmax(logits, temperature);
  const ranked = Array.from(probs, (score, i) => ({ label: labels[i], score })).sort((a, b) => b.score - a.score);
  const top = ranked[0];
  const threshold = options.threshold ?? (multiLabel ? DEFAULT_MULTI_LABEL_THRESHOLD : 0);
  const accepted = multiLabel ? ranked.filter((s) => s.score >= threshold).map((s) => s.label) : top.score >= threshold ? [top.label] : [];
  return {
    label: accepted[0] ?? null,
    score: top.score,
    labels: accepted,
    scores: options.topK === undefined ? ranked : ranked.slice(0, options.topK),
  };
}
