import iconv from 'iconv-lite';

/**
 * What a CSV file looks like before it is parsed: its encoding (byte order marks, UTF-16,
 * Windows-1252 for files that are not valid UTF-8), its delimiter and the line of its header
 * (some exports write a title or a "sep=" line first). Read from the file's first bytes.
 */

export interface CsvFormat {
  readonly encoding: 'utf8' | 'utf16le' | 'utf16be' | 'windows1252';
  readonly delimiter: ',' | ';' | '\t' | '|';
  /** 1-based line of the header row. */
  readonly headerLine: number;
}

const DELIMITERS = [',', ';', '\t', '|'] as const;
export const SAMPLE_BYTES = 64 * 1024;

function isUtf8(sample: Buffer): boolean {
  // The sample may end inside a multi-byte character: allow up to 3 bytes to be cut off.
  for (let cut = 0; cut <= 3 && cut < sample.length; cut += 1) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, sample.length - cut));
      return true;
    } catch {
      // try a shorter prefix
    }
  }
  return sample.length === 0;
}

export function detectEncoding(sample: Buffer): CsvFormat['encoding'] {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf8';
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf16be';
  // UTF-16 without a byte order mark: ASCII text has a zero in every other byte.
  let evenZeros = 0;
  let oddZeros = 0;
  const probe = Math.min(sample.length, 4096);
  for (let i = 0; i < probe; i += 1) if (sample[i] === 0) (i % 2 === 0 ? (evenZeros += 1) : (oddZeros += 1));
  if (oddZeros > probe / 4) return 'utf16le';
  if (evenZeros > probe / 4) return 'utf16be';
  return isUtf8(sample) ? 'utf8' : 'windows1252';
}

/** Decodes a sample (the byte order mark removed). */
export function decodeSample(sample: Buffer, encoding: CsvFormat['encoding']): string {
  return iconv.decode(sample, encoding).replace(/^\uFEFF/, '');
}

/** How many times `delimiter` occurs in `line` outside double quotes. */
function countOutsideQuotes(line: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (char === delimiter && !quoted) count += 1;
  }
  return count;
}

function mode(values: readonly number[]): { value: number; frequency: number } {
  const frequencies = new Map<number, number>();
  for (const value of values) frequencies.set(value, (frequencies.get(value) ?? 0) + 1);
  let best = { value: 0, frequency: 0 };
  for (const [value, frequency] of frequencies) {
    if (value > 0 && (frequency > best.frequency || (frequency === best.frequency && value > best.value))) best = { value, frequency };
  }
  return best;
}

/**
 * The delimiter whose count per line is the most consistent (and, on a tie, the largest), and the
 * first line with that count: the header. Quoted multi-line cells only lower a line's count.
 */
export function detectLayout(text: string): Pick<CsvFormat, 'delimiter' | 'headerLine'> {
  const lines = text.split(/\r\n|\n|\r/).slice(0, 50);
  if (lines.length > 1 && text.length >= SAMPLE_BYTES / 2) lines.pop(); // likely cut short
  let best: { delimiter: CsvFormat['delimiter']; value: number; frequency: number } = { delimiter: ',', value: 0, frequency: 0 };
  for (const delimiter of DELIMITERS) {
    const counts = lines.map((line) => countOutsideQuotes(line, delimiter));
    const found = mode(counts);
    if (found.frequency > best.frequency || (found.frequency === best.frequency && found.value > best.value)) best = { delimiter, ...found };
  }
  const headerIndex = best.value === 0 ? 0 : lines.findIndex((line) => countOutsideQuotes(line, best.delimiter) === best.value);
  return { delimiter: best.delimiter, headerLine: Math.max(0, headerIndex) + 1 };
}

export function detectFormat(sample: Buffer): CsvFormat {
  const encoding = detectEncoding(sample);
  return { encoding, ...detectLayout(decodeSample(sample, encoding)) };
}
