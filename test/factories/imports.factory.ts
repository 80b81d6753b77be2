import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SignedInUser } from './organizations.factory.js';

export const SAMPLES = fileURLToPath(new URL('../fixtures/imports/', import.meta.url));
export const sample = (name: string): Buffer => readFileSync(`${SAMPLES}${name}`);

export interface UploadedImport {
  id: string;
  status: string;
  encoding: string;
  headers: string[];
  mapping: { column: string; field: string | null }[];
}

/** POST /imports as a browser form would: the module field, then the file. */
export async function uploadImport(baseUrl: string, user: SignedInUser, module: string, file: Buffer | string, fileName = 'import.csv'): Promise<{ status: number; body: UploadedImport & { code?: string; reason?: string } }> {
  const form = new FormData();
  form.append('module', module);
  form.append('file', new Blob([typeof file === 'string' ? Buffer.from(file) : file]), fileName);
  const response = await fetch(`${baseUrl}/imports`, { method: 'POST', headers: { authorization: `Bearer ${user.token}` }, body: form });
  return { status: response.status, body: (await response.json()) as UploadedImport & { code?: string } };
}

/** A small leads CSV, one row per entry. */
export function leadsCsv(rows: readonly { first?: string; last?: string; email?: string; company?: string }[]): string {
  const lines = ['First Name,Last Name,Email,Company'];
  for (const row of rows) lines.push([row.first ?? '', row.last ?? '', row.email ?? '', row.company ?? ''].join(','));
  return `${lines.join('\n')}\n`;
}
