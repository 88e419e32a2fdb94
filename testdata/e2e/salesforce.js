'use strict';
// jsforce 3 through Veil against the fake Salesforce: OAuth logins as demo
// principals, SOQL paging, sObject reads and writes, sObject collections,
// Bulk API 2.0 query and ingest. Run by proxy/e2e (make e2e).
const jsforce = require('jsforce');
const { HttpApi } = require('jsforce/lib/http-api');
const { assert, env, mode, truth, step, main, mask, redacted, expectBlocked, sf } = require('./lib');

const { SOQL, CARD_NOTE, checkRecords, truthQuery, truthRecord, readAll } = sf;

const loginUrl = env('VEIL_E2E_SF_LOGIN_URL'); // Veil (reverse) or https://login.salesforce.com (forward)
const veilUrl = env('VEIL_E2E_VEIL_URL');
async function login(user) {
  const conn = new jsforce.Connection({
    loginUrl,
    oauth2: { loginUrl, clientId: 'veil-e2e', clientSecret: 'veil-e2e-secret', redirectUri: 'http://localhost/callback' },
  });
  await conn.login(user, 'any-password');
  return conn;
}

function assertPolicyDenied(err) {
  assert.equal(err.errorCode, 'policy_denied', `errorCode of ${err.name}: ${err.message}`);
  assert.match(err.message, /Blocked by Veil privacy policy: pci_card_in_free_text \(decision [0-9a-f]{32}\)/);
}

