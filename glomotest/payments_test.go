package glomotest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newOrder(t *testing.T, s *Server) Order {
	t.Helper()
	o, err := s.CreateOrder(map[string]any{"customer_id": "cus_1", "amount": 2500, "currency": "USD"})
	require.NoError(t, err)
	return o
}

// checkoutSig recomputes the checkout signature independently of glomo.Sign.
func checkoutSig(orderID, paymentID, status, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(orderID + "|" + paymentID + "|" + status))
	return hex.EncodeToString(m.Sum(nil))
}

func TestPayTransitions(t *testing.T) {
	tests := []struct {
		name          string
		outcome       Outcome
		event         string
		paymentStatus string
		orderStatus   string
		method        string
		errorCode     string
	}{
		{"success", Success(), EventSuccess, PaymentSuccess, OrderPaid, "card", ""},
		{"failure", Failure("INSUFFICIENT_BALANCE"), EventFailure, PaymentFailed, OrderActive, "card", "INSUFFICIENT_BALANCE"},
		{"failure default code", Failure(""), EventFailure, PaymentFailed, OrderActive, "card", "PAYMENT_DECLINED"},
		{"bank transfer", BankTransfer("0001", "UTR9"), EventBankTransferSubmitted, PaymentInProgress, OrderUnderReview, "bank_transfer", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestServer(t, Options{SecretKey: "sk_pay"})
			o := newOrder(t, s)
			res, err := s.Pay(o.ID, tt.outcome)
			require.NoError(t, err)
			assert.Equal(t, tt.event, res.Event)
			assert.Equal(t, o.ID, res.OrderID)
			assert.True(t, strings.HasPrefix(res.PaymentID, "payt_"), res.PaymentID)

			p, ok := s.Payment(res.PaymentID)
			require.True(t, ok)
			assert.Equal(t, tt.paymentStatus, p.Status)
			assert.Equal(t, tt.method, p.PaymentMethod)
			assert.Equal(t, tt.errorCode, p.ErrorCode)
			assert.Equal(t, o.ID, p.OrderID)
			assert.Equal(t, int64(2500), p.Amount)
			assert.True(t, strings.HasPrefix(p.PayinID, "payin_"), p.PayinID)
			got, _ := s.Order(o.ID)
			assert.Equal(t, tt.orderStatus, got.Status)

			if tt.event == EventSuccess {
				assert.Equal(t, checkoutSig(o.ID, res.PaymentID, "success", "sk_pay"), res.Signature)
			} else {
				assert.Empty(t, res.Signature)
			}

			// The API reports the same state.
			status, body := call(t, s, "GET", "/api/v1/payment/"+res.PaymentID, "sk_pay", "")
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, tt.paymentStatus, body["status"])
			assert.Equal(t, o.ID, body["order_id"])
		})
	}
}

func TestPayPayloads(t *testing.T) {
	s := newTestServer(t, Options{})
	payload := func(r CheckoutResult) map[string]any {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		return m
	}
	o := newOrder(t, s)
	fail, err := s.Pay(o.ID, Failure("CARD_EXPIRED"))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"orderId": o.ID, "paymentId": fail.PaymentID, "status": "failed",
		"error": map[string]any{"code": "CARD_EXPIRED", "message": "Card expired"},
	}, payload(fail), "a failure carries no signature")

	ok, err := s.Pay(o.ID, Success())
	require.NoError(t, err, "a failed payment leaves the order payable")
	assert.Equal(t, map[string]any{
		"orderId": o.ID, "paymentId": ok.PaymentID, "status": "success", "signature": ok.Signature,
	}, payload(ok))

	o2 := newOrder(t, s)
	bt, err := s.Pay(o2.ID, BankTransfer("12345", "REF1"))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"orderId": o2.ID, "senderAccountNumber": "12345", "transactionReference": "REF1",
	}, payload(bt), "the bank transfer event carries no payment id")
}

