'use strict';
// @hubspot/api-client 12 through Veil against the fake HubSpot: contacts
// pages (paging.next), getById, batch create/read, search, update, and
// refusals. Run by proxy/e2e (make e2e).
//
// Forward mode: the client keeps its default base path
// (https://api.hubapi.com) and gets an HttpsProxyAgent for Veil through its
// httpAgent option, which 12.x applies to every generated API call (a
// middleware sets it on each request; 13.x builds that middleware and never
// runs it). Its apiRequest() helper ignores httpAgent in every version, so
// it is only used in reverse mode.
const hubspot = require('@hubspot/api-client');
const { ApiException } = require('@hubspot/api-client/lib/codegen/crm/contacts/apis/exception');
const createHttpsProxyAgent = require('https-proxy-agent');
const { assert, env, mode, truth, step, main, mask, redacted, expectBlocked } = require('./lib');

const base = env('VEIL_E2E_HS_BASE_URL'); // Veil (reverse) or https://api.hubapi.com (forward)
const PROPS = ['firstname', 'lastname', 'email', 'phone', 'mobilephone', 'date_of_birth', 'ssn', 'hs_email_optout'];
const CARD_NOTE = 'card 4111 1111 1111 1111 exp 12/29';

function client(token) {
  const config = { accessToken: token };
  if (mode === 'reverse') {
    config.basePath = base;
  } else {
    assert.equal(base, 'https://api.hubapi.com', "forward mode keeps the client's default base path");
    config.httpAgent = createHttpsProxyAgent(env('VEIL_E2E_PROXY'));
  }
  return new hubspot.Client(config);
}

// What each role reads (rules/data.json; the HubSpot route's purpose is
// marketing): raw → expected, by property.
const sees = {
  marketing: {
    firstname: (v) => v,
    email: (v, p) => (p.hs_email_optout === 'true' ? redacted('email') : v), // consent
    phone: mask.phone,
    mobilephone: mask.phone,
    date_of_birth: () => redacted('date_of_birth'),
    ssn: () => redacted('us_ssn'),
  },
  analyst: {
    firstname: mask.name,
    lastname: mask.name,
    email: mask.email,
    phone: mask.phone,
    date_of_birth: () => redacted('date_of_birth'),
    ssn: () => redacted('us_ssn'),
  },
};

function checkRecords(role, got, raw) {
  const byId = new Map(raw.map((r) => [r.id, r]));
  assert.ok(got.length > 0, 'no record');
  for (const rec of got) {
    const r = byId.get(rec.id);
    assert.ok(r, `record ${rec.id} is not in the CRM`);
    let checked = 0;
    for (const [prop, expect] of Object.entries(sees[role])) {
      const v = r.properties[prop];
      if (v === undefined || !(prop in rec.properties)) continue;
      assert.equal(rec.properties[prop], expect(v, r.properties), `${role} reads ${rec.id}.${prop}`);
      checked++;
    }
    assert.ok(checked >= 3, `${rec.id}: only ${checked} properties to check in ${JSON.stringify(Object.keys(rec.properties))}`);
  }
}

async function truthContacts() {
  const res = await truth(`/crm/v3/objects/contacts?limit=100&properties=${PROPS.join(',')},notes,jobtitle`);
  assert.equal(res.paging, undefined);
  return res.results;
}

const truthContact = (id) => truth(`/crm/v3/objects/contacts/${id}?properties=${PROPS.join(',')},notes,jobtitle`);

function assertHubSpotError(err, status, category) {
  assert.ok(err instanceof ApiException, `not the client's ApiException: ${err}`);
  assert.equal(err.code, status, err.message);
  assert.equal(err.body.category, category, JSON.stringify(err.body));
  assert.equal(typeof err.body.correlationId, 'string');
  return err;
}

function assertPolicyDenied(err) {
  assertHubSpotError(err, 403, 'policy_denied');
  assert.match(err.body.message, /Blocked by Veil privacy policy: pci_card_in_free_text \(decision [0-9a-f]{32}\)/);
}

