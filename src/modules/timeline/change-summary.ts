import type { FieldChange } from './timeline.service.js';

const CUSTOM_PREFIX = 'customFields.';

const words = (field: string): string =>
  field
    .replace(CUSTOM_PREFIX, '')
    .replace(/Id$/, '')
    .replace(/([A-Z])/g, ' $1')
    .toLowerCase()
    .trim();

const capitalised = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

const listed = (names: readonly string[]): string =>
  names.length === 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/** "Status changed from "New" to "Contacted"" for one change, "Changed status and phone" for several. */
export function describeChanges(changes: readonly FieldChange[]): string {
  const [only] = changes;
  if (changes.length === 1 && only) {
    const show = (value: unknown): string => (value === null || value === '' ? 'empty' : `"${String(value)}"`);
    return `${capitalised(words(only.field))} changed from ${show(only.oldValue)} to ${show(only.newValue)}`;
  }
  return `Changed ${listed(changes.map((change) => words(change.field)))}`;
}

/**
 * The changed fields' names without their values ("Annual revenue changed"), for text shown to
 * people whose field access is not known when it is written (score history reasons).
 */
export function describeChangedFields(changes: readonly FieldChange[]): string {
  if (changes.length === 0) return 'Record updated';
  return `${capitalised(listed(changes.map((change) => words(change.field))))} changed`;
}
