// `npm run eval -- <task> --model <dir> [...]` and `npm run eval -- table <json...>`: arguments and orchestration.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DATA_FLAGS, DATA_FLAGS_USAGE, DataError, readOptionsFromFlags } from '../datasets/index.js';
import { EngineError } from '../lib/index.js';
import type { LongOptions } from '../lib/postprocess/chunks.js';
import { comparePredictions } from './compare.js';
import { EvalError } from './data.js';
import { updateManifest } from './manifest.js';
import { plotResult } from './plot.js';
import { markdownReport, writeJson } from './report.js';
import { readResult, resultsTable } from './table.js';
import { EMBEDDING_TASKS, runEmbeddingTask } from './tasks/embeddings.js';
import { findTask, TASKS } from './tasks/index.js';

const USAGE = `usage:
  npm run eval -- <task> --model <dir> [--split <name>] [--onnx <file>] [--data <dir>] [--limit <n>]
                  [--latency-texts <n>] [--max-batch-size <n>] [--json <out.json>] [--plot <out.png>] [--compare <py_preds.json>] [--manifest]
                  [--dual <intent-dir>,<slots-or-scenario-dir>] [--long truncate|head-tail|chunks] [--window <n>]
                  [--stride <n>] [--aggregate mean|max|weighted] [--strip headers,footers,quotes]
  npm run eval -- custom --data <file> --model <dir> [--format <f>] [--text-column <c>] [...]
  npm run eval -- table <result.json>...
  npm run eval -- embed --model <embedder dir> --reference <reference.json> [--onnx <file>]
  npm run eval -- zeroshot|fewshot --model <embedder dir> [--data <root>] [--sets sst2,agnews,massive]
                  [--shots 8] [--seeds 3] [--fit-scale] [--setfit [--python <path>]] [--dump <file>] [--json <out.json>]

  --model <dir>       model folder (config.json, tokenizer.json, model.onnx)
  --onnx <file>       another ONNX file for that folder (relative to it, or absolute)
  --split <name>      the task's split (default: the task's validation split)
  --data <dir>        data root holding the task's folder, or that folder (default: ../shared/data from the repo root);
                      custom: the data file (docs/data-formats.md), read with these flags:
${DATA_FLAGS_USAGE}
  --limit <n>         only the first n examples
  --latency-texts <n> how many texts the batch-1 latency pass times (default 300)
  --max-batch-size <n> the engine's cap on one model run; 1 gives every text the result it gets alone
                      (dynamically quantised int8 models scale activations per batch, so batching changes them)
  --json <file>       write the full result as JSON
  --plot <file>       write a PNG: reliability diagram before/after temperature, accuracy vs coverage
  --compare <file>    per-sentence predictions of Python ONNX Runtime (export.py's py_preds_*.json) to check against
  --manifest          merge the summary into <model>/manifest.json under metrics.engine.<split>.<onnx file name>
  --dual <a>,<b>      snips/massive: also run two single-task models on the same texts and report them beside
                      the multi-head model (accuracy, batch-1 p50/p99 of one parse vs the two calls, 64-caller throughput)
  --long <mode>       texts longer than the window: truncate, head-tail, or chunks (default: the folder's config.json
                      long_options, else truncate; docs/long-documents.md)
  --window <n>        tokens per window, special tokens included (default: the model's)
  --stride <n>        tokens between window starts (default: 3/4 of the window)
  --aggregate <how>   chunks: weighted (default), mean or max
  --strip <parts>     20ng: strip headers, footers and/or quotes from each post as sklearn's remove= does (default: none)

  --reference <file>  embed: texts and sentence-transformers embeddings written by models/embed/export.py
  --sets <a,b>        zeroshot/fewshot: which sets (default sst2,agnews,massive)
  --shots <n>         fewshot: examples per class drawn from each set's pool (default 8)
  --seeds <n>         fewshot: draws 0..n-1, each a new head (default 3)
  --fit-scale         zeroshot: also fit the softmax scale and multi-label bias on the pools
  --dump <file>       fewshot: write the drawn examples and test rows (for models/embed/fewshot_reference.py)
  --setfit            fewshot: fine-tune the encoder on pairs first (models/embed/setfit.py; Python from
                      --python, $TEXTCLF_PYTHON, .venv/, else python3)

tasks:
${Object.values(TASKS).map((t) => `  ${t.name.padEnd(10)} ${t.description} (splits: ${t.splits.join(', ')})`).join('\n')}
`;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);

