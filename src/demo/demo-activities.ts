import { newRowId } from '../db/row-id.js';
import type { activities } from '../modules/activities/activities.table.js';
import type { notes } from '../modules/notes/notes.table.js';
import type { TimelineRecordType } from '../modules/timeline/timeline.service.js';
import { CALL_SUBJECTS, MEETING_PLACES, MEETING_SUBJECTS, NOTE_BODIES, NOTE_TITLES, TASK_SUBJECTS } from './demo-names.js';
import {
  addDays,
  between,
  earliest,
  HOUR,
  latest,
  timelineEntry,
  workingTime,
  type DemoContext,
  type NewTimelineEntry,
  type RecordRef,
} from './demo-values.js';

export type NewActivity = typeof activities.$inferInsert;
export type NewNote = typeof notes.$inferInsert;

export interface RelatedPools {
  readonly LEAD: readonly RecordRef[];
  readonly CONTACT: readonly RecordRef[];
  readonly ACCOUNT: readonly RecordRef[];
  readonly DEAL: readonly RecordRef[];
}

export interface DemoActivities {
  readonly activities: NewActivity[];
  readonly notes: NewNote[];
  readonly timeline: NewTimelineEntry[];
}

type ActivityType = 'TASK' | 'CALL' | 'MEETING';
type Status = 'NOT_STARTED' | 'IN_PROGRESS' | 'WAITING' | 'DEFERRED' | 'COMPLETED' | 'CANCELLED';

const RELATED_WEIGHTS: ReadonlyArray<readonly [TimelineRecordType, number]> = [
  ['DEAL', 35],
  ['LEAD', 30],
  ['CONTACT', 25],
  ['ACCOUNT', 10],
];

/** Work that was due has mostly been done; what is left open in the past is overdue. */
function statusOf(context: DemoContext, past: boolean): Status {
  if (past) return context.random.weighted([['COMPLETED', 70], ['CANCELLED', 5], ['NOT_STARTED', 15], ['IN_PROGRESS', 7], ['WAITING', 3]]);
  return context.random.weighted([['NOT_STARTED', 65], ['IN_PROGRESS', 18], ['WAITING', 8], ['DEFERRED', 6], ['CANCELLED', 3]]);
}

const subjectFor = (context: DemoContext, type: ActivityType, record: RecordRef): string => {
  const subjects = type === 'TASK' ? TASK_SUBJECTS : type === 'CALL' ? CALL_SUBJECTS : MEETING_SUBJECTS;
  return `${context.random.pick(subjects)}: ${record.label}`.slice(0, 255);
};

const capitalised = (type: ActivityType): string => `${type.charAt(0)}${type.slice(1).toLowerCase()}`;

/** The shape rules of `createActivity`: tasks are due, calls start, meetings start and end. */
function activity(context: DemoContext, record: RecordRef, timeline: NewTimelineEntry[]): NewActivity {
  const { random, now } = context;
  const type = random.weighted<ActivityType>([['TASK', 45], ['CALL', 30], ['MEETING', 25]]);
  const notBefore = addDays(record.createdAt, 1);
  const at = latest(notBefore, workingTime(random, between(random, latest(notBefore, addDays(now, -60)), addDays(now, 30))));
  const past = at < now;
  const status = statusOf(context, past);
  const scheduledBy = earliest(at, now);
  const createdAt = between(random, latest(record.createdAt, addDays(scheduledBy, -7)), scheduledBy);
  const minutes = random.pick([15, 30, 30, 45, 60, 60, 90]);
  const done = status === 'COMPLETED' || status === 'CANCELLED';
  const endAt = type === 'MEETING' ? new Date(at.getTime() + minutes * 60_000) : null;
  const callSeconds = type === 'CALL' && status === 'COMPLETED' ? random.int(45, 40 * 60) : null;
  const finishedAt =
    status === 'CANCELLED' ? latest(createdAt, new Date(at.getTime() - random.int(1, 48) * HOUR))
    : endAt ?? new Date(at.getTime() + (callSeconds ?? random.int(0, 30) * 3600) * 1000);
  const completedAt = done ? latest(createdAt, earliest(now, finishedAt)) : null;
  const id = newRowId();
  const subject = subjectFor(context, type, record);
  timeline.push(timelineEntry(context, record, { kind: 'ACTIVITY_ADDED', actorId: record.ownerId, at: createdAt, summary: `${capitalised(type)} scheduled: ${subject}`, data: { activityId: id } }));
  if (status === 'COMPLETED' && completedAt) {
    timeline.push(timelineEntry(context, record, { kind: 'ACTIVITY_COMPLETED', actorId: record.ownerId, at: completedAt, summary: `${capitalised(type)} completed: ${subject}`, data: { activityId: id } }));
  }
  return {
    organizationId: context.organizationId,
    id,
    leadId: record.type === 'LEAD' ? record.id : null,
    contactId: record.type === 'CONTACT' ? record.id : null,
    accountId: record.type === 'ACCOUNT' ? record.id : null,
    dealId: record.type === 'DEAL' ? record.id : null,
    type,
    subject,
    description: random.chance(0.2) ? 'Agenda and materials shared in advance.' : null,
    status,
    priority: random.weighted([['HIGH', 2], ['NORMAL', 6], ['LOW', 2]]),
    dueAt: type === 'TASK' ? at : null,
    startAt: type === 'TASK' ? null : at,
    endAt,
    completedAt,
    location: type === 'MEETING' ? random.pick(MEETING_PLACES) : null,
    callDirection: type === 'CALL' ? random.weighted([['OUTBOUND', 3], ['INBOUND', 1]]) : null,
    callDurationSeconds: callSeconds,
    ownerId: record.ownerId,
    createdById: record.ownerId,
    createdAt,
    updatedAt: completedAt ?? createdAt,
    version: completedAt ? 2 : 1,
  };
}

function note(context: DemoContext, record: RecordRef, timeline: NewTimelineEntry[]): NewNote {
  const { random, now } = context;
  const title = random.pick(NOTE_TITLES);
  const body = random.pick(NOTE_BODIES);
  const createdAt = between(random, record.createdAt, now);
  const id = newRowId();
  const text = title ?? body;
  const preview = text.length > 80 ? `${text.slice(0, 77)}...` : text;
  timeline.push(timelineEntry(context, record, { kind: 'NOTE_ADDED', actorId: record.ownerId, at: createdAt, summary: `Note added: ${preview}`, data: { noteId: id } }));
  return {
    organizationId: context.organizationId,
    id,
    leadId: record.type === 'LEAD' ? record.id : null,
    contactId: record.type === 'CONTACT' ? record.id : null,
    accountId: record.type === 'ACCOUNT' ? record.id : null,
    dealId: record.type === 'DEAL' ? record.id : null,
    title,
    body,
    authorId: record.ownerId,
    createdAt,
    updatedAt: createdAt,
  };
}

/** Activities and notes about the records in `pools`, each on its record's timeline as the services put it. */
export function generateActivities(context: DemoContext, pools: RelatedPools, activityCount: number, noteCount: number): DemoActivities {
  const result: DemoActivities = { activities: [], notes: [], timeline: [] };
  const pickRecord = (): RecordRef => context.random.pick(pools[context.random.weighted(RELATED_WEIGHTS)]);
  for (let i = 0; i < activityCount; i++) result.activities.push(activity(context, pickRecord(), result.timeline));
  for (let i = 0; i < noteCount; i++) result.notes.push(note(context, pickRecord(), result.timeline));
  return result;
}
