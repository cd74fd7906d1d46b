// npm run augment: the training part of any data `npm run train` reads (same flags, recipe and split) -> JSONL
// variants by GloVe word replacement (train/augment.ts), for a teacher to label (--targets-texts) and a student to
// distil on (--augmented). Writes OUT (one row per variant) and OUT's .meta.json (settings, counts, sha256).
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DataError, type Example } from '../datasets/index.js';
import { repoRoot } from '../eval/data.js';
import { augmentText, defaultEmbeddingsFile, EMBEDDINGS_PACKAGE, loadEmbeddings, Neighbours, type AugmentOptions } from './augment.js';
import { augmentMetaFile, AUGMENTED_FORMAT } from './extra-texts.js';
import { parseCommandLine, parseTrainArgs, UsageError, type TrainOptions } from './options.js';
import { prepareData } from './work-data.js';

const say = (line: string) => process.stderr.write(`[augment] ${line}\n`);

export const AUGMENT_USAGE = `npm run augment -- --data FILE | --recipe R --out AUG.jsonl [options]

The data flags are npm run train's (--data, --recipe, --dev, --test, --dev-size, --split-seed, --format, --task,
--heads, ...): only the training part of the same split is augmented, never dev or test texts.
  --out FILE          the JSONL to write (required); settings and counts go to FILE's .meta.json
  --per-text N        variants per training text (default 4; TinyBERT used 20)
  --p X               probability that a word is replaced (default 0.4)
  --neighbours K      a word is replaced by one of its K nearest GloVe words, cosine (default 15)
  --candidates N      replacements come from the N most frequent plain GloVe words (default 50000)
  --seed N            the same seed and text give the same variants (default 1)
  --embeddings FILE   vectors in wink's JSON format (default: the ${EMBEDDINGS_PACKAGE} package)
Words inside labelled spans (slots) are never replaced; words not in GloVe, with digits, in mixed case ("iPhone")
and clitics ("'s") stay. Each row: {"text", "heads", "spans"?, "augmented": true, "source": "file:line"}; its
labels are the original's, for reference only: the student trains on the teacher's targets for it.`;

const FLAGS = ['out', 'per-text', 'p', 'neighbours', 'candidates', 'seed', 'embeddings'];

interface AugmentArgs {
  settings: AugmentOptions & { neighbours: number; candidates: number };
  out: string;
  embeddings?: string;
  /** The data flags, as npm run train reads them. */
  data: TrainOptions;
}

/** Augmentation flags are taken out of argv; the rest are npm run train's data flags, parsed by its own parser. */
export function parseAugmentArgs(argv: string[], root: string): AugmentArgs | 'help' {
  const mine: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(=.*)?$/.exec(argv[i]);
    if (m && FLAGS.includes(m[1])) {
      mine.push(argv[i]);
      if (!m[2] && i + 1 < argv.length) mine.push(argv[++i]);
    } else rest.push(argv[i]);
  }
  if (rest.includes('--help') || rest.includes('-h')) return 'help';
  const { values } = parseArgs({ args: mine, options: Object.fromEntries(FLAGS.map((f) => [f, { type: 'string' as const }])), strict: true });
  const num = (k: string, def: number, ok: (n: number) => boolean, what: string) => {
    const v = values[k];
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) throw new UsageError(`--${k} must be ${what}, got '${v}'`);
    return n;
  };
  const count = (n: number) => Number.isInteger(n) && n >= 1;
  const settings = {
    perText: num('per-text', 4, count, 'an integer >= 1'),
    p: num('p', 0.4, (n) => n > 0 && n <= 1, 'in (0, 1]'),
    neighbours: num('neighbours', 15, count, 'an integer >= 1'),
    candidates: num('candidates', 50000, count, 'an integer >= 1'),
    seed: num('seed', 1, Number.isInteger, 'an integer'),
  };
  if (!values.out) throw new UsageError('--out FILE is required (the JSONL of augmented texts to write)');
  const data = parseTrainArgs(rest, root);
  if (data === 'help') return 'help';
  return { settings, out: path.resolve(values.out), embeddings: values.embeddings, data };
}

