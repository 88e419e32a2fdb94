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

module.exports = { assert, env, mode, truth, step, main, mask, redacted, expectBlocked };
