/** Address columns as they sit on a record row. */
export interface AddressValue {
  readonly street: string | null;
  readonly city: string | null;
  readonly state: string | null;
  readonly postalCode: string | null;
  readonly country: string | null;
}

export interface AddressInput {
  street?: string | null | undefined;
  city?: string | null | undefined;
  state?: string | null | undefined;
  postalCode?: string | null | undefined;
  country?: string | null | undefined;
}

export const addressOf = (row: AddressValue): AddressValue => ({
  street: row.street,
  city: row.city,
  state: row.state,
  postalCode: row.postalCode,
  country: row.country,
});

const PARTS = ['street', 'city', 'state', 'postalCode', 'country'] as const;

/** The address columns an input sets; parts left out stay as they are. */
export function addressChanges(input: AddressInput | null | undefined): Partial<Record<(typeof PARTS)[number], string | null>> {
  const changes: Partial<Record<(typeof PARTS)[number], string | null>> = {};
  if (!input) return changes;
  for (const part of PARTS) {
    const value = input[part];
    if (value === undefined) continue;
    const trimmed = value === null ? null : value.trim();
    changes[part] = trimmed === '' ? null : trimmed;
  }
  return changes;
}
