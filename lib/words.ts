// The engine's word unit: token heads tag whitespace-separated words, so labelled spans must start and end on them.

/** A whitespace-separated word of the ORIGINAL text: [start, end) in UTF-16 code units. */
export interface Word {
  start: number;
  end: number;
}

export function splitWords(text: string): Word[] {
  const words: Word[] = [];
  for (const m of text.matchAll(/\S+/g)) words.push({ start: m.index, end: m.index + m[0].length });
  return words;
}
