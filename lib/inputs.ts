// Validation of user text and bounded fan-out of text arrays over the engine's queue.
import { InvalidInputError } from './errors.js';

/** Checks one input text; lone surrogates become U+FFFD so every string the tokenizer sees is well formed. */
export function checkText(text: unknown, index?: number): string {
  if (typeof text !== 'string') {
    const where = index === undefined ? 'text' : `texts[${index}]`;
    const got = text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text;
    throw new InvalidInputError(`${where} must be a string, got ${got}`);
  }
  return text.isWellFormed() ? text : text.toWellFormed();
}

export function checkTexts(input: unknown): string[] {
  if (!Array.isArray(input)) return [checkText(input)];
  return input.map((t, i) => checkText(t, i));
}

/** Runs `one` on a text, or on every text of an array with at most `limit` in flight. Rejects, never throws. */
export function forTexts<R>(input: unknown, limit: number, one: (text: string) => Promise<R>): Promise<R | R[]> {
  try {
    if (!Array.isArray(input)) return one(checkText(input));
    return mapBounded(checkTexts(input), Math.max(1, Math.floor(limit)), one);
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, so a 100k-text array never overflows the
 * engine's bounded queue. After the first failure no new call starts; the returned promise rejects with it.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, items.length) }, worker);
  await Promise.all(workers);
  return results;
}
