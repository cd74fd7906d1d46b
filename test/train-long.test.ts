// npm run train -- --long chunks on a tiny 20NG-shaped file (gzipped JSON lines, all 20 groups), through the real
// 20NG recipes: long posts become windows carrying their post's labels, the 7 categories are derived from the
// recipe's map, and the trainer's document scores (train/python: windows combined as the engine does) equal the
// engine's default classify/parse on the folder it wrote, window plan read from its config.json.
// Needs Python with torch (npm run setup-python): skipped only outside CI when it is absent.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, loadParser, type SequencePrediction } from '../lib/index.js';
import { main } from '../train/cli.js';
import { parseTrainArgs } from '../train/options.js';
import { root } from './helpers.js';
import { python, reason, skip, TINY_BASE, trainerReady } from './trainer-python.js';
import { categoryOf } from '../eval/tasks/newsgroups.js';

const WINDOW = 32;
const FAST = ['--base', TINY_BASE, '--python', python, '--threads', '1', '--lr', '3e-3', '--batch-size', '8', '--latency-n', '5',
  '--calib-size', '64', '--max-length', String(WINDOW), '--dev-size', '20', '--max-steps', '6', '--max-minutes', '0'];

const GROUPS = [
  'alt.atheism', 'comp.graphics', 'comp.os.ms-windows.misc', 'comp.sys.ibm.pc.hardware', 'comp.sys.mac.hardware', 'comp.windows.x',
  'misc.forsale', 'rec.autos', 'rec.motorcycles', 'rec.sport.baseball', 'rec.sport.hockey', 'sci.crypt', 'sci.electronics', 'sci.med',
  'sci.space', 'soc.religion.christian', 'talk.politics.guns', 'talk.politics.mideast', 'talk.politics.misc', 'talk.religion.misc',
];
const FILLER = ['the', 'movie', 'was', 'good', 'and', 'play', 'music', 'by', 'love', 'song', 'on', 'radio', 'it', 'book', 'today', 'very', 'bad'];
/** A post: headers, then a body of `words` words (deterministic), the group's name words at its end. */
const post = (g: number, i: number, words: number) =>
  `From: user${i}@example.edu\nSubject: post ${i}\n\n${Array.from({ length: words }, (_, w) => FILLER[(w * 7 + g * 3 + i) % FILLER.length]).join(' ')} ` +
  `${GROUPS[g].replaceAll('.', ' ')}\n`;
const split = (name: string, perGroup: number) =>
  GROUPS.flatMap((label, g) => Array.from({ length: perGroup }, (_, i) => ({ id: `${name}/${label}/${i}`, text: post(g, i, i % 2 ? 8 : 40 + 17 * g), label, label_id: g, split: name })));
const jsonlGz = (rows: object[]) => gzipSync(rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

let tmp: string;
let trainFile: string;
let testFile: string;
const testTexts = () => split('test', 1).map((r) => r.text);
const run = (recipe: string, name: string, extra: string[] = []) =>
  main(['--recipe', path.join(root, 'recipes', `${recipe}.json`), '--data', trainFile, '--test', testFile, ...FAST, ...extra,
    '--out', path.join(tmp, name), '--work', path.join(tmp, `w-${name}`)]);
const readJson = (dir: string, file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8'));

interface PyHead {
  name: string;
  kind: 'sequence';
  problem_type: string;
  labels: string[];
}

/** The trainer's own document logits (train/python: data.encode_rows + export.Runner + data.documents) for `texts`. */
function trainerLogits(dir: string, heads: PyHead[], texts: string[]): number[][][] {
  const { long_options: long, document_head: file } = readJson(dir, 'config.json');
  const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(path.join(root, 'train', 'python'))})
from transformers import AutoTokenizer
from data import documents, encode_rows
from export import Runner, output_names
a = json.load(sys.stdin)
tok = AutoTokenizer.from_pretrained(a["base"])
enc = encode_rows(tok, [{"text": t, "heads": {}} for t in a["texts"]], [], a["long"]["window"], "texts",
                  {"stride": a["long"]["stride"], "max_chunks": a["long"]["maxChunks"]})
names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tok.model_input_names]
z = Runner(a["model"], output_names(a["heads"]), names, 1).run(enc["ids"], tok.pad_token_id)
docs, _ = documents(a["heads"], enc, z, a["long"]["aggregate"])
if a.get("document_head"):  # --lexical tfidf-document: the file beside the model, as the trainer applied it
    from document_head import DocumentHead, document_tokens
    docs = DocumentHead(json.load(open(a["document_head"])), a["heads"]).apply_all(document_tokens(enc, tok), docs)
