/* Kiosk: one big button per field; a tap issues a ticket and shows its number. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var priority = false, busy = false, backTimer = null;

  function render(services) {
    var box = $("services");
    box.textContent = "";
    services.forEach(function (s) {
      var b = document.createElement("button");
      b.dataset.service = s.code;
      b.disabled = !s.open;
      b.textContent = s.name;
      var w = document.createElement("span");
      w.className = "waiting";
      w.textContent = s.open ? "Đang chờ: " + s.waiting : "Tạm ngừng nhận hồ sơ";
      b.appendChild(w);
      b.onclick = function () { take(s.code); };
      box.appendChild(b);
    });
  }

  function take(code) {
    if (busy) return;                       // one tap, one ticket
    busy = true;
    $("error").textContent = "";
    Live.api("POST", "/api/tickets", { service: code, priority: priority })
      .then(show)
      .catch(function (err) { $("error").textContent = err.message; busy = false; });
  }

  function show(ticket) {
    $("issued-number").textContent = ticket.number;
    $("issued-service").textContent = ticket.service_name + (ticket.priority ? " · Ưu tiên" : "");
    $("issued-ahead").textContent = "Số người đang chờ trước bạn: " + ticket.ahead;
    $("start").hidden = true;
    $("issued").hidden = false;
    backTimer = setTimeout(back, 10000);
  }

  function back() {
    clearTimeout(backTimer);
    priority = false;
    $("priority").setAttribute("aria-pressed", "false");
    $("issued").hidden = true;
    $("start").hidden = false;
    busy = false;
  }

  $("done").onclick = back;
  $("priority").onclick = function () {
    priority = !priority;
    this.setAttribute("aria-pressed", String(priority));
  };
  Live.connect({
    state: function (state) { render(state.services); },
    status: function (s) { $("status").dataset.status = s; $("status").textContent = s === "online" ? "●" : "Đang kết nối lại…"; }
  });
})();
