// `node dist/bench/interleaved.js [embedder dir]`: the embed row's ratio re-checked on a busy machine. The main
// bench measures each contestant in its own phase, so load that changes between phases skews the ratio; here the
// engine and transformers.js alternate (A B, B A, A B), each pass pushing the same texts through 64 callers.
import path from 'node:path';
import { openModel } from './model-view.js';
import { engineEmbed, transformersJsEmbed } from './peers/embed.js';
import type { Subject } from './peers/subject.js';
import { loadSentences } from './workloads.js';

const CALLERS = 64;
const ROUNDS = 3;
const TEXTS = 192;

async function pass(subject: Subject, items: { text: string; ids: Int32Array }[]): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (next < items.length) await subject.call(items[next++]);
  }));
  return items.length / ((performance.now() - start) / 1000);
}

const dir = process.argv[2] ?? 'models/embed-minilm-l6';
const view = openModel({ name: path.basename(dir), dir, modelFile: path.resolve(dir, 'model.onnx'), runs: 'full' });
const items = loadSentences().sentences.slice(0, TEXTS).map((text) => ({ text, ids: view.tokenizer.encode(text).ids }));
const threads = { intraOpThreads: 2, allowSpinning: true };
const subjects = [engineEmbed(view, threads), await transformersJsEmbed(view, threads)];
for (const s of subjects) await pass(s, items); // warm-up
const rates: Record<string, number[]> = { engine: [], 'transformers.js': [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const s of round % 2 ? [...subjects].reverse() : subjects) rates[s.name].push(await pass(s, items));
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
process.stdout.write(`${JSON.stringify(rates)}\nengine / transformers.js texts/s at ${CALLERS} callers: ${(sum(rates.engine) / sum(rates['transformers.js'])).toFixed(2)}x\n`);
for (const s of subjects) await s.close();
