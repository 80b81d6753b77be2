import { once } from 'node:events';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { badInput } from '../shared/errors.js';

/** The largest accepted upload (streamed to the database; memory does not grow with it). */
const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * The file of a multipart request (field "file"; other fields before it are returned too), or the
 * raw body of any other request, as a stream handed to `use` while it arrives.
 */
export function withUpload<T>(req: Request, use: (file: AsyncIterable<Buffer>, fields: Record<string, string>, fileName: string | null) => Promise<T>, what = 'the file'): Promise<T> {
  if (!req.headers['content-type']?.startsWith('multipart/form-data')) {
    return use(req as unknown as AsyncIterable<Buffer>, {}, null).catch(async (error: unknown) => {
      // Refused before the body was read: read it to the end, so the answer goes out on a clean connection.
      if (!req.readableEnded) {
        req.resume();
        await once(req, 'end');
      }
      throw error;
    });
  }
  return new Promise<T>((resolve, reject) => {
    const fields: Record<string, string> = {};
    let work: Promise<T> | null = null;
    const parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: MAX_FILE_BYTES, fields: 20 } });
    parser.on('field', (name, value) => (fields[name] = value));
    parser.on('file', (_name, stream: Readable, info) => {
      work = use(stream, fields, info.filename ?? null);
      // On failure the rest of the file is drained, so the answer goes out on a clean connection.
      work.catch(() => stream.resume());
    });
    parser.on('error', reject);
    // Answer only once the whole request was read: a reply before that resets a keep-alive connection.
    parser.on('close', () => {
      if (!work) reject(badInput('file', `Send ${what} in the multipart field "file"`));
      else work.then(resolve, reject);
    });
    req.pipe(parser);
  });
}
