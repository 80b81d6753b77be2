import { newRowId } from '../../db/row-id.js';
import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Db } from '../../db/database.js';
import { namedStatements } from '../../db/named-statements.js';
import { withGenericPlansAround } from '../../db/generic-plans.js';
import { writeBehind } from '../../db/transaction.js';
import { publishInWrite } from '../records/savepoint-events.js';
import { timelineFromRows } from '../timeline/timeline.service.js';
import { arrayLiteral } from '../../db/any-of.js';
import { computeScore, type ScoreResult } from './score-compute.js';
import { SCORED } from './scored-modules.js';
import { recordScores, scoreHistory, scoringRules, type ScoredModule, type ScoringRuleRow } from './scoring.table.js';

/** The topic of score events on the one event path (a live list re-sorts on them). */
export const SCORE_TOPIC = 'score';

/** What a score event carries. */
export interface ScoreEventData {
  readonly module: ScoredModule;
  readonly score: number;
  readonly previousScore: number;
  readonly ownerId: string;
  readonly reason: string;
  /** Contacts and deals: their territories, so managers receive the event as they read the record. */
  readonly territoryIds?: readonly string[];
}

export function activeRules(db: Db, organizationId: string, module: ScoredModule): Promise<ScoringRuleRow[]> {
  return db
    .select()
    .from(scoringRules)
    .where(and(eq(scoringRules.organizationId, organizationId), eq(scoringRules.module, module), eq(scoringRules.active, true)))
    .orderBy(asc(scoringRules.createdAt), asc(scoringRules.id));
}

type ScoredRow = Readonly<Record<string, unknown>> & { readonly id: string; readonly ownerId: string };

/** Signals per record and kind, in one statement. */
async function signalCounts(tx: Db, organizationId: string, column: 'lead_id' | 'contact_id', ids: readonly string[]): Promise<Map<string, Map<string, number>>> {
  const rows = rowsOf<{ record_id: string; kind: string; n: number | string }>(
    await tx.execute(sql`
      select ${sql.raw(column)} as record_id, kind, count(*) as n from sales_signals
      where organization_id = ${organizationId} and ${sql.raw(column)} in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})
      group by 1, 2`),
  );
  const counts = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const perKind = counts.get(row.record_id) ?? new Map<string, number>();
    perKind.set(row.kind, Number(row.n));
    counts.set(row.record_id, perKind);
  }
  return counts;
}

export interface ScoreOptions {
  readonly actorId: string | null;
  /** Why the score may have moved, for the history and the timeline: "Record changed", "Email opened". */
  readonly reason: string;
  /** The rows, when the caller holds them already (the write hook). */
  readonly rows?: readonly ScoredRow[];
  /** Defaults to the module's active rules. */
  readonly rules?: readonly ScoringRuleRow[];
  /** The records were inserted in this transaction (no stored score to compare with). */
  readonly created?: boolean;
}

/** The record's score column as read with it (null when the row was read without it). */
const columnScore = (row: ScoredRow): number | null => (typeof row['score'] === 'number' ? row['score'] : null);

/**
 * Recomputes the stored scores of records in the caller's transaction, and for each score that
 * moved: the record's score column, the history, a timeline entry and an event. A constant
 * number of statements whatever the number of records.
 */
export async function scoreRecords(tx: Db, organizationId: string, module: ScoredModule, ids: readonly string[], options: ScoreOptions): Promise<number> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return 0;
  const scored = SCORED[module];
  const rules = options.rules ?? (await activeRules(tx, organizationId, module));
  const rows =
    options.rows ??
    ((await tx
      .select()
      .from(scored.table)
      .where(and(eq(scored.table.organizationId, organizationId), inArray(scored.table.id, unique)))
      .orderBy(asc(scored.table.id))
      // Locked (in id order, as the rescore takes its batches), so a concurrent edit or signal waits and its own rescore sees this one's result.
      .for('update')) as unknown as ScoredRow[]);
  // A record inserted a moment ago (its write's own hook) has had no signal yet.
  const needsSignals = !options.created && scored.signalColumn !== null && rules.some((rule) => rule.signalScores.length > 0);
  const counts = needsSignals && scored.signalColumn ? await signalCounts(tx, organizationId, scored.signalColumn, unique) : new Map<string, Map<string, number>>();
  // Records created in this transaction have no stored score yet: nothing to read.
  const stored = options.created
    ? []
    : await tx
        .select({ recordId: recordScores.recordId, score: recordScores.score, breakdown: recordScores.breakdown })
        .from(recordScores)
        .where(and(eq(recordScores.organizationId, organizationId), inArray(recordScores.recordId, unique)));
  const before = new Map(stored.map((row) => [row.recordId, row]));
  const changed: { row: ScoredRow; result: ScoreResult; previous: number }[] = [];
  for (const row of rows) {
    const result = computeScore(rules, row, counts.get(row.id) ?? new Map());
    const previous = before.get(row.id);
    const unscored = result.score === 0 && result.breakdown.length === 0 && (columnScore(row) ?? 0) === 0;
    if (previous ? previous.score === result.score && JSON.stringify(previous.breakdown) === JSON.stringify(result.breakdown) : unscored) continue;
    changed.push({ row, result, previous: previous?.score ?? 0 });
  }
  if (changed.length === 0) return 0;
  const parts = scoreWrites(organizationId, module, changed, options);
  const moved = changed.filter(({ result, previous }) => result.score !== previous);
  // The score column is written where it does not hold the new score yet: a record inserted with its score is not written again.
  const stale = changed.filter(({ row, result, previous }) => (columnScore(row) ?? previous) !== result.score);
  const values = sql.join(stale.map(({ row, result }) => sql`(${row.id}::uuid, ${result.score}::int)`), sql`, `);
  // The stored breakdown, the history, the timeline entries and the record's score column in one statement (one round trip per write).
  if (stale.length === 0) {
    const write = sql`with ${namedStatements('score', parts)} select 1`;
    // New records' scores (an import's batch): inserts only, whose foreign-key checks may keep their
    // plans, and which nothing waits for: written behind, while the next batch is prepared.
    if (options.created) await writeBehind(tx, () => withGenericPlansAround([write]).map((statement) => tx.execute(statement)));
    else await tx.execute(write);
  } else {
    await tx.execute(sql`with ${namedStatements('score', parts)}
    update ${scored.table} set score = v.score from (values ${values}) as v(id, score)
    where ${scored.table.organizationId} = ${organizationId} and ${scored.table.id} = v.id`);
  }
  publishScores(tx, organizationId, module, moved, options);
  return moved.length;
}

