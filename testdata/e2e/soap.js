'use strict';
// jsforce 3 through Veil against the fake Salesforce, with SOAP sessions:
// conn.login(user, password) with no OAuth client logs in with the SOAP
// API's login() call, and the sessionId it returns (bound by Veil to the
// principal whose crm_users holds the username) then authenticates REST
// (Authorization: Bearer), SOAP (SessionHeader) and Bulk API 1.0
// (X-SFDC-Session) calls. Run by proxy/e2e (make e2e).
const jsforce = require('jsforce');
const { SOAP } = require('jsforce/lib/soap');
const { assert, env, mode, step, main, expectBlocked, sf } = require('./lib');

const { SOQL, CARD_NOTE, checkRecords, truthQuery, truthRecord, readAll } = sf;

const loginUrl = env('VEIL_E2E_SF_LOGIN_URL'); // Veil (reverse) or https://login.salesforce.com (forward)
const veilUrl = env('VEIL_E2E_VEIL_URL');
const VERSION = '62.0';
const ORG_ID = '00DDn000000FakeAAA';
const INVALID_LOGIN = 'INVALID_LOGIN: Invalid username, password, security token; or user locked out.';

function connection() {
  return new jsforce.Connection({ loginUrl, version: VERSION });
}

// login logs user in with the SOAP API (no oauth2 options: jsforce's
// loginBySoap).
async function login(user, password = 'any-password') {
  const conn = connection();
  const userInfo = await conn.login(user, password);
  return { conn, userInfo };
}

// partner is jsforce's SOAP client for the Partner API of conn's instance,
// as conn.soap uses it: a SessionHeader with conn's session, faults thrown
// as errors with faultcode as errorCode and faultstring as message.
function partner(conn) {
  return new SOAP(conn, { xmlns: 'urn:partner.soap.sforce.com', endpointUrl: `${conn.instanceUrl}/services/Soap/u/${conn.version}` });
}

// fromSoap turns a Partner API sObject as jsforce parses it (xml2js: sf:
// prefixes, Id written twice, xsi:nil elements as {$: …}) into a record of
// text values, null for nil.
function fromSoap(node) {
  const rec = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$') continue;
    let val = Array.isArray(v) ? v[0] : v;
    if (val !== null && typeof val === 'object') {
      val = val.$ && val.$['xsi:nil'] === 'true' ? null : '_' in val ? val._ : val;
    }
    rec[k.slice(k.indexOf(':') + 1)] = val;
  }
  return rec;
}

// soapQuery runs soql with the SOAP API's query and queryMore: every page's
// records, and the pages' sizes.
async function soapQuery(conn, soql) {
  const api = partner(conn);
  const pages = [];
  const records = [];
  let res = (await api.invoke('query', { queryString: soql })).result;
  for (;;) {
    const page = res.records === undefined ? [] : [].concat(res.records);
    pages.push(page.length);
    records.push(...page.map(fromSoap));
    assert.ok(page.every((r) => r.$ && r.$['xsi:type'] === 'sf:sObject'), 'records are sf:sObject');
    if (res.done === 'true') break;
    assert.ok(res.queryLocator && pages.length < 10, `queryLocator ${JSON.stringify(res.queryLocator)}`);
    res = (await api.invoke('queryMore', { queryLocator: res.queryLocator })).result;
  }
  return { size: Number(res.size), pages, records };
}

function assertInvalidLogin(err) {
  // jsforce's loginBySoap throws a plain Error with the fault's faultstring.
  assert.equal(err.name, 'Error', `${err.name}: ${err.message}`);
  assert.equal(err.message, INVALID_LOGIN);
}

// assertSoapPolicyDenied: Veil's SOAP fault (HTTP 500, faultcode
// sf:policy_denied), as jsforce's SOAP client surfaces it.
function assertSoapPolicyDenied(err) {
  assert.equal(err.errorCode, 'sf:policy_denied', `errorCode of ${err.name}: ${err.message}`);
  assert.match(err.message, /^policy_denied: Blocked by Veil privacy policy: pci_card_in_free_text \(decision [0-9a-f]{32}\)/);
}

// assertBulkPolicyDenied: Veil's Bulk API 1.0 error (<error><exceptionCode>).
function assertBulkPolicyDenied(err) {
  assert.equal(err.errorCode, 'policy_denied', `errorCode of ${err.name}: ${err.message}`);
  assert.match(err.message, /Blocked by Veil privacy policy: pci_card_in_free_text \(decision [0-9a-f]{32}\)/);
}

const lastNames = async () => (await truthQuery('SELECT Id, LastName FROM Contact')).map((r) => r.LastName);

