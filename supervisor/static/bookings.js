/* Supervisors: a day's bookings per field and slot, closing a day or a slot, cancelling
   a booking with a reason. Personal data arrives masked; everything is shown as text. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var STATUS = { booked: "Đã đặt", checked_in: "Đã đến", no_show: "Không đến", cancelled: "Đã huỷ" };
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

  function close(body) {
    Live.api("POST", "/api/booking/closures", body).then(load).catch(fail);
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
            if (reason) close({ day: day.day, service: s.service, slot: s.slot, reason: reason });
          })]);
      }));
      $("closures").replaceChildren.apply($("closures"), day.closures.map(function (c) {
        var li = document.createElement("li");
        li.textContent = "Đã đóng: " + (c.service ? names[c.service] || c.service : "cả trung tâm") + " " +
          (c.slot || "cả ngày") + " (" + c.reason + ") ";
        li.append(button("Mở lại", function () {
          Live.api("DELETE", "/api/booking/closures", { day: c.day, service: c.service, slot: c.slot })
            .then(load).catch(fail);
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
    close(body);
  };
  var showLogin = Live.staff({ role: "supervisor", main: "bookings", start: load });
})();
