/* "Tôi đã đặt lịch": check a booking in at the kiosk (docs/booking.md).

   The citizen types the booking code on a big keypad, or shows its QR code (or the
   chip ID card's QR code) to a USB scanner, which types the code and Enter into the
   page like a keyboard. Scanned input is caught anywhere on the start screen; the
   panel is added by this script so the kiosk's own page and script stay as they are.
   The ticket it issues is shown on the kiosk's own ticket screen (Kiosk.show), the same as
   a walk-in's; too early says when to come, too late sends the citizen to the ordinary
   numbers; a wrong code stays on the keypad to be corrected. The panel closes when the
   kiosk forgets an idle citizen ("kiosk:reset"). */
(function () {
  "use strict";
  var start = document.getElementById("start");
  if (!start) return;                                  // a kiosk not enrolled
  var KEYS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";        // the booking codes' alphabet
  var CODE_LENGTH = 6, SCAN_GAP_MS = 3000;
  var typed = "", scan = "", lastKey = 0, closeTimer = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }
  function both(vi, en) { return [vi + " ", el("span", { "class": "en", text: en })]; }

  var opener = el("button", { id: "checkin-open", "class": "checkin-open", type: "button" },
    both("Tôi đã đặt lịch", "I have a booking"));
  var shown = el("p", { id: "checkin-code", "class": "checkin-code num", "aria-live": "polite" });
  var keypad = el("div", { id: "checkin-keys", "class": "checkin-keys" });
  KEYS.split("").forEach(function (k) {
    keypad.append(el("button", { type: "button", "data-key": k, text: k }));
  });
  keypad.append(el("button", { type: "button", "data-key": "back", "class": "wide", text: "⌫ Xoá" }));
  keypad.append(el("button", { type: "button", "data-key": "ok", "class": "wide ok", text: "Xác nhận · OK" }));
  var message = el("p", { id: "checkin-message", "class": "checkin-message", role: "alert" });
  var close = el("button", { id: "checkin-close", "class": "checkin-close", type: "button" }, both("Đóng", "Close"));
  var panel = el("section", { id: "checkin", "class": "checkin", hidden: "", "aria-label": "Tôi đã đặt lịch" }, [
    el("h2", {}, both("Nhập mã đặt lịch hoặc quét mã QR", "Type your booking code or scan its QR code")),
    shown, keypad, message, close
  ]);
  start.append(opener);
  document.body.append(panel);

  function draw() { shown.textContent = typed || "······"; }

  function open() {
    typed = "";
    message.textContent = "";
    draw();
    panel.hidden = false;
    start.hidden = true;
    clearTimeout(closeTimer);
  }

  function shut() {
    clearTimeout(closeTimer);
    panel.hidden = true;
    start.hidden = false;
  }

  function showTicket(t) {
    shut();
    window.Kiosk.show(t);
  }

  function submit(code) {
    if (!code) return;
    message.textContent = "…";
    Live.api("POST", "/api/bookings/check-in", { code: code }).then(showTicket, function (err) {
      message.textContent = err.message;                // what was typed stays, to be corrected
      if (err.code === "booking_too_late") {
        closeTimer = setTimeout(shut, 8000);         // back to the fields: an ordinary number
      }
    });
  }

  opener.addEventListener("click", open);
  document.addEventListener("kiosk:reset", function () { if (!panel.hidden) shut(); });
  close.addEventListener("click", shut);
  keypad.addEventListener("click", function (e) {
    var key = e.target.closest("button");
    if (!key) return;
    if (key.dataset.key === "back") typed = typed.slice(0, -1);
    else if (key.dataset.key === "ok") submit(typed);
    else if (typed.length < CODE_LENGTH) typed += key.dataset.key;
    draw();
  });

  /* A scanner is a keyboard: characters arrive, then Enter. Whatever screen shows,
     a scan opens the panel and checks in; a person's slow typing works the same. */
  document.addEventListener("keydown", function (e) {
    var now = Date.now();
    if (now - lastKey > SCAN_GAP_MS) scan = "";
    lastKey = now;
    if (e.key === "Enter") {
      var code = scan.trim();
      scan = "";
      if (code.length >= CODE_LENGTH) {
        e.preventDefault();
        open();
        shown.textContent = code.indexOf("|") >= 0 ? "CCCD" : code.toUpperCase();
        submit(code);
      }
    } else if (e.key.length === 1 && scan.length < 500) {
      scan += e.key;
    }
  });
})();
