import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type ParseOptions, type ValidationRule } from 'graphql';
import type { LimitsConfig } from '../../config.js';
import type { Db } from '../../db/database.js';
import type { Viewer } from '../../modules/auth/viewer.js';
import { DomainError } from '../../shared/errors.js';
import { MemoryBudgetStore, PostgresBudgetStore, type BudgetAnswer, type BudgetStore } from './budgets.js';
import type { Clock } from './clock.js';
import { documentRules, LIMIT_ERROR_CODE, withoutSuggestion } from './document-rules.js';
import { operationCost } from './query-cost.js';

/** What `extensions.cost` of every response holds. */
export interface CostExtension {
  readonly requested: number;
  readonly remaining: number;
  readonly capacity: number;
  readonly restoreRate: number;
  readonly resetAt: string;
  readonly maxPerOperation: number;
}

/** Who pays for an operation. */
export interface Caller {
  readonly viewer: Viewer | null;
  /** The client's IP address; anonymous callers share its bucket. */
  readonly address: string;
}

/** An API key's requests spend the key's budget, not its creator's. */
export function budgetSubject(caller: Caller): string {
  const viewer = caller.viewer;
  if (!viewer) return `ip:${caller.address}`;
  return viewer.apiKeyId ? `org:${viewer.organizationId}:key:${viewer.apiKeyId}` : `org:${viewer.organizationId}:user:${viewer.userId}`;
}

/** The outcome of admitting an operation: its cost report, or the error to answer with. */
export type Admission = { readonly cost: CostExtension; readonly error: null } | { readonly cost: CostExtension | null; readonly error: DomainError | GraphQLError };

/**
 * The one set of limits every GraphQL endpoint applies: the parser's token cap, the validation
 * rules (depth, aliases, directives, introspection), the per-operation cost cap and the callers'
 * budgets. HTTP runs it through an Apollo plugin, the WebSocket from `onSubscribe`.
 */
export class OperationLimits {
  readonly rules: readonly ValidationRule[];
  readonly parseOptions: ParseOptions;
  private readonly budgets: BudgetStore;

  constructor(
    readonly config: LimitsConfig,
    db: Db,
    readonly clock: Clock,
  ) {
    this.rules = documentRules(config);
    this.parseOptions = { maxTokens: config.maxTokens };
    const settings = { capacity: config.budget, restoreRate: config.restoreRate };
    this.budgets = config.budgetStore === 'postgres' ? new PostgresBudgetStore(db, settings, clock) : new MemoryBudgetStore(settings, clock);
  }

  /** A validation or parse message as the client sees it (no "Did you mean" unless suggestions are on). */
  message(message: string): string {
    return this.config.fieldSuggestions ? message : withoutSuggestion(message);
  }

  /** Parses and validates `query` with every rule; the WebSocket's counterpart of Apollo's pipeline. */
  check(schema: GraphQLSchema, query: string): { document: DocumentNode; errors: readonly GraphQLError[] } | GraphQLError {
    let document: DocumentNode;
    try {
      document = parse(query, this.parseOptions);
    } catch (error) {
      return new GraphQLError(this.message((error as Error).message), { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    }
    const errors = validate(schema, document, [...specifiedRules, ...this.rules]).map(
      (error) => new GraphQLError(this.message(error.message), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    );
    return { document, errors };
  }

  /** Prices the operation and charges the caller's budget. */
  async admit(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>> | null | undefined, caller: Caller): Promise<Admission> {
    const requested = operationCost(schema, document, operation, variables);
    if (requested > this.config.maxCost) {
      const error = new GraphQLError(`The operation costs ${requested} points; at most ${this.config.maxCost} are allowed per operation. Ask for smaller pages (first) or fewer nested lists`, {
        extensions: { code: LIMIT_ERROR_CODE },
      });
      return { cost: null, error };
    }
    const budget = await this.budgets.take(budgetSubject(caller), requested);
    const cost = this.extension(budget);
    if (budget.allowed) return { cost, error: null };
    const error = new DomainError('RATE_LIMITED', `The operation costs ${requested} points and ${budget.remaining} are left; retry in ${budget.retryAfterSeconds} s`, {
      retryAfterSeconds: budget.retryAfterSeconds,
      cost,
    });
    return { cost, error };
  }

  private extension(budget: BudgetAnswer): CostExtension {
    return {
      requested: budget.requested,
      remaining: budget.remaining,
      capacity: budget.capacity,
      restoreRate: budget.restoreRate,
      resetAt: budget.resetAt.toISOString(),
      maxPerOperation: this.config.maxCost,
    };
  }
}
