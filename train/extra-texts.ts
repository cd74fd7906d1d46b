// Texts without trusted labels for distillation: --targets-texts (a teacher writes its logits for them too) and
// --augmented (a student trains on them with the distillation term only). Read from JSONL rows with a "text" (what
// npm run augment writes; other keys are ignored), deduplicated, and written to the work folder as the canonical
// rows the Python trainer reads: {"text", "words"?} with no "heads" (unknown labels).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DataError } from '../datasets/index.js';
import { parseJsonl } from '../datasets/jsonl.js';
import { readSource } from '../datasets/source.js';
import { splitWords } from '../lib/words.js';
import type { TrainOptions } from './options.js';
import type { Prepared } from './work-data.js';

export const AUGMENTED_FORMAT = 'onnx-textclf augmented texts v1';

/** aug.jsonl -> aug.meta.json: what npm run augment records beside its output. */
export const augmentMetaFile = (file: string) => `${file.replace(/\.jsonl$/, '')}.meta.json`;

interface TextFile {
  file: string;
  sha256: string;
  rows: number;
  /** Unique, in file order. */
  texts: string[];
}

function readTexts(file: string): TextFile {
  // A recipe may name an augmented file that a fresh clone has not made yet: say how to make it.
  if (!existsSync(file)) throw new DataError('DATA_MISSING', file, 'not found; make augmented texts first with `npm run augment` (the command for each recipe is in recipes/README.md)');
  const src = readSource(file);
  const records = parseJsonl(src);
  if (records.length === 0) throw new DataError('DATA_EMPTY', file, 'no rows in the file');
  const texts = records.map(({ value, line }) => {
    if (typeof value.text !== 'string' || value.text.trim() === '') throw new DataError('DATA_INVALID', file, `a row needs a non-empty "text"`, line);
    return value.text;
  });
  return { file, sha256: src.sha256, rows: records.length, texts: [...new Set(texts)] };
}

function writeRows(file: string, texts: string[], p: Prepared): void {
  const words = p.heads.some((h) => h.kind === 'token');
  writeFileSync(file, texts.map((text) => `${JSON.stringify(words ? { text, words: splitWords(text).map((w) => text.slice(w.start, w.end)) } : { text })}\n`).join(''));
}

export interface ExtraTexts {
  /** Flags for train/python/train.py. */
  args: string[];
  /** Manifest sections. */
  manifest: Record<string, unknown>;
  warnings: string[];
}

/** Reads --augmented / --targets-texts, writes their canonical rows into `work`. */
export function prepareExtraTexts(o: TrainOptions, p: Prepared, work: string, root: string): ExtraTexts {
  const rel = (f: string) => path.relative(root, f);
  const out: ExtraTexts = { args: [], manifest: {}, warnings: [] };
  if (o.targetsTexts) {
    const t = readTexts(o.targetsTexts);
    const file = path.join(work, 'targets-texts.jsonl');
    writeRows(file, t.texts, p);
    out.args.push('--targets-texts', file);
    out.manifest.targets_texts = { file: rel(t.file), sha256: t.sha256, rows: t.rows, unique_texts: t.texts.length };
  }
  if (o.augmented) {
    const t = readTexts(o.augmented);
    // A variant equal to a dev or test text would let the teacher's view of it into training; one equal to a
    // training text adds nothing (that row has its label and its target).
    const held = new Set([...p.parts.dev.examples, ...(p.parts.test?.examples ?? [])].map((e) => e.text));
    const train = new Set(p.parts.train.examples.map((e) => e.text));
    const texts = t.texts.filter((x) => !held.has(x) && !train.has(x));
    const dropped = { held_out: t.texts.filter((x) => held.has(x)).length, training: t.texts.filter((x) => train.has(x)).length, repeated: t.rows - t.texts.length };
    if (dropped.held_out) out.warnings.push(`--augmented: ${dropped.held_out} texts equal to dev/test texts are not trained on`);
    if (texts.length === 0) throw new DataError('DATA_EMPTY', t.file, 'no augmented text is left once texts of the training, dev and test data are dropped');
    const file = path.join(work, 'augmented.jsonl');
    writeRows(file, texts, p);
    out.args.push('--augmented', file);
    out.manifest.augmentation = {
      file: rel(t.file), sha256: t.sha256, rows: t.rows, trained_on: texts.length, dropped,
      loss: 'distillation term only (alpha * T^2 * KD against the teacher targets); their labels are not used',
      settings: augmentSettings(t),
    };
  }
  return out;
}

/** npm run augment's settings when its .meta.json is beside the file and describes these exact bytes. */
function augmentSettings(t: TextFile): unknown {
  const metaFile = augmentMetaFile(t.file);
  if (!existsSync(metaFile)) return `unknown: no ${path.basename(metaFile)} beside the file`;
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { format?: string; sha256?: string; command?: string; settings?: object; counts?: object };
  if (meta.format !== AUGMENTED_FORMAT || meta.sha256 !== t.sha256) return `unknown: ${path.basename(metaFile)} describes another file`;
  return { ...meta.settings, command: meta.command, counts: meta.counts };
}
