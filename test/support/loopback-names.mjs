// Preloaded into the plat CLI by tests (NODE_OPTIONS=--import): the names in
// PLAT_TEST_LOOPBACK_NAMES (comma-separated) resolve to 127.0.0.1 in that
// process, as an /etc/hosts line would, so the CLI dials a test's API domain
// by its name (SNI, Host, certificate check) without touching the machine.
import dns from 'node:dns';

const names = new Set((process.env.PLAT_TEST_LOOPBACK_NAMES ?? '').split(',').filter(Boolean));
const lookup = dns.lookup;

dns.lookup = function loopbackLookup(hostname, options, callback) {
  if (!names.has(hostname)) return lookup.call(this, hostname, options, callback);
  const done = typeof options === 'function' ? options : callback;
  const all = typeof options === 'object' && options !== null && options.all;
  if (all) process.nextTick(done, null, [{ address: '127.0.0.1', family: 4 }]);
  else process.nextTick(done, null, '127.0.0.1', 4);
};
