// Package glomotest provides a local Glomo simulator for tests and demos,
// in the spirit of net/http/httptest: a real HTTP server on a loopback
// address that behaves like Glomo on the wire.
//
// It is NOT a production component. It keeps everything in memory, moves
// no money, accepts any buyer, and its keys are test constants. Never point
// real buyers or a live configuration at it.
//
// # What it simulates
//
//   - The server API subset (base APIBaseURL, "Authorization: Bearer
//     <secret key>"): POST /api/v1/orders, GET /api/v1/orders/{id},
//     GET /api/v1/payment/{id}. Validation follows Glomo: customer_id,
//     amount (a positive JSON integer in minor units; "10" and 10.5 are
//     rejected) and currency are required; a repeated request_id is
//     rejected. Errors are flat JSON, {"error": "Bad Request", "message":
//     "..."}, with 400, 401 (wrong or missing key) or 404 (unknown id).
//     A payment names its order_id unless Options.PaymentWithoutOrderID
//     leaves it out, as Glomo's documented payment fields do.
//   - The checkout SDK: an ES module at /index.js exporting
//     GlomoCheckoutApi with the guide's interface (new
//     GlomoCheckoutApi({orderId, publicKey, callbackUrl}), open(), on()),
//     the checkout iframe and the payment popup.
//   - Signed webhooks with compressed retries, optional duplicates and
//     out-of-order delivery.
//
// # State transitions
//
// An order starts "active". Pay (or a button in the popup) creates a
// payment:
//
//	outcome        payment        order           webhooks, in order
//	Success()      success        paid            payment/success, orders/paid
//	Failure(code)  failed         active (retry)  payment/failed
//	BankTransfer   in_progress    under_review    payment/in_progress, orders/under_review
//
// A failed card payment leaves the order active because the buyer may try
// again in the same checkout. A bank transfer stays in progress until the
// test calls SettleBankTransfer: received gives success/paid (webhooks
// payment/success, orders/paid); not received gives a failed payment with
// error_code BANK_TRANSFER_NOT_RECEIVED and an active order (webhook
// payment/failed). Only an active order can be paid. A demo's human (or a
// script) settles one over HTTP with the secret key, as with the API:
// POST PathSettleBankTransfer{paymentID} with {"received": true} or
// {"received": false}.
//
// The checkout signature of a success is glomo.Sign(orderID, paymentID,
// "success", secret key).
//
// # The browser flow
//
// The merchant page imports SDKURL and calls open() from a click handler.
// open() first opens the payment popup synchronously (window.open needs the
// click's user activation; a synthetic click from a test driver such as
// chromedp's Click counts), then shows the checkout iframe in a modal
// overlay and fetches the order summary. The popup's buttons POST to the
// simulator, which records the payment and answers with the SDK event; the
// popup then reports it ONLY through window.opener.postMessage and closes
// itself. So a merchant page with Cross-Origin-Opener-Policy: same-origin
// really breaks the checkout: the popup has no opener, the page's handle
// reads closed (at once or within moments; the SDK reports a popup closed
// within 2 s of open() without a result as severed), and the payment (recorded anyway) reaches the
// merchant only by webhook.
//
// The SDK checks the message's origin, then emits payment.success
// {orderId, paymentId, status, signature}, payment.failure {orderId,
// paymentId, status, error: {code, message}} (no signature) or
// payment.bank_transfer_submitted {orderId, senderAccountNumber,
// transactionReference}. With a callbackUrl, success and failure instead
// send the page to
//
//	callbackUrl?status=success|failed&orderId=..&paymentId=..&signature=..
//
// (signed for failures too, as the guide shows; without paymentId under
// Options.CallbackWithoutPaymentID, as the guide's example is) and fire no
// event; a bank transfer still fires its event. CheckoutResult.CallbackURL
// builds the same redirect for a result of Pay. checkout.closed fires when
// the buyer closes the modal (#glomo-checkout-close, or Cancel in the
// iframe), checkout.error {code, message} when something goes wrong:
// POPUP_BLOCKED, NETWORK_ERROR (e.g. the CSP blocked the fetch),
// INVALID_PUBLIC_KEY, ORDER_NOT_FOUND, ORDER_NOT_PAYABLE.
//
// # Loads, by host
//
// Served from the simulator's own URL, every load goes to that origin.
// When Chromium maps Glomo's real host names to a NewTLSServer with
// --host-resolver-rules and the page imports
// https://glomopay-checkout-sdk.web.app/index.js, the SDK uses the real
// hosts, so the merchant's CSP and COOP are exercised as in production:
//
//	script   https://glomopay-checkout-sdk.web.app/index.js
//	frame    https://glomopay-checkout-sdk.web.app/checkout/frame?order=..&publicKey=..&origin=..
//	connect  https://api.glomopay.com/sdk/v1/checkout/{orderId}?publicKey=..
//	popup    https://checkout.glomopay.com/checkout/pay?order=..&publicKey=..&origin=..
//
// The iframe and the popup also fetch /checkout/summary/{orderId}
// (KindPageData) from their own origin, and the popup POSTs /checkout/pay
// (KindPay) to its own origin; those are governed by the simulator's pages
// (which send no CSP or COOP), not by the merchant's. Requests lists every request with its kind (RequestKind): a
// load the merchant's CSP blocks never arrives.
//
// # Hooks for browser tests
//
// Attributes on the merchant page's document element:
//
//	data-glomo-sdk="loaded"          the module evaluated
//	data-glomo-api="ok"|"error"      the connect fetch succeeded or failed
//	data-glomo-frame="pending"|"loaded"  the iframe ran and said ready
//	data-glomo-popup="open"|"severed"|"blocked"|"closed"
//	data-glomo-error=CODE            the last checkout.error code
//	data-glomo-result=EVENT          the result event received from the popup
//
// Elements: the overlay #glomo-checkout-overlay, the iframe
// #glomo-checkout-frame, the close button #glomo-checkout-close. In the
// iframe: #glomo-frame-cancel. In the popup: #glomo-pay-success,
// #glomo-error-code (a select) with #glomo-pay-fail, #glomo-sender-account
// and #glomo-transaction-reference (inputs) with #glomo-pay-bank-transfer;
// its document element gets data-glomo-opener="present"|"none" and, after a
// click, data-glomo-pay="recorded"|"error" and
// data-glomo-posted="true"|"no-opener".
//
// # Webhooks
//
// With Options.WebhookURL (or SetWebhookURL), every state change POSTs its
// events: body {"entity_type": "payment"|"orders", "event_type": status,
// "data": snapshot}, header X-Glomopay-Signature = lowercase hex
// HMAC-SHA256 of the raw body keyed with the webhook secret. A non-2xx
// answer, a transport error or a timeout (Options.WebhookTimeout) is
// retried on Options.RetrySchedule (default: five retries, 100ms to 1.6s).
// Events are delivered one at a time in the order they fired, so tests are
// deterministic; Options.DuplicateWebhooks and Options.ReverseWebhookOrder
// produce the duplicates and disorder Glomo may cause. Deliveries,
// WaitForDeliveries and WaitIdle observe delivery without sleeping; Close
// abandons pending retries.
//
// NewWebhookRequest and WebhookBody build signed webhooks for a merchant
// handler's unit tests without a running server.
package glomotest
