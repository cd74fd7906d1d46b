// `npm run bench`: how fast, on this machine, against what one would use instead. Markdown on stdout, progress on
// stderr, optional JSON (--json) and PNG (--plot).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { plot } from './charts.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { chooseModels } from './models.js';
import { findBareBench } from './overhead.js';
import { pythonPath } from './peers/python.js';
import { finalize, markdown, writeJson } from './report.js';
import type { BenchResult, Settings } from './results.js';
import { benchModel, type SuitePlan } from './suite.js';
import { loadSentences } from './workloads.js';

const USAGE = `usage: npm run bench -- [options]
  --quick             short run (< 2 min): tiny fixture + the int8 sentiment model, short timings
  --json FILE         write every row as JSON
  --plot FILE         write a PNG chart (latency percentiles, requests/s and p99 vs callers)
  --model NAME        only models whose name contains NAME (repeatable), e.g. int8, fp32, snips, fixture
  --fp32 FILE         the fp32 export of the sentiment model (default: looked up under models/)
  --python PATH       Python with onnxruntime for the Python peer (default: $BENCH_PYTHON or python3)
  --no-python         skip the Python peer
  --no-peers          engine only (no onnxruntime-node, transformers.js or Python)
  --threads N         intraOpThreads for every contestant (default: physical cores)
  --no-spinning       allowSpinning false for every contestant (default: true, the engine's default)
  --texts FILE        sentences to build inputs from (default: $BENCH_TEXTS or the SST-2 dev set)
  --concurrency LIST  callers, comma-separated (default 1,8,64,256; --quick: 1,8,64)
  --help`;

export function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      plot: { type: 'string' },
      model: { type: 'string', multiple: true },
      fp32: { type: 'string' },
      python: { type: 'string' },
      'no-python': { type: 'boolean', default: false },
      'no-peers': { type: 'boolean', default: false },
      threads: { type: 'string' },
      'no-spinning': { type: 'boolean', default: false },
      texts: { type: 'string' },
      concurrency: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads must be an integer >= 1, got ${values.threads}`);
  const concurrency = values.concurrency?.split(',').map(Number);
  if (concurrency && !concurrency.every((c) => Number.isInteger(c) && c >= 1)) throw new Error(`--concurrency must list integers >= 1, got ${values.concurrency}`);
  return { ...values, threads, concurrency };
}

export type CliOptions = ReturnType<typeof parseCli>;

/** Durations and sizes of a quick or full run. */
export function settingsFor(o: CliOptions, physicalCores: number, texts: string): Settings {
  const base = o.quick
    ? { latencyMs: 250, durationMs: 400, warmupMs: 150, perBucket: 24 }
    : { latencyMs: 2000, durationMs: 3000, warmupMs: 500, perBucket: 64 };
  return {
    quick: o.quick,
    intraOpThreads: o.threads ?? physicalCores,
    allowSpinning: !o['no-spinning'],
    // --quick leaves out 256 callers: serial peers need two full waves of 256 requests there (warm-up, measure).
    concurrency: o.concurrency ?? (o.quick ? [1, 8, 64] : [1, 8, 64, 256]),
    texts,
    ...base,
  };
}

export async function main(argv: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseCli(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const began = performance.now();
  const log = (message: string) => process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
  const root = packageRoot();
  const machine = machineInfo();
  const { sentences, source } = loadSentences(options.texts);
  const result: BenchResult = {
    startedAt: new Date().toISOString(), elapsedS: 0, machine, settings: settingsFor(options, machine.physicalCores, source),
    models: [], latency: [], throughput: [], overhead: [], ablations: [], providers: [], targets: [], goals: [], notes: [],
  };
  const contention = contentionNote(machine);
  if (contention) {
    result.notes.push(contention);
    log(`note: ${contention}`);
  }

  const choice = chooseModels(root, { quick: options.quick, fp32: options.fp32, only: options.model });
  for (const s of choice.skipped) result.models.push({ name: s.name, file: '', status: 'skipped', note: s.reason });
  const bareBench = findBareBench(root);
  if (!bareBench) result.notes.push('bare C++ comparison skipped: build/Release/ort_bare_bench is missing (run `bash scripts/build-native.sh`)');
  // The studies (what pays) run on the first classifier; an embedder gets its throughput rows only.
  const classifiers = choice.targets.filter((t) => !t.name.startsWith('embed'));
  const primary = classifiers.find((t) => !t.name.includes('fixture')) ?? classifiers[0];
  const peers = !options['no-peers'];
  for (const target of choice.targets) {
    const plan: SuitePlan = {
      settings: result.settings,
      latencyWorkloads: ['short', 'medium', 'long'],
      overheadWorkloads: options.quick ? ['medium'] : ['short', 'medium', 'long'],
      throughputWorkload: 'medium',
      peers: { ortNode: peers, transformersJs: peers, python: peers && !options['no-python'] ? pythonPath(options.python) : null },
      bareBench,
      studies: target === primary,
      log,
    };
    try {
      await benchModel(target, sentences, plan, result);
      result.models.push({ name: target.name, file: path.relative(root, target.modelFile), status: 'measured' });
    } catch (err) {
      result.models.push({ name: target.name, file: path.relative(root, target.modelFile), status: 'failed', note: (err as Error).message.split('\n')[0] });
    }
  }
  result.elapsedS = (performance.now() - began) / 1000;
  finalize(result);
  process.stdout.write(markdown(result));
  if (options.json) {
    writeJson(result, options.json);
    log(`wrote ${options.json}`);
  }
  if (options.plot) {
    if (await plot(result, options.plot)) log(`wrote ${options.plot}`);
    else log('nothing to plot');
  }
  return result.models.some((m) => m.status === 'measured') ? 0 : 1;
}

/** A warning to print with the numbers when other work shares the cores. */
export function contentionNote(m: MachineInfo): string | null {
  const busy = m.loadAverage >= 0.5 * m.logicalCores;
  if (!busy && m.backgroundTraining.length === 0) return null;
  return `other work shares the cores (1-min load average ${m.loadAverage} on ${m.logicalCores} logical cores before the bench started` +
    `${m.backgroundTraining.length ? `; ${m.backgroundTraining.length} training processes` : ''}): figures are depressed and noisy, and ` +
    'contestants with more runnable threads (the Python peer runs one per caller) win a larger share of the CPU. Quote numbers from an idle machine.';
}

/** The folder holding this package's package.json (from bench/ in the sources or dist/bench/ when compiled). */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'onnx-textclf') return dir;
  }
  throw new Error('cannot find the onnx-textclf package root above the bench');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exit(1);
  });
}
