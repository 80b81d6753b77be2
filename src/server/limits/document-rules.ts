import { GraphQLError, Kind, NoSchemaIntrospectionCustomRule, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import type { LimitsConfig } from '../../config.js';

/** Every limit-rule error carries this code, over HTTP and WebSocket alike. */
export const LIMIT_ERROR_CODE = 'GRAPHQL_VALIDATION_FAILED';

const limitError = (message: string): GraphQLError => new GraphQLError(message, { extensions: { code: LIMIT_ERROR_CODE } });

function depthOf(selectionSet: SelectionSetNode | undefined, fragments: (name: string) => FragmentDefinitionNode | null | undefined, seen: Set<string>): number {
  if (!selectionSet) return 0;
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, fragments, seen));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, seen));
    } else {
      const name = selection.name.value;
      // Fragment cycles are reported by graphql-js' own rule; here they just stop the walk.
      if (seen.has(name)) continue;
      const fragment = fragments(name);
      if (!fragment) continue;
      seen.add(name);
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, seen));
      seen.delete(name);
    }
  }
  return deepest;
}

export function maxDepthRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const depth = depthOf(operation.selectionSet, (name) => context.getFragment(name), new Set());
      if (depth > maxDepth) context.reportError(limitError(`The operation is ${depth} fields deep; at most ${maxDepth} are allowed`));
    },
  });
}

/** Counts nodes of one kind in the whole document, reported once at its end. */
function countRule(kind: 'Field' | 'Directive', counts: (node: { alias?: unknown }) => boolean, max: number, message: (count: number) => string): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let count = 0;
    return {
      [kind]: (node: { alias?: unknown }) => {
        if (counts(node)) count += 1;
      },
      Document: {
        leave() {
          if (count > max) context.reportError(limitError(message(count)));
        },
      },
    };
  };
}

export const maxAliasesRule = (max: number): ValidationRule =>
  countRule('Field', (node) => node.alias !== undefined, max, (count) => `The document uses ${count} aliases; at most ${max} are allowed`);

export const maxDirectivesRule = (max: number): ValidationRule =>
  countRule('Directive', () => true, max, (count) => `The document uses ${count} directives; at most ${max} are allowed`);

/** The rules both endpoints add to graphql-js' specified rules. */
export function documentRules(limits: LimitsConfig): ValidationRule[] {
  return [
    maxDepthRule(limits.maxDepth),
    maxAliasesRule(limits.maxAliases),
    maxDirectivesRule(limits.maxDirectives),
    // graphql-js' rule rather than Apollo's, so both endpoints answer with the same message.
    ...(limits.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
}

const SUGGESTION = / ?Did you mean(.+?)\?$/;

/** "Did you mean ...?" names fields and types the client did not ask about; removed when suggestions are off. */
export function withoutSuggestion(message: string): string {
  return message.replace(SUGGESTION, '');
}
