// The batch-independence check: a folder's answers for each text one by one, then for all texts at once (the
// engine batches them), must agree: same labels, scores within a tolerance.
import { loadClassifier, loadParser, loadTagger } from '../lib/index.js';
import { readModelDir } from '../lib/model-dir.js';
import type { SequencePrediction } from '../lib/postprocess/sequence.js';

export interface BatchCheck {
  texts: number;
  tolerance: number;
  sameLabels: number;
  maxScoreDiff: number;
  /** Batches the engine formed for the concurrent calls: mean size (> 1 means batching really happened). */
  meanBatchSize: number;
  passed: boolean;
}

/** One text's answer, flattened: labels (sequence labels, or slot@start-end for spans) and their scores. */
interface Answer {
  labels: string[];
  scores: number[];
  batchSize: number;
}

type Ask = (text: string) => Promise<Answer>;

async function opener(dir: string): Promise<{ ask: Ask; dispose: () => Promise<void> }> {
  const { config } = readModelDir(dir);
  if (Array.isArray(config.heads)) {
    const p = await loadParser(dir);
    const ask: Ask = async (text) => {
      const r = await p.parse(text);
      const a: Answer = { labels: [], scores: [], batchSize: r.meta.timing.batchSize };
      for (const head of p.heads) {
        const v = r[head.name] as unknown;
        if (Array.isArray(v)) for (const s of v) a.labels.push(`${head.name}:${s.slot}@${s.start}-${s.end}`), a.scores.push(s.score);
        else {
          const s = v as SequencePrediction;
          a.labels.push(`${head.name}:${s.labels.join(',')}`);
          a.scores.push(...byLabel(s));
        }
      }
      return a;
    };
    return { ask, dispose: () => p.dispose() };
  }
  const architectures = Array.isArray(config.architectures) ? (config.architectures as string[]) : [];
  if (architectures.some((a) => a.endsWith('ForTokenClassification'))) {
    const t = await loadTagger(dir);
    const ask: Ask = async (text) => {
      const r = await t.tagSlots(text);
      return { labels: r.slots.map((s) => `${s.slot}@${s.start}-${s.end}`), scores: r.slots.map((s) => s.score), batchSize: r.timing.batchSize };
    };
    return { ask, dispose: () => t.dispose() };
  }
  const c = await loadClassifier(dir);
  const ask: Ask = async (text) => {
    const r = await c.classify(text);
    return { labels: [r.labels.join(',')], scores: byLabel(r), batchSize: r.timing.batchSize };
  };
  return { ask, dispose: () => c.dispose() };
}

/** Scores in label order (the API sorts them best first, which near-ties could reorder). */
function byLabel(p: SequencePrediction): number[] {
  return [...p.scores].sort((a, b) => (a.label < b.label ? -1 : 1)).map((s) => s.score);
}

export async function checkBatchIndependence(dir: string, texts: string[], tolerance = 1e-4): Promise<BatchCheck> {
  const { ask, dispose } = await opener(dir);
  try {
    const alone: Answer[] = [];
    for (const t of texts) alone.push(await ask(t));
    const together = await Promise.all(texts.map(ask));
    let sameLabels = 0;
    let maxScoreDiff = 0;
    together.forEach((b, i) => {
      const a = alone[i];
      if (a.labels.join('\n') === b.labels.join('\n')) {
        sameLabels++;
        a.scores.forEach((s, j) => (maxScoreDiff = Math.max(maxScoreDiff, Math.abs(s - b.scores[j]))));
      }
    });
    const meanBatchSize = together.reduce((n, b) => n + b.batchSize, 0) / Math.max(1, together.length);
    return { texts: texts.length, tolerance, sameLabels, maxScoreDiff, meanBatchSize, passed: sameLabels === texts.length && maxScoreDiff <= tolerance };
  } finally {
    await dispose();
  }
}
