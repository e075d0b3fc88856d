package e2e_test

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestScreenshotWithPaymentWindow takes the README's pictures, the
// checkout page and the payment window (the popup target) beside it, as a
// buyer sees both, and checks them; it writes them only when asked:
// GLOMO_SCREENSHOT_POPUP=path.png gets the payment window,
// GLOMO_SCREENSHOT_COMPOSED=path.png both.
//
//	cd examples && GLOMO_E2E=1 GLOMO_SCREENSHOT_COMPOSED=$PWD/../docs/checkout.png \
//	  GLOMO_SCREENSHOT_POPUP=$PWD/../docs/payment-window.png \
//	  go test -count=1 -run TestScreenshotWithPaymentWindow ./e2e
func TestScreenshotWithPaymentWindow(t *testing.T) {
	popupPath, composedPath := os.Getenv("GLOMO_SCREENSHOT_POPUP"), os.Getenv("GLOMO_SCREENSHOT_COMPOSED")
	e := newEnv(t, withGlomo)
	e.buy("mug", "")
	popup := e.openCheckout()
	e.wait(root("glomoFrame") + " === 'loaded'")
	e.wait(root("glomoApi") + " === 'ok'")
	require.NoError(t, chromedp.Do(popup, chromedp.WaitVisible(chromedp.CSS("#glomo-pay-amount"))))
	waitJS(popup, t, "document.getElementById('glomo-pay-amount').textContent.includes('USD')")

	// The popup's size as the SDK asks for it (width=480); headless
	// Chromium gives popups the browser's window size otherwise.
	require.NoError(t, chromedp.Do(popup, chromedp.EmulateViewport(480, 680)))
	page, err := chromedp.Run(e.ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	win, err := chromedp.Run(popup, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	out, err := composeSideBySide(page, win)
	require.NoError(t, err)
	pageImg, err := png.DecodeConfig(bytes.NewReader(page))
	require.NoError(t, err)
	winImg, err := png.DecodeConfig(bytes.NewReader(win))
	require.NoError(t, err)
	both, err := png.DecodeConfig(bytes.NewReader(out))
	require.NoError(t, err)
	require.Equal(t, 480, winImg.Width, "the payment window at the width the SDK opens it with")
	require.Greater(t, both.Width, pageImg.Width+winImg.Width, "both windows side by side, framed")
	require.GreaterOrEqual(t, both.Height, max(pageImg.Height, winImg.Height))
	if popupPath != "" {
		require.NoError(t, os.WriteFile(popupPath, win, 0o644))
		t.Logf("wrote the payment window to %s (%d bytes)", popupPath, len(win))
	}
	if composedPath != "" {
		require.NoError(t, os.WriteFile(composedPath, out, 0o644))
		t.Logf("wrote the checkout with the payment window to %s (%d bytes)", composedPath, len(out))
	}
}

// composeSideBySide draws the payment window to the right of the page, on
// a grey desk, each with a thin frame, as two windows on a screen.
func composeSideBySide(pagePNG, windowPNG []byte) ([]byte, error) {
	pageImg, err := png.Decode(bytes.NewReader(pagePNG))
	if err != nil {
		return nil, err
	}
	winImg, err := png.Decode(bytes.NewReader(windowPNG))
	if err != nil {
		return nil, err
	}
	const gap = 24
	pb, wb := pageImg.Bounds(), winImg.Bounds()
	h := max(pb.Dy(), wb.Dy()) + 2*gap
	out := image.NewRGBA(image.Rect(0, 0, pb.Dx()+wb.Dx()+3*gap, h))
	draw.Draw(out, out.Bounds(), &image.Uniform{color.RGBA{0xd9, 0xdc, 0xe3, 0xff}}, image.Point{}, draw.Src)
	frame := &image.Uniform{color.RGBA{0x8a, 0x91, 0x9e, 0xff}}
	place := func(img image.Image, at image.Point) {
		r := img.Bounds().Sub(img.Bounds().Min).Add(at)
		draw.Draw(out, r.Inset(-1), frame, image.Point{}, draw.Src)
		draw.Draw(out, r, img, img.Bounds().Min, draw.Src)
	}
	place(pageImg, image.Pt(gap, gap))
	place(winImg, image.Pt(pb.Dx()+2*gap, gap))
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
