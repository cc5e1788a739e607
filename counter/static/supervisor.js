/* Supervisor: the live dashboard (alerts, fields, counters) and the controls:
   open, close, add counters, assign fields, close a field for the day, the hall notice.
   The dashboard is read again on every `state` push and every 15 s, because waits
   and service times grow while nothing happens. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var board = null, loading = false, again = false, loggedIn = false;

  function send(method, path, body) {
    $("error").textContent = "";
    return Live.api(method, path, body).then(refresh).catch(function (err) {
      if (err.status === 401 || err.status === 403) showLogin();
      $("error").textContent = err.message;
    });
  }

  /* Seconds as a supervisor reads them: "8 phút", "1 giờ 05 phút", "—" for nothing. */
  function duration(s) {
    if (s === null || s === undefined) return "—";
    var m = Math.floor(s / 60);
    if (m < 1) return "dưới 1 phút";
    if (m < 60) return m + " phút";
    return Math.floor(m / 60) + " giờ " + String(m % 60).padStart(2, "0") + " phút";
  }

  function cell(text, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function button(text, cls, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.textContent = text;
    b.onclick = onclick;
    return b;
  }

  function fieldRow(f, over) {
    var tr = document.createElement("tr");
    tr.dataset.service = f.code;
    tr.className = (f.open ? "" : "closed") + (over ? " over" : "");
    var state = cell("");
    var badge = document.createElement("span");
    badge.className = "badge" + (f.open ? "" : " off");
    badge.textContent = f.open ? "Đang phát số" : "Đã ngừng";
    state.className = "state";
    state.append(badge, " ", button(f.open ? "Ngừng nhận số" : "Mở lại", "secondary toggle", function () {
      if (f.open && !confirm("Ngừng phát số lĩnh vực " + f.name + " trong hôm nay? Người đã lấy số vẫn được phục vụ.")) return;
      send("PATCH", "/api/services/" + encodeURIComponent(f.code), { open: !f.open });
    }));
    tr.append(cell(f.name, "name"), cell(String(f.waiting), "n queued"), cell(duration(f.longest_wait_s), "n longest"),
      cell(duration(f.avg_wait_last_hour_s) + (f.called_last_hour ? " (" + f.called_last_hour + " lượt)" : ""), "n avg"),
      cell(String(f.served), "n served"), state);
    return tr;
  }

  function counterRow(c) {
    var tr = document.createElement("tr");
    tr.dataset.counter = c.id;
    tr.className = c.status === "open" ? "" : c.status;
    var status = { open: "Mở", paused: "Tạm dừng", closed: "Đóng" }[c.status];
    if (c.status === "paused" && c.paused_s !== null) status += " (" + duration(c.paused_s) + ")";
    var current = cell(c.current ? c.current.number : "—", "num current");
    if (c.current) {
      var since = document.createElement("span");
      since.className = "for";
      since.textContent = duration(c.current.for_s);
      current.appendChild(since);
    }
    var fields = cell("");
    board.fields.forEach(function (s) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = c.services.indexOf(s.code) >= 0;
      box.onchange = function () {
        var chosen = board.fields.filter(function (x) {
          return x.code === s.code ? box.checked : c.services.indexOf(x.code) >= 0;
        }).map(function (x) { return x.code; });
        send("PATCH", "/api/counters/" + c.id, { services: chosen });
      };
      label.append(box, " " + s.name);
      fields.appendChild(label);
    });
    var toggle = cell("");
    toggle.appendChild(button(c.open ? "Đóng quầy" : "Mở quầy", "primary", function () {
      if (c.open && c.current && !confirm(c.name + " đang phục vụ số " + c.current.number + ". Đóng quầy và đưa công dân về hàng chờ?")) return;
      send("PATCH", "/api/counters/" + c.id, { open: !c.open });
    }));
    tr.append(cell(c.name, "name"), cell(status, "state"), cell(c.officer || "—", "officer"), current,
      cell(String(c.served), "n served"), fields, toggle);
    return tr;
  }

  function render() {
    var over = {};
    var items = board.alerts.map(function (a) {
      if (a.service) over[a.service] = true;  // a long wait, or nobody serving the field
      var li = document.createElement("li");
      li.className = a.kind;
      li.textContent = a.message;
      return li;
    });
    if (!items.length) {
      var ok = document.createElement("li");
      ok.className = "ok";
      ok.textContent = "Không có cảnh báo.";
      items.push(ok);
    }
    $("alerts").replaceChildren.apply($("alerts"), items);
    $("fields").replaceChildren.apply($("fields"), board.fields.map(function (f) { return fieldRow(f, over[f.code]); }));
    $("counters").replaceChildren.apply($("counters"), board.counters.map(counterRow));
    $("updated").textContent = "· cập nhật " + Live.clockText(new Date());
  }

  /* One read at a time; a push that arrives meanwhile asks for one more. */
  function refresh() {
    if (!loggedIn) return;
    if (loading) { again = true; return; }
    loading = true;
    Live.api("GET", "/api/dashboard").then(function (b) {
      board = b;
      render();
    }).catch(function (err) {
      if (err.status === 401 || err.status === 403) showLogin();
    }).then(function () {
      loading = false;
      if (again) { again = false; refresh(); }
    });
  }

  function showLogin() { loggedIn = false; $("login").hidden = false; $("desk").hidden = true; }
  function start(me) {
    if (me.role !== "supervisor") { showLogin(); $("login-error").textContent = "Cần mã của lãnh đạo."; return; }
    loggedIn = true;
    $("login").hidden = true;
    $("desk").hidden = false;
    refresh();
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
  setInterval(refresh, 15000);
  Live.connect({
    state: refresh,
    status: function (s) { $("status").dataset.status = s; $("status").textContent = s === "online" ? "●" : "Mất kết nối…"; }
  });
})();
