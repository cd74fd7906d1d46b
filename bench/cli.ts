// `npm run bench`: how fast, on this machine, against what one would use instead. Markdown on stdout, progress on
// stderr, optional JSON (--json) and PNG (--plot).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { plot } from './charts.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { hopStudy, threadStudy } from './ablations.js';
import { jsThreadRows, measureJsThread } from './js-thread.js';
import { openModel } from './model-view.js';
import { chooseModels, gpuModels } from './models.js';
import { findBareBench } from './overhead.js';
import { pythonPath } from './peers/python.js';
import { GPU_CALLERS, GPU_PROVIDERS, measureGpu, type GpuProvider } from './providers.js';
import { finalize, GOAL_CALLERS, gpuModelsNote, markdown, writeJson } from './report.js';
import type { BenchResult, Settings } from './results.js';
import { benchModel, type SuitePlan } from './suite.js';
import { buildWorkloads, loadSentences } from './workloads.js';

const ABLATIONS = ['hop', 'js', 'threads'];

const USAGE = `usage: npm run bench -- [options]
  --quick             short run (< 2 min): tiny fixture + the int8 sentiment model, short timings
  --json FILE         write every row as JSON
  --plot FILE         write a PNG chart (latency percentiles, requests/s and p99 vs callers)
  --model NAME        only models whose name contains NAME (repeatable), e.g. int8, fp32, snips, fixture
  --fp32 FILE         the fp32 export of the sentiment model (default: looked up under models/)
  --fp16 FILE         its fp16 export for the GPU rows (default: model_fp16.onnx beside the fp32 export)
  --gpu-models DIR    real-size GPU models (MiniLM-L6 and BERT-base shape, fp32 and fp16) listed in DIR/models.json,
                      made by python models/scripts/make_gpu_models.py --out DIR (scripts/gpu-check.sh does it)
  --ablation hop      only the batch-1 hop study (Engine.run vs bare Run, classify vs onnxruntime-node, per
                      workerSpinUs and with inlineWhenIdle) on the chosen models; with --repeat N (default 3) it runs N times in a row
  --ablation js       only the JS-thread cost per classify call (tokenize, submit, settle, post-process), --repeat N
  --ablation threads  only the thread study (intraOpThreads x allowSpinning, and 2 workers of 1 thread) at batch 1
                      and at 64 callers on the chosen models, --repeat N
  --gpu-providers L   GPU providers for the GPU rows, comma-separated (default cuda,tensorrt)
  --gpu-only          only the GPU rows: engine vs onnxruntime-node on cuda/tensorrt, fp32 and fp16, 1/64/256
                      callers, and the bare batched Run; exit 1 when no GPU provider loads (the rows say why)
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
      fp16: { type: 'string' },
      'gpu-models': { type: 'string' },
      'gpu-only': { type: 'boolean', default: false },
      'gpu-providers': { type: 'string' },
      ablation: { type: 'string' },
      repeat: { type: 'string' },
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
  if (values.ablation !== undefined && !ABLATIONS.includes(values.ablation)) throw new Error(`--ablation must be ${ABLATIONS.join(', ')}, got ${values.ablation}`);
  const repeat = Number(values.repeat ?? 3);
  if (!(Number.isInteger(repeat) && repeat >= 1)) throw new Error(`--repeat must be an integer >= 1, got ${values.repeat}`);
  const gpuProviders = (values['gpu-providers'] ?? GPU_PROVIDERS.join(',')).split(',') as GpuProvider[];
  if (!gpuProviders.every((p) => GPU_PROVIDERS.includes(p))) throw new Error(`--gpu-providers must list ${GPU_PROVIDERS.join(', ')}, got ${values['gpu-providers']}`);
  const concurrency = values.concurrency?.split(',').map(Number);
  if (concurrency && !concurrency.every((c) => Number.isInteger(c) && c >= 1)) throw new Error(`--concurrency must list integers >= 1, got ${values.concurrency}`);
  return { ...values, threads, concurrency, repeat, gpuProviders };
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

  const bareBench = findBareBench(root);
  if (!bareBench) result.notes.push('bare C++ comparison skipped: build/Release/ort_bare_bench is missing (run `bash scripts/build-native.sh`)');
  const peers = !options['no-peers'];
  if (options.ablation) {
    await ablationOnly(root, options, result, sentences, bareBench, log);
    result.elapsedS = (performance.now() - began) / 1000;
    process.stdout.write(markdown(finalize(result)));
    if (options.json) writeJson(result, options.json);
    return result.ablations.length ? 0 : 1;
  }
  if (!options['gpu-only']) await benchCpu(root, options, result, sentences, bareBench, log);

  const gpu = gpuModels(root, { fp32: options.fp32, fp16: options.fp16, only: options.model, modelsDir: options['gpu-models'] });
  const measured = await measureGpu({
    targets: gpu.targets, skipped: gpu.skipped, sentences, perBucket: result.settings.perBucket,
    threads: { intraOpThreads: result.settings.intraOpThreads, allowSpinning: result.settings.allowSpinning },
    throughput: { durationMs: result.settings.durationMs, warmupMs: result.settings.warmupMs },
    callers: options.concurrency ?? GPU_CALLERS, ortNode: peers, bareBench, log, providers: options.gpuProviders,
  });
  result.providers.push(...measured.rows);
  result.notes.push(gpuModelsNote(gpu), ...measured.notes);
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
  if (options['gpu-only']) return result.providers.some((p) => p.status === 'measured') ? 0 : 1;
  return result.models.some((m) => m.status === 'measured') ? 0 : 1;
}

/** --ablation hop|js|threads: that study alone, --repeat times per chosen model, each run's rows tagged with its number. */
async function ablationOnly(root: string, options: CliOptions, result: BenchResult, sentences: string[], bareBench: string | null,
  log: (message: string) => void): Promise<void> {
  if (options.ablation === 'hop' && !bareBench) throw new Error('--ablation hop needs build/Release/ort_bare_bench (run `bash scripts/build-native.sh`)');
  const s = result.settings;
  const threads = { intraOpThreads: s.intraOpThreads, allowSpinning: s.allowSpinning };
  for (const target of chooseModels(root, { quick: options.quick, fp32: options.fp32, only: options.model }).targets) {
    if (options.ablation === 'js' && target.name.startsWith('embed')) {
      // The study times classify(); an embedder has no labels to classify into.
      result.models.push({ name: target.name, file: path.relative(root, target.modelFile), status: 'skipped', note: 'not a classifier: the JS-thread study times classify()' });
      continue;
    }
    const model = openModel(target);
    const workloads = buildWorkloads(model.tokenizer, sentences, s.perBucket);
    for (let run = 1; run <= options.repeat; run++) {
      log(`${target.name}: ${options.ablation} study, run ${run}/${options.repeat}`);
      if (options.ablation === 'js') {
        const medium = workloads.find((w) => w.name === 'medium')!;
        result.ablations.push(...jsThreadRows(target.name, medium.name, await measureJsThread(model, medium, 2000, s.intraOpThreads), run));
        continue;
      }
      const underLoad = options.ablation === 'threads'; // the thread study's second half runs at the goal's callers
      const plan = { model, workloads, threads, latency: { timeMs: s.latencyMs, warmupMs: Math.min(s.warmupMs, s.latencyMs) },
        throughput: { durationMs: s.durationMs, warmupMs: s.warmupMs }, callers: underLoad ? GOAL_CALLERS : 1, log };
      const rows = underLoad ? await threadStudy(plan) : await hopStudy(plan, bareBench!);
      result.ablations.push(...rows.map((r) => ({ ...r, config: `${r.config} (run ${run})` })));
    }
    result.models.push({ name: target.name, file: path.relative(root, target.modelFile), status: 'measured' });
  }
}

/** Every CPU table: each chosen model against the peers, the C++ floor and (on the main model) the studies. */
async function benchCpu(root: string, options: CliOptions, result: BenchResult, sentences: string[], bareBench: string | null,
  log: (message: string) => void): Promise<void> {
  const choice = chooseModels(root, { quick: options.quick, fp32: options.fp32, only: options.model });
  for (const s of choice.skipped) result.models.push({ name: s.name, file: '', status: 'skipped', note: s.reason });
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
