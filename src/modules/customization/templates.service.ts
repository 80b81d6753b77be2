import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/database.js';
import { inTransaction } from '../../db/transaction.js';
import { assertManages } from '../auth/access.js';
import type { Session } from '../auth/session.js';
import type { Viewer } from '../auth/viewer.js';
import { insertPipeline, listPipelines } from '../pipelines/pipelines.service.js';
import { insertCustomField } from './custom-fields.service.js';
import { customFields } from './customization.table.js';
import { TEMPLATES, type IndustryTemplate } from './industry-templates.js';
import { editPicklist, moduleMetadata, setModuleLabels, type ModuleMetadata } from './module-settings.service.js';
import { CUSTOMIZABLE_MODULES, type PicklistName } from './standard-fields.js';

/**
 * Applies an industry template in the caller's transaction (sign-up uses it too). Applying it
 * again adds nothing twice: fields and pipelines that exist by apiName or name are left as they
 * are (with the organisation's later changes), picklist values already listed are kept.
 */
export async function applyTemplateIn(tx: Db, viewer: Viewer, template: IndustryTemplate, config: Session['config']): Promise<void> {
  const definition = TEMPLATES[template];
  for (const [module, labels] of Object.entries(definition.labels)) {
    await setModuleLabels(tx, viewer, module as keyof typeof definition.labels, labels.singular, labels.plural);
  }
  for (const [name, values] of Object.entries(definition.picklists)) {
    await editPicklist(tx, viewer, { name: name as PicklistName, add: values });
  }
  if (definition.activityTypes) await editPicklist(tx, viewer, { name: 'ACTIVITY_TYPE', addWithKind: definition.activityTypes });
  const existingPipelines = await listPipelines({ db: tx, viewer });
  if (!existingPipelines.some((pipeline) => pipeline.name === definition.pipeline.name)) {
    await insertPipeline(tx, viewer.organizationId, definition.pipeline.name, definition.pipeline.stages, false);
  }
  const existingFields = await tx
    .select({ module: customFields.module, apiName: customFields.apiName })
    .from(customFields)
    .where(and(eq(customFields.organizationId, viewer.organizationId)));
  const taken = new Set(existingFields.map((field) => `${field.module}:${field.apiName}`));
  for (const field of definition.fields) {
    if (taken.has(`${field.module}:${field.apiName}`)) continue;
    await insertCustomField(tx, viewer, { ...field, options: field.options ?? null, unique: field.unique ?? false, lookupModule: field.lookupModule ?? null });
  }
}

export async function applyTemplate(s: Session, template: IndustryTemplate): Promise<{ template: IndustryTemplate; modules: ModuleMetadata[] }> {
  assertManages(s.viewer, 'fields');
  await inTransaction(s.db, (tx) => applyTemplateIn(tx, s.viewer, template, s.config));
  const modules: ModuleMetadata[] = [];
  for (const module of CUSTOMIZABLE_MODULES) modules.push(await moduleMetadata(s.db, s.viewer, module));
  return { template, modules };
}
