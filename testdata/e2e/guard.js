'use strict';
// Preloaded (node --require ./guard.js) by proxy/e2e: every TCP connection
// the scripts open must go to loopback. In forward mode the clients name the
// real CRM hosts (login.salesforce.com, api.hubapi.com); a client that
// ignored its proxy would try to reach them directly: that throws here
// before a packet leaves the machine, and the script fails.
const net = require('node:net');

const loopback = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(...args) {
  let opts = args[0];
  if (Array.isArray(opts)) opts = opts[0]; // net.createConnection's normalized arguments
  let host = 'localhost';
  let path;
  if (opts !== null && typeof opts === 'object') {
    path = opts.path;
    host = opts.host || 'localhost';
  } else if (typeof opts === 'string' && !/^\d+$/.test(opts)) {
    path = opts; // a Unix socket
  } else if (typeof args[1] === 'string') {
    host = args[1];
  }
  if (!path && !loopback.has(String(host).toLowerCase())) {
    throw new Error(`e2e guard: refusing a direct connection to ${host}: every request must go to Veil on 127.0.0.1`);
  }
  return connect.apply(this, args);
};
