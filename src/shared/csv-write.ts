/**
 * One CSV cell for a spreadsheet user: quoted when it holds a delimiter, quote or line break, and
 * a cell starting with = + - @ (or a tab/carriage return) gets a leading apostrophe so Excel and
 * Sheets show it as text instead of running it as a formula (CSV injection).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join(';') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Numbers and phone numbers (+49 30 100000, -12.5) are left alone: a spreadsheet computes nothing from them.
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?[\d\s().]+$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (values: readonly unknown[]): string => `${values.map(csvCell).join(',')}\r\n`;