interface ScoreChange {
  readonly row: ScoredRow;
  readonly result: ScoreResult;
  readonly previous: number;
}

const column = (c: { readonly name: string }) => sql.identifier(c.name);

/** The writes of changed scores: the stored breakdowns, and for each score that moved its history row and timeline entry. */
function scoreWrites(organizationId: string, module: ScoredModule, changed: readonly ScoreChange[], options: ScoreOptions): SQL[] {
  const now = new Date();
  const { score, breakdown, updatedAt } = recordScores;
  const insert = scoresInsert(organizationId, module, changed, now);
  // A record inserted in this transaction has no stored score: a plain insert (no conflict to look for).
  const upsert = options.created
    ? insert
    : sql`${insert}
    on conflict (${column(recordScores.organizationId)}, ${column(recordScores.recordId)}) do update
    set ${column(score)} = excluded.${column(score)}, ${column(breakdown)} = excluded.${column(breakdown)}, ${column(updatedAt)} = excluded.${column(updatedAt)}`;
  const moved = changed.filter(({ result, previous }) => result.score !== previous);
  if (moved.length === 0) return [upsert];
  return [upsert, ...movesWrites(organizationId, module, moved, options, now)];
}

/**
 * The history rows and SCORE_CHANGED timeline entries of scores that moved, from arrays of their
 * ids, records and scores (`unnest`): the summary ("Score rose from 0 to 35 (Record created)") and
 * the entry's data are made in SQL, so a batch sends a few arrays instead of a row of JSON each.
 */
function movesWrites(organizationId: string, module: ScoredModule, moved: readonly ScoreChange[], options: ScoreOptions, now: Date): SQL[] {
  const h = scoreHistory;
  const [records, previous, scores] = [arrayLiteral(moved.map(({ row }) => row.id)), arrayLiteral(moved.map((move) => move.previous)), arrayLiteral(moved.map(({ result }) => result.score))];
  const moves = (ids: readonly string[]) => sql`unnest(${arrayLiteral(ids)}::uuid[], ${records}::uuid[], ${previous}::int[], ${scores}::int[]) as m(id, record_id, previous, score)`;
  const reason = sql`${options.reason}::text`;
  const history = sql`insert into ${h} (${column(h.organizationId)}, ${column(h.id)}, ${column(h.recordId)}, ${column(h.module)}, ${column(h.previousScore)}, ${column(h.score)}, ${column(h.reason)}, ${column(h.at)})
    select ${organizationId}::uuid, m.id, m.record_id, ${module}, m.previous, m.score, ${reason}, ${now.toISOString()}::timestamptz from ${moves(moved.map(() => newRowId()))}`;
  const entries = sql`select m.id, m.record_id,
      format('Score %s from %s to %s (%s)', case when m.score > m.previous then 'rose' else 'fell' end, m.previous, m.score, ${reason}) as summary,
      jsonb_build_object('previousScore', m.previous, 'score', m.score, 'reason', ${reason}) as data
    from ${moves(moved.map(() => newRowId()))}`;
  return [history, timelineFromRows(organizationId, options.actorId, SCORED[module].timelineType, 'SCORE_CHANGED', entries)];
}