main(async () => {
  let analyst, sales;
  // Where jsforce's calls go after a SOAP login: serverUrl's origin.
  const instanceUrl = mode === 'reverse' ? veilUrl : loginUrl;

  await step('SOAP login as analyst@demo.example: a session, serverUrl behind the proxy', async () => {
    const { conn, userInfo } = await login('analyst@demo.example');
    analyst = conn;
    assert.ok(conn.accessToken, 'no session id');
    assert.equal(conn.instanceUrl, instanceUrl, mode === 'reverse' ? "Veil did not rewrite the login's serverUrl to itself" : 'serverUrl');
    assert.equal(userInfo.organizationId, ORG_ID);
    assert.match(userInfo.id, /^005/);
    assert.equal(userInfo.url, `${loginUrl}/id/${ORG_ID}/${userInfo.id}`);
  });

  await step('SOAP login with the password "invalid" is refused: INVALID_LOGIN', async () => {
    await expectBlocked(login('analyst@demo.example', 'invalid'), assertInvalidLogin);
  });

  await step('SOAP login as an unlisted CRM user is refused exactly as a bad password (no username oracle)', async () => {
    await expectBlocked(login('mallory@demo.example'), assertInvalidLogin);
    // What the client receives: the status, Content-Type and Fault are the
    // CRM's answer to a bad password. Not compared: the envelope's namespace
    // declarations (the fake CRM's also declares the Partner namespace as
    // the default one, Salesforce's does not) and headers (Veil adds
    // X-Veil-Error: unknown_principal to its own refusal).
    const raw = async (user, password) => {
      const body =
        '<se:Envelope xmlns:se="http://schemas.xmlsoap.org/soap/envelope/"><se:Header/><se:Body>' +
        `<login xmlns="urn:partner.soap.sforce.com"><username>${user}</username><password>${password}</password></login>` +
        '</se:Body></se:Envelope>';
      const res = await connection()._transport.httpRequest({
        method: 'POST',
        url: `${loginUrl}/services/Soap/u/${VERSION}`,
        body,
        headers: { 'Content-Type': 'text/xml', SOAPAction: '""' },
      });
      return { status: res.statusCode, type: res.headers['content-type'], fault: res.body.match(/<soapenv:Fault>.*<\/soapenv:Fault>/s)?.[0] };
    };
    const unknown = await raw('mallory@demo.example', 'any-password');
    const wrong = await raw('analyst@demo.example', 'invalid');
    assert.deepEqual(unknown, wrong);
    assert.equal(unknown.status, 500);
    assert.ok(unknown.fault.startsWith(`<soapenv:Fault><faultcode>sf:INVALID_LOGIN</faultcode><faultstring>${INVALID_LOGIN}</faultstring><detail><sf:LoginFault`), unknown.fault);
  });

  await step('SOAP getUserInfo with the SOAP session', async () => {
    const info = await analyst.soap.getUserInfo();
    assert.equal(info.organizationId, ORG_ID);
    assert.equal(info.userId, analyst.userInfo.id);
  });

  const raw = await truthQuery(SOQL);
  assert.equal(raw.length, 12, 'fixtures: 12 contacts');

  await step('REST query with the SOAP session (Bearer): every page, masked for the analyst', async () => {
    const first = await analyst.query(SOQL);
    assert.equal(first.done, false);
    assert.ok(first.nextRecordsUrl.startsWith(`${instanceUrl}/services/data/v${VERSION}/query/`), first.nextRecordsUrl);
    const res = await analyst.query(SOQL).run({ autoFetch: true, maxFetch: 100 });
    assert.deepEqual(res.records.map((r) => r.Id), raw.map((r) => r.Id));
    checkRecords('analyst', res.records, raw);
  });

  await step('SOAP query and queryMore (SessionHeader): every page, masked for the analyst', async () => {
    const res = await soapQuery(analyst, SOQL);
    assert.equal(res.size, raw.length);
    assert.deepEqual(res.pages, [5, 5, 2]);
    assert.deepEqual(res.records.map((r) => r.Id), raw.map((r) => r.Id));
    checkRecords('analyst', res.records, raw, { format: 'xml' });
  });

  await step('SOAP login as sales@demo.example: REST and SOAP queries as the sales rep sees them', async () => {
    ({ conn: sales } = await login('sales@demo.example'));
    assert.equal(sales.instanceUrl, instanceUrl);
    assert.notEqual(sales.accessToken, analyst.accessToken);
    const rest = await sales.query(SOQL).run({ autoFetch: true, maxFetch: 100 });
    checkRecords('sales', rest.records, raw);
    const soap = await soapQuery(sales, SOQL);
    assert.deepEqual(soap.records.map((r) => r.Id), raw.map((r) => r.Id));
    checkRecords('sales', soap.records, raw, { format: 'xml' });
    // The analyst's session still reads as the analyst.
    checkRecords('analyst', (await soapQuery(analyst, SOQL)).records, raw, { format: 'xml' });
  });

  let katherineId;
  await step('SOAP create (conn.soap.create) of a clean Contact: stored as sent', async () => {
    const ret = await sales.soap.create({ type: 'Contact', FirstName: 'Katherine', LastName: 'Johnson', Email: 'katherine.johnson@example.com' });
    assert.equal(ret.success, true, JSON.stringify(ret));
    assert.match(ret.id, /^003/);
    katherineId = ret.id;
    const stored = await truthRecord(katherineId);
    assert.equal(stored.LastName, 'Johnson');
    assert.equal(stored.Email, 'katherine.johnson@example.com');
  });

  await step('SOAP update (conn.soap.update) of it: stored', async () => {
    const ret = await sales.soap.update({ type: 'Contact', Id: katherineId, Title: 'Mathematician' });
    assert.equal(ret.success, true, JSON.stringify(ret));
    assert.equal((await truthRecord(katherineId)).Title, 'Mathematician');
  });

  await step('SOAP create with a card number in Description is refused: SOAP fault sf:policy_denied', async () => {
    await expectBlocked(
      sales.soap.create([
        { type: 'Contact', FirstName: 'Eve', LastName: 'SoapLeak', Description: CARD_NOTE },
        { type: 'Contact', FirstName: 'Bob', LastName: 'SoapClean' },
      ]),
      assertSoapPolicyDenied,
    );
    const names = await lastNames();
    assert.ok(!names.includes('SoapLeak') && !names.includes('SoapClean'), 'a refused SOAP create reached the CRM');
  });

  await step('SOAP update writing a card number into Description is refused: SOAP fault sf:policy_denied', async () => {
    await expectBlocked(sales.soap.update({ type: 'Contact', Id: katherineId, Description: CARD_NOTE }), assertSoapPolicyDenied);
    assert.ok(!String((await truthRecord(katherineId)).Description).includes('4111'), 'the card number reached the CRM');
  });

  await step('Bulk API 1.0 (conn.bulk, X-SFDC-Session) insert: stored as sent', async () => {
    sales.bulk.pollInterval = 50;
    const rets = await sales.bulk.load('Contact', 'insert', [
      { FirstName: 'Dorothy', LastName: 'Vaughan', Email: 'dorothy.vaughan@example.com' },
      { FirstName: 'Mary', LastName: 'Jackson', Email: 'mary.jackson@example.com' },
    ]);
    assert.equal(rets.length, 2);
    assert.ok(rets.every((r) => r.success && /^003/.test(r.id)), JSON.stringify(rets));
    const emails = await Promise.all(rets.map(async (r) => (await truthRecord(r.id)).Email));
    assert.deepEqual(emails.sort(), ['dorothy.vaughan@example.com', 'mary.jackson@example.com']);
  });

  await step('Bulk API 1.0 insert with a card number in Description is refused: exceptionCode policy_denied', async () => {
    await expectBlocked(
      sales.bulk.load('Contact', 'insert', [{ FirstName: 'Eve', LastName: 'BulkLeak', Description: CARD_NOTE }]),
      assertBulkPolicyDenied,
    );
    assert.ok(!(await lastNames()).includes('BulkLeak'), 'the refused batch reached the CRM');
  });

  await step('Bulk API 1.0 query (conn.bulk.query: job, batch, CSV result), masked for the analyst', async () => {
    analyst.bulk.pollInterval = 50;
    const records = await readAll(await analyst.bulk.query('SELECT Id, Name, Email, Phone, Birthdate, SSN__c, Card_Number__c FROM Contact ORDER BY Id'));
    const now = await truthQuery(SOQL); // the fixtures and the contacts created above
    assert.deepEqual(records.map((r) => r.Id), now.map((r) => r.Id));
    checkRecords('analyst', records, now, { format: 'csv' });
  });

  await step('SOAP logout (conn.logout): the session is over', async () => {
    const session = sales.accessToken;
    await sales.logout();
    assert.ok(!sales.accessToken, 'jsforce kept the session');
    const stale = new jsforce.Connection({ instanceUrl, accessToken: session, version: VERSION });
    await expectBlocked(stale.query('SELECT Id FROM Contact'), (err) => {
      assert.equal(err.errorCode, 'INVALID_SESSION_ID', `${err.name}: ${err.message}`);
    });
  });
});