main(async () => {
  let analyst, marketing, sales, admin;

  await step('login (OAuth password flow) as analyst@demo.example: instance_url stays behind the proxy', async () => {
    analyst = await login('analyst@demo.example');
    assert.match(analyst.accessToken, /^00DDn000000Fake!/);
    if (mode === 'reverse') {
      // Veil rewrote the CRM's instance_url and id to itself.
      assert.equal(analyst.instanceUrl, veilUrl);
      assert.equal(analyst.userInfo.url, `${veilUrl}/id/00DDn000000FakeAAA/005Dn000000FakeAAA`);
    } else {
      // Forward mode: the CRM's own URL; the client is behind the proxy anyway.
      assert.equal(analyst.instanceUrl, loginUrl);
      assert.equal(analyst.userInfo.url, `${loginUrl}/id/00DDn000000FakeAAA/005Dn000000FakeAAA`);
    }
    assert.equal(analyst.userInfo.id, '005Dn000000FakeAAA');
  });

  await step('login as an unlisted CRM user is refused in OAuth format (invalid_grant)', async () => {
    await expectBlocked(login('mallory@demo.example'), (err) => {
      assert.equal(err.name, 'invalid_grant', `${err.name}: ${err.message}`);
    });
  });

  const raw = await truthQuery(SOQL);
  assert.equal(raw.length, 12, 'fixtures: 12 contacts');

  await step('query: first page, then queryMore(nextRecordsUrl), masked for the analyst', async () => {
    const first = await analyst.query(SOQL);
    assert.equal(first.totalSize, raw.length);
    assert.equal(first.done, false);
    assert.equal(first.records.length, 5);
    // The CRM's relative nextRecordsUrl, resolved by jsforce against instance_url: behind the proxy.
    assert.ok(first.nextRecordsUrl.startsWith(`${analyst.instanceUrl}/services/data/v${analyst.version}/query/01gDn`), first.nextRecordsUrl);
    const second = await analyst.queryMore(first.nextRecordsUrl);
    assert.equal(second.records.length, 5);
    assert.equal(second.done, false);
    const third = await analyst.queryMore(second.nextRecordsUrl);
    assert.equal(third.done, true);
    const all = [...first.records, ...second.records, ...third.records];
    assert.deepEqual(all.map((r) => r.Id), raw.map((r) => r.Id));
    checkRecords('analyst', all, raw);
  });

  await step('query with autoFetch reads every page, masked for the analyst', async () => {
    const records = [];
    await new Promise((resolve, reject) => {
      analyst
        .query(SOQL)
        .on('record', (r) => records.push(r))
        .on('end', resolve)
        .on('error', reject)
        .run({ autoFetch: true, maxFetch: 100 });
    });
    assert.deepEqual(records.map((r) => r.Id), raw.map((r) => r.Id));
    checkRecords('analyst', records, raw);
  });

  await step('retrieve one Contact, masked for the analyst', async () => {
    const rec = await analyst.sobject('Contact').retrieve(raw[0].Id);
    assert.equal(rec.Id, raw[0].Id);
    assert.equal(rec.attributes.type, 'Contact');
    checkRecords('analyst', [rec], raw);
  });

  await step('composite (conn.requestPost /composite): every subresponse masked for the analyst', async () => {
    const res = await analyst.requestPost('/composite', {
      allOrNone: true,
      compositeRequest: [
        { method: 'GET', url: `/services/data/v${analyst.version}/sobjects/Contact/${raw[0].Id}`, referenceId: 'one' },
        { method: 'GET', url: `/services/data/v${analyst.version}/query?q=${encodeURIComponent(SOQL)}`, referenceId: 'all' },
      ],
    });
    const [one, all] = res.compositeResponse;
    assert.equal(one.httpStatusCode, 200);
    assert.equal(all.httpStatusCode, 200);
    checkRecords('analyst', [one.body], raw);
    checkRecords('analyst', all.body.records, raw);
  });

  await step('login as marketing: opted-out e-mails and DoNotCall phones redacted (consent), other phones masked', async () => {
    marketing = await login('marketing@demo.example');
    const res = await marketing.query(SOQL).run({ autoFetch: true, maxFetch: 100 });
    assert.equal(res.records.length, raw.length);
    assert.ok(raw.some((r) => r.HasOptedOutOfEmail) && raw.some((r) => !r.HasOptedOutOfEmail), 'fixtures mix opt-outs');
    checkRecords('marketing', res.records, raw);
  });

  await step('marketing selects no consent field: every e-mail redacted (consent unknown fails closed)', async () => {
    const res = await marketing.query('SELECT Id, Email FROM Contact ORDER BY Id').run({ autoFetch: true, maxFetch: 100 });
    assert.equal(res.records.length, raw.length);
    for (const rec of res.records) assert.equal(rec.Email, redacted('email'), `${rec.Id}.Email`);
    const one = await marketing.sobject('Contact').retrieve(raw.find((r) => !r.HasOptedOutOfEmail).Id, { fields: ['Email'] });
    assert.equal(one.Email, redacted('email'));
  });

  // jsforce 3's bulk2.query cannot read more than one results page (it pipes
  // each page into one stream that the first page ends: write after end,
  // jsforce issue #1546): it gets one page here, and the next step pages.
  await step('Bulk 2.0 query (bulk2.query: job, poll, CSV results), masked for the analyst', async () => {
    analyst.bulk2.pollInterval = 50;
    const stream = await analyst.bulk2.query('SELECT Id, Name, Email, Phone, Birthdate, SSN__c, Card_Number__c FROM Contact ORDER BY Id');
    const records = await readAll(stream);
    assert.deepEqual(records.map((r) => r.Id), raw.map((r) => r.Id));
    checkRecords('analyst', records, raw, { format: 'csv' });
  });

  await step('Bulk 2.0 query results pages keep Sforce-Locator and Sforce-NumberOfRecords through Veil', async () => {
    const job = await analyst.request({
      method: 'POST',
      url: `/services/data/v${analyst.version}/jobs/query`,
      body: JSON.stringify({ operation: 'query', query: 'SELECT Id, Email FROM Contact ORDER BY Id' }),
      headers: { 'Content-Type': 'application/json' },
    });
    const pages = [];
    let locator = '';
    while (locator !== 'null' && pages.length < 10) {
      const api = new HttpApi(analyst, { responseType: 'text/csv' });
      let headers;
      api.on('response', (res) => (headers = res.headers));
      const q = locator ? `?maxRecords=4&locator=${locator}` : '?maxRecords=4';
      const rows = await api.request({
        method: 'GET',
        url: `${analyst.instanceUrl}/services/data/v${analyst.version}/jobs/query/${job.id}/results${q}`,
        headers: { Accept: 'text/csv' },
      });
      locator = headers['sforce-locator'];
      assert.ok(locator, 'no Sforce-Locator header');
      pages.push({ count: headers['sforce-numberofrecords'], rows });
    }
    assert.deepEqual(pages.map((p) => p.count), ['4', '4', '4']);
    assert.deepEqual(pages.map((p) => p.rows.length), [4, 4, 4]);
    const got = pages.flatMap((p) => p.rows);
    assert.deepEqual(got.map((r) => r.Id), raw.map((r) => r.Id));
    for (const [i, r] of got.entries()) assert.equal(r.Email, mask.email(raw[i].Email), `${r.Id}.Email (Bulk CSV)`);
  });

  // Writes, as a sales rep.
  await step('login as sales@demo.example', async () => {
    sales = await login('sales@demo.example');
    assert.equal(sales.instanceUrl, analyst.instanceUrl);
  });
  const grace = { FirstName: 'Grace', LastName: 'Hopper', Email: 'grace.hopper@example.net', Phone: '+1 202 555 0143', SSN__c: '219-09-9999' };
  let graceId;

  await step('create one Contact: stored as sent, the SSN as a Veil token (vault)', async () => {
    const ret = await sales.sobject('Contact').create(grace);
    assert.equal(ret.success, true);
    graceId = ret.id;
    const stored = await truthRecord(graceId);
    assert.equal(stored.Email, grace.Email);
    assert.equal(stored.Phone, grace.Phone);
    assert.notEqual(stored.SSN__c, grace.SSN__c, 'the CRM holds the SSN in clear');
    assert.match(stored.SSN__c, /^vt\./, 'the CRM holds no Veil token for the SSN');
  });

  await step('retrieve it: the sales rep reads the token, the admin (MFA) the SSN', async () => {
    const stored = await truthRecord(graceId);
    const asSales = await sales.sobject('Contact').retrieve(graceId, { fields: ['Name', 'Email', 'SSN__c'] });
    assert.equal(asSales.Email, grace.Email);
    assert.equal(asSales.SSN__c, stored.SSN__c);
    admin = await login('admin@demo.example');
    const asAdmin = await admin.sobject('Contact').retrieve(graceId, { fields: ['Name', 'Email', 'SSN__c'] });
    assert.equal(asAdmin.SSN__c, grace.SSN__c);
  });

  await step('update it', async () => {
    const ret = await sales.sobject('Contact').update({ Id: graceId, Title: 'Rear Admiral', Phone: '+1 202 555 0144' });
    assert.equal(ret.success, true);
    const stored = await truthRecord(graceId);
    assert.equal(stored.Title, 'Rear Admiral');
    assert.equal(stored.Phone, '+1 202 555 0144');
  });

  await step('an update writing a card number into Description is refused: errorCode policy_denied', async () => {
    await expectBlocked(sales.sobject('Contact').update({ Id: graceId, Description: CARD_NOTE }), assertPolicyDenied);
    const stored = await truthRecord(graceId);
    assert.ok(!String(stored.Description).includes('4111'), 'the card number reached the CRM');
  });

  let pairIds;
  await step('sObject collections: create two, update two', async () => {
    const ret = await sales.sobject('Contact').create([
      { FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada.lovelace@example.org' },
      { FirstName: 'Alan', LastName: 'Turing', Email: 'alan.turing@example.org' },
    ]);
    assert.equal(ret.length, 2);
    assert.ok(ret.every((r) => r.success && r.id), JSON.stringify(ret));
    pairIds = ret.map((r) => r.id);
    const upd = await sales.sobject('Contact').update(pairIds.map((Id) => ({ Id, Title: 'Pioneer' })));
    assert.ok(upd.every((r) => r.success), JSON.stringify(upd));
    for (const id of pairIds) assert.equal((await truthRecord(id)).Title, 'Pioneer');
    assert.equal((await truthRecord(pairIds[0])).Email, 'ada.lovelace@example.org');
  });

  await step('sObject collections: a create with a card number in Description is refused: errorCode policy_denied', async () => {
    await expectBlocked(
      sales.sobject('Contact').create([
        { FirstName: 'Eve', LastName: 'Leak', Description: CARD_NOTE },
        { FirstName: 'Bob', LastName: 'Clean' },
      ]),
      assertPolicyDenied,
    );
    const names = (await truthQuery('SELECT Id, LastName FROM Contact')).map((r) => r.LastName);
    assert.ok(!names.includes('Leak') && !names.includes('Clean'), 'a refused collection reached the CRM');
  });

  await step('composite: a subrequest writing a card number into Description is refused whole: errorCode policy_denied', async () => {
    await expectBlocked(
      sales.requestPost('/composite', {
        allOrNone: true,
        compositeRequest: [
          { method: 'POST', url: `/services/data/v${sales.version}/sobjects/Contact`, referenceId: 'clean', body: { LastName: 'Composite' } },
          { method: 'PATCH', url: `/services/data/v${sales.version}/sobjects/Contact/@{clean.id}`, referenceId: 'leak', body: { Description: CARD_NOTE } },
        ],
      }),
      assertPolicyDenied,
    );
    const names = (await truthQuery('SELECT Id, LastName FROM Contact')).map((r) => r.LastName);
    assert.ok(!names.includes('Composite'), 'a refused composite reached the CRM');
  });

  await step('Bulk 2.0 ingest: a CSV insert uploaded chunked, stored as sent', async () => {
    sales.bulk2.pollInterval = 50;
    const csv = 'FirstName,LastName,Email,Phone\nKatherine,Johnson,katherine.johnson@example.com,+1 757 555 0101\nDorothy,Vaughan,dorothy.vaughan@example.com,+1 757 555 0102\n';
    const res = await sales.bulk2.loadAndWaitForResults({ object: 'Contact', operation: 'insert', input: csv, pollInterval: 50 });
    assert.equal(res.failedResults.length, 0, JSON.stringify(res.failedResults));
    assert.equal(res.unprocessedRecords.length, 0);
    assert.equal(res.successfulResults.length, 2);
    for (const r of res.successfulResults) {
      assert.match(r.sf__Id, /^003/);
      const stored = await truthRecord(r.sf__Id);
      assert.equal(stored.Email, r.Email);
      assert.match(stored.Email, /^(katherine\.johnson|dorothy\.vaughan)@example\.com$/);
    }
  });

  await step('Bulk 2.0 ingest: a CSV with a card number in Description is refused: errorCode policy_denied', async () => {
    const csv = `FirstName,LastName,Description\nEve,Leak,${CARD_NOTE}\n`;
    await expectBlocked(sales.bulk2.loadAndWaitForResults({ object: 'Contact', operation: 'insert', input: csv, pollInterval: 50 }), assertPolicyDenied);
    const names = (await truthQuery('SELECT Id, LastName FROM Contact')).map((r) => r.LastName);
    assert.ok(!names.includes('Leak'), 'the refused upload reached the CRM');
  });
});