print(json.dumps([[[float(v) for v in head] for head in doc] for doc in docs]))
`;
  const input = JSON.stringify({ base: TINY_BASE, model: path.join(dir, 'model.onnx'), heads, texts, long, document_head: file && path.join(dir, file) });
  const r = spawnSync(python, ['-c', script], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/**
 * Largest difference between the engine's answer and the trainer's logits z, compared as centred log-probabilities
 * (T * log p, less its mean, is z less its mean): a tiny model's near-uniform scores would hide differences.
 */
function logitDiff(p: SequencePrediction, labels: string[], z: number[], t: number): number {
  const centre = (v: number[]) => v.map((x) => x - v.reduce((a, b) => a + b, 0) / v.length);
  const engine = centre(labels.map((l) => t * Math.log(p.scores.find((s) => s.label === l)!.score)));
  return Math.max(...centre(z).map((v, c) => Math.abs(v - engine[c])));
}

/** Accuracy and macro-F1 over the gold labels, as train/python/metrics.py head_metrics rounds them. */
function metrics(gold: string[], pred: string[]) {
  const f1 = [...new Set(gold)].sort().map((l) => {
    const tp = gold.filter((g, i) => g === l && pred[i] === l).length;
    return (2 * tp) / (gold.filter((g) => g === l).length + pred.filter((p) => p === l).length);
  });
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  return { accuracy: round(gold.filter((g, i) => g === pred[i]).length / gold.length), macroF1: round(f1.reduce((a, b) => a + b, 0) / f1.length) };
}

/** The engine's default parse of the test posts (the folder's window plan) equals the trainer's document logits, and
 * the manifest's test metrics (static int8 = model.onnx, Python) are the engine's. */
async function expectEngineIsTrainer(out: string, config: { heads: { name: string; id2label: Record<string, string> }[] }, m: { metrics: { static: { test: object } } }) {
  const texts = testTexts();
  const heads: PyHead[] = config.heads.map((h: { name: string; id2label: Record<string, string> }) => ({ name: h.name, kind: 'sequence', problem_type: 'single_label_classification', labels: Object.values(h.id2label) }));
  const python = trainerLogits(out, heads, texts);
  const nlu = await loadParser<{ group: 'sequence'; category: 'sequence' }>(out);
  try {
    const answers = await Promise.all(texts.map((t) => nlu.parse(t))); // no options: the folder's chunks
    expect(Math.max(...answers.map((a) => a.meta.chunks))).toBeGreaterThan(3);
    answers.forEach((a, i) => {
      heads.forEach((h, k) => expect(logitDiff(a[h.name as 'group'], h.labels, python[i][k], nlu.heads[k].temperature)).toBeLessThan(1e-6));
    });
    const gold = split('test', 1).map((r) => r.label);
    const group = metrics(gold, answers.map((a) => a.group.label!));
    const category = metrics(gold.map(categoryOf), answers.map((a) => a.category.label!));
    expect(m.metrics.static.test).toMatchObject({ group_accuracy: group.accuracy, group_macro_f1: group.macroF1, category_accuracy: category.accuracy, category_macro_f1: category.macroF1 });
  } finally {
    await nlu.dispose();
  }
}

describe.skipIf(skip)(`npm run train -- --long chunks (20NG-shaped)${reason}`, { timeout: 300_000 }, () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  beforeAll(() => {
    tmp = trainerReady('train-long-');
    trainFile = path.join(tmp, 'train.jsonl.gz');
    testFile = path.join(tmp, 'test.jsonl.gz');
    writeFileSync(trainFile, jsonlGz(split('train', 4)));
    writeFileSync(testFile, jsonlGz(split('test', 1)));
  });

  it('the consolidated recipe: windows for training, both heads, and its document scores are the engine parse()', async () => {
    const out = path.join(tmp, 'consolidated');
    expect(await run('20ng-consolidated', 'consolidated')).toBe(0);
    const config = readJson(out, 'config.json');
    expect(config.long_options).toEqual({ long: 'chunks', window: WINDOW, stride: 22, aggregate: 'weighted', maxChunks: 64 });
    expect(config.heads.map((h: { name: string; id2label: object }) => `${h.name}:${Object.keys(h.id2label).length}`)).toEqual(['group:20', 'category:7']);
    const m = readJson(out, 'manifest.json');
    expect(m.long).toMatchObject({ mode: 'chunks', window: WINDOW, stride: 22, train_max_chunks: 2, eval_max_chunks: 64, train_documents: 60 });
    expect(m.long.train_windows).toBeGreaterThan(m.long.train_documents); // long posts gave two windows each
    expect(m.long.windows_per_document.test).toBeGreaterThan(2); // scored on all their windows
    expect(m.batch_independence.passed).toBe(true);

    await expectEngineIsTrainer(out, config, m);
  });

  it('--lexical tfidf --nested-heads marginal: both fitted on dev inside the one graph; the engine still answers as the trainer scored', async () => {
    const out = path.join(tmp, 'lexical');
    expect(await run('20ng-consolidated', 'lexical', ['--lexical', 'tfidf', '--nested-heads', 'marginal'])).toBe(0);
    const m = readJson(out, 'manifest.json');
    // The category head is found to group the group head's labels (the recipe's map), and every mix was scored.
    const category = m.nested_heads.heads.category;
    expect(category.fine).toBe('group');
    expect(Object.keys(category.tried)).toHaveLength(11);
    expect(category.chosen).toBeGreaterThanOrEqual(category.head_alone);
    expect(Object.keys(m.nested_heads.heads)).toEqual(['category']); // not group <- category: 7 labels cannot group 20
    // Every post ends with its group's name words: a bag of word pieces reads them better than six steps of a tiny encoder.
    const group = m.lexical.heads.group;
    expect(group.lexical_alone).toBeGreaterThan(group.encoder);
    expect(group.weight).toBeGreaterThan(0);
    expect(group.combined).toBeGreaterThanOrEqual(group.encoder);
    expect(m.batch_independence.passed).toBe(true);
    await expectEngineIsTrainer(out, readJson(out, 'config.json'), m);
  });

  it('--lexical tfidf-document: fitted on whole posts, applied after the windows combine (document_head.json); the engine answers as the trainer scored', async () => {
    const out = path.join(tmp, 'document');
    expect(await run('20ng-consolidated', 'document', ['--lexical', 'tfidf-document', '--nested-heads', 'marginal'])).toBe(0);
    const config = readJson(out, 'config.json');
    expect(config.document_head).toBe('document_head.json');
    const m = readJson(out, 'manifest.json');
    expect(m.lexical.level).toMatch(/^document/);
    expect(m.lexical.fitted_on).toBe('60 documents of 60 training texts');
    expect(m.nested_heads.rule).toMatch(/per document/);
    const group = m.lexical.heads.group;
    expect(group.lexical_alone).toBeGreaterThan(group.encoder);
    expect(group.weight).toBeGreaterThan(0);
    // The weights live in the file beside the model, read by lib/postprocess/document-head.ts.
    const head = readJson(out, 'document_head.json');
    expect(Object.keys(head.lexical.heads)).toContain('group');
    expect(m.batch_independence.passed).toBe(true);
    await expectEngineIsTrainer(out, config, m);
  });

  it('the trainer\'s document head (train/python/document_head.py) computes what lib does, by the same hand figures; a document without a known token gets the bias', () => {
    const script = `
