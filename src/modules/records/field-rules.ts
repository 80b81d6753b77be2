import { badInput } from '../../shared/errors.js';
import {
  currencyCode,
  money,
  nonNegativeInt,
  normaliseEmail,
  normalisePhone,
  optionalText,
  percentage,
  picklistValue,
  requiredText,
  tagList,
  website,
} from '../../shared/validation.js';

/** What a rule may need besides the value: the organisation's defaults. */
export interface RuleContext {
  readonly country: string;
}

/** Validates and normalises one field's input; receives null when the client clears the field. */
export type FieldRule = (field: string, value: unknown, context: RuleContext) => unknown;

const optional =
  (rule: (field: string, value: never, context: RuleContext) => unknown): FieldRule =>
  (field, value, context) =>
    value === null || (typeof value === 'string' && value.trim() === '') ? null : rule(field, value as never, context);

export const rules = {
  required: (max = 255): FieldRule => (field, value) => {
    if (value === null) throw badInput(field, `${field} is required`);
    return requiredText(field, value as string, max);
  },
  text: (max = 255): FieldRule => (field, value) => optionalText(field, value as string | null, max),
  email: optional((field, value: string) => normaliseEmail(field, value)),
  phone: optional((field, value: string, context) => normalisePhone(field, value, context.country)),
  money: optional((field, value: string) => money(field, value)),
  count: optional((field, value: number) => nonNegativeInt(field, value)),
  percentage: optional((field, value: number) => percentage(field, value)),
  website: optional((field, value: string) => website(field, value)),
  currency: optional((field, value: string) => currencyCode(field, value)),
  picklist: (allowed: readonly string[]) => optional((field, value: string) => picklistValue(field, value, allowed)),
  requiredPicklist: (allowed: readonly string[]): FieldRule => (field, value) => {
    if (value === null) throw badInput(field, `${field} is required`);
    return picklistValue(field, value as string, allowed);
  },
  tags: (): FieldRule => (field, value) => (value === null ? [] : tagList(field, value as string[])),
  passthrough: (): FieldRule => (_field, value) => value,
  /** Social handles, matched case-insensitively and without the @. */
  handles: (): FieldRule => (field, value) => (value === null ? [] : tagList(field, (value as string[]).map((handle) => handle.trim().replace(/^@/, '').toLowerCase()))),
} as const;

export type FieldRules = Readonly<Record<string, FieldRule>>;

/**
 * Applies `fieldRules` to the fields present in `input`. On create every ruled field is visited
 * (absent counts as null, so required fields are enforced); on update only the fields sent.
 */
export function normaliseFields(
  fieldRules: FieldRules,
  input: object,
  context: RuleContext,
  mode: 'create' | 'update',
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [field, rule] of Object.entries(fieldRules)) {
    const value = (input as Record<string, unknown>)[field];
    if (value === undefined && mode === 'update') continue;
    values[field] = rule(field, value ?? null, context);
  }
  return values;
}
