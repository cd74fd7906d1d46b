// `npm run train` flags, and recipes: a recipe is a JSON file of the same flags (paths relative to the repo root);
// flags given on the command line win over the recipe's.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkDeriveSpec, DataError, FORMATS, stripParts, type DeriveSpec, type Format, type StripPart } from '../datasets/index.js';
import { DEFAULT_AGGREGATION, DEFAULT_MAX_CHUNKS } from '../lib/postprocess/chunks.js';

export const TASKS = ['auto', 'classify', 'multilabel', 'tag', 'joint'] as const;
export type Task = (typeof TASKS)[number];

/** Flags handed to train/python/train.py as they are (name -> Python flag). */
export const PYTHON_FLAGS = ['base', 'epochs', 'lr', 'batch-size', 'max-length', 'warmup', 'weight-decay', 'seed', 'threads',
  'patience', 'evals-per-epoch', 'eval-every', 'max-minutes', 'max-steps', 'ckpt-minutes', 'kd-alpha', 'kd-temp',
  'calib-size', 'latency-n', 'teacher-targets', 'write-targets', 'long', 'stride', 'max-chunks', 'aggregate', 'pooling', 'int8', 'lexical',
  'nested-heads', 'ema'] as const;
const PATH_FLAGS: readonly string[] = ['data', 'dev', 'test', 'out', 'work', 'teacher-targets', 'write-targets', 'augmented', 'targets-texts'];
export const isPathFlag = (flag: string) => PATH_FLAGS.includes(flag);

