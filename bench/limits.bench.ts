/**
 * What the GraphQL limits cost per request, in-process (no server, no database): parsing and
 * validating the foundation benchmark's nested query and a board query with graphql-js' rules
 * alone (the baseline) and with Pulse's extra rules, plus pricing and charging a memory budget.
 * Apollo caches validated documents by text, so in the server validation runs once per distinct
 * query; parsing is cached too. Pricing and charging run on every request.
 * Run: npx tsx bench/limits.bench.ts
 */
import { getOperationAST, parse, specifiedRules, validate } from 'graphql';
import { loadConfig } from '../src/config.js';
import type { Viewer } from '../src/modules/auth/viewer.js';
import { AdjustableClock } from '../src/server/limits/clock.js';
import { OperationLimits } from '../src/server/limits/operation-guard.js';
import { buildSchema } from '../src/server/schema.js';
import { NESTED_DEALS_QUERY } from './floor.js';

const BOARD = `query($p: ID!) { dealsBoard(pipelineId: $p, perStage: 50) { cursor columns { stage { id name } count totalAmount deals { nodes { id name amount owner { name } account { name } } } } } }`;
const ROUNDS = 3000;

const schema = buildSchema();
const config = loadConfig({ JWT_SECRET: 'bench-secret-only-for-the-local-benchmark-database', PULSE_DATA_DIR: '/tmp/pulse-bench', QUERY_BUDGET: '1000000000', QUERY_BUDGET_RESTORE_RATE: '1000000000' });
const limits = new OperationLimits(config.limits, null as never, new AdjustableClock());
const viewer = { userId: 'u', organizationId: 'o' } as Viewer;

function perCall(work: () => void): number {
  for (let i = 0; i < 200; i += 1) work();
  const started = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i += 1) work();
  return Number(process.hrtime.bigint() - started) / ROUNDS / 1000;
}

async function perAsyncCall(work: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i += 1) await work();
  const started = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i += 1) await work();
  return Number(process.hrtime.bigint() - started) / ROUNDS / 1000;
}

for (const [name, query, variables] of [['nested deals(first: 100)', NESTED_DEALS_QUERY, {}], ['dealsBoard(perStage: 50)', BOARD, { p: 'x' }]] as const) {
  const baseline = perCall(() => validate(schema, parse(query), specifiedRules));
  const withLimits = perCall(() => validate(schema, parse(query, limits.parseOptions), [...specifiedRules, ...limits.rules]));
  const document = parse(query);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  const pricing = await perAsyncCall(() => limits.admit(schema, document, operation, variables, { viewer, address: '' }));
  const cost = (await limits.admit(schema, document, operation, variables, { viewer, address: '' })).cost?.requested;
  process.stdout.write(
    `${name}: cost ${cost}; parse+validate ${baseline.toFixed(1)} us -> ${withLimits.toFixed(1)} us with limits (${(withLimits / baseline).toFixed(2)}x, once per distinct query); ` +
      `price + charge ${pricing.toFixed(1)} us per request\n`,
  );
}
