// Glomo Checkout SDK, as simulated by glomotest (github.com/glomokit/glomo).
// FOR TESTS AND DEMOS ONLY: it talks to a local simulator, never to Glomo.
//
// Loads it makes (see the glomotest package documentation):
//   frame   <sdk origin>/checkout/frame?order=...&publicKey=...&origin=...
//   connect <api origin>/sdk/v1/checkout/{orderId}?publicKey=...
//   popup   <pay origin>/checkout/pay?order=...&publicKey=...&origin=...
// Loaded from https://glomopay-checkout-sdk.web.app (a browser test mapping
// Glomo's host names to the simulator), the api origin is
// https://api.glomopay.com and the pay origin https://checkout.glomopay.com,
// so the merchant page's CSP and COOP are exercised as with the real SDK.
// Loaded from anywhere else, all three are the SDK's own origin.

const sdkOrigin = new URL(import.meta.url).origin;
const onGlomoHosts = new URL(import.meta.url).hostname === 'glomopay-checkout-sdk.web.app';
const apiOrigin = onGlomoHosts ? 'https://api.glomopay.com' : sdkOrigin;
const payOrigin = onGlomoHosts ? 'https://checkout.glomopay.com' : sdkOrigin;
const root = document.documentElement;

// Hook for browser tests: the module was allowed to load and evaluated.
root.dataset.glomoSdk = 'loaded';

// A popup whose handle reads closed this soon after open() was severed.
const SEVERED_WITHIN_MS = 2000;
const RESULT_EVENTS = ['payment.success', 'payment.failure', 'payment.bank_transfer_submitted'];

export class GlomoCheckoutApi {
  #orderId;
  #publicKey;
  #callbackUrl;
  #handlers = new Map();
  #overlay = null;
  #popup = null;
  #popupPoll = 0;
  #popupReported = false;
  #onMessage = (e) => this.#receive(e);

  constructor(options) {
    const { orderId, publicKey, callbackUrl } = options || {};
    if (typeof orderId !== 'string' || orderId === '') {
      throw new TypeError('GlomoCheckoutApi: orderId is required');
    }
    if (typeof publicKey !== 'string' || publicKey === '') {
      throw new TypeError('GlomoCheckoutApi: publicKey is required');
    }
    this.#orderId = orderId;
    this.#publicKey = publicKey;
    this.#callbackUrl = callbackUrl || '';
  }

