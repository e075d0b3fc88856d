// Shows the Content-Security-Policy violations of the page, so a demo
// without the glomo middleware explains itself, and records them on the
// document element (data-csp-blocked) for the browser tests. It is a
// same-origin classic script, which the site's own policy allows.
(function () {
  'use strict';
  var seen = [];
  function show() {
    var report = document.getElementById('csp-report');
    var list = document.getElementById('csp-violations');
    if (!report || !list) return;
    list.textContent = '';
    seen.forEach(function (v) {
      var li = document.createElement('li');
      li.textContent = v;
      list.appendChild(li);
    });
    report.hidden = seen.length === 0;
  }
  document.addEventListener('securitypolicyviolation', function (e) {
    var what = e.effectiveDirective + ' ' + (e.blockedURI || 'inline');
    if (seen.indexOf(what) >= 0) return;
    seen.push(what);
    var root = document.documentElement;
    root.dataset.cspBlocked = ((root.dataset.cspBlocked || '') + ' ' + e.effectiveDirective).trim();
    show();
  });
  document.addEventListener('DOMContentLoaded', show);

  // The checkout script (glomo.Checkout) announces its progress as
  // "glomo-checkout" events; the checkout page shows them to the buyer.
  var words = {
    open: 'Complete the payment in the Glomo window.',
    posting: 'Verifying the payment…',
    posted: 'Verified. Showing your order…',
    refused: 'The shop refused the result. Please try again.',
    error: 'Could not reach the shop. Please try again.',
    closed: 'Checkout closed. Click Buy Now to try again.'
  };
  document.addEventListener('glomo-checkout', function (e) {
    var status = document.getElementById('checkout-status');
    if (!status || !e.detail) return;
    status.dataset.state = e.detail.state;
    status.textContent = words[e.detail.state] || '';
  });
})();
