(function (w, d) {
	'use strict';
	var cs = d.currentScript, ORIGIN = cs ? new URL(cs.src).origin : '';
	var TYPES = ['CARD_NUMBER', 'CARD_DATE', 'CARD_CVV', 'CARD_POSTAL_CODE', 'CARD_NAME', 'CARD_STREET_ADDRESS'];
	var seq = 0;
	function rid() { return Math.random().toString(36).slice(2) + (++seq); }

	function Clover(key, opts) {
		opts = opts || {};
		if (!key) throw new Error('Clover: a public key is required');
		if (!opts.merchantId) throw new Error('Clover: merchantId is required');
		this.key = key; this.mid = opts.merchantId; this.locale = opts.locale || 'en-US';
		this.group = rid(); this.els = {}; this.state = {}; this.wait = {};
		w.addEventListener('message', this.onMsg.bind(this));
	}
	Clover.prototype.elements = function () {
		var c = this;
		return { create: function (type, styles) {
			if (type === 'PAYMENT_REQUEST_BUTTON') return (c.els[type] = new Wallet(c, type, styles || {}));
			if (TYPES.indexOf(type) < 0) throw new Error('Clover: unknown element ' + type);
			return (c.els[type] = new El(c, type, styles || {}));
		} };
	};
	Clover.prototype.onMsg = function (e) {
		var m = e.data;
		if (e.origin !== ORIGIN || !m || m.group !== this.group) return;
		var el = this.els[m.type];
		if (m.kind === 'ready' && el && el.frame && e.source === el.frame.contentWindow) el.init();
		else if (m.kind === 'state' && el) { this.state[m.type] = m.state; el.emit(m.event, this.snapshot()); }
		else if (m.kind === 'result' && this.wait[m.id]) { this.wait[m.id](m.result); delete this.wait[m.id]; }
	};
	Clover.prototype.snapshot = function () { return JSON.parse(JSON.stringify(this.state)); };
	Clover.prototype.createToken = function () {
		var c = this, n = c.els.CARD_NUMBER;
		return new Promise(function (res) {
			if (!n || !n.frame) return res({ errors: { CARD_NUMBER: 'Card number is required.' } });
			var id = rid(), types = Object.keys(c.els).filter(function (t) { return c.els[t].frame; });
			c.wait[id] = res;
			n.frame.contentWindow.postMessage({ kind: 'tokenize', group: c.group, id: id, types: types }, ORIGIN);
		});
	};

	function El(c, type, styles) { this.c = c; this.type = type; this.styles = styles; this.ls = {}; }
	El.prototype.mount = function (sel) {
		var host = typeof sel === 'string' ? d.querySelector(sel) : sel;
		if (!host) throw new Error('Clover: nothing matches ' + sel);
		var c = this.c, f = d.createElement('iframe');
		f.src = ORIGIN + '/sdk/field?' + new URLSearchParams({ type: this.type, key: c.key, merchantId: c.mid,
			locale: c.locale, group: c.group, origin: location.origin });
		f.name = f.title = 'clover-' + this.type;
		f.style.width = '100%'; f.style.height = '100%'; f.style.border = '0';
		host.appendChild(f); this.frame = f;
		if (!d.querySelector('.clover-footer')) {
			var ft = d.createElement('div'); ft.className = 'clover-footer'; ft.textContent = 'Secured by Clover';
			d.body.appendChild(ft);
		}
		return this;
	};
	El.prototype.init = function () {
		this.frame.contentWindow.postMessage({ kind: 'init', group: this.c.group, styles: this.styles }, ORIGIN);
	};
	El.prototype.addEventListener = function (ev, fn) { (this.ls[ev] = this.ls[ev] || []).push(fn); };
	El.prototype.emit = function (ev, st) { (this.ls[ev] || []).forEach(function (fn) { fn(st); }); };

	// No wallet in cloversim: the button says so and never emits paymentMethod.
	function Wallet(c, type, o) { El.call(this, c, type, o); }
	Wallet.prototype.addEventListener = El.prototype.addEventListener;
	Wallet.prototype.mount = function (sel) {
		var h = typeof sel === 'string' ? d.querySelector(sel) : sel, b = d.createElement('button');
		if (!h) throw new Error('Clover: nothing matches ' + sel);
		b.className = 'clover-wallet-unavailable'; b.disabled = true; b.textContent = 'No wallet in cloversim';
		h.appendChild(b); return this;
	};

	w.Clover = Clover;
})(window, document);
