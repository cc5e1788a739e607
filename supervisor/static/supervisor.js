/* Supervisor: the live dashboard (alerts, fields, counters) and the controls:
   open, close, add counters, assign fields, close a field for the day, the hall notice.
   The dashboard is read again on every `state` push and every 15 s, because waits
   and service times grow while nothing happens. Rows are updated in place, never
   redrawn, so a live update neither takes the focus away nor touches an edit under way;
   a counter's fields are edited in a dialog that live updates leave alone. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var board = null, loading = false, again = false, loggedIn = false, editing = null;

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

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function setText(e, text) { if (e.textContent !== text) e.textContent = text; }

  function fieldNames() {
    var map = {};
    board.fields.forEach(function (f) { map[f.code] = f.name; });
    return map;
  }

  /* Keep one row per key in `tbody`, in order: new rows built once, all rows updated in place. */
  function sync(tbody, items, key, build, update) {
    var rows = {}, wanted = {};
    Array.prototype.forEach.call(tbody.rows, function (tr) { rows[tr.dataset.key] = tr; });
    items.forEach(function (item, i) {
      var k = String(key(item)), tr = rows[k] || build(item);
      wanted[k] = true;
      tr.dataset.key = k;
      update(tr, item);
      if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] || null);
    });
    Object.keys(rows).forEach(function (k) { if (!wanted[k]) rows[k].remove(); });
  }

  function buildField(f) {
    var tr = el("tr");
    tr.dataset.service = f.code;
    var state = el("td", "state"), toggle = el("button", "secondary toggle");
    toggle.type = "button";
    toggle.onclick = function () {
      var now = board.fields.filter(function (x) { return x.code === f.code; })[0];
      if (now.open && !confirm("Ngừng phát số lĩnh vực " + now.name + " trong hôm nay? Người đã lấy số vẫn được phục vụ.")) return;
      send("PATCH", "/api/services/" + encodeURIComponent(now.code), { open: !now.open });
    };
    state.append(el("span", "badge"), " ", toggle);
    tr.append(el("td", "name"), el("td", "n queued"), el("td", "n longest"), el("td", "n avg"), el("td", "n served"), state);
    return tr;
  }

  function updateField(tr, f, over) {
    tr.className = (f.open ? "" : "closed") + (over ? " over" : "");
    setText(tr.querySelector(".name"), f.name);
    setText(tr.querySelector(".queued"), String(f.waiting));
    setText(tr.querySelector(".longest"), duration(f.longest_wait_s));
    var avg = tr.querySelector(".avg"), avgText = duration(f.avg_wait_last_hour_s);
    var calls = f.called_last_hour ? f.called_last_hour + " lượt gọi" : "";
    if (avg.dataset.key !== avgText + calls) {
      avg.dataset.key = avgText + calls;
      avg.replaceChildren(avgText, el("small", "", calls));
    }
    setText(tr.querySelector(".served"), String(f.served));
    var badge = tr.querySelector(".badge");
    badge.className = "badge" + (f.open ? "" : " off");
    setText(badge, f.open ? "Đang phát số" : "Đã ngừng");
    setText(tr.querySelector(".toggle"), f.open ? "Ngừng nhận số" : "Mở lại");
  }

  function counterById(id) { return board.counters.filter(function (c) { return c.id === id; })[0]; }

  function buildCounter(c) {
    var tr = el("tr");
    tr.dataset.counter = c.id;
    var current = el("td", "num current"), fields = el("td", "fields"), tools = el("td", "tools");
    current.append(el("span", "number"), el("span", "for"));
    var cell = el("div", "cell"), chips = el("ul", "chips"), edit = el("button", "secondary edit", "Sửa");
    edit.type = "button";
    edit.onclick = function () { openEditor(counterById(c.id)); };
    cell.append(chips, edit);
    fields.append(cell);
    var toggle = el("button", "toggle");
    toggle.type = "button";
    toggle.onclick = function () { toggleCounter(counterById(c.id)); };
    tools.append(toggle);
    tr.append(el("td", "name"), el("td", "state"), el("td", "officer"), current, el("td", "n served"), fields, tools);
    return tr;
  }

  function updateCounter(tr, c) {
    var names = fieldNames();
    tr.className = c.status === "open" ? "" : c.status;
    var status = { open: "Mở", paused: "Tạm dừng", closed: "Đóng" }[c.status];
    if (c.status === "paused" && c.paused_s !== null) status += " (" + duration(c.paused_s) + ")";
    setText(tr.querySelector(".name"), c.name);
    setText(tr.querySelector(".state"), status);
    // Who is at the counter now (presence), not who called last: an open counter nobody is at is not served.
    setText(tr.querySelector(".officer"), c.present ? c.present.officer : c.open ? "Vắng" : "—");
    tr.querySelector(".officer").classList.toggle("away", c.open && !c.present);
    setText(tr.querySelector(".current .number"), c.current ? c.current.number : "—");
    setText(tr.querySelector(".current .for"), c.current ? duration(c.current.for_s) : "");
    setText(tr.querySelector(".served"), String(c.served));
    var chips = tr.querySelector(".chips"), key = c.services.join(",");
    if (chips.dataset.key !== key) {
      chips.dataset.key = key;
      chips.replaceChildren.apply(chips, c.services.map(function (code) { return el("li", "chip", names[code] || code); }));
    }
    tr.querySelector(".edit").setAttribute("aria-label", "Sửa lĩnh vực của " + c.name);
    var toggle = tr.querySelector(".toggle");
    toggle.className = "toggle " + (c.open ? "secondary" : "primary");
    setText(toggle, c.open ? "Đóng quầy" : "Mở quầy");
  }

  /* Closing always asks: a counter closed by a slip leaves its citizens to nobody. */
  function toggleCounter(c) {
    if (c.open) {
      var question = "Đóng " + c.name + "? Quầy sẽ không gọi số nữa và không còn hiện trên màn hình sảnh.";
      if (c.current) question += "\nSố " + c.current.number + " đang được phục vụ sẽ về lại đầu hàng chờ.";
      if (!confirm(question)) return;
    }
    send("PATCH", "/api/counters/" + c.id, { open: !c.open });
  }

  /* The dialog for a counter's fields (or a new counter: a name and its fields). */
  function openEditor(c) {
    editing = c ? c.id : "new";
    var taken = {}, n = board.counters.length + 1;
    board.counters.forEach(function (x) { taken[x.name] = true; });
    while (taken["Quầy " + n]) n += 1;
    $("editor-title").textContent = c ? "Lĩnh vực của " + c.name : "Mở thêm quầy";
    $("editor-name-row").hidden = !!c;
    $("editor-name").value = c ? "" : "Quầy " + n;
    $("editor-save").textContent = c ? "Lưu" : "Mở quầy";
    $("editor-error").textContent = "";
    $("editor-fields").replaceChildren.apply($("editor-fields"), board.fields.map(function (f) {
      var label = el("label"), box = el("input");
      box.type = "checkbox";
      box.value = f.code;
      box.checked = !!c && c.services.indexOf(f.code) >= 0;
      label.append(box, " " + f.name);
      return label;
    }));
    $("editor").showModal();
    (c ? $("editor-fields").querySelector("input") : $("editor-name")).focus();
  }

  function closeEditor() { editing = null; $("editor").close(); }

  function saveEditor() {
    var chosen = Array.prototype.filter.call($("editor-fields").querySelectorAll("input"), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    var request = editing === "new"
      ? Live.api("POST", "/api/counters", { name: $("editor-name").value, services: chosen })
      : Live.api("PATCH", "/api/counters/" + editing, { services: chosen });
    $("editor-error").textContent = "";
    request.then(function () { closeEditor(); refresh(); }).catch(function (err) {
      if (err.status === 401 || err.status === 403) { closeEditor(); showLogin(); }
      $("editor-error").textContent = err.message;   // the edit stays as it was, to be corrected
    });
  }

  function render() {
    var over = {};
    var items = board.alerts.map(function (a) {
      if (a.service) over[a.service] = true;  // a long wait, or nobody serving the field
      return el("li", a.kind, a.message);
    });
    if (!items.length) items.push(el("li", "ok", "Không có cảnh báo."));
    var alertsKey = board.alerts.map(function (a) { return a.kind + a.message; }).join("|") || "ok";
    if ($("alerts").dataset.key !== alertsKey) {
      $("alerts").dataset.key = alertsKey;
      $("alerts").replaceChildren.apply($("alerts"), items);
    }
    sync($("fields"), board.fields, function (f) { return f.code; }, buildField,
         function (tr, f) { updateField(tr, f, over[f.code]); });
    sync($("counters"), board.counters, function (c) { return c.id; }, buildCounter, updateCounter);
    var open = board.counters.filter(function (c) { return c.open; }).length;
    var staffed = board.counters.filter(function (c) { return c.open && c.present; }).length;
    setText($("open-count"), "· " + open + " đang mở (" + staffed + " có cán bộ) / " + board.counters.length);
    setText($("updated"), "· cập nhật " + Live.clockText(board.at));
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

  $("notice-form").onsubmit = function (e) {
    e.preventDefault();
    send("PUT", "/api/notice", { text: $("notice").value });
  };
  $("add").onclick = function () { if (board) openEditor(null); };
  $("editor-form").onsubmit = function (e) { e.preventDefault(); saveEditor(); };
  $("editor-cancel").onclick = closeEditor;
  $("editor").addEventListener("close", function () { editing = null; });
  var showLogin = Live.staff({
    role: "supervisor", main: "desk",
    stop: function () { loggedIn = false; },
    start: function () {
      loggedIn = true;
      refresh();
      Live.api("GET", "/api/notice").then(function (n) { $("notice").value = n.text; }).catch(function () {});
    }
  });
  setInterval(refresh, 15000);
  Live.connect({
    state: refresh,
    status: function (s) { $("status").dataset.status = s; $("status").textContent = s === "online" ? "●" : "Mất kết nối…"; }
  });
})();
