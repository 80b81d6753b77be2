/** Every table, for drizzle-kit and for the typed database handle. */
export * from '../modules/organizations/organizations.table.js';
export * from '../modules/users/users.table.js';
export * from '../modules/pipelines/pipelines.table.js';
export * from '../modules/accounts/accounts.table.js';
export * from '../modules/contacts/contacts.table.js';
export * from '../modules/leads/leads.table.js';
export * from '../modules/deals/deals.table.js';
export * from '../modules/activities/activities.table.js';
export * from '../modules/notes/notes.table.js';
export * from '../modules/timeline/timeline.table.js';
export * from '../modules/deals/stage-history.table.js';
export * from '../events/events.table.js';
export * from '../modules/emails/emails.table.js';
export * from '../modules/signals/signals.table.js';
export * from '../modules/forms/forms.table.js';
export * from '../modules/imports/imports.table.js';
export * from '../modules/exports/exports.table.js';
