/* Devices: invite a kiosk, rating tablet or hall display (a one-time link, shown as a QR code
   and text to copy, never as a link to click here), revoke one, and watch every device live
   (online, offline since, sound blocked, lagging, old version). */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var KINDS = { kiosk: "Máy lấy số", rating: "Máy đánh giá", display: "Màn hình", counter: "Trang quầy" };
  var PAGES = { display: "Màn hình sảnh", counter_top: "Màn hình trên quầy" };
  var PROBLEMS = { offline: "mất kết nối", never_seen: "chưa kết nối lần nào", sound_blocked: "không phát được âm thanh",
                   lagging: "đọc số chậm", missed: "nhận lượt gọi chậm hoặc bỏ lỡ", old_version: "phiên bản cũ" };
  var counters = {};

  function fail(err) {
    if (err.status === 401 || err.status === 403) showLogin();
    $("error").textContent = err.message;
  }

  function row(d) {
    var tr = document.createElement("tr");
    [d.id, KINDS[d.kind], d.name, d.counter_id ? (counters[d.counter_id] || d.counter_id) : "",
     d.enrolled_at ? d.enrolled_at.replace("T", " ") : "chưa mở đường dẫn"].forEach(function (text) {
      var td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    });
    var td = document.createElement("td"), b = document.createElement("button");
    b.type = "button";
    b.className = "danger";
    b.textContent = "Thu hồi";
    b.onclick = function () {
      if (!confirm("Thu hồi " + d.name + "? Thiết bị sẽ ngừng hoạt động ngay.")) return;
      Live.api("DELETE", "/api/devices/" + d.id).then(load).catch(fail);
    };
    td.appendChild(b);
    tr.appendChild(td);
    return tr;
  }

  function load() {
    return Promise.all([Live.api("GET", "/api/devices"), Live.api("GET", "/api/counters")]).then(function (r) {
      var hall = document.createElement("option");
      hall.value = "";
      hall.textContent = "— không (màn hình sảnh) —";
      $("counter").replaceChildren.apply($("counter"), [hall].concat(r[1].map(function (c) {
        counters[c.id] = c.name;
        var o = document.createElement("option");
        o.value = c.id;
        o.textContent = c.name;
        return o;
      })));
      $("list").replaceChildren.apply($("list"), r[0].map(row));
      loadLive();
    }).catch(fail);
  }

  function cell(tr, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }

  function when(stamp) { return stamp ? stamp.slice(11, 19) : ""; }

  function liveRow(d) {
    var tr = document.createElement("tr"), r = d.report || {};
    tr.dataset.kind = d.kind;
    tr.dataset.problems = d.problems.join(" ");
    cell(tr, (d.page && PAGES[d.page]) || KINDS[d.kind]);
    cell(tr, d.name);
    cell(tr, d.counter_id ? (counters[d.counter_id] || d.counter_id) : "");
    var state = d.online ? "trực tuyến" : d.offline_since ? "mất kết nối từ " + when(d.offline_since) : "chưa kết nối";
    var more = d.problems.filter(function (p) { return p !== "offline" && p !== "never_seen"; })
      .map(function (p) { return PROBLEMS[p]; });
    cell(tr, state + (more.length ? " · " + more.join(", ") : ""), d.problems.length ? "bad" : "ok");
    cell(tr, r.sound === "blocked" ? "bị chặn" : r.sound === "ok" ? "được" : "");
    cell(tr, r.lag_s !== undefined ? Math.round(r.lag_s) + " giây" : "");
    cell(tr, r.version || "");
    cell(tr, when(d.reported_at));
    return tr;
  }

  function loadLive() {
    if ($("devices").hidden) return;
    Live.api("GET", "/api/devices/live").then(function (v) {
      $("live-at").textContent = "· " + when(v.at);
      $("printer-state").textContent = "Máy in (" + v.printer.kind + "): " + (v.printer.ok === false ? "lỗi " + (v.printer.error || "") : "bình thường") + ".";
      $("live").replaceChildren.apply($("live"), v.devices.map(liveRow));
    }).catch(function () {});
  }

  $("kind").onchange = function () { $("counter-label").hidden = $("kind").value === "kiosk"; };
  $("invite").onsubmit = function (e) {
    e.preventDefault();
    $("error").textContent = "";
    var body = { kind: $("kind").value, name: $("name").value };
    if (body.kind === "rating" || body.kind === "display" && $("counter").value) body.counter = Number($("counter").value);
    Live.api("POST", "/api/devices", body).then(function (r) {
      $("link-url").textContent = r.link;            // text, never a hyperlink to click here
      $("link-qr").src = r.qr;
      $("link-loopback").hidden = !r.loopback;
      $("link-copied").textContent = "";
      $("link").hidden = false;
      return load();
    }).catch(fail);
  };
  /* Copy without the clipboard API when it is missing (a plain-http LAN page): select the text. */
  $("link-copy").onclick = function () {
    var text = $("link-url").textContent, done = function () { $("link-copied").textContent = "Đã sao chép."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectLink(); });
    } else selectLink();
    function selectLink() {
      var range = document.createRange();
      range.selectNodeContents($("link-url"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $("link-copied").textContent = document.execCommand("copy") ? "Đã sao chép." : "Bấm Ctrl+C để sao chép.";
    }
  };
  var showLogin = Live.staff({ role: "supervisor", main: "devices", start: load });
  setInterval(loadLive, 5000);
})();
