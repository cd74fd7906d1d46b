// `eval table <json files...>`: one markdown row per --json result, for the README, with the task's reference line.
import path from 'node:path';
import { EvalError, readJsonFile } from './data.js';
import { fixed, megabytes, pct, table } from './report.js';
import { TASKS } from './tasks/index.js';
import type { EvalResult } from './types.js';

export function readResult(file: string): EvalResult {
  const r = readJsonFile(file) as EvalResult;
  if (!r?.classification || !r.model || !r.timing) throw new EvalError(`${file} is not a result written by eval --json`);
  return r;
}

export function resultsTable(results: readonly EvalResult[]): string {
  const rows = results.map((r) => [
    r.model.name,
    path.basename(r.model.file) + (r.maxBatchSize ? ` (max batch ${r.maxBatchSize})` : ''),
    megabytes(r.model.bytes),
    `${r.task}/${r.split}`,
    String(r.n),
    pct(r.classification.accuracy, 1),
    fixed(r.classification.macroF1, 3),
    `${fixed(r.classification.ece.before, 3)} / ${fixed(r.classification.ece.after, 3)}`,
    fixed(r.timing.latency.p50Ms, 2),
  ]);
  const references = new Map<string, string[]>();
  for (const r of results) {
    const ref = TASKS[r.task]?.reference;
    if (ref && !references.has(r.task)) {
      references.set(r.task, [`${ref.name} (reference)`, '', '', r.task, '', pct(ref.accuracy, 1), '', '', '']);
    }
  }
  const header = ['model', 'file', 'size (MB)', 'task/split', 'n', 'accuracy', 'macro-F1', 'ECE before / after T', 'p50 ms (batch 1)'];
  const notes = [...references.keys()].map((task) => `Reference: ${TASKS[task].reference!.source}.`);
  return [table(header, [...rows, ...references.values()]), ...(notes.length ? ['', ...notes] : [])].join('\n') + '\n';
}
