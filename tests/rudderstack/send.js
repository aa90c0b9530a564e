// Sends identify, track, page, screen, group and alias to a running Aurum daemon with
// RudderStack's own Node SDK (@rudderstack/rudder-sdk-node), unchanged except for its data plane
// URL, with its default gzip compression on (stated explicitly so that a change of default
// cannot silently turn the test into an uncompressed one). The SDK posts batches to /v1/batch
// with the write key as the HTTP Basic user. Usage:
//   AURUM_URL=http://127.0.0.1:PORT AURUM_WRITE_KEY=KEY node send.js
// Exits non-zero when the SDK reports an error for any message.
'use strict';
const Analytics = require('@rudderstack/rudder-sdk-node');

const dataPlaneUrl = process.env.AURUM_URL;
const writeKey = process.env.AURUM_WRITE_KEY;
if (!dataPlaneUrl || !writeKey) {
  console.error('AURUM_URL and AURUM_WRITE_KEY are required');
  process.exit(2);
}

let failed = 0;
const client = new Analytics(writeKey, {
  dataPlaneUrl,
  gzip: true,
  flushAt: 1,
  retryCount: 0,
  logLevel: 'error',
  errorHandler: (err) => {
    failed++;
    console.error('rudderstack sdk error:', err && (err.message || err));
  },
});

function done(what) {
  return (err) => {
    if (err) {
      failed++;
      console.error(what, 'failed:', err.message || err);
    }
  };
}

async function main() {
  client.identify({
    userId: 'rs-user-1',
    anonymousId: 'rs-anon-1',
    traits: {
      firstName: 'Idris',
      lastName: 'Okafor',
      email: 'Idris.Okafor@rs.example',
      phone: '+44 20 7946 0222',
      address: { city: 'York', postalCode: 'YO1 7HH', country: 'GB' },
      tier: 'silver',
    },
  }, done('identify'));
  client.track({
    userId: 'rs-user-1',
    event: 'Order Completed',
    messageId: 'rs-order-1',
    properties: { order_id: 'R-1', total: 19.99, currency: 'GBP' },
  }, done('track'));
  client.page({
    userId: 'rs-user-1',
    name: 'Basket',
    category: 'Shop',
    messageId: 'rs-page-1',
    properties: { url: 'https://shop.example/basket' },
  }, done('page'));
  client.screen({
    userId: 'rs-user-1',
    name: 'Order Status',
    messageId: 'rs-screen-1',
    properties: { app: 'northwind-ios' },
  }, done('screen'));
  client.group({
    userId: 'rs-user-1',
    groupId: 'acme-ltd',
    messageId: 'rs-group-1',
    traits: { name: 'Acme Ltd', employees: 40 },
  }, done('group'));
  client.alias({ userId: 'rs-user-1', previousId: 'rs-anon-1', messageId: 'rs-alias-1' },
    done('alias'));
  await client.flush();
  // the SDK reports each batch to its callbacks on the next turn of the event loop
  await new Promise((resolve) => setImmediate(resolve));
  if (failed) {
    console.error(failed + ' message(s) failed');
    process.exit(1);
  }
  console.log('sent identify, track, page, screen, group, alias (gzip)');
  process.exit(0); // do not wait for idle keep-alive sockets to close
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