export const USAGE = `npm run train -- --data FILE [options]      (or --recipe recipes/NAME.json)

Data (docs: datasets/; every format is validated, errors name the file and line):
  --data FILE|DIR        training data: .csv .tsv .jsonl .yml (Rasa), SST-2 TSV, SNIPS / MASSIVE JSONL; a folder
                         means its train.* (and dev.*, test.* unless given)
  --dev FILE, --test FILE  held-out files (else a seeded split of --data by unique text)
  --format F             ${FORMATS.join(' | ')} (default: from the extension and content)
  --text-column C, --label-column C, --label-delimiter S, --label-columns A,B,...   CSV/TSV columns
  --heads A,B            keep only these heads of the data
  --derive JSON|FILE     heads made from others, as data: {"category": {"from": "label", "map": {"alt.atheism":
                         "alt", ...}}} (no map: a renamed copy); in a recipe, the object itself
  --strip P,Q            posts: strip headers, footers and/or quotes as sklearn's 20 Newsgroups remove= does
  --task T               ${TASKS.join(' | ')}: classify keeps single-label heads, multilabel multi-label ones,
                         tag the token head, joint needs a sequence and a token head (default auto: all)
  --dev-size N           dev texts when split from --data (count >= 1 or fraction < 1; default 0.1)
  --test-size N          test texts split from --data when no --test (default 0: none)
  --split-seed N         seed of that split (default 13; recorded in the manifest)
Model:
  --base B               minilm (default) | mpnet | mpnet6 (mpnet's every other layer) | a local Hugging Face folder
  --out DIR              the model folder to write (default models/<data file name>); replaced atomically
  --epochs N --lr X --batch-size N --max-length N --warmup F --weight-decay X --seed N --patience N
  --evals-per-epoch N --eval-every N --max-steps N --threads N (torch threads, default 1)
                         --epochs default: about 200 steps (3 to 100 epochs)
  --max-minutes N        training budget over all resumes; the best checkpoint so far is exported
  --ema D                score dev with, and keep, an exponential moving average of the weights (decay D in
                         [0, 1), e.g. 0.999; default 0: the last step's weights)
  --teacher-targets F    distil from a teacher's stored logits (.npz); --kd-alpha X --kd-temp T
  --write-targets F      also write this model's logits on the training texts (.npz, float16) for a student
  --targets-texts F      with --write-targets: also on these texts (JSONL rows with "text", e.g. npm run augment's);
                         a finished run is not retrained, only re-exported and labelled
  --augmented F          with --teacher-targets: also train on these texts (npm run augment's JSONL), with the
                         distillation term only; each needs a teacher target
  --calib-size N         training texts to calibrate static int8 on (default 512)
  --int8 Q               model.onnx: auto (default: static int8, or dynamic where static loses > 0.3 points to fp32
                         on dev; dynamic answers depend on batch-mates) | static | dynamic
  --pooling P            what sequence heads read: cls (the first token through the pooler, default) | mean (the
                         tokens' mean, as the sentence-transformers bases were trained)
  --lexical L            none (default) | tfidf: after training, fit a tf-idf logistic regression over each window's
                         word pieces and add its logits to the single-label sequence heads, weighted on dev; one
                         ONNX graph still (train/python/lexical.py) | tfidf-document (with --long chunks): over each
                         whole document, after its windows are combined; --nested-heads moves there too; written as
                         document_head.json beside the model (train/python/document_head.py)
  --nested-heads N       none (default) | marginal: a head whose labels group another head's (20NG category <- group,
                         MASSIVE scenario <- intent) mixes in the other head's probabilities summed per its label,
                         the share chosen on dev; one ONNX graph still (train/python/nested.py)
Long documents (docs/long-documents.md; sequence heads only):
  --long chunks          train on overlapping windows of --max-length tokens (special tokens included), each
                         carrying its document's labels; dev/test documents are scored by combining their windows
                         as the engine does, and config.json makes chunks the folder's default (default truncate)
  --stride N             tokens between window starts (default: 3/4 of the window's text tokens, as the engine)
  --max-chunks N         most windows per training document, from its start (default ${DEFAULT_MAX_CHUNKS}, the engine's)
  --aggregate A          how dev/test windows combine: weighted | mean | max (default ${DEFAULT_AGGREGATION}, the engine's)
Running:
  --recipe FILE          a JSON file of these flags (recipes/*.json)
  --python P             Python with torch (else TEXTCLF_PYTHON, the repo's .venv/, python3)
  --work DIR             checkpoints, fp32/int8 exports, canonical data (default models/.work/train/<name>-<hash>)
  --no-nice              run the trainer at normal priority (default: nice -n 10)
  --check-texts N        texts for the batch-independence check (default 1000)
Rerun the same command after an interruption to resume from the last checkpoint.
Exit codes: 0 written, 2 usage, 3 Python lacks a module, 4 bad data, 5 trainer failed, 6 static int8 answers depend
on batching (not written), 75 interrupted (rerun to resume).`;

const STRING_FLAGS = ['data', 'dev', 'test', 'format', 'text-column', 'label-column', 'label-delimiter', 'label-columns',
  'heads', 'task', 'derive', 'strip', 'dev-size', 'test-size', 'split-seed', 'out', 'recipe', 'python', 'work', 'check-texts',
  'augmented', 'targets-texts', ...PYTHON_FLAGS] as const;

