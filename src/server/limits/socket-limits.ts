import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { WebSocket } from 'ws';
import type { Db } from '../../db/database.js';
import type { Viewer } from '../../modules/auth/viewer.js';
import { chooseDocument, sentHash } from '../../modules/trusted-documents/trusted-documents.service.js';
import { DomainError } from '../../shared/errors.js';
import type { CostExtension, OperationLimits } from './operation-guard.js';
import { MemoryConnectionRegistry, PostgresConnectionRegistry, type ConnectionRegistry } from './connection-registry.js';
import { SocketGuards } from './socket-guards.js';

const asGraphQLError = (error: DomainError | GraphQLError): GraphQLError =>
  error instanceof DomainError ? new GraphQLError(error.message, { originalError: error }) : error;

/**
 * Everything the WebSocket endpoint applies beyond authentication, in the few calls
 * `websocket.ts` makes: the same limits and budgets as HTTP, the connection and subscription
 * caps, token expiry, and `extensions.cost` on each subscription's first result.
 */
export class SocketLimits {
  private readonly guards;
  /** Cost reports waiting for their subscription's first `next`, per connection. */
  private readonly pendingCost = new WeakMap<object, Map<string, CostExtension>>();

  private readonly registry: ConnectionRegistry;

  constructor(
    readonly limits: OperationLimits,
    db: Db,
  ) {
    this.registry = limits.config.connectionStore === 'postgres' ? new PostgresConnectionRegistry(db) : new MemoryConnectionRegistry();
    this.guards = new SocketGuards(limits.config, this.registry);
  }

  /** Forgets this process's connections in the shared count (the server stops). */
  close(): Promise<void> {
    return this.registry.close();
  }

  onConnected(socket: WebSocket, viewer: Viewer, expiresAt: Date | null): Promise<boolean> {
    return this.guards.admitConnection(socket, viewer, expiresAt);
  }

  /** The document text to run (a registered one when an id was sent), or the errors refusing it. */
  async chooseDocument(
    db: Db,
    viewer: Viewer | null,
    payload: { readonly query: string; readonly extensions?: Readonly<Record<string, unknown>> | null | undefined; readonly documentId?: unknown },
  ): Promise<string | GraphQLError[]> {
    const hash = sentHash(payload.extensions, payload.documentId);
    const choice = await chooseDocument(db, viewer, { query: payload.query, hash });
    return 'error' in choice ? [choice.error] : choice.query;
  }

  /** Null when the subscription may run (its cost charged), else the errors to answer with. */
  async admit(
    connection: { readonly subscriptions: Readonly<Record<string, unknown>> },
    id: string,
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Readonly<Record<string, unknown>> | null | undefined,
    caller: { readonly viewer: Viewer | null; readonly address: string },
  ): Promise<GraphQLError[] | null> {
    // graphql-ws has already registered this subscription's id.
    const refused = this.guards.refuseSubscription(Object.keys(connection.subscriptions).length - 1);
    if (refused) return [asGraphQLError(refused)];
    const admission = await this.limits.admit(schema, document, operation, variables, caller);
    if (admission.error) return [asGraphQLError(admission.error)];
    let pending = this.pendingCost.get(connection);
    if (!pending) this.pendingCost.set(connection, (pending = new Map()));
    pending.set(id, admission.cost);
    return null;
  }

  /** The cost report for a subscription's first result (once), or undefined; also drops it when the subscription ends without one. */
  takeCost(connection: object, id: string): CostExtension | undefined {
    const pending = this.pendingCost.get(connection);
    const cost = pending?.get(id);
    if (cost) pending?.delete(id);
    return cost;
  }
}
