// paygate 간편결제: the shuffled PIN pad (progressive enhancement).
//
// Beside every `input[data-pin-pad]` it draws a keypad of the ten digits in a random order
// (drawn again after each PIN is complete or cleared), plus "delete one digit" and "clear".
// A key fills the input the form posts (`pin`, `new_pin`, ...): without this script the
// payer types the PIN into the same input and nothing else changes. The digits never leave
// the input; nothing is sent, stored or logged here. CSP-compatible: loaded by a nonce'd
// <script src>, no inline handler, no inline style (the classes are in the page's stylesheet).
(function () {
  "use strict";
  var PIN_LENGTH = 6;

  // Fisher-Yates with the browser's CSPRNG (a plain generator would make the order guessable).
  function shuffledDigits() {
    var d = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    var r = new Uint32Array(d.length);
    window.crypto.getRandomValues(r);
    for (var i = d.length - 1; i > 0; i--) {
      var j = r[i] % (i + 1);
      var t = d[i];
      d[i] = d[j];
      d[j] = t;
    }
    return d;
  }

  function key(text, label, onPress) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    if (label) {
      b.setAttribute("aria-label", label);
    }
    b.addEventListener("click", onPress);
    return b;
  }

  function draw(input, pad) {
    while (pad.firstChild) {
      pad.removeChild(pad.firstChild);
    }
    var digits = shuffledDigits();
    function typed(value) {
      input.value = value;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    digits.forEach(function (d, i) {
      if (i === 9) {
        pad.appendChild(key("⌫", input.getAttribute("data-pin-pad-delete"), function () {
          typed(input.value.slice(0, -1));
        }));
      }
      pad.appendChild(key(d, null, function () {
        if (input.value.length >= PIN_LENGTH) {
          return;
        }
        typed(input.value + d);
        if (input.value.length === PIN_LENGTH) {
          draw(input, pad);
        }
      }));
    });
    pad.appendChild(key("✕", input.getAttribute("data-pin-pad-clear"), function () {
      typed("");
      draw(input, pad);
    }));
  }

  document.querySelectorAll("input[data-pin-pad]").forEach(function (input) {
    var pad = document.createElement("div");
    pad.className = "pin-pad";
    pad.setAttribute("role", "group");
    pad.setAttribute("aria-label", input.getAttribute("data-pin-pad-label") || "");
    pad.setAttribute("data-pin-pad-for", input.id);
    input.insertAdjacentElement("afterend", pad);
    draw(input, pad);
  });
})();
