// Newsgroup / e-mail posts: scikit-learn's fetch_20newsgroups strip functions (sklearn/datasets/_twenty_newsgroups.py),
// ported as they are, so `strip` reproduces its remove=('headers', 'footers', 'quotes') on any post-shaped text.
import { DataError } from './types.js';

export const STRIP_PARTS = ['headers', 'footers', 'quotes'] as const;
export type StripPart = (typeof STRIP_PARTS)[number];

const QUOTE_LINE = /(writes in|writes:|wrote:|says:|said:|^In article|^Quoted from|^\||^>)/;
const STRIPPERS: Record<StripPart, (text: string) => string> = {
  // Everything up to the first blank line.
  headers: (text) => {
    const at = text.indexOf('\n\n');
    return at < 0 ? '' : text.slice(at + 2);
  },
  // The signature block: from the last line made only of dashes (or blank) on.
  footers: (text) => {
    const lines = text.trim().split('\n');
    let n = lines.length - 1;
    for (; n >= 0; n--) if (lines[n].trim().replace(/^-+|-+$/g, '') === '') break;
    return n > 0 ? lines.slice(0, n).join('\n') : text;
  },
  quotes: (text) => text.split('\n').filter((line) => !QUOTE_LINE.test(line)).join('\n'),
};

/** Strips the given parts in sklearn's order (headers, footers, quotes). */
export function stripPost(text: string, parts: readonly StripPart[]): string {
  return STRIP_PARTS.filter((p) => parts.includes(p)).reduce((t, p) => STRIPPERS[p](t), text);
}

/** `--strip a,b` as typed (a list of names) -> the parts; an unknown name is one line naming the choices. */
export function stripParts(names: readonly string[], where: string): StripPart[] {
  const bad = names.filter((p) => !(STRIP_PARTS as readonly string[]).includes(p));
  if (bad.length) throw new DataError('DATA_INVALID', where, `--strip takes ${STRIP_PARTS.join(', ')}; got ${bad.join(', ')}`);
  return names as StripPart[];
}
