// Package webhook receives Glomo's webhooks, the source of truth about
// payments: [Handler] reads the raw body through http.MaxBytesReader,
// verifies its X-Glomopay-Signature (HMAC-SHA256 of the body, with the
// webhook secrets of a rotation) before parsing anything, decodes the
// event with encoding/json, and answers so that Glomo retries only what
// failed. The events that prove an order paid go to the glomo.Fulfilment
// the result handler shares, so the order is fulfilled once; every other
// event goes to the merchant's Handle, once per event. [Verify] and
// [Sign] check and make signatures on their own, [Parse] decodes a
// verified body, and [ShouldApplyStatus] keeps reordered deliveries from
// moving an entity backwards.
package webhook
