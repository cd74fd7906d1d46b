// Augmentation for distillation (issue 10): GloVe word replacement (train/augment.ts, npm run augment), a finished
// teacher labelling the variants (--targets-texts, not retrained), a student distilling on them (--augmented).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readDataset } from '../datasets/index.js';
import { augmentText, defaultEmbeddingsFile, loadEmbeddings, Neighbours, replacementsOf } from '../train/augment.js';
import { main as augment, parseAugmentArgs } from '../train/augment-cli.js';
import { main as train } from '../train/cli.js';
import { parseTrainArgs } from '../train/options.js';
import { checkPythonEnv, findPython } from '../train/python-env.js';
import { root } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'augment-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true })); // ~50 MB of runs per suite
const file = (name: string, text: string) => {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
};

// Tiny vectors in wink's format (GloVe words, most frequent first): 3 dimensions, neighbours known by construction.
const VECTORS: Record<string, number[]> = {
  good: [1, 0, 0], great: [0.95, 0.05, 0], fine: [0.9, 0.1, 0], bad: [0, 1, 0], awful: [0.05, 0.95, 0],
  movie: [0, 0, 1], film: [0.1, 0, 0.9], paris: [0.5, 0.4, 0.6], london: [0.5, 0.4, 0.55], '3d': [0.3, 0.3, 0.3],
};
const embFile = file('tiny-emb.json', JSON.stringify({
  precision: 8, l2NormIndex: 3, wordIndex: 4, size: Object.keys(VECTORS).length, dimensions: 3, words: Object.keys(VECTORS),
  vectors: Object.fromEntries(Object.entries(VECTORS).map(([w, v], i) => [w, [...v, Math.hypot(...v), i]])),
}));
const nb = new Neighbours(loadEmbeddings(embFile, 1000), 2);

describe('augment: word replacement', () => {
  it('finds the K nearest words by cosine, only among plain words', () => {
    expect(nb.of('good')).toEqual(['great', 'fine']);
    expect(nb.of('movie')).toEqual(['film', 'paris']);
    expect(nb.of('paris')).toEqual(['london', 'film']); // '3d' has a digit: never a replacement
    expect(nb.of('zebra')).toEqual([]);
  });

  it('keeps case style and punctuation; leaves OOV words, mixed case, clitics and digits alone', () => {
    expect(replacementsOf('Good,', nb)).toEqual(['Great,', 'Fine,']);
    expect(replacementsOf('GOOD!', nb)).toEqual(['GREAT!', 'FINE!']);
    expect(replacementsOf('(movie)', nb)).toEqual(['(film)', '(paris)']);
    for (const w of ['gOOd', 'zebra', "'good", '3D', 'good3', '...']) expect(replacementsOf(w, nb), w).toEqual([]);
  });

  it('is deterministic for a seed, changes only replaceable words, and never returns the original', () => {
    const text = 'A good movie , GOOD zebra iPhone';
    const o = { perText: 3, p: 0.5, seed: 7 };
    const a = augmentText(text, undefined, o, nb);
    expect(augmentText(text, undefined, o, nb)).toEqual(a);
    expect(a.length).toBe(3);
    expect(new Set(a.map((v) => v.text)).size).toBe(3);
    const other = augmentText(text, undefined, { ...o, seed: 8 }, nb);
    expect(other.map((v) => v.text)).not.toEqual(a.map((v) => v.text));
    for (const v of [...a, ...other]) {
      expect(v.text).not.toBe(text);
      const words = v.text.split(' ');
      expect([words[0], words[3], words[5], words[6]]).toEqual(['A', ',', 'zebra', 'iPhone']);
      expect(['good', 'great', 'fine']).toContain(words[1]);
      expect(['movie', 'film', 'paris']).toContain(words[2]);
      expect(['GOOD', 'GREAT', 'FINE']).toContain(words[4]);
      expect(v.replaced).toBe(words.filter((w, i) => w !== text.split(' ')[i]).length);
    }
    // p = 1 replaces every replaceable word; a text without one gets no variant.
    expect(augmentText('good movie', undefined, { perText: 1, p: 1, seed: 1 }, nb)[0].replaced).toBe(2);
    expect(augmentText('zebra iPhone 3D', undefined, o, nb)).toEqual([]);
  });

  it('never touches words inside spans, and moves the spans with the text', () => {
    const text = 'good   weather in paris , good movie';
    const spans = [{ start: 18, end: 23, label: 'city' }, { start: 26, end: 30, label: 'rating' }];
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['paris', 'good']);
    const variants = augmentText(text, spans, { perText: 4, p: 1, seed: 3 }, nb);
    expect(variants.length).toBeGreaterThan(0);
    for (const v of variants) {
      expect(v.spans!.map((s) => `${s.label}=${v.text.slice(s.start, s.end)}`)).toEqual(['city=paris', 'rating=good']);
      expect(v.text.startsWith('good   ')).toBe(false); // p = 1: the first 'good' (outside the spans) is replaced
      expect(v.text).toMatch(/^\w+ {3}weather in paris , good \w+$/);
    }
  });

  it("reads the npm package's GloVe vectors (wink format, 100 dimensions)", () => {
    const emb = loadEmbeddings(defaultEmbeddingsFile(), 50_000);
    expect(emb.dims).toBe(100);
    expect(emb.words.length).toBeGreaterThan(300_000);
    expect(emb.candidates.length).toBe(50_000);
    expect(new Neighbours(emb, 5).of('movie')).toContain('film');
  });

  it("takes its own flags out of the command line and reads the data flags as npm run train does", () => {
    const a = parseAugmentArgs(['--recipe', path.join(root, 'recipes/sst2.json'), '--out', 'x.jsonl', '--per-text', '3', '--seed=9'], root);
    if (a === 'help') throw new Error('unexpected help');
    expect(a.settings).toEqual({ perText: 3, p: 0.4, neighbours: 15, candidates: 50_000, seed: 9 });
    expect(a.out).toBe(path.resolve('x.jsonl'));
    expect([a.data.data, a.data.test, a.data.devSize]).toEqual([path.resolve(root, '../shared/data/sst2/train.tsv'), path.resolve(root, '../shared/data/sst2/dev.tsv'), 2000]);
    expect(() => parseAugmentArgs(['--data', 'x.csv', '--out', 'o.jsonl', '--p', '2'], root)).toThrow(/--p must be in \(0, 1\]/);
    expect(() => parseAugmentArgs(['--data', 'x.csv'], root)).toThrow(/--out FILE is required/);
  });

  it('refuses flags that do not go together', () => {
    expect(() => parseTrainArgs(['--data', 'x.csv', '--augmented', 'a.jsonl'], root)).toThrow(/--augmented needs --teacher-targets/);
    expect(() => parseTrainArgs(['--data', 'x.csv', '--targets-texts', 'a.jsonl'], root)).toThrow(/--targets-texts needs --write-targets/);
  });
});

