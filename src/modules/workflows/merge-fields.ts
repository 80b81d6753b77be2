/**
 * Merge fields in templates and notification texts: `{{lead.firstName}}`, `{{record.name}}`,
 * `{{owner.name}}`. Values are inserted as plain text; callers derive HTML with escaping, so a
 * record's value can never inject markup. Unknown fields become empty.
 */
export interface MergeContext {
  /** The record's module name as used in templates: lead, contact, account, deal, activity. */
  readonly recordName: string;
  readonly record: Readonly<Record<string, unknown>>;
  readonly owner: { readonly name: string; readonly email: string } | null;
}

const show = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (Array.isArray(value)) return value.map(show).join(', ');
  if (typeof value === 'object') return '';
  return String(value);
};

export function mergeText(template: string, context: MergeContext): string {
  return template.replace(/\{\{\s*([a-zA-Z]+)\.([a-zA-Z0-9_]+)\s*\}\}/g, (_all, scope: string, field: string) => {
    if (scope === 'owner') return show(context.owner?.[field as 'name' | 'email']);
    if (scope === context.recordName || scope === 'record') return show(context.record[field]);
    return '';
  });
}
