/*
 * Announcer: speaks queue calls on the waiting-hall display.
 *
 * Each announcement ({text, lang, clips, short, quick, recall, id?}, built by
 * shared/voice.py) is played as recorded clips joined back to back (Web Audio, so there are
 * no gaps between words), or the browser's own voice reading the text when there are no
 * usable clips, or the chime alone when the browser has no voice for the language. A chime
 * opens each run of calls (not each call). Items play strictly one after another, in call
 * order, and every item ends, even when audio is blocked, muted or missing, because every
 * step has a timeout: a stalled hall display is worse than a silent call. The queue is
 * bounded: a call that waited past twice `maxLag` is dropped, not read minutes late.
 *
 * Pacing: a call read when nothing else waits gets the full phrase (twice with `repeat`).
 * When calls queue up, each one is read in the longest form (full, short, then quick: the
 * short phrase with the number digit by digit, in brisk clips) that still lets every
 * waiting call start within `maxLag` seconds of its arrival, so a burst of 14 calls at
 * opening time is read in well under a minute and nobody waits long to hear their number.
 *
 * Plain script, no modules or dependencies: include it and use window.Announcer.
 */
(function (global) {
  "use strict";

  var MODES = ["auto", "clips", "speech", "chime"];
  var LOG_LIMIT = 2000;
  var QUEUE_LIMIT = 100;  // calls held at most; beyond, the oldest is dropped (a replayed backlog, a script)
  var STALE = 2;          // a call that waited this many maxLag in the queue is dropped, not read minutes late
  var settings = {
    base: "/display/static/voice/default/",
    chime: null,        // null: "chime.ogg" in the folder above base
    mode: "auto",       // auto | clips | speech | chime (the server resolves auto)
    gap: 0.06,          // seconds of silence between clips of the full phrase
    briskGap: 0.02,     // ... and of the short forms
    chimeGap: 0.3,      // seconds between the chime and the words
    itemGap: 0.25,      // seconds between two calls of a run
    runGap: 4,          // seconds of silence after which the next call opens a new run (chime)
    maxLag: 30,         // seconds a call may wait before it starts being read
    repeat: false,      // read the full phrase twice when nothing else waits
    repeatGap: 0.8,     // seconds between the two readings
    rate: 0.9,          // Web Speech rate: a little slower carries better in a hall
    pad: 2500           // ms added to every expected duration before giving up on it
  };
  var FORMS = ["full", "short", "quick"];
  var WORD_S = 0.33;    // seconds per clip or spoken word before its length is known
  var queue = [];
  var busy = false;
  var nextId = 1;
  var ctx = null;
  var buffers = {};     // url -> Promise<AudioBuffer>
  var manifest = null;  // Promise<{clips: {name: file}, brisk: {name: file}} | null>
  var known = null;     // the manifest once loaded, for estimating lengths without waiting
  var lengths = {};     // url -> decoded duration in seconds
  var lastEnd = -1e9;   // performance.now() when the last item ended
  var overhead = 0.1;   // seconds an item takes beyond its clips (scheduling, events), learned
  var active = [];      // finishers of the steps in progress, for the hard time limit

  function noop() {}
  function now() { return global.performance ? global.performance.now() : Date.now(); }

  function record(id, event, via, form) {
    var entry = {id: id, event: event, at: now()};
    if (via) entry.via = via;
    if (form) entry.form = form;
    Announcer.log.push(entry);
    if (Announcer.log.length > LOG_LIMIT) Announcer.log.splice(0, Announcer.log.length - LOG_LIMIT);
    if (typeof Announcer.onevent === "function") {
      try { Announcer.onevent(entry); } catch (e) { /* a listener must not stall the queue */ }
    }
  }

  /* Run start(done) and resolve with done's value, or with false after ms. start may return
     a cleanup(ok) function, called once either way, so timed-out sound is silenced. */
  function settleWithin(ms, start) {
    return new Promise(function (resolve) {
      var finished = false, cleanup = null, timer;
      function done(ok) {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (active.indexOf(done) >= 0) active.splice(active.indexOf(done), 1);
        if (typeof cleanup === "function") { try { cleanup(ok); } catch (e) { /* ignore */ } }
        resolve(ok);
      }
      timer = setTimeout(function () { done(false); }, ms);
      active.push(done);
      try { cleanup = start(done); } catch (e) { done(false); }
      if (finished && typeof cleanup === "function") { try { cleanup(false); } catch (e) { /* ignore */ } }
    });
  }

  function audioContext() {
    if (!ctx) {
      var AC = global.AudioContext || global.webkitAudioContext;
      try { ctx = AC ? new AC() : null; } catch (e) { ctx = null; }
    }
    return ctx;
  }

  function chimeUrl() {
    return settings.chime || settings.base.replace(/[^\/]*\/?$/, "") + "chime.ogg";
  }

  function loadManifest() {
    if (!manifest) {
      var base = settings.base;
      known = null;
      manifest = (global.fetch ? fetch(base + "manifest.json") : Promise.reject(new Error("no fetch")))
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (m) { return m && m.clips ? {clips: m.clips, brisk: m.brisk || {}} : null; })
        .catch(function () { return null; })
        .then(function (clips) {
          if (!clips && settings.base === base) manifest = null;  // retry after a network blip
          if (settings.base === base) known = clips;
          return clips;
        });
    }
    return manifest;
  }

  function fileUrl(file) {
    return settings.base + file.split("/").map(encodeURIComponent).join("/");
  }

  /* Clip names -> URLs (brisk recordings where the set has them); null when the manifest
     says a clip is missing. */
  function clipUrls(names, brisk) {
    return loadManifest().then(function (m) {
      var urls = [];
      for (var i = 0; i < names.length; i++) {
        var file = m ? (brisk && m.brisk[names[i]]) || m.clips[names[i]] : names[i] + ".ogg";
        if (!file) return null;
        urls.push(fileUrl(file));
      }
      return urls;
    });
  }

  function loadBuffer(url) {
    if (!buffers[url]) {
      var ac = audioContext();
      buffers[url] = fetch(url)
        .then(function (r) { if (!r.ok) throw new Error(url + ": HTTP " + r.status); return r.arrayBuffer(); })
        .then(function (data) {
          return new Promise(function (ok, fail) { ac.decodeAudioData(data, ok, fail); });
        })
        .then(function (buffer) { lengths[url] = buffer.duration; return buffer; });
      buffers[url].catch(function () { delete buffers[url]; });
    }
    return buffers[url];
  }

  /* Decode every URL up front (all or nothing); resolves to a playable or null. */
  function prepare(urls, gaps, lead) {
    if (!urls.length) return Promise.resolve(null);
    if (audioContext() && global.fetch) {
      return settleWithin(10000, function (done) {
        Promise.all(urls.map(loadBuffer)).then(done, function () { done(false); });
      }).then(function (list) { return list ? webAudioPlayable(list, gaps, lead || 0) : null; });
    }
    return elementsPlayable(urls);
  }

  function webAudioPlayable(list, gaps, lead) {
    return function play() {
      var ac = audioContext();
      var resumed = ac.state === "running" ? Promise.resolve() : settleWithin(500, function (done) {
        if (ac.resume) ac.resume().then(done, done);
      });
      return resumed.then(function () {
        // Still blocked (no click yet, no kiosk flag): nothing can be heard, so don't hold the queue.
        if (ac.state !== "running") return false;
        return schedule(ac, list, gaps, lead);
      });
    };
  }

  /* Start every buffer at its exact time on the audio clock: seamless joins. */
  function schedule(ac, list, gaps, lead) {
    return settleWithin((lead + sumDurations(list, gaps)) * 1000 + settings.pad, function (done) {
      var sources = [], t = ac.currentTime + 0.05 + lead;
      list.forEach(function (buffer, i) {
        var src = ac.createBufferSource();
        src.buffer = buffer;
        src.connect(ac.destination);
        src.start(t);
        t += buffer.duration + (gaps[i] || 0);
        sources.push(src);
      });
      sources[sources.length - 1].onended = function () { done(true); };
      return function () {
        sources.forEach(function (s) {
          try { s.onended = null; s.stop(); s.disconnect(); } catch (e) { /* already stopped */ }
        });
      };
    });
  }

  function sumDurations(list, gaps) {
    var total = 0;
    list.forEach(function (b, i) { total += b.duration + (gaps[i] || 0); });
    return total;
  }

  /* Fallback for browsers without Web Audio: preloaded <audio> elements, one after another. */
  function elementsPlayable(urls) {
    var els = urls.map(function (u) { var a = new Audio(); a.preload = "auto"; a.src = u; return a; });
    return Promise.all(els.map(function (a) {
      return settleWithin(8000, function (done) {
        a.addEventListener("canplaythrough", function () { done(true); });
        a.addEventListener("error", function () { done(false); });
        a.load();
      });
    })).then(function (ready) {
      if (ready.indexOf(false) >= 0) return null;
      return function play() {
        return els.reduce(function (chain, a) {
          return chain.then(function (ok) {
            if (!ok) return false;
            var ms = (isFinite(a.duration) ? a.duration * 1000 : 5000) + settings.pad;
            return settleWithin(ms, function (done) {
              a.onended = function () { done(true); };
              a.onerror = function () { done(false); };
              var p = a.play();
              if (p && p.catch) p.catch(function () { done(false); });
              return function () { a.pause(); };
            });
          });
        }, Promise.resolve(true));
      };
    });
  }

  function voicesReady() {
    if (!global.speechSynthesis) return Promise.resolve([]);
    var voices = global.speechSynthesis.getVoices() || [];
    if (voices.length) return Promise.resolve(voices);
    return settleWithin(1000, function (done) {
      global.speechSynthesis.addEventListener("voiceschanged", function () { done(true); });
    }).then(function () { return global.speechSynthesis.getVoices() || []; });
  }

  function findVoice(lang) {
    if (!global.SpeechSynthesisUtterance) return Promise.resolve(null);
    var want = String(lang || "vi-VN").toLowerCase().replace("_", "-"), base = want.split("-")[0];
    return voicesReady().then(function (voices) {
      var close = null;
      for (var i = 0; i < voices.length; i++) {
        var l = String(voices[i].lang || "").toLowerCase().replace("_", "-");
        if (l === want) return voices[i];
        if (!close && l.split("-")[0] === base) close = voices[i];
      }
      return close;
    });
  }

  function speak(item, voice) {
    var synth = global.speechSynthesis;
    return settleWithin(3000 + item.text.length * 120 / settings.rate, function (done) {
      var u = new global.SpeechSynthesisUtterance(item.text);
      u.lang = item.lang || "vi-VN";
      u.voice = voice;
      u.rate = settings.rate;
      u.onend = function () { done(true); };
      u.onerror = function () { done(false); };
      synth.cancel();  // clears Chrome's occasional stuck queue; nothing else of ours is speaking
      synth.speak(u);
      return function (ok) { if (!ok) synth.cancel(); };
    });
  }

  /* What an item says in a form: clip names (null: none usable), text, brisk clips or not. */
  function words(item, form) {
    var f = form === "full" ? {clips: item.clips, text: item.text} : item[form];
    return {names: f.clips && f.clips.length ? f.clips : null, text: f.text || item.text, brisk: form !== "full"};
  }

  function has(item, form) { return form === "full" || !!(item[form] && (item[form].clips || item[form].text)); }

  function shortest(item) { return has(item, "quick") ? "quick" : has(item, "short") ? "short" : "full"; }

  /* Seconds the words of an item take in a form: decoded clip lengths where known. */
  function duration(item, form) {
    var w = words(item, form), gap = w.brisk ? settings.briskGap : settings.gap;
    if (!w.names || settings.mode === "speech") return w.text.split(/\s+/).length * WORD_S / settings.rate;
    var total = 0;
    w.names.forEach(function (n) {
      var file = known && ((w.brisk && known.brisk[n]) || known.clips[n]);
      var len = file ? lengths[fileUrl(file)] : undefined;
      total += (len === undefined ? WORD_S : len) + gap;
    });
    return total;
  }

  /* Seconds from one item's start to the next one's, its form read after a pause `lead`. */
  function cost(item, form, lead) { return lead + 0.05 + overhead + duration(item, form); }

  /* The longest form in which this call and every call waiting behind it (read the same
     way) still start within maxLag of their call, with 1.5 s to spare; the shortest
     if none does. The full phrase only when nothing waits. One form for a whole burst
     sounds steadier than a mix. */
  function choose(item, lead) {
    var options = FORMS.filter(function (f) { return has(item, f) && (f !== "full" || !queue.length); });
    if (!options.length) options = ["full"];
    for (var i = 0; i < options.length; i++) {
      var form = options[i], t = now() / 1000 + cost(item, form, lead), ok = true;
      for (var j = 0; j < queue.length && ok; j++) {
        ok = t - queue[j].queuedAt / 1000 <= settings.maxLag - 1.5;
        t += cost(queue[j], has(queue[j], form) ? form : shortest(queue[j]), settings.itemGap);
      }
      if (ok) return form;
    }
    return options[options.length - 1];
  }

  /* The words of one item after its run's chime, resolving to how they were heard: "clips",
     "speech" or "chime". `lead`: seconds of silence first. Every sound step first checks
     item.over, so a chain outlived by the hard limit stays silent. */
  function perform(item, form, lead, chimed) {
    var mode = settings.mode, w = words(item, form), twice = item.twice;
    var run = function (play) { return play && !item.over ? play() : Promise.resolve(false); };
    var chimeOnly = function () {
      return (chimed ? Promise.resolve(true) : prepare([chimeUrl()], [0], lead).then(run)).then(function () { return "chime"; });
    };
    if (mode === "chime") return chimeOnly();
    var names = (mode === "auto" || mode === "clips") ? w.names : null;
    var gap = w.brisk ? settings.briskGap : settings.gap;
    var clips = names ? clipUrls(names, w.brisk).then(function (urls) {
      if (!urls) return null;
      var list = urls, gaps = urls.map(function () { return gap; });
      if (twice) {
        gaps[gaps.length - 1] = settings.repeatGap;
        list = urls.concat(urls);
        gaps = gaps.concat(urls.map(function () { return gap; }));
      }
      return prepare(list, gaps, lead);
    }) : Promise.resolve(null);
    return clips.then(function (play) {
      if (play) return run(play).then(function () { return "clips"; });
      return findVoice(item.lang).then(function (voice) {
        if (!voice || !w.text) return chimeOnly();
        var say = {text: twice ? w.text + ". " + w.text : w.text, lang: item.lang};
        return run(function () { return speak(say, voice); }).then(function () { return "speech"; });
      });
    });
  }

  /* Bounded: a display fed far faster than it can speak keeps at most QUEUE_LIMIT calls and
     drops those that waited past STALE x maxLag (the tiles and the history still show them). */
  function dropStale() {
    var limit = now() - STALE * settings.maxLag * 1000;
    while (queue.length && (queue.length > QUEUE_LIMIT || queue[0].queuedAt < limit)) {
      var gone = queue.shift();
      Announcer.dropped += 1;
      record(gone.id, "end", "dropped");
    }
  }

  function pump() {
    if (busy) return;
    dropStale();
    if (!queue.length) return;
    busy = true;
    var item = queue.shift();
    var opensRun = now() - lastEnd > settings.runGap * 1000;
    var run = function (play) { return play && !item.over ? play() : Promise.resolve(false); };
    record(item.id, "start");
    var timer = null;
    var finish = function (via) {
      if (item.over) return;
      item.over = true;
      clearTimeout(timer);
      active.slice().forEach(function (done) { done(false); });  // silence whatever is left
      record(item.id, "end", typeof via === "string" ? via : "error", item.form);
      lastEnd = now();
      if (item.planned && via === "clips") {  // learn what an item costs beyond its clips
        overhead = Math.min(1, Math.max(0, 0.7 * overhead + 0.3 * ((lastEnd - item.begun) / 1000 - item.planned)));
      }
      busy = false;
      setTimeout(pump, 0);
    };
    // Belt and braces: every step has its own timeout, but the queue must never stall.
    timer = setTimeout(function () { finish("timeout"); }, 60000 + item.text.length * 400);
    // The run's chime first: calls of a burst that arrive meanwhile are counted in the pacing.
    var chime = opensRun ? prepare([chimeUrl()], [0], 0).then(run) : Promise.resolve(false);
    chime.then(function (chimed) {
      if (item.over) return "timeout";
      var lead = chimed ? settings.chimeGap : opensRun ? 0 : settings.itemGap;
      item.form = choose(item, lead);
      item.twice = settings.repeat && item.form === "full" && !queue.length;
      item.begun = now();
      item.planned = cost(item, item.form, lead) - overhead + (item.twice ? duration(item, "full") : 0);
      return perform(item, item.form, lead, chimed);
    }).then(finish, finish);
  }

  var Announcer = {
    /** Every start/end as {id, event: "start" | "end", at: performance.now(), via?, form?}
        (`via` and `form` on "end": how it was heard, and full, short or quick). */
    log: [],
    /** How many calls were dropped unread (stale, or beyond the queue's bound). */
    dropped: 0,
    /** Optional listener called with each log entry (e.g. to highlight the called number). */
    onevent: null,

    /** Queue one announcement ({text, lang, clips, short?, quick?, recall, id?, age?}); returns
        its id. `age`: ms since the call was made, when known (the lag budget counts from it). */
    enqueue: function (announcement) {
      var item = {}, a = announcement || {};
      for (var k in a) if (Object.prototype.hasOwnProperty.call(a, k)) item[k] = a[k];
      if (item.id === undefined || item.id === null) item.id = nextId++;
      item.text = item.text ? String(item.text) : "";
      // The lag counts from the call itself when the caller knows how long ago that was.
      item.queuedAt = now() - (item.age > 0 ? item.age : 0);
      queue.push(item);
      if (busy) dropStale();
      pump();
      return item.id;
    },

    /** Items not yet finished, including the one playing. */
    pending: function () { return queue.length + (busy ? 1 : 0); },

    /** Settings: base (clip folder URL), chime (URL), mode, maxLag, repeat, and the pauses,
        speech rate and time-out margin listed at the top of this file. */
    configure: function (opts) {
      opts = opts || {};
      if (opts.base) {
        settings.base = String(opts.base).replace(/\/?$/, "/");
        manifest = null;
      }
      if (opts.mode !== undefined) settings.mode = MODES.indexOf(opts.mode) >= 0 ? opts.mode : "auto";
      ["chime", "gap", "briskGap", "chimeGap", "itemGap", "runGap", "maxLag", "repeat", "repeatGap",
       "rate", "pad"].forEach(function (k) {
        if (opts[k] !== undefined) settings[k] = opts[k];
      });
      return JSON.parse(JSON.stringify(settings));
    },

    /** Call from a click or key press: browsers keep audio and speech locked until then. */
    unlock: function () {
      var ac = audioContext(), waits = [];
      if (ac) {
        if (ac.resume) waits.push(ac.resume().catch(noop));
        try {
          var s = ac.createBufferSource();
          s.buffer = ac.createBuffer(1, 1, 22050);
          s.connect(ac.destination);
          s.start(0);
        } catch (e) { /* ignore */ }
      }
      if (global.speechSynthesis && global.SpeechSynthesisUtterance && !busy) {
        try {
          var u = new global.SpeechSynthesisUtterance(" ");
          u.volume = 0;
          global.speechSynthesis.speak(u);
        } catch (e) { /* ignore */ }
      }
      return Promise.all(waits).then(function () { return !Announcer.needsUnlock(); });
    },

    /** True while the browser still blocks sound (show a "click to enable sound" hint). */
    needsUnlock: function () {
      var ac = audioContext();
      return !!ac && ac.state !== "running";
    },

    /** Fetch and decode the whole clip set now, so the first call is not delayed. */
    preload: function () {
      return loadManifest().then(function (m) {
        if (!m || !audioContext() || !global.fetch) return 0;
        var urls = [m.clips, m.brisk].map(function (files) {
          return Object.keys(files).map(function (n) { return fileUrl(files[n]); });
        }).reduce(function (a, b) { return a.concat(b); });
        urls.push(chimeUrl());
        // A few at a time: the page must keep drawing calls while hundreds of clips decode.
        var loaded = 0, next = 0;
        function worker() {
          if (next >= urls.length) return Promise.resolve();
          var url = urls[next++];
          return loadBuffer(url).then(function () { loaded += 1; }, noop).then(worker);
        }
        var workers = [];
        for (var i = 0; i < 4; i++) workers.push(worker());
        return Promise.all(workers).then(function () { return loaded; });
      });
    },

    /** Play a sample call (the same one shared/voice.py builds for "1023", "Quầy số 5"). */
    test: function () {
      return Announcer.enqueue({
        id: "test-" + nextId++,
        text: "Mời số một nghìn không trăm hai mươi ba đến quầy số năm",
        lang: "vi-VN",
        recall: false,
        clips: ["mowif_soos", "mootj", "nghinf", "khoong", "trawm", "hai", "muwowi", "ba", "ddeens",
                "quaayf", "soos", "nawm"]
      });
    }
  };

  if (global.speechSynthesis && global.speechSynthesis.getVoices) {
    try { global.speechSynthesis.getVoices(); } catch (e) { /* warms Chrome's voice list */ }
  }
  global.Announcer = Announcer;
})(window);