import sys, json
sys.path.insert(0, ${JSON.stringify(path.join(root, 'train', 'python'))})
from document_head import DocumentHead
spec = {"lexical": {"columns": [5, 7], "idf": [1, 2], "heads": {"a": {"coef": [[1, 0], [0, 1]], "bias": [0, 0.5]}}}, "nested": []}
h = DocumentHead(spec, [{"name": "a"}])
print(json.dumps([list(h.apply([5, 5, 7, 9], [[0, 0]])[0]), list(h.apply([], [[0, 0]])[0])]))
`;
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [seen, empty] = JSON.parse(r.stdout);
    const x = [1 + Math.log(2), 2];
    const norm = Math.hypot(...x);
    expect(seen[0]).toBeCloseTo(x[0] / norm, 12);
    expect(seen[1]).toBeCloseTo(x[1] / norm + 0.5, 12);
    expect(empty).toEqual([0, 0.5]);
  });

  it('the lexical features are scikit-learn\'s TfidfVectorizer(sublinear_tf=True) over word-piece ids; padding and unseen ids ignored', () => {
    const script = `
import sys
sys.path.insert(0, ${JSON.stringify(path.join(root, 'train', 'python'))})
import numpy as np, torch
from sklearn.feature_extraction.text import TfidfVectorizer
from lexical import Lexical, counts_matrix, tfidf
docs = [[101, 7, 7, 7, 9, 102], [101, 9, 12, 102], [101, 12, 12, 5, 102]]
queries = docs + [[101, 7, 55, 55, 12, 102]]  # 55: never seen in training, ignored as TfidfVectorizer ignores it
vocab = 103
v = TfidfVectorizer(analyzer=lambda ids: ids, sublinear_tf=True).fit(docs)
cols = np.array(sorted(v.vocabulary_, key=v.vocabulary_.get))
ref = v.transform(queries).toarray()
counts = counts_matrix(docs, vocab)[:, cols]
idf = np.log((1 + 3) / (1 + np.asarray((counts > 0).sum(0)).ravel())) + 1
ours = tfidf(counts_matrix(queries, vocab)[:, cols], idf).toarray()
x = torch.zeros(len(queries), 6, dtype=torch.long); mask = torch.zeros_like(x)
for i, d in enumerate(queries): x[i, :len(d)], mask[i, :len(d)] = torch.tensor(d), 1
graph = Lexical(vocab, cols, idf, {}).features(x, mask).numpy()
print(float(np.abs(ours - ref).max()), float(np.abs(graph - ref).max()))
`;
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const [sparse, graph] = r.stdout.trim().split(' ').map(Number);
    expect(sparse).toBeLessThan(1e-9);
    expect(graph).toBeLessThan(1e-6);
  });

  it('--nested-heads: the coarse logits are the mix of the head and the fine head\'s marginal, in torch and in the exported graph; only functional label maps pair heads', () => {
    const script = `
