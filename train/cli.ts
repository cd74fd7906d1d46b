// npm run train: data -> validated, split, canonical files -> the Python trainer -> an engine-ready folder, written
// atomically (built beside --out, renamed at the end) and checked for batch independence through the engine.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../datasets/index.js';
import { repoRoot } from '../eval/data.js';
import { checkBatchIndependence } from './batch-check.js';
import { prepareExtraTexts, type ExtraTexts } from './extra-texts.js';
import { parseCommandLine, parseTrainArgs, USAGE, type TrainOptions } from './options.js';
import { checkPythonEnv, findPython } from './python-env.js';
import { INTERRUPTED, runTrainer } from './run-trainer.js';
import { prepareData, writeCanonical, type Prepared } from './work-data.js';

const say = (line: string) => process.stderr.write(`[train] ${line}\n`);

export async function main(argv: string[]): Promise<number> {
  const began = Date.now();
  const root = repoRoot();
  const o = parseCommandLine(() => parseTrainArgs(argv, root), USAGE, say);
  if (typeof o === 'number') return o;

  // 1. Python first: minutes of data work are wasted if the trainer cannot start.
  const { python, from } = findPython(root, o.python);
  const base = String(o.resolved.base ?? 'minilm');
  const env = checkPythonEnv(python, base);
  if (!env.ok) {
    say(env.message);
    return 3;
  }
  say(`python ${env.version} (${python}, from ${from})`);

  // 2. Data: read, validate, split, canonical files.
  let data: Prepared;
  let extra: ExtraTexts;
  const out = path.resolve(o.out);
  const work = o.work ?? path.join(root, 'models', '.work', 'train', `${path.basename(out)}-${createHash('sha256').update(out).digest('hex').slice(0, 8)}`);
  try {
    data = prepareData(o);
    writeCanonical(work, data);
    extra = prepareExtraTexts(o, data, work, root);
  } catch (err) {
    if (err instanceof DataError) {
      say(`bad data (${err.code}): ${err.message}`);
      return 4;
    }
    throw err;
  }
  for (const w of [...data.warnings, ...extra.warnings]) say(`warning: ${w}`);
  if (o.long === 'chunks' && data.heads.some((h) => h.kind === 'token')) {
    say(`--long chunks trains sequence heads only; the data has the token head '${data.heads.find((h) => h.kind === 'token')!.name}' (keep the others with --heads or --task classify)`);
    return 2;
  }
  const heads = data.heads.map((h) => `${h.name} (${h.kind}${h.problemType === 'multi_label_classification' ? ', multi-label' : ''}, ${h.labels.length} labels)`);
  say(`heads: ${heads.join(', ')}; ${data.split.source === 'seeded' ? `seeded split (seed ${data.split.seed}) of ${path.basename(o.data)}` : 'dev/test files'}: ` +
    `train ${data.split.sizes.train}, dev ${data.split.sizes.dev}, test ${data.split.sizes.test}; work folder ${shown(work)}`);

  // 3. The trainer fills a staging folder beside --out; a leftover one from a killed run is discarded first.
  const staging = path.join(path.dirname(out), `.${path.basename(out)}.staging`);
  rmSync(staging, { recursive: true, force: true });
  const args = ['--work', work, '--out', staging, '--name', path.basename(out), ...o.pythonArgs, ...extra.args];
  const run = await runTrainer({ python, root, args, nice: o.nice, onLine: (l) => process.stderr.write(`  ${l}\n`) });
  if (run.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    if (run.code === INTERRUPTED) say(`interrupted: checkpoint saved in ${work}; rerun the same command to resume`);
    else say(`the trainer failed (${run.signal ? `signal ${run.signal}` : `exit code ${run.code}`}); ${out} is unchanged`);
    return run.code === INTERRUPTED ? INTERRUPTED : 5;
  }

  // 4. Batch independence through the engine, on dev (or test) texts; recorded in the manifest.
  const evalPart = data.parts.test ?? data.parts.dev;
  const texts = pick([...new Set(evalPart.examples.map((e) => e.text))], o.checkTexts);
  const check = await checkBatchIndependence(staging, texts);
  const manifestFile = path.join(staging, 'manifest.json');
  const py = JSON.parse(readFileSync(manifestFile, 'utf8')) as { export: { model_onnx: string } };
  say(`batch independence (${py.export.model_onnx} int8, ${check.texts} ${data.parts.test ? 'test' : 'dev'} texts one by one vs all at once, ` +
    `mean batch ${check.meanBatchSize.toFixed(1)}): same labels ${check.sameLabels}/${check.texts}, max score difference ${check.maxScoreDiff.toExponential(1)} ` +
    `-> ${check.passed ? 'passed' : py.export.model_onnx === 'static' ? 'FAILED' : 'failed, as dynamic int8 may'}`);
  writeFileSync(manifestFile, `${repoRelative(JSON.stringify({ ...manifest(o, out, data, py, check, began), ...extra.manifest }, null, 2), root)}\n`);
  if (!check.passed && py.export.model_onnx === 'static') {
    rmSync(staging, { recursive: true, force: true });
    say(`static int8 answers depend on batching: ${out} is not written (the exports are in ${work})`);
    return 6;
  }

  // 5. Swap the new folder in: an existing --out is replaced only by a complete folder.
  const old = path.join(path.dirname(out), `.${path.basename(out)}.old`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(out)) renameSync(out, old);
  renameSync(staging, out);
  rmSync(old, { recursive: true, force: true });
  say(`wrote ${shown(out)} in ${((Date.now() - began) / 60000).toFixed(1)} min`);
  return 0;
}

/** A path as typed relative to the current folder when inside it, else absolute. */
function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') ? rel : p;
}

/** Up to n texts, spread over the list (deterministic). */
function pick(texts: string[], n: number): string[] {
  if (texts.length <= n) return texts;
  return Array.from({ length: n }, (_, i) => texts[Math.floor((i * texts.length) / n)]);
}

/** The manifest is committed with the model: paths inside this checkout (and ../shared beside it) are written
 * relative to the repository root, wherever Python or a warning put an absolute one. */
export function repoRelative(json: string, root: string): string {
  return json.split(root + path.sep).join('').split(path.dirname(root) + path.sep).join(`..${path.sep}`);
}

function manifest(o: TrainOptions, out: string, data: Prepared, py: object, check: object, began: number) {
  const cpus = os.cpus();
  return {
    name: path.basename(out),
    created: new Date().toISOString(),
    command: `npm run train -- ${process.argv.slice(2).join(' ')}`,
    recipe: o.recipe ?? null,
    options: Object.fromEntries(Object.entries(o.resolved).map(([k, v]) => [k, k === 'derive' ? o.derive : v])),
    data: data.files.map(({ role, dataset: d }) => ({ role, file: d.file, format: d.format, sha256: d.sha256, rows: d.examples.length })),
    split: data.split.source === 'seeded'
      ? { source: `seeded split of the data file by unique text (no text in two parts)`, seed: data.split.seed, dev: o.devSize, test: o.test ? 0 : o.testSize, sizes: data.split.sizes }
      : { source: 'the given dev/test files', sizes: data.split.sizes },
    warnings: data.warnings,
    ...py,
    batch_independence: { ...check, how: 'the engine (lib/) on this folder: each text alone, then all concurrently (default dynamic batching)' },
    wall_seconds: Math.round((Date.now() - began) / 1000),
    machine: { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, os: `${os.type()} ${os.release()}`, node: process.version },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      say(`error: ${(err as Error).stack ?? err}`);
      process.exit(1);
    },
  );
}
