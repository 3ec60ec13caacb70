(function (w, d) {
	'use strict';
	var q = new URLSearchParams(location.search), TYPE = q.get('type'), KEY = q.get('key'),
		GROUP = q.get('group'), PARENT = q.get('origin'), SELF = location.origin;
	var inp = d.getElementById('f'), touched = false, pend = null;
	var MSG = { CARD_NUMBER: 'Card number is invalid.', CARD_DATE: 'Card expiry date is invalid.',
		CARD_CVV: 'Card CVV is invalid.', CARD_POSTAL_CODE: 'Postal code is invalid.',
		CARD_NAME: 'Name is invalid.', CARD_STREET_ADDRESS: 'Street address is invalid.' };
	var PARAM = { number: 'CARD_NUMBER', exp_month: 'CARD_DATE', exp_year: 'CARD_DATE', cvv: 'CARD_CVV', address_zip: 'CARD_POSTAL_CODE' };

	function val() { var v = inp.value.trim(); return /NUMBER|CVV/.test(TYPE) ? v.replace(/[\s-]/g, '') : v; }
	function luhn(n) {
		for (var s = 0, i = n.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
			var x = +n[i]; if (dbl && (x *= 2) > 9) x -= 9; s += x;
		}
		return s % 10 === 0;
	}
	function ok(v) {
		switch (TYPE) {
			case 'CARD_NUMBER': return /^\d{12,19}$/.test(v) && luhn(v);
			case 'CARD_DATE':
				var m = /^(0[1-9]|1[0-2])\/(\d{2}|\d{4})$/.exec(v), now = new Date();
				if (!m) return false;
				var y = +m[2] < 100 ? 2000 + +m[2] : +m[2];
				return y > now.getFullYear() || (y === now.getFullYear() && +m[1] >= now.getMonth() + 1);
			case 'CARD_CVV': return /^\d{3,4}$/.test(v);
			case 'CARD_POSTAL_CODE': return /^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/.test(v);
			default: return v.length >= 2;
		}
	}
	function error() { var v = val(); return v && !ok(v) || (!v && touched) ? MSG[TYPE] : ''; }
	function state() { var s = { touched: touched }, e = error(); if (e) s.error = e; return s; }
	function up(ev) { w.parent.postMessage({ kind: 'state', group: GROUP, type: TYPE, event: ev, state: state() }, PARENT); }
	function toParent(id, result) { w.parent.postMessage({ kind: 'result', group: GROUP, id: id, result: result }, PARENT); }

	function style(st) {
		var sh = d.styleSheets[0];
		Object.keys(st || {}).forEach(function (sel) {
			if (!/^[\w\s:.#>,-]+$/.test(sel)) return;
			var body = Object.keys(st[sel]).map(function (p) {
				var v = String(st[sel][p]);
				return /[{};<]/.test(v) ? '' : p.replace(/[A-Z]/g, function (c) { return '-' + c.toLowerCase(); }) + ':' + v;
			}).join(';');
			try { sh.insertRule(sel + '{' + body + '}', sh.cssRules.length); } catch (e) {}
		});
	}

	function tokenize(m) {
		pend = { req: Math.random().toString(36).slice(2), id: m.id, want: m.types, vals: {} };
		for (var i = 0; i < w.parent.frames.length; i++) {
			w.parent.frames[i].postMessage({ kind: 'collect', group: GROUP, req: pend.req }, SELF);
		}
		pend.timer = setTimeout(finish, 2000);
	}
	function finish() {
		var p = pend, errs = {}, v = p.vals, n = 0;
		pend = null; clearTimeout(p.timer);
		['CARD_NUMBER', 'CARD_DATE', 'CARD_CVV'].concat(p.want).forEach(function (t) {
			var x = v[t];
			if (!x || !x.value || x.error) { errs[t] = x && x.value ? x.error : MSG[t].replace('invalid', 'required'); n++; }
		});
		if (n) return toParent(p.id, { errors: errs });
		var dt = v.CARD_DATE.value.split('/'), num = v.CARD_NUMBER.value, card = { number: num,
			exp_month: dt[0], exp_year: dt[1], cvv: v.CARD_CVV.value, first6: num.slice(0, 6), last4: num.slice(-4) };
		if (v.CARD_POSTAL_CODE) card.address_zip = v.CARD_POSTAL_CODE.value;
		if (v.CARD_NAME) card.name = v.CARD_NAME.value;
		if (v.CARD_STREET_ADDRESS) card.address_line1 = v.CARD_STREET_ADDRESS.value;
		fetch(SELF + '/v1/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json', apikey: KEY },
			body: JSON.stringify({ card: card }) }).then(function (r) {
			return r.json().then(function (j) {
				if (r.ok) return toParent(p.id, { token: j.id, card: j.card });
				var e = j.error || {}, f = PARAM[e.param] || 'CARD_NUMBER', o = {};
				o[f] = e.message || 'Card could not be tokenized.';
				toParent(p.id, { errors: o });
			});
		}).catch(function () { toParent(p.id, { errors: { CARD_NUMBER: 'Network error: try again.' } }); });
	}

	w.addEventListener('message', function (e) {
		var m = e.data || {};
		if (m.group !== GROUP) return;
		if (e.origin === PARENT && e.source === w.parent) {
			if (m.kind === 'init') style(m.styles);
			else if (m.kind === 'tokenize' && TYPE === 'CARD_NUMBER' && !pend) tokenize(m);
		} else if (e.origin === SELF && e.source !== w.parent) {
			if (m.kind === 'collect') e.source.postMessage({ kind: 'value', group: GROUP, req: m.req, type: TYPE, value: val(), error: error() }, SELF);
			else if (m.kind === 'value' && pend && m.req === pend.req) {
				pend.vals[m.type] = m;
				if (pend.want.every(function (t) { return pend.vals[t]; })) finish();
			}
		}
	});
	inp.addEventListener('input', function () { up('change'); });
	inp.addEventListener('blur', function () { touched = true; up('blur'); });
	w.parent.postMessage({ kind: 'ready', group: GROUP, type: TYPE }, PARENT);
})(window, document);