import sys, io
sys.path.insert(0, ${JSON.stringify(path.join(root, 'train', 'python'))})
import numpy as np, torch, onnxruntime as ort
from nested import Nested, nested_pairs
heads = [{"name": "group", "kind": "sequence", "labels": ["a.x", "a.y", "b.x", "c.z"]},
         {"name": "category", "kind": "sequence", "labels": ["a", "b", "c"]}]
rows = [{"heads": {"group": g, "category": g[0]}} for g in ["a.x", "a.y", "b.x", "c.z", "a.x"]]
pairs = nested_pairs(heads, rows)
found = [(f["name"], c["name"], m.tolist()) for f, c, m in pairs]
broken = nested_pairs(heads, rows + [{"heads": {"group": "a.x", "category": "b"}}])  # a.x in two classes: no pair
fine, coarse = np.random.default_rng(0).normal(size=(5, 4)), np.random.default_rng(1).normal(size=(5, 3))
p = np.exp(fine) / np.exp(fine).sum(1, keepdims=True)
ref = 0.7 * coarse + 0.3 * np.log(p @ pairs[0][2].T)
module = Nested([("group", "category", pairs[0][2], 0.3)]).eval()
torch_out = module({"group": torch.tensor(fine, dtype=torch.float32), "category": torch.tensor(coarse, dtype=torch.float32)})["category"].numpy()
class Graph(torch.nn.Module):
    def forward(self, g, c):
        return module({"group": g, "category": c})["category"]
f = io.BytesIO()
torch.onnx.export(Graph(), (torch.zeros(2, 4), torch.zeros(2, 3)), f, input_names=["g", "c"], output_names=["out"],
                  dynamic_axes={"g": {0: "b"}, "c": {0: "b"}}, opset_version=17, dynamo=False)
