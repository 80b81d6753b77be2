import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { badInput } from './errors.js';

/**
 * Data quality at the point of entry: every write path (API, forms, imports) normalises and
 * validates through these functions, so the same input gets the same verdict everywhere.
 */

const EMAIL = /^[^\s@"(),:;<>[\\\]]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.[a-z]{2,63}$/;

export function normaliseEmail(field: string, value: string): string {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email) || email.includes('..')) {
    throw badInput(field, `${field} is not a valid email address: "${value}"`);
  }
  return email;
}

export function normalisePhone(field: string, value: string, defaultCountry: string): string {
  const phone = parsePhoneNumberFromString(value.trim(), defaultCountry as CountryCode);
  if (!phone || !phone.isPossible()) {
    throw badInput(field, `${field} is not a valid phone number: "${value}"`);
  }
  return phone.number;
}

/** A required text: trimmed, not empty, bounded. */
export function requiredText(field: string, value: string, max = 255): string {
  const text = value.trim();
  if (text === '') throw badInput(field, `${field} is required`);
  if (text.length > max) throw badInput(field, `${field} must be at most ${max} characters`);
  return text;
}

/** An optional text: trimmed, empty becomes null, bounded. */
export function optionalText(field: string, value: string | null, max = 255): string | null {
  if (value === null) return null;
  const text = value.trim();
  if (text === '') return null;
  if (text.length > max) throw badInput(field, `${field} must be at most ${max} characters`);
  return text;
}

const MONEY = /^-?\d{1,16}(\.\d{1,2})?$/;

/** An exact amount with at most 16 digits before and 2 after the point. */
export function money(field: string, value: string, { allowNegative = false } = {}): string {
  const text = value.trim();
  if (!MONEY.test(text)) throw badInput(field, `${field} must be a decimal amount with at most 2 decimal places, e.g. "1250.50"`);
  if (!allowNegative && text.startsWith('-')) throw badInput(field, `${field} cannot be negative`);
  return text;
}

export function nonNegativeInt(field: string, value: number, max = 2_000_000_000): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw badInput(field, `${field} must be a whole number from 0 to ${max}`);
  return value;
}

export function percentage(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 100) throw badInput(field, `${field} must be a whole number from 0 to 100`);
  return value;
}

export function website(field: string, value: string): string {
  const text = value.trim();
  const candidate = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  try {
    const url = new URL(candidate);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.includes('.')) return text;
  } catch {
    // typed error below
  }
  throw badInput(field, `${field} is not a valid web address: "${value}"`);
}

export function currencyCode(field: string, value: string): string {
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{3}$/.test(code)) throw badInput(field, `${field} must be a three-letter ISO 4217 code, e.g. USD`);
  return code;
}

export function countryCode(field: string, value: string): string {
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) throw badInput(field, `${field} must be a two-letter ISO 3166 code, e.g. US`);
  return code;
}

export function tagList(field: string, values: readonly string[]): string[] {
  const tags = [...new Set(values.map((tag) => tag.trim()).filter((tag) => tag !== ''))];
  if (tags.length > 50) throw badInput(field, `${field} may hold at most 50 tags`);
  for (const tag of tags) if (tag.length > 64) throw badInput(field, `each of ${field} must be at most 64 characters`);
  return tags;
}

/** Matches a value against a picklist case-insensitively and returns the list's spelling. */
export function picklistValue(field: string, value: string, allowed: readonly string[]): string {
  const wanted = value.trim().toLowerCase();
  const match = allowed.find((option) => option.toLowerCase() === wanted);
  if (!match) throw badInput(field, `${field} must be one of: ${allowed.join(', ')}`, { allowed });
  return match;
}

export function password(field: string, value: string): string {
  if (value.length < 10) throw badInput(field, `${field} must be at least 10 characters long`);
  if (value.length > 200) throw badInput(field, `${field} must be at most 200 characters long`);
  return value;
}
