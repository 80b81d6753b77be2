import {
  getNamedType,
  getNullableType,
  getVariableValues,
  isLeafType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  valueFromAST,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { MAX_PAGE_SIZE } from '../../shared/pagination.js';

/**
 * The cost model (after GitHub's node limit and Shopify's calculated query cost), documented for
 * partners in the README's "Limits" section:
 * - a scalar or enum field costs 0, an object 1;
 * - a list costs its expected length times (1 + what each item selects): the length is the
 *   field's `first`/`last`/`perStage` (its default when not sent), a connection's size for its
 *   `edges` and `nodes`, and 10 for a list without a page size;
 * - sizes multiply down nested lists; a mutation adds a fixed 10; introspection fields cost 1.
 */
export const MUTATION_COST = 10;
export const UNSIZED_LIST_LENGTH = 10;
/** A sized field without a value or default (e.g. a board column's `deals`) reads a default page. */
export const DEFAULT_PAGE_LENGTH = 50;
const SIZE_ARGUMENTS = ['first', 'last', 'perStage'] as const;
const CONNECTION_LISTS = new Set(['edges', 'nodes']);

interface Walk {
  readonly schema: GraphQLSchema;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly visiting: Set<string>;
}

type SizeArgument = 'missing' | 'absent' | number;

/** The field's page size: a number, `absent` (it takes one but none was given), or `missing` (it takes none). */
function sizeArgument(walk: Walk, field: GraphQLField<unknown, unknown>, node: FieldNode): SizeArgument {
  let result: SizeArgument = 'missing';
  for (const name of SIZE_ARGUMENTS) {
    const definition = field.args.find((arg) => arg.name === name);
    if (!definition) continue;
    const given = node.arguments?.find((arg) => arg.name.value === name);
    const value = given ? valueFromAST(given.value, definition.type, walk.variables as Record<string, unknown>) : definition.defaultValue;
    if (typeof value === 'number' && Number.isFinite(value)) return Math.min(Math.max(Math.trunc(value), 0), MAX_PAGE_SIZE);
    result = 'absent';
  }
  return result;
}

function selectionCost(walk: Walk, selectionSet: SelectionSetNode | undefined, parent: GraphQLNamedType, hint: number | undefined): number {
  if (!selectionSet) return 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      cost += fieldCost(walk, selection, parent, hint);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parent;
      // Fragments on several types of a union are all counted: an upper bound.
      if (type) cost += selectionCost(walk, selection.selectionSet, type, hint);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      const type = fragment ? walk.schema.getType(fragment.typeCondition.name.value) : undefined;
      if (!fragment || !type || walk.visiting.has(name)) continue;
      walk.visiting.add(name);
      cost += selectionCost(walk, fragment.selectionSet, type, hint);
      walk.visiting.delete(name);
    }
  }
  return cost;
}

function fieldCost(walk: Walk, node: FieldNode, parent: GraphQLNamedType, hint: number | undefined): number {
  const name = node.name.value;
  if (name === '__typename') return 0;
  if (name === '__schema' || name === '__type') return 1;
  if (!isObjectType(parent) && !isInterfaceType(parent)) return 0;
  const field = parent.getFields()[name];
  if (!field) return 0;
  const type = getNamedType(field.type);
  if (isLeafType(type)) return 0;
  const size = sizeArgument(walk, field, node);
  const childHint = typeof size === 'number' ? size : hint;
  const each = 1 + selectionCost(walk, node.selectionSet, type, childHint);
  if (!isListType(getNullableType(field.type))) return each;
  let length: number;
  if (typeof size === 'number') length = size;
  else if (size === 'absent') length = hint ?? DEFAULT_PAGE_LENGTH;
  else if (CONNECTION_LISTS.has(name)) length = hint ?? DEFAULT_PAGE_LENGTH;
  else length = UNSIZED_LIST_LENGTH;
  return length * each;
}

/** The cost of running `operation` with `variables` (raw, as the client sent them). */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, rawVariables: Readonly<Record<string, unknown>> | null | undefined): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // Coerced values include the operation's variable defaults; invalid ones fail later, in execution.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], { ...(rawVariables ?? {}) });
  const variables = coerced.coerced ?? rawVariables ?? {};
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return 0;
  const walk: Walk = { schema, fragments, variables, visiting: new Set() };
  const selections = selectionCost(walk, operation.selectionSet, root, undefined);
  return operation.operation === 'mutation' ? MUTATION_COST + selections : selections;
}
