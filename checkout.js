// glomo-checkout.js: step 2 of the Glomo Checkout integration guide, the
// buy button and the SDK's events, from github.com/glomokit/glomo.
//
// glomo.Checkout.Script renders exactly this code inline, with the request's
// CSP nonce. To serve it yourself instead (glomo.CheckoutModule holds it),
// import it next to the SDK in your page's module script:
//
//   <script type="module" nonce="...">
//   import { GlomoCheckoutApi } from 'https://glomopay-checkout-sdk.web.app/index.js';
//   import { mountCheckout } from '/static/glomo-checkout.js';
//   mountCheckout(GlomoCheckoutApi, {
//     orderId: 'order_...',          // created by your server (step 1)
//     publicKey: 'live_...',         // your publishable key
//     resultUrl: '/payment/verify',  // your glomo.ResultHandler (POST)
//     nextUrl: '/orders/123',        // where the buyer goes once it answered
//   });
//   </script>
//
// Options:
//   orderId, publicKey  required, passed to GlomoCheckoutApi.
//   callbackUrl         optional, passed to GlomoCheckoutApi: Glomo then
//                       redirects success and failure there and fires no
//                       payment.success or payment.failure event.
//   resultUrl           where payment.success, payment.failure and
//                       payment.bank_transfer_submitted are posted as JSON,
//                       {"event": name, ...the SDK's payload}. Without a
//                       callbackUrl it is required; with one, only the bank
//                       transfer event (which still fires) is posted, and
//                       only when resultUrl is given.
//   nextUrl             where the browser goes once resultUrl answered 2xx;
//                       without it the page stays and listens to the events
//                       below.
//   csrfHeader, csrfToken  a header your framework's CSRF protection wants
//                       on the post (for example X-CSRF-Token).
//   buttonId            the element whose click opens the checkout,
//                       default "buy-button" as in the guide.
//
// Progress is announced on document as "glomo-checkout" CustomEvents whose
// detail.state is "open" (the button was clicked), "posting", "posted"
// (detail.response is the server's JSON), "refused" (the server answered
// 4xx or 5xx), "error" (a network failure or no button; detail.message
// says which) or "closed" (the buyer closed the checkout).
// detail.event names the SDK event, when there is one.
//
// The browser's word proves nothing: the server verifies the signature
// against the order it created, and webhooks are the source of truth.

export function mountCheckout(GlomoCheckoutApi, options) {
  const o = options || {};
  const announce = (state, detail) => {
    document.dispatchEvent(new CustomEvent('glomo-checkout', { detail: Object.assign({ state }, detail) }));
  };
  const sdkOptions = { orderId: o.orderId, publicKey: o.publicKey };
  if (o.callbackUrl) sdkOptions.callbackUrl = o.callbackUrl;
  const checkout = new GlomoCheckoutApi(sdkOptions);

  const button = document.getElementById(o.buttonId || 'buy-button');
  if (!button) {
    announce('error', { message: 'no element with id ' + (o.buttonId || 'buy-button') });
  } else {
    button.addEventListener('click', () => {
      announce('open', {});
      checkout.open();
    });
  }

  const post = async (event, payload) => {
    announce('posting', { event });
    const headers = { 'Content-Type': 'application/json' };
    if (o.csrfHeader) headers[o.csrfHeader] = o.csrfToken || '';
    let res;
    let body = null;
    try {
      res = await fetch(o.resultUrl, {
        method: 'POST',
        headers,
        credentials: 'same-origin',
        body: JSON.stringify(Object.assign({}, payload, { event })),
      });
      body = await res.json().catch(() => null);
    } catch (err) {
      announce('error', { event, message: String(err) });
      return;
    }
    if (!res.ok) {
      announce('refused', { event, status: res.status, response: body });
      return;
    }
    announce('posted', { event, status: res.status, response: body });
    if (o.nextUrl) location.assign(o.nextUrl);
  };

  const events = o.callbackUrl
    ? ['payment.bank_transfer_submitted']
    : ['payment.success', 'payment.failure', 'payment.bank_transfer_submitted'];
  if (o.resultUrl) {
    for (const event of events) checkout.on(event, (payload) => post(event, payload));
  }
  checkout.on('checkout.closed', () => announce('closed', {}));
  return checkout;
}
