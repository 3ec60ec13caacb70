// Runs sdk.js and field.js in a fake browser (windows, iframes, postMessage
// with origins) against a running Sim, and prints what the page saw.
// Usage: node sdk_harness.js <sim base URL> <pakms key> <merchant id>
'use strict';
const vm = require('vm');
const [SIM, KEY, MID] = process.argv.slice(2);
const PAGE = 'https://shop.example';
const log = [];
setTimeout(() => { console.error('harness: timed out'); process.exit(2); }, 10000).unref();

// deliver posts data from window `from` to window `to`, as a browser does:
// dropped unless targetOrigin matches the receiver's origin.
function deliver(from, to, data, targetOrigin) {
  if (targetOrigin !== '*' && targetOrigin !== to.origin) { log.push('blocked ' + from.origin + '->' + to.origin); return; }
  if (data && data.kind === 'result' && data.id === 'evil') log.push('a foreign origin got the number field to tokenize');
  const msg = structuredClone(data);
  setImmediate(() => to.listeners.forEach((fn) => fn({ data: msg, origin: from.origin, source: view(to, from) })));
}
// view is how window `me` sees window `other`: one object per pair, so
// identity checks (e.source === w.parent) behave as in a browser.
function view(me, other) {
  me.views = me.views || new Map();
  if (!me.views.has(other)) {
    me.views.set(other, {
      postMessage: (d, o) => deliver(me, other, d, o),
      get frames() { return other.kids.map((k) => view(me, k)); },
    });
  }
  return me.views.get(other);
}
function makeWindow(origin, parent) {
  const w = { origin, listeners: [], kids: [], parentWin: parent };
  w.global = {
    addEventListener: (t, fn) => { if (t === 'message') w.listeners.push(fn); },
    get parent() { return view(w, parent || w); },
  };
  return w;
}
function context(w, document, location) {
  const g = w.global;
  Object.assign(g, { document, location, URL, URLSearchParams, Promise, JSON, Object, Math, String, Error,
    setTimeout, clearTimeout, fetch, console });
  g.window = g;
  return vm.createContext(g);
}

const top = makeWindow(PAGE, null);
const inputs = {};
function loadFrame(iframe) {
  const u = new URL(iframe.src);
  const fw = makeWindow(u.origin, top);
  fw.src = iframe.src;
  top.kids.push(fw);
  iframe.contentWindow = view(top, fw);
  const type = u.searchParams.get('type');
  const input = { value: '', ls: {}, style: {}, addEventListener(t, fn) { (this.ls[t] = this.ls[t] || []).push(fn); },
    fire(t) { (this.ls[t] || []).forEach((fn) => fn({})); } };
  inputs[type] = input;
  const rules = [];
  const doc = { getElementById: () => input, styleSheets: [{ cssRules: rules, insertRule: (r) => rules.push(r) }] };
  vm.runInContext(SRC.field, context(fw, doc, { origin: u.origin, search: u.search }));
  input.rules = rules;
}
function element(tag) {
  const el = { tag, children: [], style: {}, className: '', appendChild(c) { this.children.push(c); if (c.tag === 'iframe') loadFrame(c); return c; } };
  return el;
}
const body = element('body');
const hosts = { '#num': element('div'), '#date': element('div'), '#cvv': element('div'), '#zip': element('div'), '#wallet': element('div') };
const pageDoc = {
  currentScript: { src: SIM + '/sdk.js' }, body,
  createElement: element,
  querySelector: (s) => s === '.clover-footer' ? body.children.find((c) => c.className === 'clover-footer') || null : hosts[s] || null,
};

const SRC = {};
const tick = () => new Promise((r) => setTimeout(r, 20));
(async () => {
  SRC.sdk = await (await fetch(SIM + '/sdk.js')).text();
  SRC.field = await (await fetch(SIM + '/sdk/field.js')).text();
  const pageCtx = context(top, pageDoc, { origin: PAGE });
  vm.runInContext(SRC.sdk, pageCtx);
  const out = {};
  vm.runInContext('var clover = new Clover(KEY, {merchantId: MID}); var els = clover.elements();', Object.assign(pageCtx, { KEY, MID }));
  const states = [];
  pageCtx.onState = (s) => states.push(s);
  vm.runInContext(`
    var n = els.create('CARD_NUMBER', {input: {fontSize: '16px'}}).mount('#num');
    els.create('CARD_DATE').mount('#date'); els.create('CARD_CVV').mount('#cvv'); els.create('CARD_POSTAL_CODE').mount('#zip');
    n.addEventListener('change', onState); n.addEventListener('blur', onState);
    var wallet = els.create('PAYMENT_REQUEST_BUTTON', {paymentReqData: {total: {label: 'Invoice', amount: 1000},
      options: {button: {buttonType: 'short'}}}}).mount('#wallet');
    wallet.addEventListener('paymentMethod', function () {});
    var unknownThrows = false; try { els.create('NOT_AN_ELEMENT'); } catch (e) { unknownThrows = true; }`, pageCtx);
  out.wallet = hosts['#wallet'].children.map((c) => c.className);
  out.unknownThrows = vm.runInContext('unknownThrows', pageCtx);
  await tick();
  out.styled = inputs.CARD_NUMBER.rules;
  out.footer = body.children.filter((c) => c.className === 'clover-footer').length;

  inputs.CARD_NUMBER.value = '4242 4242 4242 4241'; inputs.CARD_NUMBER.fire('input'); inputs.CARD_NUMBER.fire('blur');
  await tick();
  out.states = states;
  out.invalid = await vm.runInContext('clover.createToken()', pageCtx);

  // A foreign origin cannot make the number field tokenize.
  const group = new URL(top.kids[0].src).searchParams.get('group');
  deliver({ origin: 'https://evil.example' }, top.kids[0], { kind: 'tokenize', group, id: 'evil', types: ['CARD_NUMBER'] }, top.kids[0].origin);
  await tick();
  inputs.CARD_NUMBER.value = '4242424242424242'; inputs.CARD_DATE.value = '12/30'; inputs.CARD_CVV.value = '123'; inputs.CARD_POSTAL_CODE.value = '94105';
  out.good = await vm.runInContext('clover.createToken()', pageCtx);
  out.log = log;
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