export async function main(argv: string[]): Promise<number> {
  const a = parseCommandLine(() => parseAugmentArgs(argv, repoRoot()), AUGMENT_USAGE, say);
  if (typeof a === 'number') return a;
  const { settings, out, data: o, embeddings: embeddingsFlag } = a;

  try {
    const data = prepareData(o);
    const train = data.parts.train.examples;
    const spans = data.heads.some((h) => h.kind === 'token');
    say(`${train.length} training texts of ${path.basename(o.data)}${spans ? ' (words inside spans are kept)' : ''}`);
    const file = embeddingsFlag ? path.resolve(embeddingsFlag) : defaultEmbeddingsFile();
    const t0 = Date.now();
    const emb = loadEmbeddings(file, settings.candidates);
    say(`${emb.words.length} word vectors (${emb.dims}d) from ${embeddingsFlag ? file : EMBEDDINGS_PACKAGE} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const nb = new Neighbours(emb, settings.neighbours);

    const { sha256, counts } = writeVariants(out, train, settings, nb);
    const meta = {
      format: AUGMENTED_FORMAT,
      created: new Date().toISOString(),
      command: `npm run augment -- ${argv.join(' ')}`,
      sha256,
      data: data.files.map(({ role, dataset: d }) => ({ role, file: path.basename(d.file), sha256: d.sha256 })),
      split: data.split.source === 'seeded' ? { seed: data.split.seed, sizes: data.split.sizes } : { source: 'files', sizes: data.split.sizes },
      settings: {
        per_text: settings.perText, p: settings.p, neighbours: settings.neighbours, candidates: settings.candidates, seed: settings.seed,
        embeddings: embeddingsFlag ? path.basename(file) : `${EMBEDDINGS_PACKAGE}@${packageVersion()}`,
        spans: spans ? 'words inside labelled spans are never replaced' : 'no token head',
      },
      counts,
    };
    writeFileSync(augmentMetaFile(out), `${JSON.stringify(meta, null, 2)}\n`);
    const shown = path.relative(process.cwd(), out);
    say(`wrote ${counts.variants} variants of ${counts.texts_augmented}/${counts.texts} texts to ${shown.startsWith('..') ? out : shown} ` +
      `(${((100 * counts.words_replaced) / Math.max(1, counts.words_in_variants)).toFixed(0)}% of their words replaced)`);
    return 0;
  } catch (err) {
    if (err instanceof DataError) {
      say(`bad data (${err.code}): ${err.message}`);
      return 4;
    }
    throw err;
  }
}

/** One JSONL row per variant, written beside `out` and renamed into place; its sha256 and counts. */
function writeVariants(out: string, examples: Example[], settings: AugmentOptions, nb: Neighbours) {
  const tmp = `${out}.tmp`;
  mkdirSync(path.dirname(out), { recursive: true });
  const fd = openSync(tmp, 'w');
  const sha = createHash('sha256');
  const counts = { texts: examples.length, texts_augmented: 0, variants: 0, words_replaced: 0, words_in_variants: 0 };
  examples.forEach((e, i) => {
    const variants = augmentText(e.text, e.spans, settings, nb);
    if (variants.length) counts.texts_augmented++;
    const lines = variants.map((v) => {
      counts.words_replaced += v.replaced;
      counts.words_in_variants += v.text.split(/\s+/).filter(Boolean).length;
      return `${JSON.stringify({ text: v.text, heads: e.heads, ...(v.spans ? { spans: v.spans } : {}), augmented: true, source: path.basename(e.where) })}\n`;
    }).join('');
    counts.variants += variants.length;
    sha.update(lines);
    writeSync(fd, lines);
    if ((i + 1) % 5000 === 0) say(`${i + 1}/${examples.length} texts, ${counts.variants} variants`);
  });
  closeSync(fd);
  renameSync(tmp, out);
  return { sha256: sha.digest('hex'), counts };
}

function packageVersion(): string {
  const pkg = createRequire(import.meta.url).resolve(`${EMBEDDINGS_PACKAGE}/package.json`);
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
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
