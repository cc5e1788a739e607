/* Devices: invite a kiosk or rating tablet (a one-time link, shown as a QR code and text to
   copy, never as a link to click here) and revoke one. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var KINDS = { kiosk: "Máy lấy số", rating: "Máy đánh giá" };
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
      $("counter").replaceChildren.apply($("counter"), r[1].map(function (c) {
        counters[c.id] = c.name;
        var o = document.createElement("option");
        o.value = c.id;
        o.textContent = c.name;
        return o;
      }));
      $("list").replaceChildren.apply($("list"), r[0].map(row));
    }).catch(fail);
  }

  $("kind").onchange = function () { $("counter-label").hidden = $("kind").value !== "rating"; };
  $("invite").onsubmit = function (e) {
    e.preventDefault();
    $("error").textContent = "";
    var body = { kind: $("kind").value, name: $("name").value };
    if (body.kind === "rating") body.counter = Number($("counter").value);
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
})();
