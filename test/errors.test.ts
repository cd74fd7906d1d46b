import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../lib/index.js';
import { EngineError, errorCodes, errorFromCode } from '../lib/errors.js';

describe('errors', () => {
  it.each(errorCodes)('%s builds an EngineError subclass with that code and name', (code) => {
    const err = errorFromCode(code, 'msg');
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe(code);
    expect(err.name).not.toBe('EngineError');
    expect(err.name).toMatch(/Error$/);
    expect((api as Record<string, unknown>)[err.name]).toBe(err.constructor);
  });

  it('maps an unknown code to InferenceError rather than a bare Error', () => {
    expect(errorFromCode('ERR_SOMETHING_NEW', 'x').code).toBe('ERR_INFERENCE');
  });

  it('documents every code and class in docs/errors.md', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    for (const code of errorCodes) {
      expect(doc).toContain(code);
      expect(doc).toContain(errorFromCode(code, '').name);
    }
  });
});
