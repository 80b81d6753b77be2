import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inviteMember, signUpOrganization, type SignedInUser } from './factories/organizations.factory.js';
import { createContact, createLead } from './factories/records.factory.js';
import { uniqueEmail } from './factories/unique.js';
import { useTestServer } from './helpers/test-server.js';
import { connectWs } from './helpers/ws-client.js';

const server = useTestServer({ PUBLIC_URL: 'http://pulse.test' });

const SEND = `mutation($input: SendEmailInput!) { sendEmail(input: $input) { id to status html openCount clickCount record { ... on Lead { id } } } }`;

/** The tracking paths inside a sent message's HTML. */
function trackingPaths(html: string): { open: string; clicks: string[] } {
  const open = /http:\/\/pulse\.test(\/t\/o\/[^"]+)/.exec(html)?.[1];
  const clicks = [...html.matchAll(/http:\/\/pulse\.test(\/t\/c\/[^"]+)/g)].map((m) => m[1]!);
  if (!open) throw new Error(`no pixel in ${html}`);
  return { open, clicks };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() - started > timeoutMs) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function signHook(admin: SignedInUser): Promise<(body: unknown) => Promise<Response>> {
  const { rotateWebhookSecret } = await admin.client.ok(`mutation { rotateWebhookSecret { secret organizationId } }`);
  return (body: unknown) => {
    const raw = JSON.stringify(body);
    const timestamp = String(Math.floor(Date.now() / 1000));
    return fetch(`${server().url}/hooks/signals`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pulse-organization': rotateWebhookSecret.organizationId,
        'x-pulse-timestamp': timestamp,
        'x-pulse-signature': `sha256=${createHmac('sha256', rotateWebhookSecret.secret).update(`${timestamp}.${raw}`).digest('hex')}`,
      },
      body: raw,
    });
  };
}

describe('tracked email', () => {
  it('keeps unsent mail trackable: the pixel records an open, a link click redirects to the original and records a click', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client);
    const { sendEmail } = await admin.client.ok(SEND, {
      input: { leadId: lead.id, subject: 'Your proposal', text: 'See it', html: '<p>Read <a href="https://example.com/proposal?a=1&amp;b=2">the proposal</a></p>' },
    });
    expect(sendEmail).toMatchObject({ to: lead.email, status: 'NOT_SENT', openCount: 0, record: { id: lead.id } });
    const paths = trackingPaths(sendEmail.html);
    expect(sendEmail.html).not.toContain('https://example.com/proposal');
    const pixel = await fetch(`${server().url}${paths.open}`);
    expect(pixel.status).toBe(200);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    const click = await fetch(`${server().url}${paths.clicks[0]}`, { redirect: 'manual' });
    expect(click.status).toBe(302);
    expect(click.headers.get('location')).toBe('https://example.com/proposal?a=1&b=2');
    const read = () => admin.client.ok(`{ emailMessage(id: "${sendEmail.id}") { openCount clickCount openedAt } lead(id: "${lead.id}") { lastActivityAt engagement signals { kind url email { id } } timeline { nodes { kind summary } } } }`);
    const after = await eventually(read, (data) => data.emailMessage.clickCount === 1 && data.emailMessage.openCount === 1);
    expect(after.emailMessage.openedAt).toBeTruthy();
    expect(after.lead.engagement).toBe('HOT');
    expect(after.lead.signals.map((s: { kind: string }) => s.kind).sort()).toEqual(['EMAIL_CLICKED', 'EMAIL_OPENED']);
    expect(after.lead.signals.find((s: { kind: string }) => s.kind === 'EMAIL_CLICKED').url).toBe('https://example.com/proposal?a=1&b=2');
    expect(after.lead.timeline.nodes.map((n: { kind: string }) => n.kind)).toEqual(expect.arrayContaining(['EMAIL_SENT', 'SIGNAL']));
  });

  it('answers unknown tokens without leaking anything and never redirects elsewhere', async () => {
    const admin = await signUpOrganization(server().client);
    const before = await admin.client.ok(`{ salesSignals { totalCount } }`);
    const unknownOpen = await fetch(`${server().url}/t/o/not-a-token`);
    expect(unknownOpen.status).toBe(200);
    expect(unknownOpen.headers.get('content-type')).toBe('image/gif');
    const forged = `${Buffer.from(admin.organizationId.replace(/-/g, ''), 'hex').toString('base64url')}.${'A'.repeat(32)}`;
    const unknownClick = await fetch(`${server().url}/t/c/${forged}`, { redirect: 'manual' });
    expect(unknownClick.status).toBe(404);
    expect(unknownClick.headers.get('location')).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await admin.client.ok(`{ salesSignals { totalCount } }`)).toEqual(before);
  });

  it('sends a deal\'s email to its contact and refuses records without an address', async () => {
    const admin = await signUpOrganization(server().client);
    const contact = await createContact(admin.client);
    const { createDeal } = await admin.client.ok(`mutation { createDeal(input: {name: "Big", contactId: "${contact.id}"}) { id } }`);
    const { sendEmail } = await admin.client.ok(SEND, { input: { dealId: createDeal.id, subject: 'Hi', text: 'Hello https://example.com' } });
    expect(sendEmail.to).toBe(contact.email);
    expect(sendEmail.html).toContain('/t/c/');
    const noEmail = await createLead(admin.client, { email: null });
    await admin.client.fails('BAD_USER_INPUT', SEND, { input: { leadId: noEmail.id, subject: 'x', text: 'y' } });
    await admin.client.fails('BAD_USER_INPUT', SEND, { input: { leadId: noEmail.id, contactId: contact.id, subject: 'x', text: 'y' } });
  });

  it('enforces the daily mass-email limit and refuses the excess as a whole', async () => {
    const admin = await signUpOrganization(server().client);
    await admin.client.ok(`mutation { updateSignalSettings(input: {massEmailDailyLimit: 3}) { massEmailDailyLimit } }`);
    for (let i = 0; i < 4; i += 1) await createLead(admin.client, { tags: ['campaign'] });
    const MASS = `mutation($input: SendMassEmailInput!) { sendMassEmail(input: $input) { count remainingToday messages { status } } }`;
    const tooMany = await admin.client.fails('RATE_LIMITED', MASS, { input: { module: 'LEADS', leadFilter: { tag: 'campaign' }, subject: 'News', text: 'Hello' } });
    expect(tooMany.extensions).toMatchObject({ limit: 3, remaining: 3, requested: 4 });
    expect((await admin.client.ok(`{ leads(filter: {tag: "campaign"}) { nodes { emails { id } } } }`)).leads.nodes.flatMap((n: { emails: unknown[] }) => n.emails)).toEqual([]);
    const lead = await createLead(admin.client, { tags: ['vip'] });
    const some = await admin.client.ok(MASS, { input: { module: 'LEADS', leadFilter: { tag: 'vip' }, subject: 'News', text: 'Hello' } });
    expect(some.sendMassEmail).toMatchObject({ count: 1, remainingToday: 2 });
    expect(lead.id).toBeTruthy();
  });
});

describe('signals from outside', () => {
  it('accepts a signed webhook, matches it by email, and refuses bad signatures and malformed bodies', async () => {
    const admin = await signUpOrganization(server().client);
    const contact = await createContact(admin.client);
    const post = await signHook(admin);
    const accepted = await post({ kind: 'WEBSITE_VISIT', email: contact.email, url: 'https://example.com/pricing', source: 'analytics' });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ kind: 'WEBSITE_VISIT', contactId: contact.id });
    const forged = await fetch(`${server().url}/hooks/signals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pulse-organization': admin.organizationId, 'x-pulse-signature': 'sha256=00' },
      body: JSON.stringify({ kind: 'WEBSITE_VISIT', email: contact.email }),
    });
    expect(forged.status).toBe(401);
    const malformed = await post({ kind: 'TELEPATHY', email: contact.email });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ field: 'kind' });
    // A correctly signed request replayed after the tolerance is refused too.
    const { rotateWebhookSecret } = await admin.client.ok(`mutation { rotateWebhookSecret { secret } }`);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const raw = JSON.stringify({ kind: 'WEBSITE_VISIT', email: contact.email });
    const replayed = await fetch(`${server().url}/hooks/signals`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-pulse-organization': admin.organizationId,
        'x-pulse-timestamp': old,
        'x-pulse-signature': `sha256=${createHmac('sha256', rotateWebhookSecret.secret).update(`${old}.${raw}`).digest('hex')}`,
      },
      body: raw,
    });
    expect(replayed.status).toBe(401);
    const { contact: read } = await admin.client.ok(`{ contact(id: "${contact.id}") { engagement signals { kind url source } } }`);
    expect(read).toEqual({ engagement: 'HOT', signals: [{ kind: 'WEBSITE_VISIT', url: 'https://example.com/pricing', source: 'analytics' }] });
  });

  it('creates a lead from an unmatched social mention when the organisation asks for it', async () => {
    const admin = await signUpOrganization(server().client);
    const post = await signHook(admin);
    const ignored = await post({ kind: 'SOCIAL_MENTION', handle: '@someone_new', source: 'twitter' });
    expect(await ignored.json()).toMatchObject({ leadId: null, contactId: null });
    await admin.client.ok(`mutation { updateSignalSettings(input: {createLeadsFromSocial: true}) { createLeadsFromSocial } }`);
    const captured = await post({ kind: 'SOCIAL_MENTION', handle: '@Jane_Doe', source: 'twitter', url: 'https://twitter.example/jane/1' });
    const body = (await captured.json()) as { leadId: string };
    const { lead } = await admin.client.ok(`{ lead(id: "${body.leadId}") { lastName leadSource socialHandles signals { kind } } }`);
    expect(lead).toEqual({ lastName: '@jane_doe', leadSource: 'Twitter', socialHandles: ['jane_doe'], signals: [{ kind: 'SOCIAL_MENTION' }] });
    // The next mention by the same handle lands on that lead.
    const again = await post({ kind: 'SOCIAL_ENGAGEMENT', handle: 'jane_doe', source: 'twitter' });
    expect(await again.json()).toMatchObject({ leadId: body.leadId });
  });

  it('records signals from an API client and lists them newest first', async () => {
    const admin = await signUpOrganization(server().client);
    const lead = await createLead(admin.client);
    const RECORD = `mutation($input: RecordSalesSignalInput!) { recordSalesSignal(input: $input) { id kind customName lead { id } } }`;
    await admin.client.ok(RECORD, { input: { kind: 'EMAIL_REPLIED', leadId: lead.id, occurredAt: '2026-01-01T00:00:00Z' } });
    await admin.client.ok(RECORD, { input: { kind: 'CUSTOM', customName: 'Webinar attended', email: lead.email } });
    await admin.client.fails('BAD_USER_INPUT', RECORD, { input: { kind: 'CUSTOM', email: lead.email } });
    await admin.client.fails('BAD_USER_INPUT', RECORD, { input: { kind: 'WEBSITE_VISIT' } });
    const { salesSignals } = await admin.client.ok(`{ salesSignals(filter: {recordId: "${lead.id}"}) { totalCount nodes { kind customName } } }`);
    expect(salesSignals).toEqual({ totalCount: 2, nodes: [{ kind: 'CUSTOM', customName: 'Webinar attended' }, { kind: 'EMAIL_REPLIED', customName: null }] });
  });
});

describe('web-to-lead forms', () => {
  it('creates a lead from a public post, records a known email as FORM_SUBMITTED, and stops spam', async () => {
    const admin = await signUpOrganization(server().client);
    const { createWebForm } = await admin.client.ok(`mutation($input: CreateWebFormInput!) { createWebForm(input: $input) { publicKey } }`, {
      input: { name: 'Contact us', fields: [{ name: 'name', leadField: 'lastName', required: true }, { name: 'mail', leadField: 'email', required: true }, { name: 'org', leadField: 'company' }] },
    });
    const url = `${server().url}/forms/${createWebForm.publicKey}`;
    const email = uniqueEmail('visitor');
    const post = (fields: Record<string, string>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const created = await post({ name: 'Vera Visitor', mail: email, org: 'Initrode' });
    expect(created.status).toBe(200);
    const missing = await post({ name: 'No Mail' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ field: 'mail' });
    const invalid = await post({ name: 'Bad', mail: 'not-an-email' });
    expect(await invalid.json()).toMatchObject({ field: 'mail', code: 'BAD_USER_INPUT' });
    // A known email gets the very same answer: the form reveals nothing about who is in the CRM.
    const known = await post({ name: 'Vera Again', mail: email.toUpperCase() });
    expect(known.status).toBe(200);
    expect(await known.json()).toEqual(await (await post({ name: 'Someone New', mail: uniqueEmail('new') })).json());
    const spam = await post({ name: 'Bot', mail: uniqueEmail('bot'), pulse_hp: 'http://spam.example' });
    expect(spam.status).toBe(200);
    const { leads } = await admin.client.ok(`{ leads { nodes { lastName company leadSource signals { kind } } } }`);
    expect(leads.nodes).toEqual([
      { lastName: 'Someone New', company: null, leadSource: 'Web', signals: [{ kind: 'FORM_SUBMITTED' }] },
      { lastName: 'Vera Visitor', company: 'Initrode', leadSource: 'Web', signals: [{ kind: 'FORM_SUBMITTED' }, { kind: 'FORM_SUBMITTED' }] },
    ]);
    expect((await fetch(`${server().url}/forms/nope`, { method: 'POST' })).status).toBe(404);
    let limited = 0;
    for (let i = 0; i < 10; i += 1) if ((await post({ name: `N${i}`, mail: uniqueEmail('flood') })).status === 429) limited += 1;
    expect(limited).toBeGreaterThan(0);
  });
});

describe('the live signal feed', () => {
  it('delivers a signal to the owner within a blink, honours mine and kinds, and keeps organisations apart', async () => {
    const admin = await signUpOrganization(server().client);
    const seller = await inviteMember(admin);
    const other = await signUpOrganization(server().client);
    const lead = await createLead(admin.client, { ownerId: seller.userId });
    const elsewhere = await createLead(admin.client);
    const FEED = `subscription($filter: SalesSignalSubscriptionFilter) { salesSignal(filter: $filter) { cursor kind lead { id owner { id } } } }`;
    const sellerWs = connectWs(server().wsUrl, seller.token);
    const otherWs = connectWs(server().wsUrl, other.token);
    try {
      const mine = sellerWs.subscribe(FEED, { filter: { mine: true } });
      const clicksOnly = sellerWs.subscribe(FEED, { filter: { kinds: ['EMAIL_CLICKED'] } });
      const foreign = otherWs.subscribe(FEED, {});
      await new Promise((resolve) => setTimeout(resolve, 400));
      const { sendEmail } = await admin.client.ok(SEND, { input: { leadId: lead.id, subject: 'Hello', text: 'Hi' } });
      await admin.client.ok(`mutation { recordSalesSignal(input: {kind: WEBSITE_VISIT, leadId: "${elsewhere.id}"}) { id } }`);
      const started = Date.now();
      await fetch(`${server().url}${trackingPaths(sendEmail.html).open}`);
      const [event] = await mine.waitFor(1);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(event).toMatchObject({ salesSignal: { kind: 'EMAIL_OPENED', lead: { id: lead.id, owner: { id: seller.userId } } } });
      expect(event.salesSignal.cursor).toBeTruthy();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(mine.items).toHaveLength(1);
      expect(clicksOnly.items).toEqual([]);
      expect(foreign.items).toEqual([]);
    } finally {
      await sellerWs.dispose();
      await otherWs.dispose();
    }
  });

  it('filters and sorts leads by engagement', async () => {
    const admin = await signUpOrganization(server().client);
    const hot = await createLead(admin.client);
    const cold = await createLead(admin.client);
    const cooling = await createLead(admin.client);
    await admin.client.ok(`mutation { recordSalesSignal(input: {kind: WEBSITE_VISIT, leadId: "${hot.id}"}) { id } }`);
    const twentyDaysAgo = new Date(Date.now() - 20 * 24 * 3600 * 1000).toISOString();
    await admin.client.ok(`mutation { recordSalesSignal(input: {kind: WEBSITE_VISIT, leadId: "${cooling.id}", occurredAt: "${twentyDaysAgo}"}) { id } }`);
    const ids = async (filter: string): Promise<string[]> => (await admin.client.ok(`{ leads(filter: ${filter}) { nodes { id } } }`)).leads.nodes.map((n: { id: string }) => n.id);
    expect(await ids('{engagement: [HOT]}')).toEqual([hot.id]);
    expect(await ids('{engagement: [COOLING]}')).toEqual([cooling.id]);
    expect(await ids('{engagement: [COLD]}')).toEqual([cold.id]);
    const sorted = await admin.client.ok(`{ leads(orderBy: {field: LAST_ACTIVITY_AT, direction: DESC}) { nodes { id engagement } } }`);
    expect(sorted.leads.nodes.map((n: { id: string }) => n.id)).toEqual([cold.id, hot.id, cooling.id]);
  });
});
