// paybridge pay page: mounts Clover's iframe fields, turns the card into a
// single-use clv_ token, and submits the form once. No card data ever
// passes through this script: only the token Clover returns.
(function () {
	'use strict';
	var f = document.getElementById('pay');
	if (!f || !window.Clover) return;
	var d = f.dataset, err = document.getElementById('card-error'), btn = document.getElementById('pay-btn');
	var clover = new window.Clover(d.key, { merchantId: d.merchant, locale: d.locale });
	var els = clover.elements(), style = { input: { fontSize: '16px', fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', border: 'none', outline: 'none' } };
	[['CARD_NUMBER', '#card-number'], ['CARD_DATE', '#card-date'], ['CARD_CVV', '#card-cvv'],
		['CARD_POSTAL_CODE', '#card-postal']].forEach(function (p) { els.create(p[0], style).mount(p[1]); });
	function show(m) { err.textContent = m; err.classList.toggle('hide', !m); }
	function sync() {
		var custom = f.querySelector('input[name=tip]:checked'), pa = f.querySelector('input[name=amount_choice]:checked');
		var c = document.getElementById('tip-custom-box'), p = document.getElementById('partial-box');
		if (c) c.classList.toggle('hide', !custom || custom.value !== 'custom');
		if (p) p.classList.toggle('hide', !pa || pa.value !== 'partial');
	}
	f.addEventListener('change', sync);
	sync();
	var busy = false;
	f.addEventListener('submit', function (e) {
		e.preventDefault();
		if (busy) return;
		busy = true; btn.disabled = true; btn.textContent = d.paying; show('');
		clover.createToken().then(function (r) {
			if (r && r.token) { f.elements.token.value = r.token; f.submit(); return; }
			// Clover's own error text is not shown: it may not be in the
			// page's language. Each field has a localized message instead.
			var es = (r && r.errors) || {}, k = Object.keys(es);
			var byField = { CARD_NUMBER: d.eNumber, CARD_DATE: d.eDate, CARD_CVV: d.eCvv, CARD_POSTAL_CODE: d.ePostal };
			show((k.length && byField[k[0]]) || d.cardError);
			busy = false; btn.disabled = false; btn.textContent = d.pay;
		}, function () { show(d.cardError); busy = false; btn.disabled = false; btn.textContent = d.pay; });
	});
})();
