import { badInput } from '../../shared/errors.js';
import { money, normaliseEmail, normalisePhone, picklistValue, website } from '../../shared/validation.js';

/** The types a custom field can have (Zoho's field types). */
export const FIELD_TYPES = [
  'TEXT',
  'TEXTAREA',
  'INTEGER',
  'DECIMAL',
  'CURRENCY',
  'PERCENT',
  'BOOLEAN',
  'DATE',
  'DATETIME',
  'EMAIL',
  'PHONE',
  'URL',
  'PICKLIST',
  'MULTI_PICKLIST',
  'LOOKUP',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Which typed column of `custom_field_values` a type is stored, filtered and sorted in. */
export type StorageColumn = 'text' | 'number' | 'time' | 'bool' | 'texts';

export function storageOf(type: FieldType): StorageColumn {
  switch (type) {
    case 'INTEGER':
    case 'DECIMAL':
    case 'CURRENCY':
    case 'PERCENT':
      return 'number';
    case 'DATETIME':
      return 'time';
    case 'BOOLEAN':
      return 'bool';
    case 'MULTI_PICKLIST':
      return 'texts';
    case 'TEXT':
    case 'TEXTAREA':
    case 'DATE':
    case 'EMAIL':
    case 'PHONE':
    case 'URL':
    case 'PICKLIST':
    case 'LOOKUP':
      return 'text';
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
}

/** Types whose values a unique index can compare meaningfully. */
export const UNIQUE_TYPES: ReadonlySet<FieldType> = new Set(['TEXT', 'INTEGER', 'DECIMAL', 'EMAIL', 'PHONE', 'URL']);

export interface FieldShape {
  readonly apiName: string;
  readonly type: FieldType;
  readonly options: readonly string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL = /^-?\d{1,18}(\.\d{1,8})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const text = (field: string, value: unknown): string => {
  if (typeof value !== 'string') throw badInput(field, `${field} must be a string`);
  return value.trim();
};

const decimalText = (field: string, value: unknown): string => {
  const raw = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!DECIMAL.test(raw)) throw badInput(field, `${field} must be a decimal number, e.g. "12.5"`);
  // Canonical form: no trailing zeros after the point, so equal numbers compare equal as text.
  return raw.includes('.') ? raw.replace(/0+$/, '').replace(/\.$/, '') : raw;
};

/**
 * A value as the client sent it -> its stored JSON form (null when empty). The one type check
 * every write path goes through; `country` reads phone numbers written without a prefix.
 */
export function normaliseValue(shape: FieldShape, value: unknown, country: string, field = `customFields.${shape.apiName}`): unknown {
  if (value === null || value === undefined || (typeof value === 'string' && value.trim() === '')) return null;
  if (Array.isArray(value) && value.length === 0 && shape.type === 'MULTI_PICKLIST') return null;
  switch (shape.type) {
    case 'TEXT': {
      const result = text(field, value);
      if (result.length > 255) throw badInput(field, `${field} must be at most 255 characters`);
      return result;
    }
    case 'TEXTAREA': {
      const result = text(field, value);
      if (result.length > 32_000) throw badInput(field, `${field} must be at most 32000 characters`);
      return result;
    }
    case 'INTEGER': {
      const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
      if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw badInput(field, `${field} must be a whole number`);
      return number;
    }
    case 'DECIMAL':
      return decimalText(field, value);
    case 'CURRENCY':
      return money(field, typeof value === 'number' ? value.toFixed(2) : text(field, value), { allowNegative: true });
    case 'PERCENT': {
      const number = typeof value === 'string' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number) || number < 0 || number > 100) throw badInput(field, `${field} must be a number from 0 to 100`);
      return number;
    }
    case 'BOOLEAN':
      // Forms and files carry text: "true" and "false" read as booleans.
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
      if (typeof value !== 'boolean') throw badInput(field, `${field} must be true or false`);
      return value;
    case 'DATE': {
      const date = text(field, value);
      if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
        throw badInput(field, `${field} must be a date as YYYY-MM-DD`);
      }
      return date;
    }
    case 'DATETIME': {
      const instant = new Date(text(field, value));
      if (Number.isNaN(instant.getTime()) || !/[zZ]|[+-]\d{2}:?\d{2}$/.test(String(value).trim())) {
        throw badInput(field, `${field} must be an ISO-8601 instant with an offset, e.g. 2026-11-23T09:30:00Z`);
      }
      return instant.toISOString();
    }
    case 'EMAIL':
      return normaliseEmail(field, text(field, value));
    case 'PHONE':
      return normalisePhone(field, text(field, value), country);
    case 'URL':
      return website(field, text(field, value));
    case 'PICKLIST':
      return picklistValue(field, text(field, value), shape.options);
    case 'MULTI_PICKLIST': {
      if (!Array.isArray(value)) throw badInput(field, `${field} must be a list of values`);
      const picked = value.map((item) => picklistValue(field, text(field, item), shape.options));
      return [...new Set(picked)];
    }
    case 'LOOKUP': {
      const id = text(field, value);
      if (!UUID.test(id)) throw badInput(field, `${field} must be the id of a record`);
      return id.toLowerCase();
    }
    default: {
      const unreachable: never = shape.type;
      return unreachable;
    }
  }
}

/** The typed columns of a `custom_field_values` row for a stored (non-null) value. */
export function storedColumns(type: FieldType, value: unknown, unique: boolean) {
  const column = storageOf(type);
  return {
    textValue: column === 'text' ? String(value) : null,
    numberValue: column === 'number' ? String(value) : null,
    timeValue: column === 'time' ? new Date(String(value)) : null,
    boolValue: column === 'bool' ? (value as boolean) : null,
    textValues: column === 'texts' ? (value as string[]) : null,
    uniqueKey: unique ? String(value).toLowerCase() : null,
  };
}
