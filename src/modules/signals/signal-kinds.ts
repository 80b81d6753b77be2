export const SIGNAL_KINDS = [
  'EMAIL_OPENED',
  'EMAIL_CLICKED',
  'EMAIL_REPLIED',
  'SOCIAL_MENTION',
  'SOCIAL_ENGAGEMENT',
  'WEBSITE_VISIT',
  'FORM_SUBMITTED',
  'CUSTOM',
] as const;

export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const SOCIAL_KINDS: readonly SignalKind[] = ['SOCIAL_MENTION', 'SOCIAL_ENGAGEMENT'];

export const SIGNAL_TOPIC = 'signal';

const VERBS: Record<SignalKind, string> = {
  EMAIL_OPENED: 'Opened an email',
  EMAIL_CLICKED: 'Clicked a link in an email',
  EMAIL_REPLIED: 'Replied to an email',
  SOCIAL_MENTION: 'Mentioned you',
  SOCIAL_ENGAGEMENT: 'Engaged with you',
  WEBSITE_VISIT: 'Visited the website',
  FORM_SUBMITTED: 'Submitted a form',
  CUSTOM: 'Signal',
};

/** A sentence for the timeline: "Opened an email: Your proposal", "Mentioned you on twitter". */
export function describeSignal(kind: SignalKind, details: { customName?: string | null; source?: string | null; subject?: string | null; url?: string | null }): string {
  const base = kind === 'CUSTOM' && details.customName ? details.customName : VERBS[kind];
  if (details.subject) return `${base}: ${details.subject}`;
  if (kind === 'EMAIL_CLICKED' && details.url) return `${base}: ${details.url}`;
  if (details.source) return `${base} (${details.source})`;
  return base;
}

/** "@Jane_Doe" -> "jane_doe"; handles are matched without the @ and case-insensitively. */
export const normaliseHandle = (handle: string): string => handle.trim().replace(/^@/, '').toLowerCase();