  // on registers fn for an event: payment.success, payment.failure,
  // payment.bank_transfer_submitted, checkout.closed or checkout.error.
  on(event, fn) {
    if (typeof fn !== 'function') {
      throw new TypeError('GlomoCheckoutApi.on: handler must be a function');
    }
    if (!this.#handlers.has(event)) this.#handlers.set(event, []);
    this.#handlers.get(event).push(fn);
    return this;
  }

  // open shows the checkout. Call it from a click handler: it opens the
  // payment popup synchronously, while the click's user activation lasts,
  // then shows the iframe in a modal and makes the connect fetch.
  open() {
    if (this.#overlay) return;
    const query = new URLSearchParams({
      order: this.#orderId,
      publicKey: this.#publicKey,
      origin: location.origin,
    });
    let popup = null;
    try {
      popup = window.open(`${payOrigin}/checkout/pay?${query}`, 'glomo_checkout_pay', 'popup,width=480,height=700');
    } catch (err) {
      popup = null;
    }
    this.#popup = popup;
    this.#popupReported = false;
    window.addEventListener('message', this.#onMessage);
    this.#showFrame(query);
    this.#checkPopup();
    this.#connect();
  }

  // close removes the checkout modal and emits checkout.closed.
  close() {
    if (!this.#overlay) return;
    this.#teardown();
    this.#emit('checkout.closed', { orderId: this.#orderId });
  }

  #checkPopup() {
    const p = this.#popup;
    if (!p) {
      // A popup blocker, or a sandbox without allow-popups.
      root.dataset.glomoPopup = 'blocked';
      this.#reportPopup();
      return;
    }
    // COOP same-origin on this page severs the popup: its handle reads
    // closed, at once or within moments (Chromium varies). A popup that
    // closes that fast without a result was severed, not closed by a buyer.
    const openedAt = Date.now();
    const poll = () => {
      if (!p.closed) return false;
      clearInterval(this.#popupPoll);
      if (Date.now() - openedAt < SEVERED_WITHIN_MS) {
        root.dataset.glomoPopup = 'severed';
        this.#reportPopup();
      } else {
        root.dataset.glomoPopup = 'closed';
      }
      return true;
    };
    root.dataset.glomoPopup = 'open';
    if (poll()) return;
    this.#popupPoll = setInterval(poll, 100);
  }

  #reportPopup() {
    if (this.#popupReported) return;
    this.#popupReported = true;
    this.#emit('checkout.error', {
      orderId: this.#orderId,
      code: 'POPUP_BLOCKED',
      message: 'The payment window could not be opened or was cut off from this page '
        + '(popup blocker, or Cross-Origin-Opener-Policy: same-origin).',
    });
  }

  async #connect() {
    const url = `${apiOrigin}/sdk/v1/checkout/${encodeURIComponent(this.#orderId)}`
      + `?publicKey=${encodeURIComponent(this.#publicKey)}`;
    let res;
    try {
      res = await fetch(url, { mode: 'cors', credentials: 'omit' });
    } catch (err) {
      // A CSP connect-src violation or a network error.
      root.dataset.glomoApi = 'error';
      this.#emit('checkout.error', { orderId: this.#orderId, code: 'NETWORK_ERROR', message: String(err) });
      return;
    }
    let body = null;
    try {
      body = await res.json();
    } catch (err) {
      body = null;
    }
    if (!res.ok) {
      root.dataset.glomoApi = 'error';
      this.#emit('checkout.error', {
        orderId: this.#orderId,
        code: res.status === 401 ? 'INVALID_PUBLIC_KEY' : res.status === 404 ? 'ORDER_NOT_FOUND' : 'CHECKOUT_UNAVAILABLE',
        message: (body && body.message) || `HTTP ${res.status}`,
      });
      return;
    }
    root.dataset.glomoApi = 'ok';
    if (body && body.status !== 'active') {
      this.#emit('checkout.error', {
        orderId: this.#orderId,
        code: 'ORDER_NOT_PAYABLE',
        message: `The order is ${body.status}.`,
      });
    }
  }

  #showFrame(query) {
    const overlay = document.createElement('div');
    overlay.id = 'glomo-checkout-overlay';
    Object.assign(overlay.style, {
      position: 'fixed', inset: '0', zIndex: '2147483647', display: 'flex',
      alignItems: 'center', justifyContent: 'center', background: 'rgba(0,0,0,0.5)',
    });
    const box = document.createElement('div');
    Object.assign(box.style, { position: 'relative', background: '#fff', borderRadius: '8px' });
    const close = document.createElement('button');
    close.id = 'glomo-checkout-close';
    close.type = 'button';
    close.textContent = '\u00d7';
    close.setAttribute('aria-label', 'Close checkout');
    Object.assign(close.style, { position: 'absolute', top: '4px', right: '4px' });
    close.addEventListener('click', () => this.close());
    const frame = document.createElement('iframe');
    frame.id = 'glomo-checkout-frame';
    frame.title = 'Glomo Checkout';
    frame.src = `${sdkOrigin}/checkout/frame?${query}`;
    Object.assign(frame.style, { width: '420px', height: '520px', border: '0' });
    // The frame reports itself ready by postMessage: a load event would
    // also fire for a frame the page's CSP blocked.
    root.dataset.glomoFrame = 'pending';
    box.append(close, frame);
    overlay.append(box);
    document.body.append(overlay);
    this.#overlay = overlay;
  }

  #teardown() {
    window.removeEventListener('message', this.#onMessage);
    clearInterval(this.#popupPoll);
    if (this.#overlay) this.#overlay.remove();
    this.#overlay = null;
  }

  #receive(e) {
    const data = e.data;
    if (!data || typeof data !== 'object') return;
    if (e.origin === sdkOrigin && data.type === 'glomo-frame' && data.orderId === this.#orderId) {
      if (data.action === 'ready') root.dataset.glomoFrame = 'loaded';
      if (data.action === 'close') this.close();
      return;
    }
    if (e.origin !== payOrigin || data.type !== 'glomo-result') return;
    if (!RESULT_EVENTS.includes(data.event) || !data.payload || data.payload.orderId !== this.#orderId) return;
    root.dataset.glomoResult = data.event;
    this.#teardown();
    if (this.#callbackUrl && data.callback && data.event !== 'payment.bank_transfer_submitted') {
      // With a callbackUrl, success and failure redirect instead of firing.
      const target = new URL(this.#callbackUrl, location.href);
      for (const [k, v] of Object.entries(data.callback)) target.searchParams.set(k, v);
      location.assign(target.toString());
      return;
    }
    this.#emit(data.event, data.payload);
  }

  #emit(event, payload) {
    if (event === 'checkout.error') root.dataset.glomoError = payload.code;
    for (const fn of this.#handlers.get(event) || []) {
      try {
        fn(payload);
      } catch (err) {
        console.error('GlomoCheckoutApi: a handler for', event, 'threw', err);
      }
    }
  }
}