func TestPayErrors(t *testing.T) {
	s := newTestServer(t, Options{})
	paid := newOrder(t, s)
	_, err := s.Pay(paid.ID, Success())
	require.NoError(t, err)
	review := newOrder(t, s)
	_, err = s.Pay(review.ID, BankTransfer("1", "2"))
	require.NoError(t, err)
	active := newOrder(t, s)

	tests := []struct {
		name    string
		orderID string
		outcome Outcome
		want    error
	}{
		{"unknown order", "order_nope", Success(), ErrUnknownOrder},
		{"paid order", paid.ID, Success(), ErrOrderNotPayable},
		{"order under review", review.ID, Failure("PAYMENT_DECLINED"), ErrOrderNotPayable},
		{"zero outcome", active.ID, Outcome{}, ErrInvalidOutcome},
		{"bad code", active.ID, Failure("declined; drop table"), ErrInvalidOutcome},
		{"bank transfer without reference", active.ID, BankTransfer("1", ""), ErrInvalidOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Pay(tt.orderID, tt.outcome)
			assert.ErrorIs(t, err, tt.want)
		})
	}
	got, _ := s.Order(active.ID)
	assert.Equal(t, OrderActive, got.Status)
}

// TestFailureCodes checks which error codes a failed payment may carry:
// Glomo's shape, A-Z, 0-9 and _, at most 64 characters; the bytes next to
// each range are refused.
func TestFailureCodes(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, tt := range []struct {
		code string
		ok   bool
	}{
		{"A", true}, {"Z", true}, {"0", true}, {"9", true}, {"_", true},
		{"CARD_EXPIRED_2", true}, {strings.Repeat("A", 64), true},
		{strings.Repeat("A", 65), false},
		{"@", false}, {"[", false}, {"/", false}, {":", false}, {"a", false}, {"z", false},
		{"É", false}, {"CARD EXPIRED", false},
	} {
		t.Run(tt.code, func(t *testing.T) {
			o := newOrder(t, s)
			res, err := s.Pay(o.ID, Failure(tt.code))
			if !tt.ok {
				require.ErrorIs(t, err, ErrInvalidOutcome)
				return
			}
			require.NoError(t, err)
			p, _ := s.Payment(res.PaymentID)
			assert.Equal(t, tt.code, p.ErrorCode)
		})
	}
}

func TestSettleBankTransfer(t *testing.T) {
	for _, received := range []bool{true, false} {
		t.Run(map[bool]string{true: "received", false: "not received"}[received], func(t *testing.T) {
			s := newTestServer(t, Options{})
			o := newOrder(t, s)
			res, err := s.Pay(o.ID, BankTransfer("0001", "UTR1"))
			require.NoError(t, err)
			p, err := s.SettleBankTransfer(res.PaymentID, received)
			require.NoError(t, err)
			got, _ := s.Order(o.ID)
			if received {
				assert.Equal(t, PaymentSuccess, p.Status)
				assert.True(t, p.FundsAvailable)
				assert.Equal(t, OrderPaid, got.Status)
			} else {
				assert.Equal(t, PaymentFailed, p.Status)
				assert.Equal(t, "BANK_TRANSFER_NOT_RECEIVED", p.ErrorCode)
				assert.Equal(t, OrderActive, got.Status)
			}
			_, err = s.SettleBankTransfer(res.PaymentID, received)
			assert.ErrorIs(t, err, ErrNotSettleable, "a settled transfer cannot settle again")
		})
	}
	s := newTestServer(t, Options{})
	_, err := s.SettleBankTransfer("payt_nope", true)
	assert.ErrorIs(t, err, ErrUnknownPayment)
	o := newOrder(t, s)
	card, err := s.Pay(o.ID, Failure("PAYMENT_DECLINED"))
	require.NoError(t, err)
	_, err = s.SettleBankTransfer(card.PaymentID, true)
	assert.ErrorIs(t, err, ErrNotSettleable)
}