/**
 * The insert of the stored scores: ids and scores as two array parameters, and each distinct
 * breakdown once, in a third (a jsonb array the rows index into). Records of a batch mostly share
 * their breakdowns (the same rules matching), and a breakdown is about a kilobyte: sent and parsed
 * once per batch instead of once per record, it was a quarter of an import's score statement.
 */
function scoresInsert(organizationId: string, module: ScoredModule, changed: readonly ScoreChange[], now: Date): SQL {
  const distinct = new Map<string, number>();
  const indexes = changed.map(({ result }) => {
    const text = JSON.stringify(result.breakdown);
    let index = distinct.get(text);
    if (index === undefined) {
      index = distinct.size;
      distinct.set(text, index);
    }
    return index;
  });
  const t = recordScores;
  return sql`insert into ${t} (${column(t.organizationId)}, ${column(t.recordId)}, ${column(t.module)}, ${column(t.score)}, ${column(t.breakdown)}, ${column(t.updatedAt)})
    select ${organizationId}::uuid, r.id, ${module}, r.score, ${`[${[...distinct.keys()].join(',')}]`}::jsonb -> r.breakdown, ${now.toISOString()}::timestamptz
    from unnest(${arrayLiteral(changed.map(({ row }) => row.id))}::uuid[], ${arrayLiteral(changed.map(({ result }) => result.score))}::int[], ${arrayLiteral(indexes)}::int[]) as r(id, score, breakdown)`;
}

/** The score events of scores that moved, on the one event path. */
function publishScores(tx: Db, organizationId: string, module: ScoredModule, moved: readonly ScoreChange[], options: Pick<ScoreOptions, 'actorId' | 'reason'>): void {
  for (const { row, result, previous } of moved) {
    const territoryIds = row['territoryIds'];
    const data: ScoreEventData = {
      module,
      score: result.score,
      previousScore: previous,
      ownerId: row.ownerId,
      reason: options.reason,
      ...(Array.isArray(territoryIds) && territoryIds.length > 0 ? { territoryIds: territoryIds as string[] } : {}),
    };
    publishInWrite(tx, organizationId, options.actorId, { topic: SCORE_TOPIC, kind: 'SCORE_CHANGED', recordId: row.id, scopeId: row.id, data: { ...data } });
  }
}

/** A new record's score as its insert will store it, computed before the insert. */
export interface NewRecordScore {
  readonly result: ScoreResult;
  /** The writes that go with the insert (`CreateDraft.companions`); none when the record scores nothing. */
  readonly writes: SQL[];
}

const REASON_CREATED = 'Record created';

/**
 * The stored score of a record about to be inserted (one of a single create): written in the
 * insert's statement. `publishNewRecordScore` sends its event once the row exists.
 */
export function newRecordScore(tx: Db, organizationId: string, module: ScoredModule, id: string, values: Readonly<Record<string, unknown>>, rules: readonly ScoringRuleRow[], actorId: string | null): NewRecordScore {
  const result = computeScore(rules, values, new Map());
  if (result.score === 0 && result.breakdown.length === 0) return { result, writes: [] };
  const row = { ...values, id } as ScoredRow;
  return { result, writes: scoreWrites(organizationId, module, [{ row, result, previous: 0 }], { actorId, reason: REASON_CREATED, created: true }) };
}

/**
 * After the insert: the event of a score `newRecordScore` wrote. True when the inserted row
 * scores as computed; false when it scores otherwise (a default only the database knew): the
 * caller then rescores it as any other write.
 */
export function publishNewRecordScore(tx: Db, organizationId: string, module: ScoredModule, row: ScoredRow, rules: readonly ScoringRuleRow[], written: NewRecordScore, actorId: string | null): boolean {
  const result = computeScore(rules, row, new Map());
  if (result.score !== written.result.score || JSON.stringify(result.breakdown) !== JSON.stringify(written.result.breakdown)) return false;
  if (result.score !== 0) publishScores(tx, organizationId, module, [{ row, result, previous: 0 }], { actorId, reason: REASON_CREATED });
  return true;
}

/**
 * After signals are written: rescore their leads and contacts (the signals service calls this).
 * The signal writer has already updated (so locked) each record's last activity: two signals of
 * one record in concurrent transactions count each other, the second waiting for the first.
 */
export async function scoreAfterSignals(tx: Db, organizationId: string, actorId: string | null, signals: readonly { leadId: string | null; contactId: string | null; kind: string }[]): Promise<void> {
  for (const [module, key] of [['leads', 'leadId'], ['contacts', 'contactId']] as const) {
    const touched = signals.filter((signal) => signal[key] !== null);
    if (touched.length === 0) continue;
    const rules = await activeRules(tx, organizationId, module);
    if (!rules.some((rule) => rule.signalScores.some((score) => touched.some((signal) => signal.kind === score.kind)))) continue;
    const kinds = [...new Set(touched.map((signal) => signal.kind))].join(', ');
    await scoreRecords(tx, organizationId, module, touched.map((signal) => signal[key] as string), { actorId, reason: `${kinds} signal`, rules });
  }
}