main(async () => {
  const marketing = client('demo-marketing');
  const analyst = client('demo-analyst');
  const raw = await truthContacts();
  assert.equal(raw.length, 12, 'fixtures: 12 contacts');
  assert.ok(raw.some((r) => r.properties.hs_email_optout === 'true'), 'fixtures hold opted-out contacts');

  let firstPage;
  await step('basicApi.getPage follows paging.next.after to the end, masked for marketing (opted-out e-mails redacted)', async () => {
    const all = [];
    let after;
    for (let pages = 0; pages < 10; pages++) {
      const page = await marketing.crm.contacts.basicApi.getPage(5, after, PROPS);
      firstPage = firstPage || page;
      all.push(...page.results);
      if (!page.paging) break;
      after = page.paging.next.after;
      assert.equal(after, String(all.length));
      // The absolute link names where the client reaches HubSpot: Veil in
      // reverse mode (rewritten), HubSpot itself behind the proxy.
      assert.ok(page.paging.next.link.startsWith(`${base}/crm/v3/objects/contacts?`), page.paging.next.link);
    }
    assert.deepEqual(all.map((r) => r.id), raw.map((r) => r.id));
    checkRecords('marketing', all, raw);
  });

  if (mode === 'reverse') {
    await step('the rewritten paging.next.link, followed as is (apiRequest overlapUrl), stays behind Veil', async () => {
      const res = await marketing.apiRequest({ overlapUrl: firstPage.paging.next.link });
      assert.equal(res.status, 200);
      const page = await res.json();
      assert.deepEqual(page.results.map((r) => r.id), raw.slice(5, 10).map((r) => r.id));
      assert.equal(page.paging.next.link, `${base}/crm/v3/objects/contacts?after=10`);
      // The link names no properties: HubSpot's defaults come back, without
      // hs_email_optout. Consent fails closed: a contact whose flag the
      // response does not carry counts as opted out, so marketing reads no
      // e-mail on this page, opted out or not.
      for (const rec of page.results) {
        const r = raw.find((x) => x.id === rec.id);
        assert.equal(rec.properties.firstname, r.properties.firstname);
        assert.equal(rec.properties.hs_email_optout, undefined);
        assert.equal(rec.properties.email, redacted('email'), `${rec.id}.email`);
      }
    });
  }

  await step('basicApi.getById: marketing and analyst read their masks', async () => {
    const jane = raw.find((r) => r.properties.hs_email_optout === 'true');
    const asMarketing = await marketing.crm.contacts.basicApi.getById(jane.id, PROPS);
    assert.equal(asMarketing.properties.email, redacted('email'));
    checkRecords('marketing', [asMarketing], raw);
    const asAnalyst = await analyst.crm.contacts.basicApi.getById(jane.id, PROPS);
    assert.equal(asAnalyst.properties.email, mask.email(jane.properties.email));
    checkRecords('analyst', [asAnalyst], raw);
  });

  await step('batchApi.read, masked for marketing', async () => {
    const ids = [raw[0].id, raw[2].id, raw[5].id];
    const res = await marketing.crm.contacts.batchApi.read({ inputs: ids.map((id) => ({ id })), properties: PROPS, propertiesWithHistory: [] });
    assert.equal(res.status, 'COMPLETE');
    assert.deepEqual(res.results.map((r) => r.id).sort(), [...ids].sort());
    checkRecords('marketing', res.results, raw);
  });

  await step('searchApi.doSearch for opted-out contacts: every e-mail redacted for marketing', async () => {
    const optedOut = raw.filter((r) => r.properties.hs_email_optout === 'true');
    const res = await marketing.crm.contacts.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'hs_email_optout', operator: 'EQ', value: 'true' }] }],
      properties: PROPS,
      limit: 100,
      sorts: [],
    });
    assert.equal(res.total, optedOut.length);
    assert.deepEqual(res.results.map((r) => r.id), optedOut.map((r) => r.id));
    for (const r of res.results) assert.equal(r.properties.email, redacted('email'), `${r.id}.email`);
    checkRecords('marketing', res.results, raw);
  });

  const grace = { firstname: 'Grace', lastname: 'Hopper', email: 'grace.hopper@example.net', phone: '+1 202 555 0143' };
  let graceId;
  await step('batchApi.create: stored as sent, the echo masked for marketing', async () => {
    const res = await marketing.crm.contacts.batchApi.create({ inputs: [{ properties: grace, associations: [] }] });
    assert.equal(res.results.length, 1);
    const echo = res.results[0];
    graceId = echo.id;
    // The echo carries no hs_email_optout: consent unknown, e-mail redacted.
    assert.equal(echo.properties.hs_email_optout, undefined);
    assert.equal(echo.properties.email, redacted('email'));
    assert.equal(echo.properties.phone, mask.phone(grace.phone));
    const stored = await truthContact(graceId);
    assert.equal(stored.properties.email, grace.email);
    assert.equal(stored.properties.phone, grace.phone);
  });

  await step('basicApi.update: stored as sent, the echo masked for marketing', async () => {
    const res = await marketing.crm.contacts.basicApi.update(graceId, { properties: { jobtitle: 'Rear Admiral', phone: '+1 202 555 0144' } });
    assert.equal(res.id, graceId);
    assert.equal(res.properties.phone, mask.phone('+1 202 555 0144'));
    const stored = await truthContact(graceId);
    assert.equal(stored.properties.jobtitle, 'Rear Admiral');
    assert.equal(stored.properties.phone, '+1 202 555 0144');
  });

  await step('an update writing a card number into notes is refused: ApiException 403, body category policy_denied', async () => {
    await expectBlocked(marketing.crm.contacts.basicApi.update(graceId, { properties: { notes: CARD_NOTE } }), assertPolicyDenied);
    const stored = await truthContact(graceId);
    assert.ok(!String(stored.properties.notes).includes('4111'), 'the card number reached the CRM');
  });

  await step('a batch create with a card number in notes is refused: ApiException 403, body category policy_denied', async () => {
    await expectBlocked(
      marketing.crm.contacts.batchApi.create({ inputs: [{ properties: { firstname: 'Eve', lastname: 'Leak', notes: CARD_NOTE }, associations: [] }] }),
      assertPolicyDenied,
    );
    const names = (await truthContacts()).map((r) => r.properties.lastname);
    assert.ok(!names.includes('Leak'), 'the refused create reached the CRM');
  });

  await step('an unknown caller is refused: ApiException 403, body category unknown_principal', async () => {
    await expectBlocked(client('nobody').crm.contacts.basicApi.getPage(1), (err) => assertHubSpotError(err, 403, 'unknown_principal'));
  });
});