// The trainer side runs Python on the tiny random BERT of test/train.test.ts.
const { python } = findPython(root);
const env = checkPythonEnv(python, 'minilm');
const skip = !env.ok && !process.env.CI;
const TINY_BASE = path.join(os.tmpdir(), 'onnx-textclf-tiny-bert-base-v1');
const FAST = ['--base', TINY_BASE, '--python', python, '--threads', '1', '--lr', '3e-3', '--batch-size', '8', '--latency-n', '5', '--calib-size', '64', '--check-texts', '20'];
const run = (name: string, args: string[]) => train([...args, '--out', path.join(tmp, name), '--work', path.join(tmp, `w-${name}`)]);
const manifestOf = (name: string) => JSON.parse(readFileSync(path.join(tmp, name, 'manifest.json'), 'utf8'));

describe.skipIf(skip)(`augment -> teacher targets -> student${skip ? ' (SKIPPED: no Python with torch)' : ''}`, { timeout: 300_000 }, () => {
  let stderr: string[] = [];
  beforeAll(() => {
    if (!env.ok) throw new Error(`CI is set but the trainer's Python is not usable:\n${env.message}`);
    if (!existsSync(TINY_BASE)) {
      const r = spawnSync(python, [path.join(root, 'train/python/tiny_base.py'), '--out', TINY_BASE], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      stderr.push(String(chunk));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    });
  });
  afterEach(() => {
    stderr = [];
  });

  it('a teacher labels the augmented texts without retraining; a student distils on them, or says which target is missing', async () => {
    // Joint data (intent + city slots), so both head kinds and the span rule go the whole way.
    const lines = ['paris', 'london', 'rome', 'berlin', 'tokyo', 'madrid'].flatMap((city, i) =>
      (['good weather in ', 'a good movie in ', 'a bad film about '] as const).map((pre, j) => JSON.stringify({
        text: `${pre}${city}${i % 2 ? ' please' : ''}`, intent: ['weather', 'movie', 'film'][j], spans: [{ start: pre.length, end: pre.length + city.length, label: 'city' }],
      })));
    const data = file('joint.jsonl', `${lines.join('\n')}\n`);
    const common = ['--data', data, '--task', 'joint', '--dev-size', '4', ...FAST];
    const aug = path.join(tmp, 'not-yet', 'aug.jsonl'); // a folder that does not exist yet
    expect(await augment([...common, '--out', aug, '--per-text', '2', '--neighbours', '3', '--embeddings', embFile, '--seed', '5'])).toBe(0);
    const rows = readFileSync(aug, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBeGreaterThan(10);
    // Each variant keeps its source's city (paris -> london would be a neighbour, but it is inside a span) and is
    // data the readers accept (spans on word boundaries).
    const city = (r: { text: string; spans: { start: number; end: number }[] }) => r.spans.map((s) => r.text.slice(s.start, s.end));
    for (const r of rows) {
      expect(r.augmented).toBe(true);
      expect(city(r)).toEqual(city(JSON.parse(lines[Number(r.source.split(':')[1]) - 1])));
    }
    expect(readDataset(aug).examples).toHaveLength(rows.length);
    const meta = JSON.parse(readFileSync(path.join(path.dirname(aug), 'aug.meta.json'), 'utf8'));
    expect(meta.settings).toMatchObject({ per_text: 2, p: 0.4, neighbours: 3, seed: 5 });
    expect(meta.sha256).toBe(createHash('sha256').update(readFileSync(aug)).digest('hex'));

    // The teacher as it is trained today: targets for its training rows only.
    const t1 = path.join(tmp, 't1.npz');
    expect(await run('teacher', [...common, '--max-steps', '4', '--write-targets', t1])).toBe(0);
    const summary = path.join(tmp, 'w-teacher', 'run', 'summary.json');
    const trainedAt = statSync(summary).mtimeMs;

    // A student asking for augmented texts the targets do not cover: a clear error, nothing written.
    expect(await run('student', [...common, '--max-steps', '2', '--teacher-targets', t1, '--augmented', aug])).toBe(5);
    expect(stderr.join('')).toMatch(/\d+ of \d+ augmented texts have no teacher target in .*t1\.npz .*--targets-texts/);
    expect(existsSync(path.join(tmp, 'student'))).toBe(false);
    // A recipe naming an augmented file a fresh clone has not made yet: says how to make it.
    stderr = [];
    expect(await run('student', [...common, '--max-steps', '2', '--teacher-targets', t1, '--augmented', path.join(tmp, 'absent.jsonl')])).not.toBe(0);
    expect(stderr.join('')).toMatch(/absent\.jsonl.*not found; make augmented texts first with `npm run augment`/);

    // The same teacher command + --targets-texts: re-exported and labelled, not retrained.
    const t2 = path.join(tmp, 't2.npz');
    expect(await run('teacher', [...common, '--max-steps', '4', '--write-targets', t2, '--targets-texts', aug])).toBe(0);
    expect(statSync(summary).mtimeMs).toBe(trainedAt);
    const unique = new Set(rows.map((r) => r.text)).size;
    expect(manifestOf('teacher').targets_written).toMatchObject({ training_rows: 14, extra_texts: unique, rows: 14 + unique });
    // The training rows' targets are those of the first export (same fp32 ONNX); the variants have their own.
    const cmp = spawnSync(python, ['-c', `
import sys, numpy as np
sys.path.insert(0, "train/python")
from targets import read_targets
(ma, a, oa), (mb, b, ob) = read_targets(sys.argv[1]), read_targets(sys.argv[2])
n = len(ma["texts"])
assert mb["texts"][:n] == ma["texts"] and len(mb["texts"]) == n + int(sys.argv[3]), "texts"
assert np.array_equal(a["intent"], b["intent"][:n]), "intent"
assert np.array_equal(oa["slots"], ob["slots"][:n + 1]), "offsets"
assert ob["slots"][-1] == len(b["slots"]) and not np.isnan(b["slots"][ob["slots"][n]:]).all(), "variant slots"
`, t1, t2, String(unique)], { cwd: root, encoding: 'utf8' });
    expect(cmp.status, cmp.stderr).toBe(0);

    expect(await run('student', [...common, '--max-steps', '2', '--teacher-targets', t2, '--augmented', aug])).toBe(0);
    const m = manifestOf('student');
    expect(m.augmentation).toMatchObject({ file: path.relative(root, aug), sha256: meta.sha256, rows: rows.length, trained_on: unique });
    expect(m.augmentation.settings).toMatchObject({ per_text: 2, p: 0.4, seed: 5, counts: { variants: rows.length } });
    expect(m.training).toMatchObject({ augmented_examples: unique, train_examples: 14 + unique, teacher_coverage: 1 });
  });

  it('leaves unlabelled rows out of the hard loss (0, not NaN, when a batch has none labelled)', () => {
    const r = spawnSync(python, ['-c', `
import sys, torch
sys.path.insert(0, "train/python")
from model import hard_loss
seq, tok, multi = {"kind": "sequence", "labels": ["a", "b"]}, {"kind": "token", "labels": ["O", "B-x"]}, {"kind": "sequence", "labels": ["a", "b"], "problem_type": "multi_label_classification"}
z = torch.randn(3, 2)
assert hard_loss(seq, z, torch.tensor([-100, -100, -100])).item() == 0
assert torch.isclose(hard_loss(seq, z, torch.tensor([1, -100, 0])), hard_loss(seq, z[[0, 2]], torch.tensor([1, 0])))
nan = float("nan")
y = torch.tensor([[1.0, 0.0], [nan, nan], [0.0, 1.0]])
assert torch.isclose(hard_loss(multi, z, y), hard_loss(multi, z[[0, 2]], y[[0, 2]]))
assert hard_loss(multi, z, torch.full((3, 2), nan)).item() == 0
assert hard_loss(tok, torch.randn(2, 4, 2), torch.full((2, 4), -100)).item() == 0
`], { encoding: 'utf8', cwd: root });
    expect(r.status, r.stderr).toBe(0);
  });

  it('stores targets as steps below each row\'s max (within half a step, NaN words kept) and rewrites v1 files', () => {
    const v1 = path.join(tmp, 'v1.npz');
    const r = spawnSync(python, ['-c', `
import json, subprocess, sys, numpy as np
sys.path.insert(0, "train/python")
from targets import FORMAT, STEP, read_targets, write_targets
rng = np.random.default_rng(3)
heads = [{"name": "intent", "kind": "sequence", "labels": ["a", "b", "c"]}, {"name": "slots", "kind": "token", "labels": ["O", "B-x", "I-x"]}]
intent = [rng.normal(0, 5, 3) for _ in range(40)]
slots = [rng.normal(0, 5, (n, 3)) for n in rng.integers(1, 5, 40)]
slots[1][1] = np.nan  # a word without a sub-token
texts = [f"t{i}" for i in range(40)]
write_targets("${path.join(tmp, 'v2.npz')}", texts, heads, {"intent": intent, "slots": slots})
meta, got, _ = read_targets("${path.join(tmp, 'v2.npz')}")
assert meta["format"] == FORMAT and meta["texts"] == texts
def close(got, want):  # within half a step where not clipped (255 steps below the row max)
    for k in want:
        nan = np.isnan(want[k])
        assert (np.isnan(got[k]) == nan).all(), k
        kept = ~nan & (want[k] > np.nanmax(want[k], 1, keepdims=True) - 255 * STEP)
        assert kept.sum() > 0.9 * (~nan).sum() and (np.abs(got[k] - want[k])[kept] <= STEP / 2 + 1e-4).all(), k
close(got, {"intent": np.stack(intent), "slots": np.concatenate(slots)})
# A v1 file (float16 logits) reads as it is and is rewritten in the current format.
arrays = {"intent": np.stack(intent).astype(np.float16), "slots": np.concatenate(slots).astype(np.float16),
          "slots_offsets": np.cumsum([0] + [len(w) for w in slots]),
          "meta": np.frombuffer(json.dumps({"format": "onnx-textclf teacher targets v1", "heads": heads, "texts": texts}).encode(), np.uint8)}
with open("${v1}", "wb") as f:
    np.savez_compressed(f, **arrays)
old = read_targets("${v1}")[1]
subprocess.run([sys.executable, "train/python/targets.py", "${v1}"], check=True, capture_output=True)
meta, new, _ = read_targets("${v1}")
assert meta["format"] == FORMAT
close(new, old)
`], { encoding: 'utf8', cwd: root });
    expect(r.status, r.stderr).toBe(0);
  });
});
