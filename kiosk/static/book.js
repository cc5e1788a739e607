/* The public booking pages: /book (choose a field, a day and a slot, give a name and a
   phone number) and /b/<token> (the booking's code, QR code, calendar file, cancel).
   Everything the citizen typed is sent to the server and shown back as text only. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var WEEKDAYS = ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"];
  var STATUS = {
    booked: ["Đã đặt lịch", "Booked"], checked_in: ["Đã đến, đã lấy số", "Checked in"],
    cancelled: ["Đã huỷ", "Cancelled"], no_show: ["Đã quá giờ hẹn", "Missed"]
  };

  function dayText(iso) {
    var p = iso.split("-"), d = new Date(+p[0], +p[1] - 1, +p[2]);
    return WEEKDAYS[d.getDay()] + " " + p[2] + "/" + p[1] + "/" + p[0];
  }

  function bilingual(el, vi, en) {
    var span = document.createElement("span");
    span.className = "en";
    span.textContent = en;
    el.replaceChildren(document.createTextNode(vi + " "), span);
  }

  function showError(err) { $("error").textContent = err.message; }

  function bookPage() {
    var chosen = null;

    /* The button stays off until everything is there, and says what is still missing. */
    function ready() {
      var missing = [];
      if (!chosen) missing.push(["khung giờ", "a time"]);
      if (!$("name").value.trim()) missing.push(["họ và tên", "your name"]);
      if (!$("phone").value.trim()) missing.push(["số điện thoại", "your phone"]);
      $("submit").disabled = missing.length > 0;
      if (missing.length) {
        bilingual($("missing"), "Để đặt lịch, xin chọn hoặc nhập: " + missing.map(function (m) { return m[0]; }).join(", ") + ".",
          "Still needed: " + missing.map(function (m) { return m[1]; }).join(", ") + ".");
      } else $("missing").textContent = "";
    }

    function loadSlots() {
      chosen = null;
      ready();
      var service = $("service").value, day = $("day").value;
      if (!service || !day) return;
      Live.api("GET", "/api/booking/slots?service=" + encodeURIComponent(service) + "&day=" + encodeURIComponent(day))
        .then(function (data) {
          var free = data.slots.filter(function (s) { return s.open && s.free > 0; });
          $("no-slots").hidden = free.length > 0;
          $("slots").replaceChildren.apply($("slots"), free.map(function (s) {
            var b = document.createElement("button"), n = document.createElement("span");
            b.type = "button";
            b.setAttribute("role", "radio");
            b.setAttribute("aria-checked", "false");
            b.dataset.slot = s.start;
            b.textContent = s.start + "–" + s.end;
            n.className = "free";
            n.textContent = "còn " + s.free + " chỗ · " + s.free + " free";
            b.append(n);
            b.addEventListener("click", function () {
              chosen = s.start;
              $("slots").querySelectorAll("button").forEach(function (o) {
                o.setAttribute("aria-checked", String(o === b));
              });
              ready();
            });
            return b;
          }));
        }, showError);
    }

    Live.api("GET", "/api/booking").then(function (data) {
      $("service").replaceChildren.apply($("service"), data.services.map(function (s) {
        return new Option(s.name, s.code);
      }));
      $("day").replaceChildren.apply($("day"), data.days.map(function (d) { return new Option(dayText(d), d); }));
      loadSlots();
    }, showError);
    $("service").addEventListener("change", loadSlots);
    $("day").addEventListener("change", loadSlots);
    $("name").addEventListener("input", ready);
    $("phone").addEventListener("input", ready);
    $("who").addEventListener("submit", function (event) {
      event.preventDefault();
      $("submit").disabled = true;
      var body = { service: $("service").value, day: $("day").value, slot: chosen,
                   name: $("name").value, phone: $("phone").value };
      if ($("id_number").value.trim()) body.id_number = $("id_number").value.trim();
      Live.api("POST", "/api/bookings", body).then(function (made) {
        if (made.token) { location.href = "/b/" + encodeURIComponent(made.token); return; }
        askCode(made);  // the center confirms the phone first: nothing is held yet
      }, function (err) {
        showError(err);
        if (err.code === "slot_full") loadSlots();
        ready();
      });
    });
  }

  function askCode(pending) {
    $("who").hidden = true;
    $("confirm").hidden = false;
    $("confirm-phone").textContent = pending.phone;
    $("confirm-code").focus();
    $("confirm").addEventListener("submit", function (event) {
      event.preventDefault();
      $("confirm-submit").disabled = true;
      Live.api("POST", "/api/bookings/confirm", { request: pending.request, code: $("confirm-code").value.trim() })
        .then(function (made) {
          location.href = "/b/" + encodeURIComponent(made.token);
        }, function (err) {
          $("confirm-error").textContent = err.message;
          $("confirm-submit").disabled = err.code === "confirm_expired" || err.code === "slot_full";
        });
    });
  }

  function bookingPage(token) {
    var path = "/api/bookings/" + encodeURIComponent(token);
    function draw(b) {
      $("booking").dataset.status = b.status;
      $("code").textContent = b.code;
      $("field").textContent = b.service_name;
      $("when").textContent = b.slot + " · " + dayText(b.day);
      bilingual($("status-text"), STATUS[b.status][0], STATUS[b.status][1]);
      $("name").textContent = b.name;
      $("phone").textContent = b.phone;
      $("cancel").hidden = b.status !== "booked";
      // A cancelled or missed booking is nothing to scan or to put in a calendar any more.
      var live = b.status === "booked" || b.status === "checked_in";
      $("qr").hidden = $("qr-hint").hidden = $("ics").hidden = !live;
      $("ticket-link").hidden = !b.ticket_token;
      if (b.ticket_token) $("ticket-link").href = "/t/" + encodeURIComponent(b.ticket_token);
    }
    $("qr").src = "/b/" + encodeURIComponent(token) + "/qr.svg";
    $("ics").href = "/b/" + encodeURIComponent(token) + "/booking.ics";
    Live.api("GET", path).then(draw, showError);
    $("cancel").addEventListener("click", function () {
      if (!window.confirm("Huỷ lịch hẹn này? / Cancel this booking?")) return;
      Live.api("DELETE", path).then(draw, showError);
    });
  }

  if ($("book")) bookPage();
  else if ($("booking")) bookingPage($("booking").dataset.token);
})();