export interface TrainOptions {
  data: string;
  dev?: string;
  test?: string;
  format?: Format;
  textColumn?: string;
  labelColumn?: string;
  labelDelimiter?: string;
  labelColumns?: string[];
  heads?: string[];
  derive?: DeriveSpec;
  strip?: StripPart[];
  /** 'chunks': train on windows of long documents (train/python/chunks.py), score documents as the engine does. */
  long: 'truncate' | 'chunks';
  task: Task;
  devSize: number;
  testSize: number;
  splitSeed: number;
  out: string;
  work?: string;
  python?: string;
  nice: boolean;
  checkTexts: number;
  recipe?: string;
  /** Texts a student distils on without their labels (--augmented). */
  augmented?: string;
  /** Extra texts a teacher writes targets for (--targets-texts). */
  targetsTexts?: string;
  /** Flags passed through to the Python trainer. */
  pythonArgs: string[];
  /** Every flag as resolved (recipe + command line), for the manifest. */
  resolved: Record<string, string | boolean>;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The parsed options, or the exit code once --help (0) or a bad command line (2: the problem, then the usage) is
 * printed. Bad command lines are ours (UsageError) or node:util parseArgs' (unknown flag, missing value). */
export function parseCommandLine<T>(parse: () => T | 'help', usage: string, say: (line: string) => void): T | number {
  try {
    const parsed = parse();
    if (parsed !== 'help') return parsed;
    process.stdout.write(`${usage}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      say(`${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    throw err;
  }
}

/** Parses argv (and the recipe it names); paths come back absolute. */
export function parseTrainArgs(argv: string[], root: string): TrainOptions | 'help' {
  const options = Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }]));
  const { values } = parseArgs({ args: argv, options: { ...options, 'no-nice': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true });
  if (values.help) return 'help';
  const cli = values as Record<string, string | boolean | undefined>;
  const recipeFile = cli.recipe as string | undefined;
  const recipe = recipeFile ? readRecipe(path.resolve(recipeFile)) : {};
  const flags: Record<string, string | boolean> = {};
  // Recipe paths are relative to the repo root; command-line paths to the current directory.
  for (const [k, v] of Object.entries(recipe)) {
    flags[k] = isPathFlag(k) ? path.resolve(root, String(v)) : typeof v === 'boolean' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  for (const [k, v] of Object.entries(cli)) if (v !== undefined && k !== 'recipe') flags[k] = isPathFlag(k) ? path.resolve(String(v)) : v;

  const str = (k: string) => (flags[k] === undefined ? undefined : String(flags[k]));
  const num = (k: string, def: number) => {
    const v = str(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${k} must be a non-negative number, got '${v}'`);
    return n;
  };
  /** The flag's value (or `def`), refused unless it is one of `choices`. */
  const choice = (k: string, choices: readonly string[], def?: string) => {
    const v = str(k) ?? def;
    if (v !== undefined && !choices.includes(v)) throw new UsageError(`--${k} must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, got '${v}'`);
    return v;
  };
  let data = str('data');
  if (!data) throw new UsageError('--data FILE is required (or --recipe FILE)');
  let [dev, test] = [str('dev'), str('test')];
  const name = path.basename(data).replace(/\.[^.]+$/, '');
  if (existsSync(data) && statSync(data).isDirectory()) {
    // A folder of train.* [dev.*] [test.*] files, as the benchmark sets in ../shared/data are laid out.
    const dir = data;
    const part = (name: string) => readdirSync(dir).filter((f) => new RegExp(`^${name}\\.(csv|tsv|jsonl|json|ya?ml)(\\.gz)?$`).test(f)).map((f) => path.join(dir, f))[0];
    data = part('train');
    if (!data) throw new UsageError(`--data ${dir}: a folder needs a train.csv/.tsv/.jsonl/.yml file`);
    dev ??= part('dev');
    test ??= part('test');
  }
  const task = (str('task') ?? 'auto') as Task;
  if (!TASKS.includes(task)) throw new UsageError(`--task must be one of ${TASKS.join(', ')}, got '${task}'`);
  const format = str('format') as Format | undefined;
  if (format && !FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`);
  const list = (k: string) => str(k)?.split(',').map((s) => s.trim()).filter(Boolean);
  if (flags.augmented && !flags['teacher-targets']) throw new UsageError('--augmented needs --teacher-targets: augmented texts train on the teacher\'s targets only');
  if (flags['targets-texts'] && !flags['write-targets']) throw new UsageError('--targets-texts needs --write-targets (the .npz to write the targets into)');
  const long = choice('long', ['truncate', 'chunks'], 'truncate')!;
  const aggregate = choice('aggregate', ['weighted', 'mean', 'max'], DEFAULT_AGGREGATION)!;
  choice('int8', ['auto', 'static', 'dynamic']);
  choice('pooling', ['cls', 'mean']);
  choice('lexical', ['none', 'tfidf', 'tfidf-document']);
  choice('nested-heads', ['none', 'marginal']);
  const ema = str('ema');
  if (ema !== undefined && !(Number(ema) >= 0 && Number(ema) < 1)) throw new UsageError(`--ema must be a decay in [0, 1), got '${ema}'`);
  // A one-window text has no document beyond its window: --lexical tfidf is that head, inside the graph.
  if (str('lexical') === 'tfidf-document' && long !== 'chunks') throw new UsageError('--lexical tfidf-document needs --long chunks');
  for (const k of ['stride', 'max-chunks']) {
    if (str(k) !== undefined && !(Number.isInteger(Number(str(k))) && Number(str(k)) >= 1)) throw new UsageError(`--${k} must be a positive integer, got '${str(k)}'`);
    if (str(k) !== undefined && long !== 'chunks') throw new UsageError(`--${k} applies to --long chunks`);
  }
  // Stored logits are per text; with chunks the model learns per window.
  for (const k of ['teacher-targets', 'write-targets']) if (long === 'chunks' && flags[k] !== undefined) throw new UsageError(`--${k} does not combine with --long chunks`);
  const pythonArgs: string[] = [];
  for (const f of PYTHON_FLAGS) if (flags[f] !== undefined) pythonArgs.push(`--${f}`, String(flags[f]));
  // The engine's defaults come from lib/, so the trainer scores documents as classify() will.
  if (long === 'chunks') pythonArgs.push('--eval-max-chunks', String(DEFAULT_MAX_CHUNKS), ...(flags.aggregate === undefined ? ['--aggregate', aggregate] : []));
  return {
    data, dev, test, format,
    textColumn: str('text-column'), labelColumn: str('label-column'), labelDelimiter: str('label-delimiter'),
    labelColumns: list('label-columns'), heads: list('heads'), derive: deriveOf(str('derive')), strip: stripOf(list('strip')), long: long as TrainOptions['long'], task,
    devSize: num('dev-size', 0.1), testSize: num('test-size', 0), splitSeed: num('split-seed', 13),
    out: str('out') ?? path.join(root, 'models', name),
    work: str('work'), python: str('python'), nice: !flags['no-nice'], checkTexts: num('check-texts', 1000),
    recipe: recipeFile ? path.relative(root, path.resolve(recipeFile)) : undefined,
    augmented: str('augmented'), targetsTexts: str('targets-texts'),
    pythonArgs: pythonArgs, resolved: flags,
  };
}

/** --derive: JSON text, or a JSON file. */
function deriveOf(value: string | undefined): DeriveSpec | undefined {
  if (value === undefined) return undefined;
  const text = existsSync(value) && statSync(value).isFile() ? readFileSync(value, 'utf8') : value;
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--derive takes JSON or a JSON file: ${(err as Error).message}`);
  }
  return usage(() => checkDeriveSpec(spec, '--derive'));
}

function stripOf(parts: string[] | undefined): StripPart[] | undefined {
  return parts && usage(() => stripParts(parts, '--strip'));
}

/** A DataError about a flag's value is a usage error. */
function usage<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof DataError) throw new UsageError(err.message);
    throw err;
  }
}

function readRecipe(file: string): Record<string, string | number | boolean | object> {
  if (!existsSync(file)) throw new UsageError(`recipe not found: ${file}`);
  let recipe: unknown;
  try {
    recipe = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof recipe !== 'object' || recipe === null || Array.isArray(recipe)) throw new UsageError(`${file}: a recipe is a JSON object of flags`);
  const known = new Set<string>([...STRING_FLAGS, 'no-nice', 'description']);
  const unknown = Object.keys(recipe).filter((k) => !known.has(k));
  if (unknown.length) throw new UsageError(`${file}: unknown flag(s) ${unknown.join(', ')} (see npm run train -- --help)`);
  const { description: _, ...flags } = recipe as Record<string, string | number | boolean | object>;
  return flags;
}
