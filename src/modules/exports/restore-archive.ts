import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, asc, between, eq } from 'drizzle-orm';
import yauzl from 'yauzl';
import type { Db } from '../../db/database.js';
import { organizationRestoreChunks, type ExportFileEntry } from './exports.table.js';
import { EXPORT_FORMAT } from './organization-export.service.js';
import { writeInChunks } from '../../shared/chunked-write.js';

/**
 * An uploaded organisation archive, read in place: the zip is stored in fixed-size chunk rows and
 * yauzl reads byte ranges of it through a RandomAccessReader, so neither verifying nor restoring
 * holds more than a few chunks of the archive in memory.
 */

const CHUNK_BYTES = 256 * 1024;
const CHUNKS_PER_READ = 4;

export interface ArchiveRef {
  readonly organizationId: string;
  readonly restoreId: string;
  readonly bytes: number;
}

/** Writes an upload into exact CHUNK_BYTES chunks as it arrives; returns its size. */
export function storeArchive(db: Db, organizationId: string, restoreId: string, source: AsyncIterable<Buffer>): Promise<number> {
  return writeInChunks(source, CHUNK_BYTES, async (seq, data) => {
    await db.insert(organizationRestoreChunks).values({ organizationId, restoreId, seq, data });
  });
}

/** Byte ranges of the stored archive, for yauzl. `db` may be a transaction: reads go through it. */
class ChunkReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly db: Db,
    // Not `ref`: yauzl's reader has ref() and unref() methods.
    private readonly archive: ArchiveRef,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.range(start, end));
  }

  private async *range(start: number, end: number): AsyncGenerator<Buffer> {
    const last = Math.floor((end - 1) / CHUNK_BYTES);
    for (let from = Math.floor(start / CHUNK_BYTES); from <= last; from += CHUNKS_PER_READ) {
      const rows = await this.db
        .select({ seq: organizationRestoreChunks.seq, data: organizationRestoreChunks.data })
        .from(organizationRestoreChunks)
        .where(
          and(
            eq(organizationRestoreChunks.organizationId, this.archive.organizationId),
            eq(organizationRestoreChunks.restoreId, this.archive.restoreId),
            between(organizationRestoreChunks.seq, from, Math.min(from + CHUNKS_PER_READ - 1, last)),
          ),
        )
        .orderBy(asc(organizationRestoreChunks.seq));
      for (const row of rows) {
        const base = row.seq * CHUNK_BYTES;
        yield row.data.subarray(Math.max(0, start - base), Math.min(row.data.length, end - base));
      }
    }
  }
}

export interface OpenArchive {
  /** Entry names, as in the zip. */
  readonly names: readonly string[];
  /** One entry's uncompressed bytes as a stream. */
  open(name: string): Promise<Readable>;
  close(): void;
}

export async function openArchive(db: Db, ref: ArchiveRef): Promise<OpenArchive> {
  const zip = await yauzl.fromRandomAccessReaderPromise(new ChunkReader(db, ref), ref.bytes, { lazyEntries: true, autoClose: false });
  const entries = new Map<string, yauzl.Entry>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return {
    names: [...entries.keys()],
    open: async (name) => {
      const entry = entries.get(name);
      if (!entry) throw new Error(`${name} is not in the archive`);
      return zip.openReadStreamPromise(entry);
    },
    close: () => zip.close(),
  };
}

export interface ArchiveManifest {
  readonly format: string;
  readonly version: number;
  readonly organizationId: string;
  readonly exportId: string;
  readonly createdAt: string;
  readonly files: readonly ExportFileEntry[];
}

function manifestProblems(value: unknown): string[] {
  const manifest = value as Partial<ArchiveManifest> | null;
  if (!manifest || typeof manifest !== 'object') return ['manifest.json is not a JSON object'];
  if (manifest.format !== EXPORT_FORMAT.format) return ['manifest.json does not describe a Pulse organisation export'];
  if (manifest.version !== EXPORT_FORMAT.version) return [`The archive is in export format version ${String(manifest.version)}; this Pulse restores version ${EXPORT_FORMAT.version} (export again)`];
  if (typeof manifest.organizationId !== 'string' || !Array.isArray(manifest.files)) return ['manifest.json lacks its organisation or its files'];
  const bad = manifest.files.find((file) => typeof file?.file !== 'string' || typeof file.table !== 'string' || typeof file.sha256 !== 'string' || typeof file.rows !== 'number');
  return bad ? ['manifest.json lists a file without its name, table, rows or checksum'] : [];
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** SHA-256 and data rows (header excluded, quoted line breaks not counted) of one entry, streamed. */
async function measure(stream: Readable): Promise<{ sha256: string; rows: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  let quoted = false;
  for await (const part of stream) {
    const buffer = part as Buffer;
    hash.update(buffer);
    // '"' and '\n' are single bytes in UTF-8 and never part of a multi-byte character.
    for (const byte of buffer) {
      if (byte === 0x22) quoted = !quoted;
      else if (byte === 0x0a && !quoted) lines += 1;
    }
  }
  return { sha256: hash.digest('hex'), rows: Math.max(0, lines - 1) };
}

/**
 * Checks an uploaded archive before anything is written: a zip whose manifest.json is a Pulse
 * export of the supported format, every listed file present with its SHA-256 and row count, and
 * nothing in the zip the manifest does not list. Returns the manifest and what is wrong.
 */
export async function verifyArchive(db: Db, ref: ArchiveRef): Promise<{ manifest: ArchiveManifest | null; problems: string[] }> {
  let archive: OpenArchive;
  try {
    archive = await openArchive(db, ref);
  } catch {
    return { manifest: null, problems: ['The file is not a readable zip archive'] };
  }
  try {
    if (!archive.names.includes('manifest.json')) return { manifest: null, problems: ['manifest.json is missing'] };
    let parsed: unknown;
    try {
      parsed = JSON.parse((await readAll(await archive.open('manifest.json'))).toString('utf8'));
    } catch {
      return { manifest: null, problems: ['manifest.json cannot be read as JSON'] };
    }
    const invalid = manifestProblems(parsed);
    if (invalid.length > 0) return { manifest: null, problems: invalid };
    const manifest = parsed as ArchiveManifest;
    const problems: string[] = [];
    for (const file of manifest.files) {
      if (!archive.names.includes(file.file)) {
        problems.push(`${file.file} is missing`);
        continue;
      }
      try {
        const found = await measure(await archive.open(file.file));
        if (found.sha256 !== file.sha256) problems.push(`${file.file}: checksum mismatch`);
        if (found.rows !== file.rows) problems.push(`${file.file}: ${found.rows} rows where the manifest says ${file.rows}`);
      } catch {
        problems.push(`${file.file} is damaged (it cannot be decompressed)`);
      }
    }
    const listed = new Set(manifest.files.map((file) => file.file));
    for (const name of archive.names) if (name !== 'manifest.json' && !listed.has(name)) problems.push(`${name} is not listed in manifest.json`);
    return { manifest, problems };
  } finally {
    archive.close();
  }
}