onnx_out = ort.InferenceSession(f.getvalue()).run(None, {"g": fine.astype(np.float32), "c": coarse.astype(np.float32)})[0]
print(found, len(broken), float(np.abs(torch_out - ref).max()), float(np.abs(onnx_out - ref).max()))
`;
    const r = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const line = r.stdout.trim().split('\n').at(-1)!;
    expect(line.startsWith("[('group', 'category', [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])] 0 ")).toBe(true);
    const [torchDiff, onnxDiff] = line.split(' ').slice(-2).map(Number);
    expect(torchDiff).toBeLessThan(1e-5);
    expect(onnxDiff).toBeLessThan(1e-5);
  });

  it('--nested-heads without a head grouping another stops before training, --out untouched', async () => {
    expect(await run('20ng-7class', 'no-pair', ['--nested-heads', 'marginal'])).not.toBe(0);
    expect(existsSync(path.join(tmp, 'no-pair'))).toBe(false);
    expect(existsSync(path.join(tmp, 'w-no-pair', 'run'))).toBe(false); // no training step was taken
  });

  it('the 7-class recipe with a document head: one head from the map; loadClassifier(dir).classify(text) chunks by default, as the trainer scored', async () => {
    const out = path.join(tmp, 'seven');
    expect(await run('20ng-7class', 'seven', ['--aggregate', 'mean', '--lexical', 'tfidf-document'])).toBe(0);
    const config = readJson(out, 'config.json');
    expect(Object.values(config.id2label)).toEqual(['alt', 'comp', 'misc', 'rec', 'sci', 'soc', 'talk']);
    expect(config.long_options.aggregate).toBe('mean');
    expect(Object.keys(readJson(out, config.document_head).lexical.heads)).toEqual(['category']);
    const texts = testTexts();
    const python = trainerLogits(out, [{ name: 'category', kind: 'sequence', problem_type: 'single_label_classification', labels: Object.values(config.id2label) }], texts);
    const clf = await loadClassifier(out);
    try {
      const answers = await clf.classify(texts);
      expect(Math.max(...answers.map((a) => a.chunks))).toBeGreaterThan(3);
      answers.forEach((a, i) => expect(logitDiff(a, [...clf.labels], python[i][0], clf.temperature)).toBeLessThan(1e-6));
      expect((await clf.classify(texts.at(-1)!, { long: 'truncate' })).chunks).toBe(1);
    } finally {
      await clf.dispose();
    }
  });

  it('refuses chunks for a token head before training', async () => {
    const data = path.join(tmp, 'spans.jsonl');
    writeFileSync(data, ['weather in paris', 'book rome', 'weather in rome', 'book paris'].map((t) =>
      JSON.stringify({ text: t, intent: t.split(' ')[0], spans: [{ start: t.lastIndexOf(' ') + 1, end: t.length, label: 'city' }] })).join('\n'));
    expect(await main(['--data', data, '--long', 'chunks', '--python', python, '--out', path.join(tmp, 'no'), '--work', path.join(tmp, 'w-no')])).toBe(2);
    expect(existsSync(path.join(tmp, 'no'))).toBe(false);
  });
});

describe('train options: long documents and derived heads', () => {
  it('reads the 20NG recipes: derive maps as objects, the engine defaults passed to Python; bad combinations refused', () => {
    const recipe = (name: string) => parseTrainArgs(['--recipe', path.join(root, 'recipes', `${name}.json`)], root);
    const c = recipe('20ng-consolidated');
    if (c === 'help') throw new Error('unexpected help');
    expect(c.long).toBe('chunks');
    expect(Object.keys(c.derive!)).toEqual(['group', 'category']);
    expect(Object.keys(c.derive!.category.map!)).toHaveLength(20);
    expect(c.heads).toEqual(['group', 'category']);
    const arg = (f: string) => c.pythonArgs[c.pythonArgs.indexOf(f) + 1];
    expect([arg('--long'), arg('--max-chunks'), arg('--eval-max-chunks'), arg('--aggregate')]).toEqual(['chunks', '2', '64', 'weighted']);
    expect(() => parseTrainArgs(['--data', 'x.csv', '--stride', '10'], root)).toThrow(/--stride applies to --long chunks/);
    expect(() => parseTrainArgs(['--data', 'x.csv', '--lexical', 'tfidf-document'], root)).toThrow(/tfidf-document needs --long chunks/);
    expect(() => parseTrainArgs(['--data', 'x.csv', '--long', 'chunks', '--teacher-targets', 't.npz'], root)).toThrow(/does not combine/);
    expect(() => parseTrainArgs(['--data', 'x.csv', '--long', 'pages'], root)).toThrow(/--long must be truncate or chunks/);
    expect(() => parseTrainArgs(['--data', 'x.csv', '--derive', '{"category": {"map": {}}}'], root)).toThrow(/needs "from"/);
    expect(() => parseTrainArgs(['--data', 'x.csv', '--strip', 'bodies'], root)).toThrow(/--strip takes headers, footers, quotes/);
  });
});
