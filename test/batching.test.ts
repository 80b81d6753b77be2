import { describe, expect, it } from 'vitest';
import { inviteMember, signUpOrganization } from './factories/organizations.factory.js';
import { createAccount, createContact, createDeal, createNote } from './factories/records.factory.js';
import { useTestServer } from './helpers/test-server.js';

const server = useTestServer();

const NESTED = `query($first: Int!) {
  deals(first: $first) {
    nodes { name account { name owner { name } } contact { email } owner { name } stage { name } }
  }
}`;

const WIDE = `query($first: Int!) {
  accounts(first: $first) {
    totalCount
    nodes {
      name owner { name } createdBy { name }
      contacts(first: 3) { email account { name } deals(first: 2) { name } }
      deals(first: 3) { name stage { name pipeline { name stages { name } } } }
      notes { body author { name } relatedTo { ... on Account { name } } }
      timeline(first: 2) { nodes { kind actor { name } } }
    }
  }
}`;

describe('relations resolve in batches', () => {
  it('sends the same number of SQL statements for 5 deals as for 100', async () => {
    const admin = await signUpOrganization(server().client);
    const members = [await inviteMember(admin), await inviteMember(admin)];
    const owners = [admin, ...members];
    for (let i = 0; i < 100; i += 1) {
      const owner = owners[i % owners.length]!;
      const account = await createAccount(admin.client, { ownerId: owners[(i + 1) % owners.length]!.userId });
      const contact = await createContact(admin.client, { accountId: account.id });
      await createDeal(admin.client, { accountId: account.id, contactId: contact.id, ownerId: owner.userId });
    }
    const five = await server().fewestStatements(() => admin.client.ok(NESTED, { first: 5 }));
    const hundred = await server().fewestStatements(() => admin.client.ok(NESTED, { first: 100 }));
    const data = await admin.client.ok(NESTED, { first: 100 });
    expect(data.deals.nodes).toHaveLength(100);
    expect(data.deals.nodes.every((d: { account: { owner: { name: string } } }) => d.account.owner.name)).toBe(true);
    expect(hundred.count, hundred.statements.join('\n')).toBe(five.count);
    // authentication + list + accounts + contacts + stages + users (deal owners) + users (account owners)
    expect(hundred.count).toBeLessThanOrEqual(7);
  }, 120_000);

  it('keeps a wide query over accounts constant too', async () => {
    const admin = await signUpOrganization(server().client);
    for (let i = 0; i < 30; i += 1) {
      const account = await createAccount(admin.client);
      const contact = await createContact(admin.client, { accountId: account.id });
      await createDeal(admin.client, { accountId: account.id, contactId: contact.id });
      await createNote(admin.client, { type: 'ACCOUNT', id: account.id });
    }
    const few = await server().fewestStatements(() => admin.client.ok(WIDE, { first: 3 }));
    const many = await server().fewestStatements(() => admin.client.ok(WIDE, { first: 30 }));
    expect(many.count, many.statements.join('\n')).toBe(few.count);
  }, 120_000);
});
