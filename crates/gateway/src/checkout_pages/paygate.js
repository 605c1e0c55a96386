/* paygate.js — card payments from a merchant's own page, without a build step or framework.
 *
 *   <div id="card"></div>
 *   <script src="https://GATEWAY/v1/paygate.js"></script>
 *   <script>
 *     const paygate = PayGate("pk_test_…");            // the publishable key only
 *     const card = paygate.mountCardForm("#card", { locale: "ko" });
 *     const result = await paygate.confirmPayment({
 *       clientSecret: "pi_…_secret_…",                // from the merchant's server
 *       card,                                          // or paymentMethod: "pm_…"
 *       returnUrl: "https://shop.example/done",        // where 3-D Secure comes back to
 *     });
 *     // result.paymentIntent (status succeeded …) or result.error ({message, code, param});
 *     // a next_action redirect (3-D Secure) navigates the page away.
 *   </script>
 *
 * The card fields are inputs this script creates; their values go from the payer's browser to
 * paygate (POST /v1/payment_methods with the publishable key → pm_…) and never to the
 * merchant's server. Nothing is stored in the browser.
 */
(function (global) {
  "use strict";

  var script = document.currentScript;
  var defaultBase = script && script.src ? new URL(script.src).origin : "";

  var TEXTS = {
    ko: { number: "카드 번호", month: "유효기간 월 (MM)", year: "유효기간 연도 (YYYY)", cvc: "보안코드 (CVC)" },
    en: { number: "Card number", month: "Expiry month (MM)", year: "Expiry year (YYYY)", cvc: "Security code (CVC)" }
  };
  var FIELDS = [
    ["number", "cc-number", 23],
    ["exp_month", "cc-exp-month", 2],
    ["exp_year", "cc-exp-year", 4],
    ["cvc", "cc-csc", 4]
  ];
  var LABEL_KEYS = { number: "number", exp_month: "month", exp_year: "year", cvc: "cvc" };
  var counter = 0;

  function form(params) {
    return Object.keys(params)
      .filter(function (k) { return params[k] !== undefined && params[k] !== null; })
      .map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]); })
      .join("&");
  }

  function PayGate(publishableKey, options) {
    if (!/^pk_(test|live)_/.test(publishableKey || "")) {
      throw new Error("PayGate needs a publishable key (pk_test_… or pk_live_…)");
    }
    var base = (options && options.apiBase) || defaultBase;

    function call(method, path, params) {
      var init = {
        method: method,
        headers: { Authorization: "Bearer " + publishableKey },
        credentials: "omit"
      };
      var url = base + path;
      if (method === "POST") {
        init.headers["Content-Type"] = "application/x-www-form-urlencoded";
        init.body = form(params);
      } else if (params) {
        url += "?" + form(params);
      }
      return fetch(url, init).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) {
            var e = body.error || { message: "HTTP " + r.status };
            return { error: e };
          }
          return { body: body };
        });
      }, function () {
        return { error: { type: "api_connection_error", message: "paygate could not be reached" } };
      });
    }

    /* Mounts labelled card inputs into `target` (a selector or an element). */
    function mountCardForm(target, opts) {
      var el = typeof target === "string" ? document.querySelector(target) : target;
      if (!el) { throw new Error("mountCardForm: no element " + target); }
      var texts = TEXTS[(opts && opts.locale) === "en" ? "en" : "ko"];
      var inputs = {};
      var id = "paygate-" + (++counter);
      FIELDS.forEach(function (f) {
        var label = document.createElement("label");
        var input = document.createElement("input");
        input.id = id + "-" + f[0];
        input.type = "text";
        input.inputMode = "numeric";
        input.autocomplete = f[1];
        input.maxLength = f[2];
        label.htmlFor = input.id;
        label.textContent = texts[LABEL_KEYS[f[0]]];
        el.appendChild(label);
        el.appendChild(input);
        inputs[f[0]] = input;
      });
      return {
        _values: function () {
          var v = {};
          Object.keys(inputs).forEach(function (k) { v[k] = inputs[k].value.replace(/\s+/g, ""); });
          return v;
        },
        clear: function () {
          Object.keys(inputs).forEach(function (k) { inputs[k].value = ""; });
        }
      };
    }

    /* POST /v1/payment_methods with the card's fields → { paymentMethod } or { error }. */
    function createPaymentMethod(card) {
      var v = card._values();
      return call("POST", "/v1/payment_methods", {
        type: "card",
        "card[number]": v.number,
        "card[exp_month]": v.exp_month,
        "card[exp_year]": v.exp_year,
        "card[cvc]": v.cvc
      }).then(function (r) { return r.error ? r : { paymentMethod: r.body }; });
    }

    /* Confirms the intent of `clientSecret` with `card` (a mounted form) or `paymentMethod`;
     * follows next_action.redirect_to_url (3-D Secure, the wallet page). */
    function confirmPayment(args) {
      var secret = args.clientSecret || "";
      var pi = secret.split("_secret_")[0];
      if (!/^pi_/.test(pi)) {
        return Promise.resolve({ error: { message: "clientSecret must be a PaymentIntent's client_secret" } });
      }
      var pm = args.paymentMethod
        ? Promise.resolve({ paymentMethod: { id: args.paymentMethod } })
        : createPaymentMethod(args.card);
      return pm.then(function (r) {
        if (r.error) { return r; }
        return call("POST", "/v1/payment_intents/" + encodeURIComponent(pi) + "/confirm", {
          client_secret: secret,
          payment_method: r.paymentMethod.id,
          return_url: args.returnUrl
        });
      }).then(function (r) {
        if (r.error) { return { error: r.error }; }
        var next = r.body.next_action;
        if (next && next.redirect_to_url && next.redirect_to_url.url && args.redirect !== "if_required_never") {
          global.location.assign(next.redirect_to_url.url);
        }
        return { paymentIntent: r.body };
      });
    }

    /* GET /v1/payment_intents/{id}?client_secret=… → { paymentIntent } or { error }. */
    function retrievePaymentIntent(clientSecret) {
      var pi = (clientSecret || "").split("_secret_")[0];
      return call("GET", "/v1/payment_intents/" + encodeURIComponent(pi), { client_secret: clientSecret })
        .then(function (r) { return r.error ? r : { paymentIntent: r.body }; });
    }

    return {
      mountCardForm: mountCardForm,
      createPaymentMethod: createPaymentMethod,
      confirmPayment: confirmPayment,
      retrievePaymentIntent: retrievePaymentIntent
    };
  }

  global.PayGate = PayGate;
})(window);
