// paybridge pay page: keeps the total on the button equal to what the
// server will charge (the same rule as web/choice.go), keeps the choice in
// the URL so a reload shows it again, mounts Clover's iframe fields, turns
// the card into a single-use clv_ token, and submits the form once. No
// card data ever passes through this script: only the token Clover returns.
(function () {
	'use strict';
	var f = document.getElementById('pay');
	if (!f) return;
	var d = f.dataset, btn = document.getElementById('pay-btn');
	var MAX = 99999999; // paybridge.MaxAmount, Clover's cap on one charge
	function $(id) { return document.getElementById(id); }
	function checked(n) { var e = f.querySelector('input[name=' + n + ']:checked'); return e ? e.value : ''; }
	function fmt(n) { // minor units as web.FormatMoney writes them
		var p = Math.pow(10, +d.exp), w = String(Math.floor(n / p)).replace(/\B(?=(\d{3})+$)/g, d.group), r = String(n % p);
		while (r.length < +d.exp) r = '0' + r;
		return d.pre + w + (+d.exp ? d.dec + r : '') + d.post;
	}
	function parse(s) { // web.ParseAmount, step by step: -1 when it is not an amount
		var t = s.replace(/[\s\u00a0\u202f$€£]|US|CA/g, ''), exp = +d.exp;
		if (!t || t.length > 24 || /[^\d.,]/.test(t)) return -1;
		var runs = t.split(/[.,]/), seps = t.replace(/\d/g, ''), last = runs.length - 1, whole = runs, frac = '', n = runs[last].length, i;
		if (last > 0 && n >= 1 && n <= exp && (last === 1 || seps[last - 1] !== seps[0])) {
			whole = runs.slice(0, last); frac = runs[last];
			if (whole.length === 1 && !whole[0]) whole = ['0'];
		} else if (last === 1 && seps[0] === '.' && n === 3) return -1;
		for (i = 0; i < whole.length; i++) {
			if (i ? whole[i].length !== 3 || seps[i - 1] !== seps[0] : !whole[0] || (whole.length > 1 && whole[0].length > 3)) return -1;
		}
		if (frac && whole.length > 1 && seps[whole.length - 1] === seps[0]) return -1;
		while (frac.length < exp) frac += '0';
		var v = Number(whole.join('') + frac);
		return v > MAX ? -1 : v;
	}
	function compute() { // [amount, tip, error message]
		var due = +d.due, a = due, t = 0, tip = checked('tip'), box = $('partial');
		if (checked('amount_choice') === 'partial') {
			a = parse(box.value);
			if (a <= 0) return [0, 0, box.value ? d.eAmount : ''];
			if (a > due) return [0, 0, d.eMax];
			if (a < +d.min && a < due) return [0, 0, d.eMin];
		}
		if (tip === 'custom') {
			t = $('tip-amount').value ? parse($('tip-amount').value) : 0;
			if (t < 0) return [a, 0, d.eTip];
		} else if (+tip > 0) {
			t = Math.floor((a * +tip + 50) / 100);
		}
		return [a, t, ''];
	}
	function update() {
		var c = compute(), ok = c[0] > 0 && !c[2], q = new URLSearchParams(location.search), err = $('amount-error');
		var p = $('partial-box'), cb = $('tip-custom-box'), save = $('save-card');
		if (p) p.classList.toggle('hide', checked('amount_choice') !== 'partial');
		if (cb) cb.classList.toggle('hide', checked('tip') !== 'custom');
		f.querySelectorAll('.tip-amt').forEach(function (s) {
			s.textContent = c[0] > 0 ? ' (' + fmt(Math.floor((c[0] * +s.dataset.pct + 50) / 100)) + ')' : '';
		});
		err.textContent = c[2]; err.classList.toggle('hide', !c[2]);
		$('pay-now').textContent = ok ? fmt(c[0]) : '';
		if ($('tip-now')) $('tip-now').textContent = ok ? fmt(c[1]) : '';
		$('pay-total').textContent = ok ? fmt(c[0] + c[1]) : '—';
		f.elements.total.value = ok ? c[0] + c[1] : '';
		d.pay = ok ? d.word + ' ' + fmt(c[0] + c[1]) : d.word;
		if (!busy) btn.textContent = d.pay;
		// The choice lives in the URL, so a reload shows it again.
		['amount_choice', 'partial_amount', 'tip', 'tip_amount', 'save_card'].forEach(function (k) { q.delete(k); });
		if (checked('amount_choice') === 'partial') { q.set('amount_choice', 'partial'); q.set('partial_amount', $('partial').value); }
		if (checked('tip') && checked('tip') !== '0') q.set('tip', checked('tip'));
		if (checked('tip') === 'custom') q.set('tip_amount', $('tip-amount').value);
		if (save && save.checked) q.set('save_card', 'yes');
		if (q.toString() !== location.search.slice(1)) history.replaceState(null, '', '?' + q);
		return ok;
	}
	var busy = false, totals = 'due' in d, err = $('card-error');
	if (totals) { f.addEventListener('input', update); f.addEventListener('change', update); update(); }
	if (!window.Clover) return;
	var clover = new window.Clover(d.key, { merchantId: d.merchant, locale: d.locale });
	var els = clover.elements(), style = { input: { fontSize: '16px', fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', border: 'none', outline: 'none' } };
	[['CARD_NUMBER', '#card-number'], ['CARD_DATE', '#card-date'], ['CARD_CVV', '#card-cvv'],
		['CARD_POSTAL_CODE', '#card-postal']].forEach(function (p) { els.create(p[0], style).mount(p[1]); });
	function show(m) { err.textContent = m; err.classList.toggle('hide', !m); }
	function done() { busy = false; btn.disabled = false; btn.textContent = d.pay; }
	f.addEventListener('submit', function (e) {
		e.preventDefault();
		if (busy) return;
		if (totals && !update()) { $('amount-error').textContent = $('amount-error').textContent || d.eAmount; $('amount-error').classList.remove('hide'); return; }
		busy = true; btn.disabled = true; btn.textContent = d.paying; show('');
		clover.createToken().then(function (r) {
			if (r && r.token) { f.elements.token.value = r.token; f.submit(); return; }
			// Clover's own error text is not shown: it may not be in the
			// page's language. Each field has a localized message instead.
			var es = (r && r.errors) || {}, k = Object.keys(es);
			var byField = { CARD_NUMBER: d.eNumber, CARD_DATE: d.eDate, CARD_CVV: d.eCvv, CARD_POSTAL_CODE: d.ePostal };
			show((k.length && byField[k[0]]) || d.cardError);
			done();
		}, function () { show(d.cardError); done(); });
	});
})();
