import { encodeEventCursor } from '../../events/cursor.js';
import type { EventRow } from '../../events/events.table.js';
import type { DuplicatePolicy, ImportModule as ImportModuleEnum, ImportStatus, Resolvers } from '../../generated/graphql.js';
import { signedIn, subscriber } from '../../server/context.js';
import { importModule } from './import-modules.js';
import { importProgressStream } from './import-progress.js';
import { commitImport, createImport, importById, listImports, listSavedMappings, previewImport, updateImportMapping } from './imports.service.js';
import { undoImport } from './import-undo.js';

const moduleName = (value: ImportModuleEnum): string => value.toLowerCase();
const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

export const importResolvers: Resolvers = {
  Query: {
    import: (_parent, { id }, ctx) => importById(signedIn(ctx), id),
    imports: (_parent, _args, ctx) => listImports(signedIn(ctx)),
    previewImport: (_parent, { id, first }, ctx) => previewImport(signedIn(ctx), id, first ?? 50),
    savedImportMappings: (_parent, args, ctx) => listSavedMappings(signedIn(ctx), moduleName(args.module)),
  },
  Mutation: {
    createImport: (_parent, { input }, ctx) => createImport(signedIn(ctx), { module: moduleName(input.module), fileName: input.fileName }),
    updateImportMapping: (_parent, { input }, ctx) => updateImportMapping(signedIn(ctx), input),
    commitImport: (_parent, { id }, ctx) => commitImport(signedIn(ctx), id),
    undoImport: (_parent, { id }, ctx) => undoImport(signedIn(ctx), id),
  },
  Subscription: {
    importProgress: {
      subscribe: (_parent, { id, after }, ctx) => importProgressStream(subscriber(ctx), id, after),
      resolve: (event: EventRow) => event,
    },
  },
  Import: {
    module: (row) => row.module.toUpperCase() as ImportModuleEnum,
    status: (row) => row.status as ImportStatus,
    delimiter: (row) => (row.delimiter ? (DELIMITER_NAMES[row.delimiter] ?? row.delimiter) : null),
    mapping: (row) => row.mapping.map((entry) => ({ column: entry.column, field: entry.field, customField: entry.customField ?? null })),
    availableFields: (row) => importModule(row.module).fields.map((field) => field.name),
    availableCustomFields: async (row, _args, ctx) => (await signedIn(ctx).loaders.customization.activeFields.load(row.module)).map((field) => field.apiName),
    duplicatePolicy: (row) => row.duplicatePolicy as DuplicatePolicy,
    counts: (row) => row.counts ?? null,
    errorsUrl: (row, _args, ctx) => `${ctx.deps.config.publicUrl}/imports/${row.id}/errors.csv`,
    uploadUrl: (row, _args, ctx) => `${ctx.deps.config.publicUrl}/imports/${row.id}/file`,
    createdBy: (row, _args, ctx) => signedIn(ctx).loaders.users.byId.load(row.createdById),
    undoableUntil: (row, _args, ctx) =>
      row.status === 'COMPLETED' && row.completedAt ? new Date(row.completedAt.getTime() + ctx.deps.config.importUndoWindowHours * 3600 * 1000) : null,
  },
  ImportPreview: {
    counts: (preview) => preview.result.counts,
    errors: (preview) => preview.result.errors.slice(0, preview.first),
    errorCount: (preview) => preview.result.errorCount,
  },
  ImportProgress: {
    cursor: (event) => encodeEventCursor(event.seq),
    importId: (event) => event.recordId,
    status: (event) => String(event.data['status'] ?? event.kind) as ImportStatus,
    rowsRead: (event) => Number(event.data['rowsRead'] ?? 0),
    rowsWritten: (event) => Number(event.data['rowsWritten'] ?? 0),
    rowsFailed: (event) => Number(event.data['rowsFailed'] ?? 0),
    percentage: (event) => Number(event.data['percentage'] ?? 0),
  },
  SavedImportMapping: {
    module: (row) => row.module.toUpperCase() as ImportModuleEnum,
    mapping: (row) => row.mapping.map((entry) => ({ column: entry.column, field: entry.field, customField: entry.customField ?? null })),
  },
};
