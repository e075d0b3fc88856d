package glomo_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/glomokit/glomo"
)

// rawHMAC is the baseline Verify is measured against: one HMAC-SHA256 of a
// ready-made message plus a hex decode of the signature, nothing else.
func rawHMAC(secret string, msg []byte, signature string) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(msg)
	sum := m.Sum(nil)
	want, err := hex.DecodeString(signature)
	return err == nil && hmac.Equal(sum, want)
}

func BenchmarkVerify(b *testing.B) {
	kat := knownAnswers[0]
	b.Run("raw-hmac", func(b *testing.B) {
		msg := []byte(kat.order + "|" + kat.payment + "|" + kat.status)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if !rawHMAC(kat.secret, msg, kat.signature) {
				b.Fatal("raw HMAC does not match")
			}
		}
	})
	b.Run("verify", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := glomo.Verify(kat.order, kat.payment, kat.status, kat.signature, kat.secret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-second-of-two-secrets", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := glomo.Verify(kat.order, kat.payment, kat.status, kat.signature, "rotated", kat.secret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("verify-malformed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := glomo.Verify(kat.order, kat.payment, kat.status, "xyz", kat.secret); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}
