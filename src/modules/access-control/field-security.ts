import {
  defaultFieldResolver,
  getNamedType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLInputObjectType,
  type GraphQLSchema,
} from 'graphql';
import type { GraphQLContext } from '../../server/context.js';
import { DomainError } from '../../shared/errors.js';
import { assertFilterable, assertWritableFields, isHiddenField } from '../auth/access.js';
import { securableFields } from './field-catalog.js';

/** GraphQL types and inputs of each module with securable fields. */
const TYPE_MODULES: Readonly<Record<string, string>> = { Lead: 'leads', Contact: 'contacts', Account: 'accounts', Deal: 'deals', Activity: 'activities' };

/** Fields computed from a securable field: hidden with it. */
const DERIVED: readonly { type: string; field: string; module: string; from: string }[] = [
  { type: 'Deal', field: 'weightedAmount', module: 'deals', from: 'amount' },
  { type: 'BoardColumn', field: 'totalAmount', module: 'deals', from: 'amount' },
  { type: 'BoardColumn', field: 'weightedAmount', module: 'deals', from: 'amount' },
];

/** Mutation inputs that write a module's fields. */
const INPUT_MODULES: ReadonlyMap<string, string> = new Map([
  ...Object.entries(TYPE_MODULES).flatMap(([type, module]) => [
    [`Create${type}Input`, module] as const,
    [`Update${type}Input`, module] as const,
  ]),
  ['ConvertLeadDealInput', 'deals'],
]);

const inputModule = (type: GraphQLInputObjectType): string | undefined => INPUT_MODULES.get(type.name);

function hideWhen(schema: GraphQLSchema, typeName: string, fieldName: string, module: string, securable: string): void {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) return;
  const field = type.getFields()[fieldName];
  if (!field) return;
  const resolve: GraphQLFieldResolver<unknown, GraphQLContext> = field.resolve ?? defaultFieldResolver;
  // A non-null field cannot read as null: it is an error for viewers who may not see it.
  const nonNull = isNonNullType(field.type);
  field.resolve = (source, args, ctx: GraphQLContext, info) => {
    if (ctx.viewer && isHiddenField(ctx.viewer, module, securable)) {
      if (nonNull) throw new DomainError('FORBIDDEN', `${typeName}.${fieldName} is computed from ${securable}, which is hidden from you`);
      return null;
    }
    return resolve(source, args, ctx, info);
  };
}

/** Checks every module input (nested too) of a mutation's arguments against read-only and hidden fields. */
function checkInputs(ctx: GraphQLContext, value: unknown, type: GraphQLInputObjectType): void {
  if (!ctx.viewer || typeof value !== 'object' || value === null) return;
  const module = inputModule(type);
  if (module) assertWritableFields(ctx.viewer, module, value as Record<string, unknown>);
  for (const [name, field] of Object.entries(type.getFields())) {
    const nested = getNamedType(field.type);
    const inner = (value as Record<string, unknown>)[name];
    if (isInputObjectType(nested) && inner !== undefined && inner !== null) checkInputs(ctx, inner, nested);
  }
}

/**
 * Field-level security over the whole schema, in one place: hidden fields of Lead, Contact,
 * Account, Deal and Activity read as null wherever those types appear (queries, relations, and
 * subscription events, which are resolved per subscriber through the same fields); list fields
 * refuse filters and orders on hidden fields; mutations refuse inputs writing hidden or
 * read-only fields. Viewers with no field rules pay one map lookup per secured field.
 */
export function applyFieldSecurity(schema: GraphQLSchema): GraphQLSchema {
  for (const [typeName, module] of Object.entries(TYPE_MODULES)) {
    for (const field of securableFields(module)) hideWhen(schema, typeName, field, module, field);
  }
  for (const derived of DERIVED) hideWhen(schema, derived.type, derived.field, derived.module, derived.from);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const isMutation = type === schema.getMutationType();
    for (const field of Object.values(type.getFields())) {
      const filterArg = field.args.find((arg) => arg.name === 'filter');
      const filterModule = filterArg ? TYPE_MODULES[getNamedType(filterArg.type).name.replace(/Filter$/, '')] : undefined;
      const inputs = isMutation ? field.args.filter((arg) => isInputObjectType(getNamedType(arg.type))) : [];
      if (!filterModule && inputs.length === 0) continue;
      const resolve: GraphQLFieldResolver<unknown, GraphQLContext> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args: Record<string, unknown>, ctx: GraphQLContext, info) => {
        if (ctx.viewer && filterModule) {
          const orderBy = args['orderBy'] as { field?: string } | null | undefined;
          assertFilterable(ctx.viewer, filterModule, args['filter'] as Record<string, unknown> | null | undefined, orderBy?.field ?? null);
        }
        for (const arg of inputs) checkInputs(ctx, args[arg.name], getNamedType(arg.type) as GraphQLInputObjectType);
        return resolve(source, args, ctx, info);
      };
    }
  }
  return schema;
}
