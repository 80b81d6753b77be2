import type { Viewer } from '../auth/viewer.js';
import type { ImportModuleName } from './import-modules.js';

/**
 * Where custom fields (issue 9) join imports: their module registers one validator, the same
 * function its API uses for custom-field values, and the import calls it for every cell mapped to
 * a custom field. Until one is registered, mapping a column to a custom field is refused.
 */
export interface CustomFieldImport {
  /** The normalised value of `key` for a record of `module`, or a DomainError naming the field. */
  validate(viewer: Viewer, module: ImportModuleName, key: string, raw: string): unknown;
  /** Puts a validated value into the column values of the record about to be written. */
  assign(values: Record<string, unknown>, key: string, value: unknown): void;
  /** Whether `key` names a custom field of `module` in the viewer's organisation. */
  exists(viewer: Viewer, module: ImportModuleName, key: string): Promise<boolean>;
}

let registered: CustomFieldImport | null = null;

export function registerCustomFieldImport(hook: CustomFieldImport): void {
  registered = hook;
}

export const customFieldImport = (): CustomFieldImport | null => registered;
