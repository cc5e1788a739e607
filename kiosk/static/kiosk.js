/* Kiosk: one big button per field; a tap issues one ticket and shows its number, the
   issue time, whether a paper ticket comes, the counters serving it, the people ahead,
   an honest wait estimate and a QR code for the phone page. Many citizens have no
   smartphone and no printer may work, so the number stays until the next citizen
   touches the screen, and can be shown again by the one who took it (until the screen has
   been left alone for IDLE_S: then it is the next citizen's).
   Vietnamese first, English on request. The start screen forgets the last citizen: after
   IDLE_S without a touch, priority, language and any open panel (check-in) are reset.
   The page exposes Kiosk.show(ticket) (check-in shows its ticket the same way) and sends
   "kiosk:reset" on the document when it forgets. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var KEEP_S = 60, LOCK_MS = 1500, RETRY_FALLBACK_S = 60, IDLE_S = 20;
  var AGAIN_S = Number($("start").dataset.reprintS);  /* at most as long as the server allows a reprint */
  var touchedAt = Date.now();
  var lang = "vi", priority = false, busy = false, lockedUntil = 0;
  var services = [], hours = { open: true, next_open: null }, printerOk = true, printerKind = "none";
  var shown = null, shownAt = 0, last = null, lastError = null, fetching = false, again = false;
  var waitLeft = 0, waitTimer = null, againTimer = null, unprinted = false;

  var T = {
    vi: {
      lead: "Chạm vào lĩnh vực để lấy số thứ tự", lead_priority: "Lấy số ưu tiên: chạm vào lĩnh vực",
      priority: "Lấy số ưu tiên",
      priority_who: "Người cao tuổi, người khuyết tật, phụ nữ mang thai, người có con nhỏ, người có công",
      waiting: "Đang chờ: ", estimate: "Chờ khoảng {n}", closed: "Tạm ngừng nhận hồ sơ", full: "Đã hết số hôm nay",
      your_number: "Số thứ tự của bạn", ahead: "Người chờ trước bạn", wait: "Thời gian chờ dự kiến",
      served_at: "Quầy phục vụ: ", no_counter: "Chưa có quầy mở cho lĩnh vực này",
      no_officer: "Chưa có cán bộ tại quầy của lĩnh vực này", no_officer_short: "Chưa có cán bộ tại quầy",
      soon: "Sắp đến lượt", minutes: "khoảng {n}", after: " (sau {t})", hours: "{h} giờ {m} phút", mins: "{m} phút",
      late: "Có thể không kịp trong hôm nay",
      qr: "Quét mã để theo dõi lượt của bạn trên điện thoại", done: "Xong", priority_tag: " · Ưu tiên",
      booked_tag: " · Đã đặt lịch: được gọi theo giờ hẹn",
      issued_at: "Lấy lúc {time} ngày {date}",
      paper_none: "Không có vé giấy. Xin hãy ghi nhớ số này hoặc chụp ảnh màn hình.",
      paper_printing: "Vé giấy đang được in. Xin nhận vé ở máy in.",
      paper_fault: "Không in được vé. Xin hãy ghi nhớ hoặc chụp ảnh số này; cần giúp đỡ, xin hỏi cán bộ hướng dẫn.",
      again: "Xem lại số vừa lấy: {n}", again_print: "In lại số vừa lấy: {n}",
      slow_down: "Xin chờ {n} giây rồi chạm lại.",
      slow_why: "Máy vừa cấp nhiều số liên tiếp.",
      offline: "Mất kết nối tới máy chủ, đang thử lại… Xin chờ, chưa lấy số được lúc này.", lang: "English",
      cannot_reach: "Không kết nối được máy chủ. Xin chạm lại sau ít phút hoặc hỏi cán bộ hướng dẫn.",
      closed_now: "Ngoài giờ làm việc.", opens: "Trung tâm mở cửa lúc {t}.",
      days: ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"]
    },
    en: {
      lead: "Touch a field to take a number", lead_priority: "Priority number: touch a field",
      priority: "Priority number",
      priority_who: "Elderly, people with disabilities, pregnant women, people with young children, meritorious persons",
      waiting: "Waiting: ", estimate: "Wait about {n}", closed: "Not taking files now", full: "No numbers left today",
      your_number: "Your number", ahead: "People ahead of you", wait: "Estimated wait",
      served_at: "Served at: ", no_counter: "No counter open for this field yet",
      no_officer: "No officer at this field's counters yet", no_officer_short: "No officer at the counter yet",
      soon: "Very soon", minutes: "about {n}", after: " (after {t})", hours: "{h} h {m} min", mins: "{m} min",
      late: "You may not be served today",
      qr: "Scan to follow your turn on your phone", done: "Done", priority_tag: " · Priority",
      booked_tag: " · Booked: called at your time",
      issued_at: "Taken at {time} on {date}",
      paper_none: "No paper ticket. Please remember this number or take a photo of the screen.",
      paper_printing: "Your paper ticket is printing. Please take it from the printer.",
      paper_fault: "The ticket could not be printed. Please remember or photograph this number; a staff member can help.",
      again: "Show my number again: {n}", again_print: "Print my number again: {n}",
      slow_down: "Please wait {n} seconds, then touch again.",
      slow_why: "This kiosk has just issued many numbers in a row.",
      offline: "Lost the connection to the server, retrying… Please wait: no numbers can be taken now.", lang: "Tiếng Việt",
      cannot_reach: "Cannot reach the server. Please try again in a few minutes or ask a staff member.",
      closed_now: "Outside working hours.", opens: "The center opens at {t}.",
      days: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
      // The API's stable error codes; its messages are Vietnamese.
      errors: {
        outside_hours: "Outside working hours: no numbers are issued now.",
        service_closed: "This field is not taking files now.",
        daily_cap_reached: "No numbers left today for this field.",
        unknown_service: "This field does not exist any more. Please choose another.",
        device_not_enrolled: "This kiosk is not registered any more. Please ask a staff member.",
        other: "The number could not be issued. Please ask a staff member."
      }
    }
  };
  function t(key) { return T[lang][key]; }

  /* 135 -> "2 giờ 15 phút": long waits are read in hours. */
  function duration(minutes) {
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return h ? t("hours").replace("{h}", h).replace("{m}", m) : t("mins").replace("{m}", m);
  }

  /* The estimate (shared/estimate.py) as words: a wait, "after 13:30" when it crosses the
     break, or that the counters may not reach this number today. */
  function waitText(e, template) {
    if (e.late) return t("late");
    if (e.minutes === null) return e.reason === "no_counter" || e.reason === "no_officer" ? t(e.reason) : "";
    if (e.minutes === 0) return t("soon");
    return template.replace("{n}", duration(e.minutes)) + (e.after ? t("after").replace("{t}", e.after) : "");
  }

  function serviceName(code, fallback) {
    var s = services.filter(function (x) { return x.code === code; })[0];
    return s ? (lang === "en" && s.name_en ? s.name_en : s.name) : fallback;
  }

  function errorText(err) {
    if (!err.code || err.code === "network") return t("cannot_reach");  // no answer at all
    if (lang === "vi") return err.message;
    return T.en.errors[err.code] || T.en.errors.other;
  }

  function translate() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-t]").forEach(function (el) { el.textContent = t(el.dataset.t); });
    document.querySelector('[data-t="lead"]').textContent = priority ? t("lead_priority") : t("lead");
    $("lang").textContent = t("lang");                 // its accessible name is what it reads
    $("lang").lang = lang === "vi" ? "en" : "vi";
    $("error").textContent = lastError ? errorText(lastError) : "";
    if (document.body.dataset.live === "offline") $("status").textContent = t("offline");
    render();
    drawSlowDown();
    drawAgain();
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
        ["name", "waiting", "estimate"].forEach(function (cls) {
          var span = document.createElement("span");
          span.className = cls;
          b.append(span);
        });
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
      var b = box.children[i], e = s.estimate;
      b.disabled = !s.open || s.full || closedNow;
      b.className = !s.open ? "closed" : (s.full ? "full" : "");
      b.children[0].textContent = lang === "en" && s.name_en ? s.name_en : s.name;
      b.children[1].textContent = !s.open ? t("closed") : (s.full ? t("full") : t("waiting") + s.waiting);
      b.children[2].textContent = !s.open || s.full ? ""
        : e && e.reason === "no_officer" ? t("no_officer_short")
        : e && (e.late || e.minutes) ? waitText(e, t("estimate")) : "";
      b.children[2].classList.toggle("late", Boolean(s.open && !s.full && e && e.late));
    });
  }

  /* Working hours change with the clock, not with events: ask every minute. */
  function loadHours() {
    Live.api("GET", "/api/hours").then(function (h) { hours = h; render(); }).catch(function () {});
  }

  function loadServices() {
    if (fetching) { again = true; return; }
    fetching = true;
    Live.api("GET", "/api/kiosk/services").then(function (list) { services = list; render(); if (shown) fill(shown); })
      .catch(function () {})
      .then(function () { fetching = false; if (again) { again = false; loadServices(); } });
  }

  function unlock() {
    busy = false;
    $("services").classList.remove("locked");
  }

  function take(code) {
    if (busy || waitLeft > 0 || Date.now() < lockedUntil) return;      // one tap, one ticket
    busy = true;
    $("services").classList.add("locked");
    lastError = null;
    $("error").textContent = "";
    Live.api("POST", "/api/tickets", { service: code, priority: priority })
      .then(function (ticket) {
        last = { ticket: ticket, at: Date.now() };
        show(ticket);
      })
      .catch(function (err) {
        unlock();
        if (err.status === 429) {
          slowDown((err.data && err.data.retry_after) || RETRY_FALLBACK_S);
        } else {
          lastError = err;
          $("error").textContent = errorText(err);
        }
        loadServices();
      });
  }

  /* The kiosk is refusing numbers for a while: say so in large type, with the seconds left. */
  function slowDown(seconds) {
    waitLeft = Math.max(1, Math.ceil(seconds));
    clearTimeout(waitTimer);
    (function tick() {
      drawSlowDown();
      if (waitLeft <= 0) return;
      waitTimer = setTimeout(function () { waitLeft -= 1; tick(); }, 1000);
    })();
  }

  function drawSlowDown() {
    var box = $("slow-down");
    box.hidden = waitLeft <= 0;
    $("services").classList.toggle("waiting-out", waitLeft > 0);
    if (waitLeft <= 0) return;
    var big = document.createElement("strong"), why = document.createElement("span");
    big.textContent = t("slow_down").replace("{n}", waitLeft);
    why.textContent = t("slow_why");
    box.replaceChildren(big, why);
  }

  /* "2026-11-30T08:15:02.120+07:00" is the center's own local time: read it as written. */
  function issuedText(iso) {
    return t("issued_at").replace("{time}", iso.slice(11, 16))
      .replace("{date}", iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4));
  }

  function paperState() {
    if (printerKind === "none") return "none";
    return printerOk && !unprinted ? "printing" : "fault";
  }

  function drawPaper() {
    var state = paperState();
    $("paper").dataset.state = state;
    $("paper").textContent = t("paper_" + state);
  }

  function fill(ticket) {
    $("issued-number").textContent = ticket.number;
    $("issued-service").textContent = serviceName(ticket.service, ticket.service_name) +
      (ticket.priority ? t("priority_tag") : "") + (ticket.booked ? t("booked_tag") : "");
    $("issued-time").textContent = issuedText(ticket.issued_at);
    var status = ticket.status_info;                   // fresher than the issue reply, e.g. when shown again
    $("issued-ahead").textContent = status ? status.ahead : ticket.ahead;
    drawPaper();
    var e = (status || ticket).estimate;               // the issue reply carries the promise kept for it
    $("issued-wait").classList.toggle("soft", Boolean(e && e.minutes === null && !e.late));
    $("issued-wait").classList.toggle("late", Boolean(e && e.late));
    $("issued-wait").textContent = e ? waitText(e, t("minutes")) : "…";
    if (!status) { $("issued-counters").textContent = ""; return; }
    // Only counters with an officer present serve the citizen; open ones without one are not named.
    var names = status.counters.filter(function (c) { return c.staffed; }).map(function (c) { return c.name; });
    $("issued-counters").textContent = names.length ? t("served_at") + names.join(", ")
      : t(status.counters.length ? "no_officer" : "no_counter");
  }

  function show(ticket) {
    shown = ticket;
    shownAt = Date.now();
    unprinted = false;
    ticket.status_info = null;
    fill(ticket);
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
  }

  function setPriority(on) {
    priority = on;
    $("priority").setAttribute("aria-pressed", String(on));
    document.querySelector('[data-t="lead"]').textContent = priority ? t("lead_priority") : t("lead");
  }

  /* Nobody has touched the start screen for IDLE_S: whoever chose priority, English or the
     check-in panel has gone, and their number is not the next citizen's to see. */
  function forget() {
    if (!$("issued").hidden || Date.now() - touchedAt < IDLE_S * 1000) return;
    document.dispatchEvent(new Event("kiosk:reset"));
    if (!priority && lang === "vi" && !last && !lastError) return;
    setPriority(false);
    last = null;
    lastError = null;
    lang = "vi";
    translate();
  }

  function back() {
    shown = null;
    setPriority(false);
    $("issued").hidden = true;
    $("start").hidden = false;
    busy = false;
    lockedUntil = Date.now() + LOCK_MS;                 // a tap meant for "Xong" must not issue
    setTimeout(function () { $("services").classList.remove("locked"); }, LOCK_MS);
    if (lang !== "vi") { lang = "vi"; }
    translate();
    loadServices();
  }

  /* "Show again" for this kiosk's last ticket, for AGAIN_S seconds after it was issued. */
  function drawAgain() {
    var button = $("again"), left = last ? last.at + AGAIN_S * 1000 - Date.now() : 0;
    clearTimeout(againTimer);
    button.hidden = left <= 0;
    if (left <= 0) { last = null; return; }
    button.textContent = t(printerKind === "none" ? "again" : "again_print").replace("{n}", last.ticket.number);
    againTimer = setTimeout(drawAgain, left);
  }

  /* "In lại": the page prints itself (printer.kind browser), else the server prints once more. */
  $("again").onclick = function () {
    if (!last || Date.now() < lockedUntil) return;
    show(last.ticket);
    if (printerKind !== "none" && printerKind !== "browser") {
      Live.api("POST", "/api/tickets/" + last.ticket.id + "/reprint").catch(function () { unprinted = true; drawPaper(); });
    }
  };
  $("done").onclick = back;
  /* After KEEP_S seconds, any touch on the ticket screen is the next citizen's. */
  $("issued").addEventListener("click", function (e) {
    if (!e.target.closest("button") && Date.now() - shownAt >= KEEP_S * 1000) back();
  });
  $("priority").onclick = function () { setPriority(!priority); };
  ["pointerdown", "keydown"].forEach(function (kind) {
    document.addEventListener(kind, function () { touchedAt = Date.now(); }, true);
  });
  setInterval(forget, 1000);
  window.Kiosk = { show: function (ticket) { last = { ticket: ticket, at: Date.now() }; show(ticket); } };
  loadHours();
  setInterval(loadHours, 60000);
  $("lang").onclick = function () { lang = lang === "vi" ? "en" : "vi"; translate(); };
  Live.connect({
    hello: function () { return { page: "kiosk" }; },
    report: function () { return {}; },
    quiet: function () { return !shown; },   // never while a citizen reads their number
    state: function (state) {
      printerOk = !state.printer || state.printer.ok !== false;
      printerKind = state.printer ? state.printer.kind : "none";
      if (shown) drawPaper();
      drawAgain();
      loadServices();
    },
    status: function (s) {
      $("status").textContent = s === "online" ? "" : t("offline");
      if (s === "online" && lastError && (!lastError.code || lastError.code === "network")) {
        lastError = null;                              // the outage is over: its error is stale
        $("error").textContent = "";
      }
    }
  });
  loadServices();
})();
