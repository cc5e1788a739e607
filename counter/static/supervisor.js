/* Supervisor: open, close, add counters and assign fields, live. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var state = null;

  function send(method, path, body) {
    $("error").textContent = "";
    return Live.api(method, path, body).catch(function (err) {
      if (err.status === 401 || err.status === 403) showLogin();
      $("error").textContent = err.message;
    });
  }

  function row(c) {
    var tr = document.createElement("tr");
    tr.className = c.open ? "" : "closed";
    var name = document.createElement("td");
    name.textContent = c.name;
    var status = document.createElement("td");
    status.textContent = !c.open ? "Đóng" : (c.paused ? "Tạm dừng" : "Mở");
    var current = document.createElement("td");
    current.className = "num";
    current.textContent = c.current ? c.current.number : "—";
    var fields = document.createElement("td");
    state.services.forEach(function (s) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = c.services.indexOf(s.code) >= 0;
      box.onchange = function () {
        var chosen = state.services.filter(function (x) {
          return x.code === s.code ? box.checked : c.services.indexOf(x.code) >= 0;
        }).map(function (x) { return x.code; });
        send("PATCH", "/api/counters/" + c.id, { services: chosen });
      };
      label.append(box, " " + s.name);
      fields.appendChild(label);
    });
    var toggle = document.createElement("td");
    var b = document.createElement("button");
    b.className = "primary";
    b.textContent = c.open ? "Đóng quầy" : "Mở quầy";
    b.onclick = function () {
      if (c.open && c.current && !confirm(c.name + " đang phục vụ số " + c.current.number + ". Đóng quầy và đưa công dân về hàng chờ?")) return;
      send("PATCH", "/api/counters/" + c.id, { open: !c.open });
    };
    toggle.appendChild(b);
    tr.append(name, status, current, fields, toggle);
    return tr;
  }

  function render() {
    if (!state) return;
    $("counters").replaceChildren.apply($("counters"), state.counters.map(row));
    $("waiting").replaceChildren.apply($("waiting"), state.services.map(function (s) {
      var li = document.createElement("li");
      li.textContent = s.name + ": " + s.waiting + (s.open ? "" : " (đóng)");
      return li;
    }));
  }

  function showLogin() { $("login").hidden = false; $("desk").hidden = true; }
  function start(me) {
    if (me.role !== "supervisor") { showLogin(); $("login-error").textContent = "Cần mã của lãnh đạo."; return; }
    $("login").hidden = true;
    $("desk").hidden = false;
    Live.api("GET", "/api/notice").then(function (n) { $("notice").value = n.text; }).catch(function () {});
  }

  $("notice-form").onsubmit = function (e) {
    e.preventDefault();
    send("PUT", "/api/notice", { text: $("notice").value });
  };

  $("login-form").onsubmit = function (e) {
    e.preventDefault();
    Live.api("POST", "/api/login", { token: $("token").value })
      .then(start)
      .catch(function (err) { $("login-error").textContent = err.message; });
  };
  $("add").onsubmit = function (e) {
    e.preventDefault();
    send("POST", "/api/counters", { name: $("add-name").value, services: [] })
      .then(function () { $("add-name").value = ""; });
  };
  Live.api("GET", "/api/me").then(start).catch(showLogin);
  Live.connect({
    state: function (s) { state = s; render(); },
    status: function (s) { $("status").dataset.status = s; $("status").textContent = s === "online" ? "●" : "Mất kết nối…"; }
  });
})();
