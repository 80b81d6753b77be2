import DataLoader from 'dataloader';
import type { Db } from '../../db/database.js';
import type { Viewer } from '../auth/viewer.js';
import type { ModuleLabels } from '../../shared/errors.js';
import type { CustomFieldRow } from './customization.table.js';
import { activeFieldsOf, moduleLabelsOf } from './module-config.js';

export function createCustomizationLoaders(db: Db, viewer: Viewer) {
  return {
    /** A module's active custom fields: one query per request however many records show `customFields`. */
    activeFields: new DataLoader<string, CustomFieldRow[]>(async (modules) => {
      const rows = await activeFieldsOf(db, viewer.organizationId, modules);
      return modules.map((module) => rows.filter((row) => row.module === module));
    }),
    /** The labels of the modules the organisation renamed: read at most once per request, only by error messages that name modules. */
    labels: new DataLoader<'all', ModuleLabels>(async (keys) => {
      const labels = await moduleLabelsOf(db, viewer.organizationId);
      return keys.map(() => labels);
    }),
  };
}
