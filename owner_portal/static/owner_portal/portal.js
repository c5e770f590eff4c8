/* The owner portal's progressive enhancement: every page works without this script.
 * - report form: category children by family, "add to the existing report?" offer, self-help
 *   suggestions while typing, photos resized in the browser before upload;
 * - tracking page: live updates over WebSocket, recovered over REST (`events?since=`) after a missed
 *   message and by polling whenever the socket is down;
 * - self-help article: reports the read with a POST (the page's GET writes nothing). */
(function () {
  "use strict";
  var T = {};
  try { T = JSON.parse(document.getElementById("portal-i18n").textContent); } catch (e) { T = {}; }
  var MAX_EDGE = 1600, QUALITY = 0.85;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function getJSON(url) {
    return fetch(url, { headers: { "X-Requested-With": "fetch", "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); });
  }
  function debounce(fn, ms) { var t; return function () { var a = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, a); }, ms); }; }
  function text(el, value) { el.textContent = value; return el; }

  // ---- report form
  function resize(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () {
        var scale = Math.min(1, MAX_EDGE / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("encode")); }, "image/jpeg", QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }

  function initReport(form) {
    var max = parseInt(form.dataset.maxPhotos || "9", 10);
    var photos = [];  // {blob, name, url}
    var input = $("#photos", form), previews = $("#photo-previews", form), errorBox = $("#report-js-error", form);
    var offer = $("#duplicate-offer", form), offerList = $("#duplicate-list", form);

    function showError(message) { errorBox.hidden = !message; text(errorBox, message || ""); }
    function showFamily(code) {
      $all("[data-children-of]", form).forEach(function (el) { el.hidden = el.dataset.childrenOf !== code; });
    }
    var checkedFamily = $("input[name=family]:checked", form);
    showFamily(checkedFamily ? checkedFamily.value : "");
    $all("input[name=family]", form).forEach(function (radio) {
      radio.addEventListener("change", function () {
        showFamily(radio.value);
        var first = $("[data-children-of='" + radio.value + "'] input", form);
        if (first && $all("[data-children-of='" + radio.value + "'] input", form).length === 1) {
          first.checked = true; first.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    });

    function renderOffer(duplicates) {
      offerList.innerHTML = "";
      duplicates.forEach(function (d, i) {
        var label = document.createElement("label");
        var radio = document.createElement("input");
        radio.type = "radio"; radio.name = "choice"; radio.value = "existing:" + d.id; radio.checked = i === 0;
        label.appendChild(radio);
        label.appendChild(document.createTextNode(" " + d.number + " · " + d.category + " · " + d.label));
        offerList.appendChild(label);
      });
      offer.hidden = duplicates.length === 0;
      if (!duplicates.length) $all("input[name=choice]", form).forEach(function (r) { r.checked = false; });
    }
    $all("input[name=category_code]", form).forEach(function (radio) {
      radio.addEventListener("change", function () {
        getJSON(form.dataset.openOrders + "?category=" + encodeURIComponent(radio.value)).then(function (r) {
          if (r.status === 200) renderOffer(r.body.duplicates || []);
        }).catch(function () {});
        suggest();
      });
    });

    var box = $("#suggestions", form), list = $("#suggestion-list", form), description = $("#description", form);
    var suggest = debounce(function () {
      var q = description.value.trim();
      var cat = $("input[name=category_code]:checked", form);
      if (q.length < 2) { box.hidden = true; return; }
      var url = form.dataset.suggest + "&q=" + encodeURIComponent(q) + (cat ? "&category=" + encodeURIComponent(cat.value) : "");
      getJSON(url).then(function (r) {
        list.innerHTML = "";
        (r.body.articles || []).forEach(function (a) {
          var link = document.createElement("a");
          link.href = a.url; link.target = "_blank"; link.rel = "noopener";
          var strong = document.createElement("strong"); text(strong, a.title);
          var small = document.createElement("span"); small.className = "muted"; text(small, " " + a.summary);
          link.appendChild(strong); link.appendChild(small); list.appendChild(link);
        });
        box.hidden = !(r.body.articles || []).length;
      }).catch(function () { box.hidden = true; });
    }, 350);
    description.addEventListener("input", suggest);

    function renderPreviews() {
      previews.innerHTML = "";
      photos.forEach(function (p, i) {
        var fig = document.createElement("figure");
        var img = document.createElement("img"); img.src = p.url; img.alt = p.name;
        var remove = document.createElement("button"); remove.type = "button"; text(remove, "×");
        remove.setAttribute("aria-label", T.remove || "Remove");
        remove.addEventListener("click", function () { URL.revokeObjectURL(p.url); photos.splice(i, 1); renderPreviews(); });
        fig.appendChild(img); fig.appendChild(remove); previews.appendChild(fig);
      });
      previews.dataset.count = String(photos.length);
    }
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      input.value = "";
      if (photos.length + files.length > max) { showError(T.tooMany); files = files.slice(0, Math.max(0, max - photos.length)); }
      else showError("");
      Promise.all(files.map(function (f) {
        return resize(f).then(function (blob) { return { blob: blob, name: f.name.replace(/\.[^.]+$/, "") + ".jpg" }; },
          function () { showError(T.notImage); return null; });
      })).then(function (done) {
        done.forEach(function (p) { if (p) { p.url = URL.createObjectURL(p.blob); photos.push(p); } });
        renderPreviews();
      });
    });

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!$("input[name=category_code]:checked", form)) {
        // The kinds are hidden until a family is chosen: the browser cannot point at them, so say it here.
        showError(T.noCategory);
        var picker = $("#category-picker", form);
        picker.scrollIntoView({ behavior: "smooth", block: "center" }); picker.focus({ preventScroll: true });
        return;
      }
      var data = new FormData(form);
      data.delete("photos");
      photos.forEach(function (p) { data.append("photos", p.blob, p.name); });
      var button = $("#submit-report", form), label = button.textContent;
      button.disabled = true; text(button, T.sending || "…"); showError("");
      fetch(form.action || location.href, { method: "POST", body: data, credentials: "same-origin",
                                            headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
        .then(function (r) {
          if (r.status === 201 && r.body.redirect) { location.assign(r.body.redirect); return; }
          button.disabled = false; text(button, label);
          if (r.status === 409 && r.body.duplicates) { renderOffer(r.body.duplicates); offer.scrollIntoView({ behavior: "smooth" }); return; }
          var errors = r.body.details && r.body.details.errors;
          showError(errors ? errors.map(function (e) { return e.reason; }).join("；") : (r.body.message || T.failed));
          errorBox.scrollIntoView({ behavior: "smooth" });
        })
        .catch(function () { button.disabled = false; text(button, label); showError(T.failed); });
    });
  }

  // ---- tracking page
  function initLive(root) {
    var seq = parseInt(root.dataset.seq || "0", 10) || 0;
    var state = $("#live-state");
    var socket = null, pollTimer = null, retry = 2000, busy = false, pending = false;

    function mode(name) {
      root.dataset.channel = name;
      if (state) text(state, name === "ws" ? "● " + (T.live || "") : (T.polling || ""));
    }
    function editing(section) {
      var active = document.activeElement;
      if (active && section.contains(active) && /INPUT|TEXTAREA|SELECT/.test(active.tagName)) return true;
      return $all("textarea, input[type=text]", section).some(function (el) { return el.value.trim() !== ""; });
    }
    function swap(html) {
      var next = document.createElement("div");
      next.innerHTML = html;
      var keep = {};
      $all(":scope > [id]", next).forEach(function (fresh) { keep[fresh.id] = true; });
      $all(":scope > [id]", root).forEach(function (old) {
        if (!keep[old.id] && !editing(old)) old.remove();
      });
      var order = $all(":scope > [id]", next).map(function (el) { return el.id; });
      $all(":scope > [id]", next).forEach(function (fresh) {
        var current = document.getElementById(fresh.id);
        if (current && current.parentNode === root) {
          if (!editing(current)) current.replaceWith(fresh);
        } else if (!current) {
          root.appendChild(fresh);
        }
      });
      // Sections that appeared (the technician, the rating form) take their place in the page's order.
      order.forEach(function (id) {
        var el = document.getElementById(id);
        if (el && el.parentNode === root && !editing(el)) root.appendChild(el);
      });
    }
    function refresh(via) {
      if (busy) { pending = true; return; }
      busy = true;
      getJSON(root.dataset.events + "?since=" + seq).then(function (r) {
        if (r.status !== 200 || r.body.latest <= seq) return null;
        seq = r.body.latest;
        return fetch(root.dataset.live, { credentials: "same-origin", headers: { "X-Requested-With": "fetch-html" } })
          .then(function (resp) { return resp.ok ? resp.text() : null; })
          .then(function (html) { if (html) { swap(html); root.dataset.seq = String(seq); root.dataset.updatedVia = via; } });
      }).catch(function () {}).then(function () {
        busy = false;
        if (pending) { pending = false; refresh(via); }
      });
    }
    function startPolling(ms) {
      clearInterval(pollTimer);
      pollTimer = setInterval(function () { refresh(root.dataset.channel === "ws" ? "ws-catchup" : "poll"); }, ms);
    }
    function connect() {
      if (!("WebSocket" in window)) { mode("poll"); startPolling(4000); return; }
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.ws;
      try { socket = new WebSocket(url); } catch (e) { socket = null; }
      if (!socket) { mode("poll"); startPolling(4000); return; }
      socket.onopen = function () { retry = 2000; mode("ws"); startPolling(30000); refresh("ws-catchup"); };
      socket.onmessage = function (ev) {
        var msg = {}; try { msg = JSON.parse(ev.data); } catch (e) { return; }
        if (msg.type === "changed") refresh("ws");
      };
      socket.onclose = function () {
        mode("poll"); startPolling(4000);
        setTimeout(connect, retry); retry = Math.min(retry * 2, 60000);
      };
    }
    mode("poll");
    connect();
    document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh("poll"); });
  }

  // ---- self-help article: the read is counted by a POST, never by the GET of the page
  function reportRead(form) {
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", keepalive: true,
                         headers: { "X-Requested-With": "fetch" } }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var read = document.getElementById("kb-read");
    if (read) reportRead(read);
    var form = document.getElementById("report-form");
    if (form) initReport(form);
    var live = document.getElementById("order-live");
    if (live) initLive(live);
  });
})();
