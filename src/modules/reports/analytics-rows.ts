/** Rows of the built-in analytics as their SQL returns them (GraphQL resolves the relations). */

export interface ForecastRowValue {
  readonly periodStart: string;
  readonly ownerId: string | null;
  readonly expected: string;
  readonly committed: string;
  readonly bestCase: string;
  readonly closedWon: string;
  readonly quota: string | null;
  readonly attainment: string | null;
}

export interface DealListRowValue {
  readonly dealId: string;
  readonly name: string;
  readonly ownerId: string;
  readonly stageName: string;
  readonly amount: string | null;
  readonly closingDate: string | null;
  readonly daysOverdue: number;
}

export interface ActivityCountValue {
  readonly ownerId: string;
  readonly type: 'TASK' | 'CALL' | 'MEETING';
  readonly count: number;
  readonly completed: number;
}

export interface OverdueTasksValue {
  readonly ownerId: string;
  readonly count: number;
  readonly oldestDueAt: string;
}

export interface ForecastSettingsValue {
  readonly commitProbability: number;
}
