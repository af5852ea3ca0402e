// "did you mean" for misspelt option names and selectors.
import { closest, distance } from 'fastest-levenshtein';

/** The known word nearest to `word`, when it is near enough to be a likely typo. */
export function closestWord(word: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const candidate = closest(word, [...known]);
  const limit = Math.max(1, Math.floor(word.length / 3));
  return distance(word.toLowerCase(), candidate.toLowerCase()) <= limit ? candidate : undefined;
}
