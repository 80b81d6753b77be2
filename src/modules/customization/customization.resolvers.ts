import type { CustomFieldType, CustomizableModule as ModuleEnum, IndustryTemplate, Resolvers, StandardPicklist } from '../../generated/graphql.js';
import { signedIn, type GraphQLContext } from '../../server/context.js';
import { createCustomField, deleteCustomField, listCustomFields, reorderCustomFields, setCustomFieldActive, updateCustomField } from './custom-fields.service.js';
import type { ModuleMetadata } from './module-settings.service.js';
import { getPicklist, moduleMetadata, updateModuleLabels, updatePicklist, updateStandardField } from './module-settings.service.js';
import type { CustomizableModule } from './standard-fields.js';
import { applyTemplate } from './templates.service.js';

const moduleOf = (value: ModuleEnum): CustomizableModule => value.toLowerCase() as CustomizableModule;
const enumOf = (module: string): ModuleEnum => module.toUpperCase() as ModuleEnum;

const metadataOut = (metadata: ModuleMetadata) => ({
  ...metadata,
  module: enumOf(metadata.module),
  fields: metadata.fields.map((field) => ({
    ...field,
    type: field.type as CustomFieldType,
    options: [...field.options],
    retiredOptions: [...field.retiredOptions],
    lookupModule: field.lookupModule ? enumOf(field.lookupModule) : null,
    picklist: field.picklist as StandardPicklist | null,
  })),
});

/** `customFields` and `customField(apiName)` of a record type: the values of the module's active fields. */
export function customFieldsOf(module: CustomizableModule) {
  const visible = async (row: { customFields: Record<string, unknown> }, ctx: GraphQLContext): Promise<Record<string, unknown>> => {
    const fields = await signedIn(ctx).loaders.customization.activeFields.load(module);
    const values: Record<string, unknown> = {};
    for (const field of fields) if (row.customFields[field.apiName] !== undefined) values[field.apiName] = row.customFields[field.apiName];
    return values;
  };
  return {
    customFields: (row: { customFields: Record<string, unknown> }, _args: unknown, ctx: GraphQLContext) => visible(row, ctx),
    customField: async (row: { customFields: Record<string, unknown> }, args: { apiName: string }, ctx: GraphQLContext) =>
      (await visible(row, ctx))[args.apiName] ?? null,
  };
}

export const customizationResolvers: Resolvers = {
  Query: {
    moduleMetadata: async (_parent, { module }, ctx) => metadataOut(await moduleMetadata(signedIn(ctx).db, signedIn(ctx).viewer, moduleOf(module))),
    customFields: (_parent, { module }, ctx) => listCustomFields(signedIn(ctx), moduleOf(module)),
    picklist: (_parent, { name }, ctx) => getPicklist(signedIn(ctx).db, signedIn(ctx).viewer, name),
  },
  Mutation: {
    createCustomField: (_parent, { input }, ctx) =>
      createCustomField(signedIn(ctx), { ...input, module: moduleOf(input.module), lookupModule: input.lookupModule ? moduleOf(input.lookupModule) : null }),
    updateCustomField: (_parent, { input }, ctx) => updateCustomField(signedIn(ctx), input),
    reorderCustomFields: (_parent, { input }, ctx) => reorderCustomFields(signedIn(ctx), moduleOf(input.module), input.ids),
    deactivateCustomField: (_parent, { id }, ctx) => setCustomFieldActive(signedIn(ctx), id, false),
    activateCustomField: (_parent, { id }, ctx) => setCustomFieldActive(signedIn(ctx), id, true),
    deleteCustomField: (_parent, { input }, ctx) => deleteCustomField(signedIn(ctx), input.id, input.confirmDeleteValues ?? false),
    updatePicklist: (_parent, { input }, ctx) => updatePicklist(signedIn(ctx), input),
    updateModuleLabels: async (_parent, { input }, ctx) => metadataOut(await updateModuleLabels(signedIn(ctx), { ...input, module: moduleOf(input.module) })),
    updateStandardField: async (_parent, { input }, ctx) => metadataOut(await updateStandardField(signedIn(ctx), { ...input, module: moduleOf(input.module) })),
    applyTemplate: async (_parent, { template }, ctx) => {
      const result = await applyTemplate(signedIn(ctx), template);
      return { template: result.template as IndustryTemplate, modules: result.modules.map(metadataOut) };
    },
  },
  CustomField: {
    module: (row) => enumOf(row.module),
    type: (row) => row.type as CustomFieldType,
    unique: (row) => row.isUnique,
    lookupModule: (row) => (row.lookupModule ? enumOf(row.lookupModule) : null),
  },
  Picklist: {
    values: (list) => [...list.values],
  },
};
