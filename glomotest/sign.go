package glomotest

import (
	"net/url"

	"github.com/glomokit/glomo"
)

// SignedSuccess returns the payload the SDK's payment.success event carries,
// in the SDK's camelCase, signed with secret exactly as Glomo signs it:
// {orderId, paymentId, status: "success", signature}. Post it (as JSON or as
// a form) to a glomo.ResultHandler to test the merchant's success path.
func SignedSuccess(orderID, paymentID, secret string) map[string]string {
	return map[string]string{
		"orderId":   orderID,
		"paymentId": paymentID,
		"status":    "success",
		"signature": glomo.Sign(orderID, paymentID, "success", secret),
	}
}

// CallbackURL returns the URL Glomo redirects the browser to when the
// checkout was opened with callbackUrl base: base with status, orderId,
// paymentId and a valid signature added to the query. Parameters already in
// base are kept, so a base that routes by query still works.
func CallbackURL(base, orderID, paymentID, status, secret string) string {
	return withQuery("CallbackURL", base, url.Values{
		"status":    {status},
		"orderId":   {orderID},
		"paymentId": {paymentID},
		"signature": {glomo.Sign(orderID, paymentID, status, secret)},
	})
}

// withQuery returns base with the parameters of add set in its query,
// keeping the others. A test helper has no error to return: a broken base
// is a bug in the test, and the panic names the helper (caller).
func withQuery(caller, base string, add url.Values) string {
	u, err := url.Parse(base)
	if err != nil {
		panic("glomotest: " + caller + ": invalid base URL: " + err.Error())
	}
	q := u.Query()
	for k, v := range add {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}
