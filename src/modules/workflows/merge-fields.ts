/**
 * Merge fields in templates and notification texts: `{{lead.firstName}}`, `{{record.name}}`,
 * `{{owner.name}}`, and the organisation's name for the record's module, `{{module.label}}` and
 * `{{module.pluralLabel}}` ("Property", "Properties"). Values are inserted as plain text; callers derive HTML with escaping, so a
 * record's value can never inject markup. Unknown fields become empty.
 */
export interface MergeContext {
  /** The record's module name as used in templates: lead, contact, account, deal, activity. */
  readonly recordName: string;
  readonly record: Readonly<Record<string, unknown>>;
  readonly owner: { readonly name: string; readonly email: string } | null;
  /** The module's labels; read only when a text merges `{{module.*}}`. */
  readonly moduleLabel?: { readonly singular: string; readonly plural: string } | undefined;
}

/** Whether one of the texts merges the module's label. */
export const mergesModuleLabel = (texts: readonly string[]): boolean => texts.some((text) => /\{\{\s*module\./.test(text));

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
    if (scope === 'module') return field === 'label' ? show(context.moduleLabel?.singular) : field === 'pluralLabel' ? show(context.moduleLabel?.plural) : '';
    if (scope === context.recordName || scope === 'record') return show(context.record[field]);
    return '';
  });
}