function positiveInt(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new EvalError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Runs the CLI; returns the exit code. Argument, data and model errors print one line, not a stack. */
export async function main(argv: readonly string[], io: Io = stdio): Promise<number> {
  try {
    if (argv[0] === 'table') {
      if (argv.length < 2) throw new EvalError('table: give one or more result files written by --json');
      io.out(resultsTable(argv.slice(1).map(readResult)));
      return 0;
    }
    return await evaluate(argv, io);
  } catch (err) {
    if (err instanceof EvalError || err instanceof EngineError || err instanceof DataError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`eval: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

async function evaluate(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      onnx: { type: 'string' },
      split: { type: 'string' },
      data: { type: 'string' },
      limit: { type: 'string' },
      'latency-texts': { type: 'string' },
      'max-batch-size': { type: 'string' },
      json: { type: 'string' },
      plot: { type: 'string' },
      compare: { type: 'string' },
      dual: { type: 'string' },
      long: { type: 'string' },
      window: { type: 'string' },
      stride: { type: 'string' },
      aggregate: { type: 'string' },
      strip: { type: 'string' },
      manifest: { type: 'boolean' },
      ...DATA_FLAGS,
      reference: { type: 'string' },
      sets: { type: 'string' },
      shots: { type: 'string' },
      seeds: { type: 'string' },
      'fit-scale': { type: 'boolean' },
      setfit: { type: 'boolean' },
      python: { type: 'string' },
      dump: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals.length === 0) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 1;
  }
  if (positionals.length > 1) throw new EvalError(`one task at a time, got ${positionals.join(', ')}`);
  if (!values.model) throw new EvalError('--model <dir> is required');
  const embeddingTask = EMBEDDING_TASKS.find((t) => t === positionals[0]);
  if (embeddingTask) {
    const report = await runEmbeddingTask({
      task: embeddingTask,
      modelDir: values.model,
      modelFile: values.onnx,
      data: values.data,
      sets: (values.sets ?? 'sst2,agnews,massive').split(',').filter(Boolean),
      shots: positiveInt('shots', values.shots, 8)!,
      seeds: positiveInt('seeds', values.seeds, 3)!,
      limit: positiveInt('limit', values.limit),
      maxBatchSize: positiveInt('max-batch-size', values['max-batch-size']),
      reference: values.reference,
      fitScale: values['fit-scale'] ?? false,
      setfit: values.setfit ?? false,
      python: values.python,
      dump: values.dump,
      log: (line) => io.err(`[${embeddingTask}] ${line}\n`),
      command: `npm run eval -- ${argv.map(quote).join(' ')}`,
    });
    io.out(report.markdown);
    if (values.json) writeJson(values.json, report.json);
    return 0;
  }
  const task = findTask(positionals[0]);
  const split = values.split ?? task.defaultSplit;
  const log = (line: string) => io.err(`[${task.name}/${split}] ${line}\n`);
  const dataOptions = readOptionsFromFlags(values);
  if (task !== TASKS.custom && Object.keys(dataOptions).length > 0) throw new EvalError(`--${Object.keys(DATA_FLAGS).find((f) => values[f as keyof typeof DATA_FLAGS] !== undefined)} applies to the custom task only`);

  const { result, rows } = await task.evaluate({
    modelDir: values.model,
    modelFile: values.onnx,
    data: values.data,
    dataOptions,
    split,
    limit: positiveInt('limit', values.limit),
    maxBatchSize: positiveInt('max-batch-size', values['max-batch-size']),
    dual: values.dual?.split(',').filter(Boolean),
    long: {
      long: values.long as LongOptions['long'],
      window: positiveInt('window', values.window),
      stride: positiveInt('stride', values.stride),
      aggregate: values.aggregate as LongOptions['aggregate'],
    },
    strip: values.strip?.split(',').filter(Boolean),
    latencyTexts: positiveInt('latency-texts', values['latency-texts'], 300)!,
    log,
    command: `npm run eval -- ${argv.map(quote).join(' ')}`,
  });
  if (values.compare) result.compare = comparePredictions(values.compare, result.model.labels, result.classification.labels, rows);

  io.out(markdownReport(result));
  if (values.json) {
    writeJson(values.json, result);
    log(`wrote ${values.json}`);
  }
  if (values.plot) {
    await plotResult(result, values.plot);
    log(`wrote ${values.plot}`);
  }
  if (values.manifest) log(`updated ${updateManifest(result)}`);
  return 0;
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isEntry) process.exitCode = await main(process.argv.slice(2));
