// Sends identify, track, page and alias to a running Aurum daemon with Segment's own Node SDK
// (@segment/analytics-node), unchanged except for its host. Usage:
//   AURUM_URL=http://127.0.0.1:PORT AURUM_WRITE_KEY=KEY node send.js
// Exits non-zero when the SDK reports an error for any message.
'use strict';
const { Analytics } = require('@segment/analytics-node');

const host = process.env.AURUM_URL;
const writeKey = process.env.AURUM_WRITE_KEY;
if (!host || !writeKey) {
  console.error('AURUM_URL and AURUM_WRITE_KEY are required');
  process.exit(2);
}

const analytics = new Analytics({ writeKey, host, flushAt: 1, maxRetries: 0 });
let failed = 0;
analytics.on('error', (err) => {
  failed++;
  console.error('segment sdk error:', err && (err.reason || err.message || err));
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
  analytics.identify({
    userId: 'sdk-user-1',
    anonymousId: 'sdk-anon-1',
    traits: {
      firstName: 'Sadie',
      lastName: 'Kaur',
      email: 'Sadie.Kaur@sdk.example',
      phone: '+44 20 7946 0111',
      address: { city: 'Leeds', postalCode: 'LS1 4AP', country: 'GB' },
      plan: 'gold',
    },
  }, done('identify'));
  analytics.track({
    userId: 'sdk-user-1',
    event: 'Order Completed',
    messageId: 'sdk-order-1',
    properties: { order_id: 'O-1', total: 42.5, currency: 'GBP' },
  }, done('track'));
  analytics.page({
    userId: 'sdk-user-1',
    name: 'Checkout',
    category: 'Shop',
    messageId: 'sdk-page-1',
    properties: { url: 'https://shop.example/checkout' },
  }, done('page'));
  analytics.alias({ userId: 'sdk-user-1', previousId: 'sdk-anon-1' }, done('alias'));
  await analytics.closeAndFlush({ timeout: 20000 });
  if (failed) {
    console.error(failed + ' message(s) failed');
    process.exit(1);
  }
  console.log('sent identify, track, page, alias');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
