// An evaluation result as markdown (stdout) and as JSON (--json).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ClassificationMetrics, CompareReport, EvalResult } from './types.js';

export const pct = (x: number, digits = 2) => (Number.isFinite(x) ? `${(100 * x).toFixed(digits)} %` : 'n/a');
export const fixed = (x: number | undefined, digits = 4) => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
export const sci = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x.toExponential(2) : 'n/a');
export const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

const AUROC_NAMES: Record<ClassificationMetrics['aurocKind'], string> = {
  binary: 'AUROC (score of %s)',
  'macro-ovr': 'AUROC (macro one-vs-rest)',
  'macro-labels': 'AUROC (macro over labels)',
};

export function markdownReport(r: EvalResult): string {
  const c = r.classification;
  const { latency, throughput } = r.timing;
  const lines = [
    `## ${r.task} / ${r.split}: ${r.model.name} (${path.basename(r.model.file)}, ${megabytes(r.model.bytes)} MB)`,
    '',
    `${r.n} examples, provider ${r.provider}${r.maxBatchSize ? `, max batch ${r.maxBatchSize}` : ''}, ${c.ece.temperature === 1 ? 'no fitted temperature in config.json' : `fitted temperature ${c.ece.temperature} (config.json)`}, ${r.date}`,
    '',
    table(
      ['metric', 'value'],
      [
        [c.multiLabel ? 'accuracy (exact label set)' : 'accuracy', pct(c.accuracy)],
        ['macro-F1', fixed(c.macroF1)],
        [AUROC_NAMES[c.aurocKind].replace('%s', c.aurocPositive ?? ''), fixed(c.auroc)],
        [`ECE (${c.ece.bins} bins), before: temperature 1`, fixed(c.ece.before)],
        [`ECE (${c.ece.bins} bins), after: temperature ${fixed(c.ece.temperature, 3)}`, fixed(c.ece.after)],
        [`latency p50 / p99, batch 1 (${latency.n} sequential calls)`, `${fixed(latency.p50Ms, 2)} / ${fixed(latency.p99Ms, 2)} ms`],
        [`throughput (${throughput.n} texts submitted at once)`, `${throughput.textsPerSecond.toFixed(0)} texts/s (${throughput.seconds.toFixed(2)} s)`],
      ],
    ),
    '',
    ...(r.intentSlots ? intentSlotsSection(r.intentSlots) : []),
    ...classificationSections(c),
    ...(r.compare ? compareSection(r.compare) : []),
  ];
  return lines.join('\n') + '\n';
}

function classificationSections(c: ClassificationMetrics): string[] {
  return [
    '### Per class',
    '',
    table(
      ['class', 'precision', 'recall', 'F1', 'support'],
      c.perClass.map((s) => [s.label, fixed(s.precision), fixed(s.recall), fixed(s.f1), String(s.support)]),
    ),
    '',
    c.multiLabel
      ? '### Label co-occurrence (rows: gold label, columns: predicted label at 0.5; examples)'
      : '### Confusion matrix (rows: gold, columns: predicted)',
    '',
    table(['gold \\ predicted', ...c.labels], c.confusion.map((row, g) => [c.labels[g], ...row.map(String)])),
    '',
    c.multiLabel
      ? '### Exact-match accuracy vs coverage (abstain when the least confident label is below the threshold)'
      : '### Accuracy vs coverage (abstain when the calibrated top score is below the threshold)',
    '',
    table(
      ['target coverage', 'coverage', 'kept', 'threshold', 'accuracy on kept'],
      c.coverage.map((p) => [pct(p.target, 0), pct(p.coverage, 1), String(p.kept), fixed(p.threshold), pct(p.accuracy)]),
    ),
    '',
  ];
}

