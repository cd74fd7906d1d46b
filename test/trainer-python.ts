// What the trainer's tests share: the Python they train with (skipped only outside CI when it lacks torch) and the
// tiny random-weight base with MiniLM's real tokenizer, made once per machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { checkPythonEnv, findPython } from '../train/python-env.js';
import { root } from './helpers.js';

export const { python } = findPython(root);
export const env = checkPythonEnv(python, 'minilm');
export const skip = !env.ok && !process.env.CI;
export const reason = skip ? ` (SKIPPED: CI is unset and ${python} lacks ${env.missing.join(', ')}; run npm run setup-python)` : '';
// A fixed name: the tiny base is made once per machine and reused by later runs.
export const TINY_BASE = path.join(os.tmpdir(), 'onnx-textclf-tiny-bert-base-v1');

/** For beforeAll: fails when CI lacks the trainer's Python, makes the tiny base if needed; returns a fresh temp folder. */
export function trainerReady(prefix: string): string {
  if (!env.ok) throw new Error(`CI is set but the trainer's Python is not usable:\n${env.message}`);
  if (!existsSync(TINY_BASE)) {
    const r = spawnSync(python, [path.join(root, 'train/python/tiny_base.py'), '--out', TINY_BASE], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  }
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
