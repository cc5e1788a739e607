/* Supervisors: a day's bookings per field and slot, closing a day or a slot, cancelling
   a booking with a reason. Personal data arrives masked; everything is shown as text. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  // "Chờ đến": booked and not yet arrived (the reports' "Tổng số lịch đặt" counts every booking made).
  var STATUS = { booked: "Chờ đến", checked_in: "Đã đến", no_show: "Không đến", cancelled: "Đã huỷ" };
  var names = {};

  function fail(err) {
    if (err.status === 401 || err.status === 403) showLogin();
    $("error").textContent = err.message;
  }

  function cells(values) {
    var tr = document.createElement("tr");
    values.forEach(function (v) {
      var td = document.createElement("td");
      if (v instanceof Node) td.append(v); else td.textContent = v;
      tr.append(td);
    });
    return tr;
  }

  function button(text, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "danger";
    b.textContent = text;
    b.onclick = onclick;
    return b;
  }

  /* Closing cancels bookings and messages citizens: the server counts them first (dry run),
     the supervisor reads the figures and confirms, then it closes. */
  function close(body, what) {
    var ask = Object.assign({}, body, { dry_run: true });
    delete ask.reason;
    Live.api("POST", "/api/booking/closures", ask).then(function (effect) {
      var question = "Đóng đặt lịch " + what + ".\nViệc này huỷ " + effect.cancelled + " lịch hẹn và nhắn tin cho "
        + effect.notified + " công dân (lý do: " + body.reason + ").\nLịch đã huỷ không khôi phục được khi mở lại. Đóng?";
      if (!confirm(question)) return null;
      return Live.api("POST", "/api/booking/closures", body).then(function (done) {
        $("result").textContent = "Đã đóng " + what + ": huỷ " + done.cancelled + " lịch hẹn, nhắn tin cho "
          + done.notified + " công dân.";
        return load();
      });
    }).catch(fail);
  }

  function scope(service, slot, day) {
    return (service ? "lĩnh vực " + (names[service] || service) : "mọi lĩnh vực") + ", "
      + (slot ? "khung giờ " + slot : "cả ngày") + " " + day.split("-").reverse().join("/");
  }

  function load() {
    $("error").textContent = "";
    return Promise.all([Live.api("GET", "/api/bookings?day=" + encodeURIComponent($("day").value)),
                        Live.api("GET", "/api/services")]).then(function (r) {
      var day = r[0];
      r[1].forEach(function (s) { names[s.code] = s.name; });
      if ($("close-service").options.length === 1) {
        r[1].forEach(function (s) { $("close-service").append(new Option(s.name, s.code)); });
      }
      var n = day.notices;
      $("notices").textContent = "Tin nhắn: " + n.sent + " đã gửi, " + n.pending + " đang chờ, " + n.failed + " lỗi.";
      $("slots").replaceChildren.apply($("slots"), day.slots.map(function (s) {
        return cells([names[s.service] || s.service, s.slot, s.booked, s.checked_in, s.no_show, s.cancelled,
          button("Đóng khung giờ", function () {
            var reason = prompt("Lý do đóng khung giờ " + s.slot + "?");
            if (reason) close({ day: day.day, service: s.service, slot: s.slot, reason: reason }, scope(s.service, s.slot, day.day));
          })]);
      }));
      $("closures").replaceChildren.apply($("closures"), day.closures.map(function (c) {
        var li = document.createElement("li");
        li.textContent = "Đã đóng: " + (c.service ? names[c.service] || c.service : "cả trung tâm") + " " +
          (c.slot || "cả ngày") + " (" + c.reason + ") ";
        li.append(button("Mở lại", function () {
          if (!confirm("Mở lại đặt lịch " + scope(c.service, c.slot, c.day) + " cho lịch hẹn mới?\n"
            + "Các lịch đã huỷ khi đóng vẫn bị huỷ (công dân đã được báo tin).")) return;
          Live.api("DELETE", "/api/booking/closures", { day: c.day, service: c.service, slot: c.slot })
            .then(function () {
              $("result").textContent = "Đã mở lại " + scope(c.service, c.slot, c.day) + ": nhận lịch mới; lịch đã huỷ vẫn huỷ.";
              return load();
            }).catch(fail);
        }));
        return li;
      }));
      $("list").replaceChildren.apply($("list"), day.bookings.map(function (b) {
        return cells([b.code, b.service_name, b.slot, b.name, b.phone, STATUS[b.status] || b.status,
          b.status === "booked" ? button("Huỷ", function () {
            var reason = prompt("Lý do huỷ lịch hẹn " + b.code + " (công dân sẽ được báo tin)?");
            if (reason) Live.api("POST", "/api/bookings/" + b.id + "/cancel", { reason: reason }).then(load).catch(fail);
          }) : ""]);
      }));
    }).catch(fail);
  }

  $("pick").onsubmit = function (e) { e.preventDefault(); load(); };
  $("close").onsubmit = function (e) {
    e.preventDefault();
    var body = { day: $("day").value, reason: $("close-reason").value };
    if ($("close-service").value) body.service = $("close-service").value;
    if ($("close-slot").value.trim()) body.slot = $("close-slot").value.trim();
    close(body, scope(body.service, body.slot, body.day));
  };
  var showLogin = Live.staff({ role: "supervisor", main: "bookings", start: load });
})();