function intentSlotsSection(s: NonNullable<EvalResult['intentSlots']>): string[] {
  const fields = [...new Set(s.systems.flatMap((x) => Object.keys(x.accuracy)))];
  const hasSlots = s.systems.some((x) => x.slots);
  const hasF1 = s.systems.some((x) => x.macroF1);
  const hasChunks = s.systems.some((x) => x.meanChunks !== undefined);
  const longDocs = s.systems.find((x) => x.longDocs)?.longDocs;
  const row = (x: (typeof s.systems)[number]) => [
    x.name,
    ...fields.map((f) => pct(x.accuracy[f])),
    ...(hasF1 ? fields.map((f) => fixed(x.macroF1?.[f])) : []),
    ...(hasSlots ? [x.slots ? pct(x.slots.f1) : 'n/a'] : []),
    pct(x.sentenceAccuracy),
    `${fixed(x.latency.p50Ms, 2)} / ${fixed(x.latency.p99Ms, 2)}`,
    x.throughput.textsPerSecond.toFixed(0),
    ...(hasChunks ? [fixed(x.meanChunks, 2)] : []),
    ...(longDocs ? [x.longDocs ? `${fixed(x.longDocs.p50Ms, 2)} (n=${x.longDocs.n})` : 'n/a'] : []),
  ];
  const header = [
    'system',
    ...fields.map((f) => `${f} acc`),
    ...(hasF1 ? fields.map((f) => `${f} macro-F1`) : []),
    ...(hasSlots ? ['slot F1'] : []),
    hasSlots ? 'sentence acc' : 'all fields right',
    'p50 / p99 ms (batch 1)',
    'texts/s',
    ...(hasChunks ? ['windows/text'] : []),
    ...(longDocs ? [`p50 ms, ${longDocs.minTokens}-${longDocs.maxTokens}-token texts`] : []),
  ];
  const out = [`### Systems (same texts, same run; throughput with ${s.callers} concurrent callers)`, '', table(header, s.systems.map(row)), ''];
  if (s.systems.length === 2) {
    const [one, two] = s.systems;
    const delta = (a: number, b: number) => (Number.isFinite(a - b) ? `${(100 * (a - b)).toFixed(2)} pts` : 'n/a');
    out.push(
      `One model vs the two: ${fields.map((f) => `${f} ${delta(one.accuracy[f], two.accuracy[f])}`).join(', ')}` +
        `${one.slots && two.slots ? `, slot F1 ${delta(one.slots.f1, two.slots.f1)}` : ''}, sentence ${delta(one.sentenceAccuracy, two.sentenceAccuracy)}; ` +
        `p50 latency ${(one.latency.p50Ms / two.latency.p50Ms).toFixed(2)}x, throughput ${(one.throughput.textsPerSecond / two.throughput.textsPerSecond).toFixed(2)}x.`,
      '',
    );
  }
  const slots = s.systems[0].slots;
  if (slots) {
    out.push(
      '### Slots per type (first system)',
      '',
      table(['slot', 'precision', 'recall', 'F1', 'gold'], Object.entries(slots.perType).map(([t, x]) => [t, fixed(x.precision), fixed(x.recall), fixed(x.f1), String(x.gold)])),
      '',
    );
  }
  return out;
}

function compareSection(cmp: CompareReport): string[] {
  const out = [
    '### Engine vs Python ONNX Runtime',
    '',
    `${cmp.file}${cmp.pythonModel ? ` (Python ran ${cmp.pythonModel})` : ''}`,
    '',
    table(
      ['rows', 'argmax agreement', 'disagreements', 'max abs prob diff (T = 1)', 'max abs logit diff (centred)', 'gold labels that differ'],
      [[String(cmp.n), pct(cmp.agreement), String(cmp.n - cmp.agree), sci(cmp.maxProbDiff), sci(cmp.maxLogitDiff), String(cmp.goldMismatch)]],
    ),
    '',
  ];
  if (cmp.disagreements.length) {
    out.push(
      table(
        ['index', 'engine', 'python', 'text'],
        cmp.disagreements.map((d) => [String(d.index), d.engine, d.python, d.text.length > 90 ? `${d.text.slice(0, 87)}...` : d.text]),
      ),
      '',
    );
  }
  return out;
}

export function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}
