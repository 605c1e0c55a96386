// The hosted checkout's Apple Pay and Samsung Pay buttons (progressive enhancement: the page
// works without them). Hand-written, no build step; docs/CHECKOUT.md "Apple Pay / Samsung Pay".
// A button shows only where the browser offers its wallet: Apple Pay JS
// (`ApplePaySession.canMakePayments()`), Samsung Pay through the Payment Request API with
// Samsung's payment method. The wallet's encrypted token goes to paygate, never anywhere else.
(function () {
  "use strict";
  var box = document.getElementById("wallets");
  if (!box) return;
  var d = box.dataset;
  var status = document.getElementById("wallet-status");
  var exponent = Number(d.exponent);
  var major = (Number(d.amount) / Math.pow(10, exponent)).toFixed(exponent);

  function fail(message) {
    status.textContent = message || d.failed;
  }

  // Posts the token to the page's wallet endpoint; resolves to {ok, body}.
  function pay(wallet, token) {
    var body = new URLSearchParams({ t: d.t, wallet: wallet, token: token });
    return fetch(d.pay, { method: "POST", body: body, credentials: "same-origin" }).then(
      function (r) {
        return r.json().then(function (j) {
          return { ok: r.ok, body: j };
        });
      }
    );
  }

  function finish(res) {
    if (res.ok && res.body.redirect) {
      window.location.assign(res.body.redirect);
    } else {
      fail(res.body.message);
    }
  }

  function applePay() {
    var button = document.getElementById("apple-pay");
    if (!button || !window.ApplePaySession || !window.ApplePaySession.canMakePayments()) return;
    button.hidden = false;
    box.hidden = false;
    button.addEventListener("click", function () {
      var session = new window.ApplePaySession(3, {
        countryCode: d.country,
        currencyCode: d.currency,
        merchantCapabilities: ["supports3DS"],
        supportedNetworks: ["visa", "masterCard"],
        total: { label: d.label, amount: major },
      });
      session.onvalidatemerchant = function (e) {
        var body = new URLSearchParams({ t: d.t, validation_url: e.validationURL });
        fetch(d.validate, { method: "POST", body: body, credentials: "same-origin" })
          .then(function (r) {
            if (!r.ok) throw new Error("merchant validation refused");
            return r.json();
          })
          .then(function (merchantSession) {
            session.completeMerchantValidation(merchantSession);
          })
          .catch(function () {
            session.abort();
            fail();
          });
      };
      session.onpaymentauthorized = function (e) {
        pay("apple_pay", JSON.stringify(e.payment.token.paymentData))
          .then(function (res) {
            var S = window.ApplePaySession;
            session.completePayment(res.ok ? S.STATUS_SUCCESS : S.STATUS_FAILURE);
            finish(res);
          })
          .catch(function () {
            session.completePayment(window.ApplePaySession.STATUS_FAILURE);
            fail();
          });
      };
      session.begin();
    });
  }

  function samsungPay() {
    var button = document.getElementById("samsung-pay");
    if (!button || !window.PaymentRequest) return;
    var methods = [
      {
        supportedMethods: "https://spay.samsung.com/app",
        data: {
          version: "1",
          productId: d.samsungService,
          allowedBrands: ["visa", "mastercard"],
          merchantName: d.label,
          orderNumber: d.session,
        },
      },
    ];
    var details = { total: { label: d.label, amount: { currency: d.currency, value: major } } };
    var probe;
    try {
      probe = new window.PaymentRequest(methods, details);
    } catch (e) {
      return;
    }
    probe
      .canMakePayment()
      .then(function (yes) {
        if (!yes) return;
        button.hidden = false;
        box.hidden = false;
        button.addEventListener("click", function () {
          new window.PaymentRequest(methods, details)
            .show()
            .then(function (response) {
              var credential = response.details.paymentCredential || response.details;
              var token = typeof credential === "string" ? credential : JSON.stringify(credential);
              return pay("samsung_pay", token).then(function (res) {
                return response.complete(res.ok ? "success" : "fail").then(function () {
                  finish(res);
                });
              });
            })
            .catch(function () {
              fail();
            });
        });
      })
      .catch(function () {});
  }

  applePay();
  samsungPay();
})();
