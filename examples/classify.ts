// `npm run demo [-- <model dir> [text ...]]`: classify a few sentences with the embedded default model.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultModelDir, loadClassifier } from '../lib/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FALLBACK_MODEL = path.join(root, 'test/fixtures/tiny-bert');

const [dirArg, ...textArgs] = process.argv.slice(2);
const dir = dirArg ?? (existsSync(defaultModelDir()) ? defaultModelDir() : FALLBACK_MODEL);
const texts = textArgs.length > 0 ? textArgs : [
  'A gorgeous, witty, seductive movie.',
  'The plot is paper-thin and the jokes fall flat.',
  "It's not a bad film, just a forgettable one.",
  'An instant classic that I will watch again and again.',
];

const classifier = await loadClassifier(dir);
console.log(`model: ${path.relative(process.cwd(), dir) || dir}  labels: ${classifier.labels.join(', ')}  temperature: ${classifier.temperature}`);
const results = await classifier.classify(texts, { threshold: 0.6 });
for (const [i, r] of results.entries()) {
  const verdict = r.label ?? `uncertain (best: ${r.scores[0].label})`;
  console.log(`${verdict.padEnd(28)} ${r.score.toFixed(3)}  ${r.timing.inferMs.toFixed(2)} ms x${r.timing.batchSize}  ${texts[i]}`);
}
await classifier.dispose();
