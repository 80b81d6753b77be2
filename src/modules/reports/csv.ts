/** CSV cells (RFC 4180) that a spreadsheet will not run as a formula. */

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  // A cell starting with = + - @ is a formula to Excel and Sheets: a leading quote keeps it text.
  // Numbers are left alone so that negative amounts stay numbers.
  if (FORMULA_START.test(text) && !(typeof value === 'number' || /^-\d+(\.\d+)?$/.test(text))) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (values: readonly unknown[]): string => `${values.map(csvCell).join(',')}\r\n`;
