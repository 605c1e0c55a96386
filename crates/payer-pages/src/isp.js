// paygate's ISP (안전결제) client in the browser. Served by the gateway at /pay/isp/isp.js and
// loaded by the ISP page under its CSP nonce; no library, no build step, no request to any other
// origin. What it does (docs/ISP.md, "The payer's page"):
//
// - enrol: a non-extractable P-256 key pair (WebCrypto), a PKCS#10 CSR built here in DER, the
//   card as a JWE (ECDH-ES + A256GCM, Concat KDF) to the ISP server's key, POST /pay/isp/enroll
//   → certificate. The browser then keeps in IndexedDB the key pair, the certificate, its serial,
//   the last four digits and {salt, iv, ciphertext}: the card (number and expiry, no CVC) under
//   AES-256-GCM with a key from PBKDF2-SHA256 (600,000 iterations) of the ISP password.
// - pay: the password decrypts the card (a wrong one fails AES-GCM: the page says so and sends
//   nothing), signed_data {payment_intent, merchant, amount, currency, signed_at} is signed with
//   ECDSA P-256 SHA-256 (WebCrypto's P1363 signature re-encoded as DER here), the card goes again
//   as a JWE, and POST /pay/isp/{pi}/confirm answers where to go next.
"use strict";
(() => {
  const PBKDF2_ITERATIONS = 600000;
  const DB_NAME = "paygate-isp";
  const STORE = "wallet";
  const WALLET_ID = "default";
  const enc = new TextEncoder();

  const app = document.getElementById("isp-app");
  const texts = document.getElementById("isp-texts").dataset;
  const d = app.dataset;
  const $ = (id) => document.getElementById(id);

  // ---- bytes -------------------------------------------------------------------------------
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let i = 0;
    for (const p of parts) { out.set(p, i); i += p.length; }
    return out;
  };
  const b64 = (bytes) => {
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s);
  };
  const b64url = (bytes) => b64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const u32 = (n) => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  const random = (n) => crypto.getRandomValues(new Uint8Array(n));

  // ---- DER ---------------------------------------------------------------------------------
  const derLength = (n) => {
    if (n < 128) return new Uint8Array([n]);
    const bytes = [];
    for (let m = n; m > 0; m >>= 8) bytes.unshift(m & 255);
    return new Uint8Array([128 | bytes.length, ...bytes]);
  };
  const tlv = (tag, ...content) => {
    const body = concat(...content);
    return concat(new Uint8Array([tag]), derLength(body.length), body);
  };
  const seq = (...c) => tlv(0x30, ...c);
  // A non-negative INTEGER from big-endian bytes: no leading zeros, a 0 before a high bit.
  const derUint = (bytes) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    const v = bytes.slice(i);
    return tlv(0x02, v[0] & 128 ? concat(new Uint8Array([0]), v) : v);
  };
  const OID_ECDSA_SHA256 = new Uint8Array([6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 2]);
  const OID_COMMON_NAME = new Uint8Array([6, 3, 0x55, 4, 3]);

  // WebCrypto's ECDSA signature is r || s (IEEE P1363); X.509 and ISP want DER.
  const p1363ToDer = (sig) => seq(derUint(sig.slice(0, 32)), derUint(sig.slice(32)));

  const ECDSA = { name: "ECDSA", namedCurve: "P-256" };
  const SIGN = { name: "ECDSA", hash: "SHA-256" };
  const sign = async (privateKey, bytes) =>
    p1363ToDer(new Uint8Array(await crypto.subtle.sign(SIGN, privateKey, bytes)));

  const pem = (label, der) =>
    `-----BEGIN ${label}-----\n${b64(der).replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END ${label}-----\n`;

  // PKCS#10: CertificationRequestInfo {v1, subject CN, SPKI, no attributes}, signed.
  async function buildCsr(keyPair) {
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keyPair.publicKey));
    const subject = seq(tlv(0x31, seq(OID_COMMON_NAME, tlv(0x0c, enc.encode("paygate ISP browser client")))));
    const info = seq(tlv(0x02, new Uint8Array([0])), subject, spki, new Uint8Array([0xa0, 0]));
    const signature = await sign(keyPair.privateKey, info);
    const csr = seq(info, seq(OID_ECDSA_SHA256), tlv(0x03, new Uint8Array([0]), signature));
    return pem("CERTIFICATE REQUEST", csr);
  }

  // ---- JWE (ECDH-ES direct, A256GCM) -------------------------------------------------------
  // RFC 7518 §4.6.2 Concat KDF, one SHA-256 round: counter 1, Z, AlgorithmID "A256GCM",
  // PartyUInfo and PartyVInfo empty, keydatalen 256.
  async function concatKdf(z) {
    const alg = enc.encode("A256GCM");
    const input = concat(u32(1), z, u32(alg.length), alg, u32(0), u32(0), u32(256));
    return new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  }

  async function jwe(serverJwk, plaintext) {
    const ECDH = { name: "ECDH", namedCurve: "P-256" };
    const { kty, crv, x, y, kid } = serverJwk;
    const server = await crypto.subtle.importKey("jwk", { kty, crv, x, y }, ECDH, false, []);
    const eph = await crypto.subtle.generateKey(ECDH, true, ["deriveBits"]);
    const z = new Uint8Array(await crypto.subtle.deriveBits({ name: "ECDH", public: server }, eph.privateKey, 256));
    const e = await crypto.subtle.exportKey("jwk", eph.publicKey);
    const header = { alg: "ECDH-ES", enc: "A256GCM", kid, epk: { kty: "EC", crv: "P-256", x: e.x, y: e.y } };
    const protectedB64 = b64url(enc.encode(JSON.stringify(header)));
    const cek = await crypto.subtle.importKey("raw", await concatKdf(z), "AES-GCM", false, ["encrypt"]);
    const iv = random(12);
    const sealed = new Uint8Array(await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: enc.encode(protectedB64), tagLength: 128 }, cek, plaintext));
    const ct = sealed.slice(0, sealed.length - 16);
    const tag = sealed.slice(sealed.length - 16);
    return `${protectedB64}..${b64url(iv)}.${b64url(ct)}.${b64url(tag)}`;
  }

  // ---- the card under the ISP password -----------------------------------------------------
  async function passwordKey(password, salt) {
    const base = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, ["deriveKey"]);
    return crypto.subtle.deriveKey(
      { name: "PBKDF2", salt, iterations: PBKDF2_ITERATIONS, hash: "SHA-256" },
      base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
  }

  async function sealCard(password, card) {
    const salt = random(16);
    const iv = random(12);
    const key = await passwordKey(password, salt);
    const ciphertext = new Uint8Array(await crypto.subtle.encrypt(
      { name: "AES-GCM", iv }, key, enc.encode(JSON.stringify(card))));
    return { salt, iv, ciphertext, iterations: PBKDF2_ITERATIONS };
  }

  // The card, or null when the password is wrong (AES-GCM's tag does not verify).
  async function openCard(password, sealed) {
    const key = await passwordKey(password, sealed.salt);
    try {
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, key, sealed.ciphertext);
      return JSON.parse(new TextDecoder().decode(plain));
    } catch (e) {
      return null;
    }
  }

  // ---- IndexedDB -----------------------------------------------------------------------------
  const request = (r) => new Promise((ok, fail) => { r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); });
  function openDb() {
    const r = indexedDB.open(DB_NAME, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE);
    return request(r);
  }
  async function walletOp(mode, op) {
    const db = await openDb();
    try {
      return await request(op(db.transaction(STORE, mode).objectStore(STORE)));
    } finally {
      db.close();
    }
  }
  const loadWallet = () => walletOp("readonly", (s) => s.get(WALLET_ID));
  const saveWallet = (w) => walletOp("readwrite", (s) => s.put(w, WALLET_ID));
  const dropWallet = () => walletOp("readwrite", (s) => s.delete(WALLET_ID));

  // ---- the gateway (same origin) -----------------------------------------------------------
  class Refusal extends Error {
    constructor(code, message) { super(message); this.code = code; }
  }
  async function call(method, path, body) {
    // The page's language (which may come from ?locale=) words the gateway's refusals.
    const headers = { "X-Paygate-Page-Token": d.token, "X-Paygate-Payment-Intent": d.paymentIntent,
                      "Accept-Language": d.locale };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let resp;
    try {
      resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
                                 credentials: "omit", cache: "no-store" });
    } catch (e) {
      throw new Refusal("network", texts.network);
    }
    const json = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const err = json.error || {};
      throw new Refusal(err.code || "error", err.message || texts.error);
    }
    return json;
  }

  // ---- the page ----------------------------------------------------------------------------
  function say(kind, text) {
    const status = $("isp-status");
    const error = $("isp-error");
    status.hidden = kind !== "status";
    error.hidden = kind !== "error";
    if (kind) (kind === "error" ? error : status).firstElementChild.textContent = text;
  }
  function busy(on) {
    for (const b of app.querySelectorAll("button")) b.disabled = on;
    if (on) say("status", texts.working);
  }
  function show(wallet) {
    $("isp-enrol").hidden = !!wallet;
    $("isp-pay").hidden = !wallet;
    if (wallet) $("isp-card").textContent = `${texts.cardLabel}: •••• ${wallet.last4}`;
    (wallet ? $("isp-password") : $("isp-number")).focus();
  }

  const luhn = (digits) => {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let v = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) { v *= 2; if (v > 9) v -= 9; }
      sum += v;
    }
    return sum % 10 === 0;
  };
  // {number, exp_month, exp_year, cvc} from the form, or null when a field is not a card's.
  function cardFromForm() {
    const number = $("isp-number").value.replace(/[\s-]/g, "");
    const exp = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec($("isp-exp").value);
    const cvc = $("isp-cvc").value.trim();
    if (!/^\d{12,19}$/.test(number) || !luhn(number) || !exp || !/^\d{3,4}$/.test(cvc)) return null;
    const month = Number(exp[1]);
    const year = exp[2].length === 2 ? 2000 + Number(exp[2]) : Number(exp[2]);
    if (month < 1 || month > 12) return null;
    return { number, exp_month: month, exp_year: year, cvc };
  }

  async function enrol() {
    const card = cardFromForm();
    const password = $("isp-new-password").value;
    if (!card) return say("error", texts.cardInvalid);
    if (password.length < Number(d.passwordMin)) return say("error", texts.passwordShort);
    if (password !== $("isp-password-again").value) return say("error", texts.passwordsDiffer);
    busy(true);
    try {
      const serverKey = await call("GET", "/pay/isp/encryption_key");
      const keyPair = await crypto.subtle.generateKey(ECDSA, false, ["sign", "verify"]);
      const csr = await buildCsr(keyPair);
      const cardJwe = await jwe(serverKey, enc.encode(JSON.stringify(card)));
      const issued = await call("POST", "/pay/isp/enroll", { csr, card: cardJwe, password_set: true });
      const kept = { number: card.number, exp_month: card.exp_month, exp_year: card.exp_year };
      await saveWallet({
        keyPair, certificate: issued.certificate, serial: issued.serial,
        last4: card.number.slice(-4), card: await sealCard(password, kept),
      });
      $("isp-enrol").reset();
      show(await loadWallet());
      say("status", texts.enrolled);
    } catch (e) {
      say("error", e instanceof Refusal ? e.message : texts.error);
    } finally {
      busy(false);
    }
  }

  async function pay() {
    const wallet = await loadWallet();
    busy(true);
    try {
      const card = await openCard($("isp-password").value, wallet.card);
      if (!card) {
        say("error", texts.wrongPassword);
        $("isp-password").select();
        return;
      }
      const serverKey = await call("GET", "/pay/isp/encryption_key");
      const signedAt = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
      const signedData = JSON.stringify({
        payment_intent: d.paymentIntent, merchant: d.merchant, amount: Number(d.amount),
        currency: d.currency, signed_at: signedAt,
      });
      const signature = b64(await sign(wallet.keyPair.privateKey, enc.encode(signedData)));
      const cardJwe = await jwe(serverKey, enc.encode(JSON.stringify(card)));
      const done = await call("POST", `/pay/isp/${encodeURIComponent(d.paymentIntent)}/confirm`, {
        certificate: wallet.certificate, signed_data: signedData, signature, card: cardJwe,
      });
      $("isp-pay").reset();
      say("status", texts.working);
      window.location.assign(done.redirect);
    } catch (e) {
      say("error", e instanceof Refusal ? e.message : texts.error);
    } finally {
      busy(false);
    }
  }

  const onSubmit = (id, run) => $(id).addEventListener("submit", (ev) => { ev.preventDefault(); run(); });

  async function start() {
    if (!window.crypto || !crypto.subtle || !window.indexedDB) {
      app.hidden = false;
      return say("error", texts.unsupported);
    }
    onSubmit("isp-enrol", enrol);
    onSubmit("isp-pay", pay);
    $("isp-other").addEventListener("click", async () => {
      await dropWallet();
      say(null);
      show(null);
    });
    app.hidden = false;
    show(await loadWallet());
  }

  start().catch(() => { app.hidden = false; say("error", texts.error); });
})();
