package glomotest_test

import (
	"fmt"

	"github.com/glomokit/glomo/glomotest"
)

func ExampleCallbackURL() {
	fmt.Println(glomotest.CallbackURL("https://shop.example/payment-result?lang=en",
		"order_679a16457aP6K", "payment_679a16457aP6K", "success", "your_secret_key"))
	// Output: https://shop.example/payment-result?lang=en&orderId=order_679a16457aP6K&paymentId=payment_679a16457aP6K&signature=e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea&status=success
}

func ExampleSignedSuccess() {
	p := glomotest.SignedSuccess("order_679a16457aP6K", "payment_679a16457aP6K", "your_secret_key")
	fmt.Println(p["status"], p["signature"])
	// Output: success e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea
}
