import { Readable, type Transform } from 'node:stream';
import { and, asc, eq, gt } from 'drizzle-orm';
import { parse } from 'csv-parse';
import iconv from 'iconv-lite';
import type { Db } from '../../db/database.js';
import { detectFormat, SAMPLE_BYTES, type CsvFormat } from './csv-format.js';
import { writeInChunks } from '../../shared/chunked-write.js';
import { importFileChunks } from './imports.table.js';

/** Size of one stored chunk of an uploaded file. */
export const CHUNK_BYTES = 256 * 1024;
/** Chunks read per query while streaming a file back. */
const CHUNKS_PER_READ = 4;

/**
 * Writes an upload into import_file_chunks as it arrives, a chunk per row, never holding more
 * than one chunk in memory; returns the size and the detected format.
 */
export async function storeFile(db: Db, organizationId: string, importId: string, source: AsyncIterable<Buffer>): Promise<{ bytes: number; format: CsvFormat }> {
  let sample: Buffer | null = null;
  const bytes = await writeInChunks(source, CHUNK_BYTES, async (seq, data) => {
    sample ??= data.subarray(0, SAMPLE_BYTES);
    await db.insert(importFileChunks).values({ organizationId, importId, seq, data });
  });
  return { bytes, format: detectFormat(sample ?? Buffer.alloc(0)) };
}

/** The stored file's bytes, a few chunks per query, in order. */
async function* fileBytes(db: Db, organizationId: string, importId: string, onBytes: (bytes: number) => void): AsyncGenerator<Buffer> {
  let after = -1;
  for (;;) {
    const rows = await db
      .select({ seq: importFileChunks.seq, data: importFileChunks.data })
      .from(importFileChunks)
      .where(and(eq(importFileChunks.organizationId, organizationId), eq(importFileChunks.importId, importId), gt(importFileChunks.seq, after)))
      .orderBy(asc(importFileChunks.seq))
      .limit(CHUNKS_PER_READ);
    for (const row of rows) {
      onBytes(row.data.length);
      yield row.data;
      after = row.seq;
    }
    if (rows.length < CHUNKS_PER_READ) return;
  }
}

export interface ParsedRow {
  /** 1-based data row (the first row after the header is 1). */
  readonly row: number;
  readonly cells: readonly string[];
}

export interface FileReader {
  readonly headers: Promise<string[]>;
  readonly rows: AsyncIterable<ParsedRow>;
  /** Bytes of the stored file read so far. */
  bytesRead(): number;
}

/**
 * Streams the stored file as rows: decoded from its encoding, parsed by csv-parse with its
 * delimiter from its header line, quoted multi-line cells included. Memory stays at a few chunks.
 */
export function readFile(db: Db, organizationId: string, importId: string, format: CsvFormat): FileReader {
  let read = 0;
  const parser = parse({
    delimiter: format.delimiter,
    from_line: format.headerLine,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    bom: true,
    trim: false,
  });
  // iconv-lite types its stream as the older ReadWriteStream; it is a Transform.
  const decoded = Readable.from(fileBytes(db, organizationId, importId, (bytes) => (read += bytes))).pipe(iconv.decodeStream(format.encoding) as unknown as Transform);
  decoded.on('error', (error) => parser.destroy(error));
  decoded.pipe(parser);
  let resolveHeaders: (headers: string[]) => void = () => undefined;
  let rejectHeaders: (error: unknown) => void = () => undefined;
  const headers = new Promise<string[]>((resolve, reject) => {
    resolveHeaders = resolve;
    rejectHeaders = reject;
  });
  headers.catch(() => undefined);
  async function* rows(): AsyncGenerator<ParsedRow> {
    let row = -1;
    try {
      for await (const record of parser as AsyncIterable<string[]>) {
        row += 1;
        if (row === 0) {
          resolveHeaders(record.map((header) => header.replace(/^\uFEFF/, '').trim()));
          continue;
        }
        yield { row, cells: record };
      }
      if (row === -1) resolveHeaders([]);
    } catch (error) {
      rejectHeaders(error);
      throw error;
    } finally {
      parser.destroy();
      decoded.destroy();
    }
  }
  return { headers, rows: rows(), bytesRead: () => read };
}

/** The header row only (reads the first chunks). */
export async function readHeaders(db: Db, organizationId: string, importId: string, format: CsvFormat): Promise<string[]> {
  const reader = readFile(db, organizationId, importId, format);
  const iterator = reader.rows[Symbol.asyncIterator]();
  const first = iterator.next();
  const headers = await Promise.race([reader.headers, first.then(() => reader.headers)]);
  await iterator.return?.(undefined);
  return headers;
}
