/* Kiosk: one big button per field; a tap issues one ticket and shows its number, the
   counters serving it, the people ahead, an honest wait estimate and a QR code for the
   phone page, then returns to the start by itself. Vietnamese first, English on request. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var RETURN_S = 20, LOCK_MS = 1500;
  var lang = "vi", priority = false, busy = false, lockedUntil = 0;
  var services = [], hours = { open: true, next_open: null }, printerOk = true, printerKind = "none", backTimer = null, countdown = 0, shown = null, fetching = false, again = false;

  var T = {
    vi: {
      lead: "Chạm vào lĩnh vực để lấy số thứ tự", lead_priority: "Lấy số ưu tiên: chạm vào lĩnh vực",
      priority: "Lấy số ưu tiên",
      priority_who: "Người cao tuổi, người khuyết tật, phụ nữ mang thai, người có con nhỏ, người có công",
      waiting: "Đang chờ: ", closed: "Tạm ngừng nhận hồ sơ", full: "Đã hết số hôm nay",
      your_number: "Số thứ tự của bạn", ahead: "Người chờ trước bạn", wait: "Thời gian chờ dự kiến",
      served_at: "Quầy phục vụ: ", no_counter: "Chưa có quầy mở cho lĩnh vực này",
      soon: "Sắp đến lượt", minutes: "khoảng {n} phút", no_data: "Chưa đủ dữ liệu hôm nay để ước tính",
      qr: "Quét mã để theo dõi lượt của bạn trên điện thoại", done: "Xong", priority_tag: " · Ưu tiên",
      printer_fault: "Máy in đang có lỗi: xin hãy ghi nhớ hoặc chụp lại số thứ tự này.",
      offline: "Mất kết nối tới máy chủ, đang thử lại…", lang: "English",
      closed_now: "Ngoài giờ làm việc.", opens: "Trung tâm mở cửa lúc {t}.",
      days: ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"]
    },
    en: {
      lead: "Touch a field to take a number", lead_priority: "Priority number: touch a field",
      priority: "Priority number",
      priority_who: "Elderly, people with disabilities, pregnant women, people with young children, meritorious persons",
      waiting: "Waiting: ", closed: "Not taking files now", full: "No numbers left today",
      your_number: "Your number", ahead: "People ahead of you", wait: "Estimated wait",
      served_at: "Served at: ", no_counter: "No counter open for this field yet",
      soon: "Very soon", minutes: "about {n} min", no_data: "Not enough data today to estimate",
      qr: "Scan to follow your turn on your phone", done: "Done", priority_tag: " · Priority",
      printer_fault: "The printer has a fault: please note or photograph this number.",
      offline: "Lost the connection to the server, retrying…", lang: "Tiếng Việt",
      closed_now: "Outside working hours.", opens: "The center opens at {t}.",
      days: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    }
  };
  function t(key) { return T[lang][key]; }

  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = t(el.dataset.t); });
    document.querySelector('[data-t="lead"]').textContent = priority ? t("lead_priority") : t("lead");
    $("lang").textContent = t("lang");
    $("lang").lang = lang === "vi" ? "en" : "vi";
    render();
    if (shown) fill(shown);
  }

  /* Buttons are updated in place (never replaced), so a tap that lands while a
     `state` arrives is not lost. */
  function render() {
    var box = $("services"), codes = services.map(function (s) { return s.code; }).join(",");
    if (box.dataset.codes !== codes) {
      box.dataset.codes = codes;
      box.replaceChildren.apply(box, services.map(function (s) {
        var b = document.createElement("button");
        b.dataset.service = s.code;
        b.append(document.createElement("span"), document.createElement("span"));
        b.firstChild.className = "name";
        b.lastChild.className = "waiting";
        b.onclick = function () { take(s.code); };
        return b;
      }));
    }
    var closedNow = !hours.open;
    $("hours").hidden = !closedNow;
    if (closedNow) {
      var when = "";
      if (hours.next_open) {   // "2026-11-30T07:30+07:00": the center's own local time
        var d = new Date(hours.next_open.slice(0, 10) + "T12:00");
        when = " " + t("opens").replace("{t}", hours.next_open.slice(11, 16) + " " + t("days")[d.getDay()] +
          " " + hours.next_open.slice(8, 10) + "/" + hours.next_open.slice(5, 7));
      }
      $("hours").textContent = t("closed_now") + when;
    }
    services.forEach(function (s, i) {
      var b = box.children[i];
      b.disabled = !s.open || s.full || closedNow;
      b.className = !s.open ? "closed" : (s.full ? "full" : "");
      b.firstChild.textContent = s.name;
      b.lastChild.textContent = !s.open ? t("closed") : (s.full ? t("full") : t("waiting") + s.waiting);
    });
  }

  /* Working hours change with the clock, not with events: ask every minute. */
  function loadHours() {
    Live.api("GET", "/api/hours").then(function (h) { hours = h; render(); }).catch(function () {});
  }

  function loadServices() {
    if (fetching) { again = true; return; }
    fetching = true;
    Live.api("GET", "/api/kiosk/services").then(function (list) { services = list; render(); })
      .catch(function () {})
      .then(function () { fetching = false; if (again) { again = false; loadServices(); } });
  }

  function take(code) {
    if (busy || Date.now() < lockedUntil) return;      // one tap, one ticket
    busy = true;
    $("services").classList.add("locked");
    $("error").textContent = "";
    Live.api("POST", "/api/tickets", { service: code, priority: priority })
      .then(show)
      .catch(function (err) {
        $("error").textContent = err.message || t("offline");
        busy = false;
        $("services").classList.remove("locked");
        loadServices();
      });
  }

  function fill(ticket) {
    $("issued-number").textContent = ticket.number;
    $("issued-service").textContent = ticket.service_name + (ticket.priority ? t("priority_tag") : "");
    $("issued-ahead").textContent = ticket.ahead;
    var status = ticket.status_info;
    if (!status) { $("issued-counters").textContent = ""; $("issued-wait").textContent = "…"; return; }
    var names = status.counters.map(function (c) { return c.name; });
    $("issued-counters").textContent = names.length ? t("served_at") + names.join(", ") : t("no_counter");
    var e = status.estimate;
    $("issued-wait").classList.toggle("soft", e.minutes === null);
    $("issued-wait").textContent = e.minutes === 0 ? t("soon")
      : e.minutes ? t("minutes").replace("{n}", e.minutes)
      : e.reason === "no_counter" ? t("no_counter") : t("no_data");
  }

  function show(ticket) {
    shown = ticket;
    fill(ticket);
    $("printer-fault").hidden = printerOk;
    $("issued-qr").src = "/t/" + encodeURIComponent(ticket.token) + "/qr.svg";
    $("start").hidden = true;
    $("issued").hidden = false;
    $("done").focus({ preventScroll: true });
    if (printerKind === "browser") {   // printer.kind: browser, with Chromium's --kiosk-printing
      var qr = $("issued-qr");
      if (qr.complete) window.print(); else qr.onload = qr.onerror = function () { qr.onload = null; window.print(); };
    }
    window.scrollTo(0, 0);
    Live.api("GET", "/api/t/" + encodeURIComponent(ticket.token)).then(function (info) {
      if (shown !== ticket) return;
      ticket.status_info = info;
      fill(ticket);
    }).catch(function () {});
    countdown = RETURN_S;
    tickBack();
  }

  function tickBack() {
    $("countdown").textContent = "(" + countdown + ")";
    clearTimeout(backTimer);
    if (countdown <= 0) { back(); return; }
    countdown -= 1;
    backTimer = setTimeout(tickBack, 1000);
  }

  function back() {
    clearTimeout(backTimer);
    shown = null;
    priority = false;
    $("priority").setAttribute("aria-pressed", "false");
    $("issued").hidden = true;
    $("start").hidden = false;
    busy = false;
    lockedUntil = Date.now() + LOCK_MS;                 // a tap meant for "Xong" must not issue
    setTimeout(function () { $("services").classList.remove("locked"); }, LOCK_MS);
    if (lang !== "vi") { lang = "vi"; }
    translate();
    loadServices();
  }

  $("done").onclick = back;
  $("priority").onclick = function () {
    priority = !priority;
    this.setAttribute("aria-pressed", String(priority));
    document.querySelector('[data-t="lead"]').textContent = priority ? t("lead_priority") : t("lead");
  };
  loadHours();
  setInterval(loadHours, 60000);
  $("lang").onclick = function () { lang = lang === "vi" ? "en" : "vi"; translate(); };
  Live.connect({
    state: function (state) {
      printerOk = !state.printer || state.printer.ok !== false;
      printerKind = state.printer ? state.printer.kind : "none";
      if (shown) $("printer-fault").hidden = printerOk;
      loadServices();
    },
    status: function (s) {
      $("status").dataset.status = s;
      $("status").hidden = s === "online";
      $("status").textContent = s === "online" ? "" : t("offline");
    }
  });
  loadServices();
})();
