import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpOrganization } from './factories/organizations.factory.js';
import { createLead } from './factories/records.factory.js';
import { SmtpSink } from './helpers/smtp-sink.js';
import { startTestServer, type TestServer } from './helpers/test-server.js';
import { eq } from 'drizzle-orm';
import { emailMessages } from '../src/modules/emails/emails.table.js';
import { DELIVER_EMAILS_JOB } from '../src/modules/emails/email-delivery.js';

const sink = new SmtpSink();
const received = sink.received;
let pulse: TestServer;

beforeAll(async () => {
  const smtpUrl = await sink.start();
  pulse = await startTestServer({ SMTP_URL: smtpUrl, MAIL_FROM: 'Pulse <crm@example.com>', PUBLIC_URL: 'http://pulse.test' });
});

afterAll(async () => {
  await pulse.server.stop();
  await pulse.testDatabase.drop();
  await sink.close();
});

describe('sending through SMTP', () => {
  it('delivers the tracked message to the SMTP server and records it as SENT', async () => {
    const admin = await signUpOrganization(pulse.client);
    const lead = await createLead(admin.client);
    const { sendEmail } = await admin.client.ok(`mutation($input: SendEmailInput!) { sendEmail(input: $input) { status sentAt to } }`, {
      input: { leadId: lead.id, subject: 'Quarterly review', text: 'Agenda: https://example.com/agenda' },
    });
    expect(sendEmail).toMatchObject({ status: 'SENT', to: lead.email });
    expect(sendEmail.sentAt).toBeTruthy();
    const message = received.find((mail) => mail.to.includes(lead.email!));
    expect(message).toBeDefined();
    expect(message!.raw).toContain('Subject: Quarterly review');
    expect(message!.raw).toContain('crm@example.com');
    // The HTML part carries the pixel and the rewritten link (quoted-printable may wrap lines).
    const unfolded = message!.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
    expect(unfolded).toContain('http://pulse.test/t/o/');
    expect(unfolded).toContain('http://pulse.test/t/c/');
  });

  it('marks a message the server refused as FAILED with the reason', async () => {
    const admin = await signUpOrganization(pulse.client);
    const lead = await createLead(admin.client);
    sink.failNext = true;
    const { sendEmail } = await admin.client.ok(`mutation($input: SendEmailInput!) { sendEmail(input: $input) { status error sentAt } }`, {
      input: { leadId: lead.id, subject: 'Bounce', text: 'x' },
    });
    expect(sendEmail.status).toBe('FAILED');
    expect(sendEmail.error).toContain('Mailbox unavailable');
    expect(sendEmail.sentAt).toBeNull();
  });

  it('delivers a stored message whose sender died before SMTP, once, through the durable job', async () => {
    const admin = await signUpOrganization(pulse.client);
    const lead = await createLead(admin.client);
    const { sendEmail } = await admin.client.ok(`mutation($input: SendEmailInput!) { sendEmail(input: $input) { id status } }`, {
      input: { leadId: lead.id, subject: 'After the crash', text: 'x' },
    });
    expect(sendEmail.status).toBe('SENT');
    const { database } = pulse.testDatabase;
    // What a process that died right after committing leaves behind: the message, still queued.
    await database.db.update(emailMessages).set({ status: 'QUEUED', sentAt: null }).where(eq(emailMessages.id, sendEmail.id));
    const before = received.filter((mail) => mail.raw.includes('Subject: After the crash')).length;

    const jobs = pulse.server.deps.jobs;
    // Not yet due: the request that stored it is given a minute to send it itself.
    await jobs.runDue(DELIVER_EMAILS_JOB);
    expect(received.filter((mail) => mail.raw.includes('Subject: After the crash'))).toHaveLength(before);
    await jobs.advanceTime(61_000);
    await jobs.runDue(DELIVER_EMAILS_JOB);
    await jobs.runDue(DELIVER_EMAILS_JOB);

    expect(received.filter((mail) => mail.raw.includes('Subject: After the crash'))).toHaveLength(before + 1);
    const { emailMessage } = await admin.client.ok(`query($id: ID!) { emailMessage(id: $id) { status sentAt } }`, { id: sendEmail.id });
    expect(emailMessage.status).toBe('SENT');
    expect(emailMessage.sentAt).toBeTruthy();
  });
});
