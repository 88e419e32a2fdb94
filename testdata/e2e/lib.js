'use strict';
// Shared by the e2e scripts: the environment proxy/e2e gives them, the
// ground truth (the fake CRM read directly, behind Veil's back), and what a
// masked or redacted value looks like (proxy/transform).
const assert = require('node:assert/strict');

function env(name) {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: these scripts are run by proxy/e2e (make e2e)`);
  return v;
}

const mode = env('VEIL_E2E_MODE'); // reverse | forward
assert.ok(mode === 'reverse' || mode === 'forward', `VEIL_E2E_MODE=${mode}`);

// The fake CRM itself over plain HTTP on 127.0.0.1: what the data really is.
async function truth(path, init = {}) {
  const res = await fetch(env('VEIL_E2E_CRM_URL') + path, {
    ...init,
    headers: { Authorization: 'Bearer crm-token', 'Content-Type': 'application/json', ...(init.headers || {}) },
  });
  const text = await res.text();
  assert.ok(res.ok, `ground truth ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

let steps = 0;
// step runs one named check and says so; a failure names the step.
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
  } catch (err) {
    err.message = `[${mode}] ${name}: ${err.message}`;
    throw err;
  }
  steps++;
  console.log(`ok ${name} (${Date.now() - t0} ms)`);
}

function main(fn) {
  const t0 = Date.now();
  fn().then(
    () => console.log(`[${mode}] ${steps} steps passed in ${Date.now() - t0} ms`),
    (err) => {
      console.error(err && err.stack ? err.stack : err);
      if (err && err.data !== undefined) console.error('error data:', JSON.stringify(err.data));
      if (err && err.body !== undefined) console.error('error body:', JSON.stringify(err.body));
      process.exitCode = 1;
    },
  );
}

// The masks of proxy/transform, for the values of the fixtures.
const isAlnum = (c) => /[\p{L}\p{N}]/u.test(c);
const isDigit = (c) => c >= '0' && c <= '9';

function keepLast(text, n) {
  const chars = [...text];
  let start = chars.length;
  let visible = 0;
  while (start > 0 && visible < n) {
    start--;
    if (isDigit(chars[start])) visible++;
  }
  if (visible < n) start = chars.length;
  return chars.map((c, i) => (i < start && isAlnum(c) ? '*' : c)).join('');
}

const mask = {
  email(v) {
    const at = v.lastIndexOf('@');
    return v[0] + '***' + v.slice(at);
  },
  phone: (v) => keepLast(v, 2),
  last4: (v) => keepLast(v, 4), // cards, SSNs
  name(v) {
    let inWord = false;
    return [...v]
      .map((c) => {
        if (!isAlnum(c)) {
          inWord = false;
          return c;
        }
        const out = inWord ? '*' : c;
        inWord = true;
        return out;
      })
      .join('');
  },
};

const redacted = (category) => `[REDACTED:${category}]`;

// expectBlocked awaits p, which must fail; check(err) asserts on the error.
async function expectBlocked(p, check) {
  let err;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err, 'the call was expected to be refused, and succeeded');
  check(err);
  return err;
}

// ---- Salesforce: shared by salesforce.js (REST, OAuth) and soap.js (SOAP
// login, SOAP and Bulk API 1.0) ----

const FIELDS = ['Id', 'Name', 'Email', 'Phone', 'Birthdate', 'SSN__c', 'Card_Number__c', 'HasOptedOutOfEmail', 'DoNotCall'];
const SOQL = `SELECT ${FIELDS.join(', ')} FROM Contact ORDER BY Id`;
const CARD_NOTE = 'card 4111 1111 1111 1111 exp 12/29';

// What each role reads (rules/data.json, the default bundle; the
// Salesforce route's purpose is support): raw → expected.
const sees = {
  analyst: {
    Name: mask.name,
    Email: mask.email,
    Phone: mask.phone,
    Birthdate: () => redacted('date_of_birth'),
    SSN__c: () => redacted('us_ssn'),
    Card_Number__c: mask.last4,
  },
  marketing: {
    Name: (v) => v,
    // consent: e-mails of opted-out contacts redacted, phones of DoNotCall ones
    Email: (v, rec) => (rec.HasOptedOutOfEmail ? redacted('email') : v),
    Phone: (v, rec) => (rec.DoNotCall ? redacted('phone') : mask.phone(v)),
    Birthdate: () => redacted('date_of_birth'),
    SSN__c: () => redacted('us_ssn'),
    Card_Number__c: mask.last4,
  },
  sales: {
    Name: (v) => v,
    Email: (v) => v,
    Phone: (v) => v,
    Birthdate: (v) => v,
    SSN__c: mask.last4,
    Card_Number__c: mask.last4,
  },
};

// checkRecords asserts that every record in got reads as role sees its raw
// version in raw (the same records, by Id). format is how got was read:
// 'json' (REST), 'csv' (Bulk API; HasOptedOutOfEmail not compared) or
// 'xml' (SOAP, REST XML: values are text, booleans "true"/"false").
function checkRecords(role, got, raw, { format = 'json' } = {}) {
  const byId = new Map(raw.map((r) => [r.Id, r]));
  const via = format === 'json' ? '' : format === 'csv' ? ' (Bulk CSV)' : ` (${format.toUpperCase()})`;
  assert.ok(got.length > 0, 'no record');
  for (const rec of got) {
    const r = byId.get(rec.Id);
    assert.ok(r, `record ${rec.Id} is not in the CRM`);
    for (const [field, expect] of Object.entries(sees[role])) {
      if (r[field] === null || r[field] === undefined) continue;
      const want = expect(r[field], r);
      assert.equal(rec[field], want, `${role} reads ${rec.Id}.${field}${via}`);
    }
    if (format === 'json') assert.equal(rec.HasOptedOutOfEmail, r.HasOptedOutOfEmail, `${rec.Id}.HasOptedOutOfEmail`);
    if (format === 'xml' && 'HasOptedOutOfEmail' in rec) {
      assert.equal(rec.HasOptedOutOfEmail, String(r.HasOptedOutOfEmail), `${rec.Id}.HasOptedOutOfEmail${via}`);
    }
  }
}

// truthQuery runs soql on the fake Salesforce directly, in one page.
async function truthQuery(soql) {
  const res = await truth('/services/data/v62.0/query?q=' + encodeURIComponent(soql), {
    headers: { 'Sforce-Query-Options': 'batchSize=2000' },
  });
  assert.equal(res.done, true);
  return res.records;
}

const truthRecord = (id) => truth(`/services/data/v62.0/sobjects/Contact/${id}`);

// readAll collects a jsforce record stream.
function readAll(stream) {
  return new Promise((resolve, reject) => {
    const out = [];
    stream.on('record', (r) => out.push(r));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
}

const sf = { FIELDS, SOQL, CARD_NOTE, sees, checkRecords, truthQuery, truthRecord, readAll };

module.exports = { assert, env, mode, truth, step, main, mask, redacted, expectBlocked, sf };
