/* The wall display (/wall): canvas scaling, playlist, clock, count-up numbers, polling, focus rotation.
 *
 * Dash loads every file in assets/ on every page, so nothing here acts unless a `.wall-root` element is
 * on the page. The server is never asked for anything except /wall/version (see pages/wall.py).
 */
(function () {
  "use strict";

  /* The wall's plotly.js (app.py: preloaded, not run) runs once the first screen is on show: evaluating it
     holds the page for ~0.3-0.6 s on a weak box, and the first screen's server-drawn images
     (dashboard/wall_preview.py) cover its graphs meanwhile. dcc.Graph takes window.Plotly, or a promise of
     it, when set and injects the full bundle otherwise: until the bundle has run, window.Plotly is that
     promise. Should the bundle fail to load, the full one is loaded instead (as dcc.Graph would). */
  var bundle = document.querySelector("link[data-wall-plotly]");
  var plotly = { requested: !bundle || !!window.Plotly };
  if (!plotly.requested) {
    window.Plotly = new Promise(function (resolve, reject) {
      plotly.resolve = resolve;
      plotly.reject = reject;
    });
  }

  function addScript(src, onload, onerror) {
    var script = document.createElement("script");
    script.src = src;
    script.onload = onload;
    script.onerror = onerror;
    document.head.appendChild(script);
  }

  function requestPlotly() {
    if (plotly.requested) return;
    plotly.requested = true;
    var done = function () {
      plotly.resolve(window.Plotly);
    };
    addScript(bundle.getAttribute("href"), done, function () {
      addScript(bundle.getAttribute("data-fallback"), done, plotly.reject);
    });
  }

  /* Run plotly.js once the first screen's images have loaded and been painted (at once without images,
     and after PREVIEW_WAIT_MS at the latest). */
  var PREVIEW_WAIT_MS = 1500;

  function whenPreviewsShown(root) {
    if (plotly.requested || plotly.waiting) return;
    plotly.waiting = true;
    var images = Array.prototype.filter.call(root.querySelectorAll("img.wall-preview"), function (img) {
      return !img.complete;
    });
    var left = images.length;
    var go = function () {
      window.requestAnimationFrame(function () {
        window.setTimeout(requestPlotly, 0);
      });
    };
    if (!left) return go();
    var one = function () {
      left -= 1;
      if (left === 0) go();
    };
    images.forEach(function (img) {
      img.addEventListener("load", one, { once: true });
      img.addEventListener("error", one, { once: true });
    });
    window.setTimeout(requestPlotly, PREVIEW_WAIT_MS);
  }

  /* An image leaves once its graph has drawn the same figure (or when it failed to load). */
  function dropDrawnPreviews(root) {
    root.querySelectorAll("img.wall-preview").forEach(function (img) {
      var graph = document.getElementById(img.getAttribute("data-graph"));
      var failed = img.complete && !img.naturalWidth;
      var drawn = graph && graph.querySelector(".main-svg") && !graph.classList.contains("dash-graph--pending");
      if (failed || drawn) img.remove();
    });
  }

  var DESIGN_W = 1920;
  var DESIGN_H = 1080;
  var COUNT_MS = 1200;
  var FILL_AFTER_MS = 8000;
  var state = { lastOk: Date.now(), loadedAt: Date.now(), offset: 0, slots: 0, root: null, timers: [], filled: false };

  function wallRoot() {
    return document.querySelector(".wall-root");
  }

  function config(root) {
    if (!root) return {};
    if (!root._wallConfig) {
      try {
        root._wallConfig = JSON.parse(root.getAttribute("data-config") || "{}");
      } catch (e) {
        root._wallConfig = {};
      }
    }
    return root._wallConfig;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* Wall-clock parts in the district's time zone (settings.timezone), whatever the zone of the PC that
     drives the screen; the browser's own zone if the name is unknown. */
  var WEEKDAYS = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
  var formatters = {};

  function zoned(ms, timeZone) {
    var d = new Date(ms);
    var key = timeZone || "";
    if (!(key in formatters)) {
      try {
        formatters[key] = new Intl.DateTimeFormat("en-US", {
          timeZone: timeZone || undefined,
          hourCycle: "h23",
          year: "numeric",
          month: "2-digit",
          day: "2-digit",
          hour: "2-digit",
          minute: "2-digit",
          second: "2-digit",
          weekday: "short",
        });
      } catch (e) {
        formatters[key] = null;
      }
    }
    var fmt = formatters[key];
    if (!fmt) {
      return { y: d.getFullYear(), m: d.getMonth() + 1, d: d.getDate(), H: d.getHours(), M: d.getMinutes(),
               S: d.getSeconds(), wd: d.getDay() };
    }
    var parts = {};
    fmt.formatToParts(d).forEach(function (p) {
      parts[p.type] = p.value;
    });
    return { y: Number(parts.year), m: Number(parts.month), d: Number(parts.day), H: Number(parts.hour) % 24,
             M: Number(parts.minute), S: Number(parts.second), wd: WEEKDAYS[parts.weekday] };
  }

  function hhmm(ms, timeZone) {
    var z = zoned(ms, timeZone);
    return pad(z.H) + ":" + pad(z.M);
  }

  /* ---------------------------------------------------------------- scaling and playlist */

  function playlist(canvas) {
    var names = (canvas.getAttribute("data-screens") || "overview").split(",");
    return names.filter(function (n) {
      return n && canvas.querySelector('[data-screen="' + n + '"]');
    });
  }

  function showScreens(canvas) {
    var names = playlist(canvas);
    var visible = {};
    for (var i = 0; i < state.slots && i < names.length; i++) {
      visible[names[(state.offset + i) % names.length]] = i;
    }
    var shown = [];
    canvas.querySelectorAll(".wall-screen").forEach(function (el) {
      var slot = visible[el.getAttribute("data-screen")];
      if (slot === undefined) {
        el.classList.remove("is-active");
      } else {
        el.style.left = slot * DESIGN_W + "px";
        el.classList.add("is-active");
        var name = el.querySelector(".wall-screen-name");
        shown[slot] = name ? name.textContent : "";
      }
    });
    /* When screens rotate, the header says which one is up and where it is in the playlist. */
    var tag = canvas.querySelector(".wall-screen-tag");
    if (tag) {
      var rotating = names.length > state.slots;
      tag.textContent = rotating ? shown.join(" · ") + "  " + (state.offset + 1) + "/" + names.length : "";
    }
  }

  /* Fit the canvas to the viewport: N designs side by side when the screen is that wide (an LED strip),
     then one uniform scale, letterboxed and centred. */
  function layoutCanvas() {
    var root = wallRoot();
    if (!root) return;
    var canvas = root.querySelector(".wall-canvas");
    if (!canvas) return;
    var vw = window.innerWidth;
    var vh = window.innerHeight;
    var names = playlist(canvas);
    var fit = Math.floor(vw / vh / (DESIGN_W / DESIGN_H) + 0.25);
    var slots = Math.max(1, Math.min(names.length || 1, fit));
    var width = DESIGN_W * slots;
    var scale = Math.min(vw / width, vh / DESIGN_H);
    var x = (vw - width * scale) / 2;
    var y = (vh - DESIGN_H * scale) / 2;
    canvas.style.width = width + "px";
    canvas.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")";
    root.setAttribute("data-slots", String(slots));
    if (slots !== state.slots) {
      state.slots = slots;
      showScreens(canvas);
    }
    fitAll(root);
    root.classList.add("is-scaled");
  }

  /* ---------------------------------------------------------------- text that fits its box */

  /* Elements marked data-wall-fit="<min share>" (the header's lines, see wall_layout.FIT) shrink from their
     CSS font size down to that share of it until they fit their box; with data-wall-fit-lines="2" (the
     title) a second line is tried, at the largest size that fits, when one line would need more shrinking
     than a tenth. What still does not fit is cut by CSS (ellipsis) and keeps its whole text in a title.
     Layout sizes are design pixels (the canvas transform does not change them), so this runs again only
     when the text or the canvas width changes. */
  function overflows(el) {
    return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
  }

  /* The largest whole size in [to, from] at which el fits (left at that size), else false (left at to).
     Found by bisection: each try forces a layout of the page, and a step-by-step descent took tens of
     them per line, a visible share of the wall's first paint. Fitting is monotonic in the size. */
  function shrink(el, from, to) {
    if (from < to) return false;
    el.style.fontSize = from + "px";
    if (!overflows(el)) return true;
    var lo = to, hi = from - 1;
    var best = null;
    while (lo <= hi) {
      var mid = Math.floor((lo + hi) / 2);
      el.style.fontSize = mid + "px";
      if (overflows(el)) {
        hi = mid - 1;
      } else {
        best = mid;
        lo = mid + 1;
      }
    }
    el.style.fontSize = (best === null ? to : best) + "px";
    return best !== null;
  }

  function fitText(el, width) {
    var text = el.textContent;
    if (el._wallFit === text + "|" + width) return;
    el._wallFit = text + "|" + width;
    el.style.fontSize = "";
    el.style.whiteSpace = "";
    var base = parseFloat(window.getComputedStyle(el).fontSize) || 16;
    var min = Math.max(10, Math.floor(base * (Number(el.getAttribute("data-wall-fit")) || 0.6)));
    var lines = Number(el.getAttribute("data-wall-fit-lines")) || 1;
    var fits = shrink(el, Math.floor(base), lines > 1 ? Math.ceil(base * 0.9) : min);
    if (!fits && lines > 1) {
      el.style.whiteSpace = "normal";
      fits = shrink(el, Math.floor(base), min);
    }
    if (fits) el.removeAttribute("title");
    else el.setAttribute("title", text);
  }

  function fitAll(root) {
    var header = root.querySelector(".wall-header");
    if (!header) return;
    var width = header.clientWidth;
    header.querySelectorAll("[data-wall-fit]").forEach(function (el) {
      fitText(el, width);
    });
  }

  /* Whether a header line's text is not the one it was last fitted to. check() runs on every DOM mutation
     (plotly's thousands while drawing): reading the header's width there forced a layout of the page each
     time, a visible share of the first paint. The width changes only in layoutCanvas, which fits anew. */
  function headerTextChanged(root) {
    var fits = root.querySelectorAll(".wall-header [data-wall-fit]");
    for (var i = 0; i < fits.length; i++) {
      var fitted = fits[i]._wallFit;
      if (!fitted || fitted.slice(0, fitted.lastIndexOf("|")) !== fits[i].textContent) return true;
    }
    return false;
  }

  /* ---------------------------------------------------------------- first screen first */

  /* Ask Dash to draw the other screens' graphs (the wall.fill callback in pages/wall.py): once every graph
     on show has its SVG, after the browser has painted it; at the latest FILL_AFTER_MS after start, and
     always before a rotation brings another screen up. */
  function requestFill() {
    if (state.filled) return;
    var dc = window.dash_clientside;
    if (!dc || !dc.set_props) return;
    state.filled = true;
    dc.set_props("wall-drawn", { data: Date.now() });
  }

  function checkDrawn() {
    var root = wallRoot();
    if (root) dropDrawnPreviews(root);
    if (!root || state.filled) return;
    var graphs = root.querySelectorAll(".wall-screen.is-active .dash-graph");
    var drawn = Array.prototype.every.call(graphs, function (g) {
      return g.querySelector(".main-svg") && !g.classList.contains("dash-graph--pending");
    });
    if (drawn || Date.now() - state.loadedAt > FILL_AFTER_MS) {
      window.requestAnimationFrame(function () {
        window.setTimeout(requestFill, 0);
      });
    }
  }

  function rotate() {
    var root = wallRoot();
    if (!root) return;
    requestFill();
    var canvas = root.querySelector(".wall-canvas");
    var names = playlist(canvas);
    if (names.length <= state.slots) return;
    state.offset = (state.offset + 1) % names.length;
    showScreens(canvas);
  }

  /* ---------------------------------------------------------------- clock and status dot */

  function tick() {
    var root = wallRoot();
    if (!root) return;
    var cfg = config(root);
    var now = new Date();
    var z = zoned(now.getTime(), cfg.timezone);
    var date = (cfg.date_format || "{y}-{m}-{d}")
      .replace("{y}", z.y)
      .replace("{m}", pad(z.m))
      .replace("{d}", pad(z.d));
    var weekdays = cfg.weekdays || [];
    setText(root, ".wall-clock-date", date);
    setText(root, ".wall-clock-weekday", weekdays[z.wd] || "");
    setText(root, ".wall-clock-time", pad(z.H) + ":" + pad(z.M) + ":" + pad(z.S));

    var status = "fresh";
    var badge = root.querySelector(".wall-badge");
    var asOf = root.querySelector(".wall-asof-text");
    var built = asOf ? Number(asOf.getAttribute("data-built")) : 0;
    var staleMs = asOf ? Number(asOf.getAttribute("data-stale-ms")) : 0;
    if (badge && badge.classList.contains("is-visible")) status = "offline";
    else if (!built) status = "unknown";
    else if (staleMs && now.getTime() - built > staleMs) status = "stale";
    if (root.getAttribute("data-status") !== status) root.setAttribute("data-status", status);
  }

  function setText(root, selector, text) {
    var el = root.querySelector(selector);
    if (el && el.textContent !== text) el.textContent = text;
  }

  /* Optional nightly full reload (settings.wall_reload_hour), only when the server answers. */
  function maybeReload() {
    var root = wallRoot();
    if (!root) return;
    var cfg = config(root);
    if (cfg.reload_hour === null || cfg.reload_hour === undefined) return;
    if (zoned(Date.now(), cfg.timezone).H !== Number(cfg.reload_hour)) return;
    if (Date.now() - state.loadedAt < 2 * 3600 * 1000) return;
    fetch(cfg.version_url, { cache: "no-store" })
      .then(function (res) {
        if (res.ok) window.location.reload();
      })
      .catch(function () {});
  }

  /* ---------------------------------------------------------------- stepping lists */

  /* Boxes marked data-wall-step="x"|"y" move one child further every data-wall-step-ms, then start
     over. The box is overflow:hidden, so this is a scroll position, not an animated layer. */
  function stepLists() {
    var root = wallRoot();
    if (!root) return;
    var now = Date.now();
    root.querySelectorAll("[data-wall-step]").forEach(function (box) {
      var every = Number(box.getAttribute("data-wall-step-ms")) || 3000;
      if (!box._wallNextStep) box._wallNextStep = now + every;
      if (now < box._wallNextStep) return;
      box._wallNextStep = now + every;
      var horizontal = box.getAttribute("data-wall-step") === "x";
      var pos = horizontal ? box.scrollLeft : box.scrollTop;
      var max = horizontal ? box.scrollWidth - box.clientWidth : box.scrollHeight - box.clientHeight;
      if (max <= 1) return;
      var start = horizontal ? box.children[0].offsetLeft : box.children[0].offsetTop;
      var target = 0;
      if (pos < max - 1) {
        for (var i = 0; i < box.children.length; i++) {
          var offset = (horizontal ? box.children[i].offsetLeft : box.children[i].offsetTop) - start;
          if (offset > pos + 1) {
            target = Math.min(offset, max);
            break;
          }
        }
      }
      box.scrollTo(horizontal ? { left: target, behavior: "smooth" } : { top: target, behavior: "smooth" });
    });
  }

  /* Long lists (the ranking beyond the top 10) arrive as one JSON attribute, data-wall-rows, and are
     built here with the markup of the server-built rows: hundreds of Dash components would cost the
     renderer about a second on a weak box. Text only (textContent), never markup. */
  function cell(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    el.textContent = text;
    return el;
  }

  function rankRow(cells, unit) {
    var row = cell("div", "wall-rank-row", "");
    var rank = Number(cells[0]);
    if (rank >= 1 && rank <= 3) row.className += " is-top" + rank;
    row.appendChild(cell("span", "wall-rank-no", cells[0]));
    /* Names may be cut by an ellipsis (wall.css): the title keeps them whole, as in the top 10. */
    row.appendChild(cell("span", "wall-rank-name", cells[1])).title = cells[1];
    row.appendChild(cell("span", "wall-rank-town", cells[2])).title = cells[2];
    var points = cell("span", "wall-rank-points", cells[3]);
    points.appendChild(cell("small", "", unit));
    row.appendChild(points);
    return row;
  }

  /* Panels whose lists come as data-wall-rows. Looked up by id: this runs on every DOM mutation (plotly
     adds thousands of nodes while drawing), so it must not search the whole page. */
  var ROW_PANELS = ["wall-ranking"];

  function fillLists(changed) {
    ROW_PANELS.forEach(function (id) {
      var panel = document.getElementById(id);
      var box = panel && panel.querySelector("[data-wall-rows]");
      if (!box || (box._wallRows !== undefined && !changed)) return;
      var source = box.getAttribute("data-wall-rows");
      if (box._wallRows === source) return;
      box._wallRows = source;
      var rows = [];
      try {
        rows = JSON.parse(source || "[]");
      } catch (e) {
        rows = [];
      }
      var unit = box.getAttribute("data-wall-unit") || "";
      var fragment = document.createDocumentFragment();
      rows.forEach(function (cells) {
        fragment.appendChild(rankRow(cells, unit));
      });
      box.textContent = "";
      box.appendChild(fragment);
      box.scrollTop = 0;
      box._wallNextStep = 0;
    });
  }

  /* ---------------------------------------------------------------- count-up numbers */

  function formatNumber(value, kind) {
    if (kind === "pct") return value.toFixed(1) + "%";
    return Math.round(value).toLocaleString("en-US");
  }

  function countUp(el, from, to) {
    var finalText = el.textContent;
    var kind = el.getAttribute("data-kind");
    if (!isFinite(to) || !isFinite(from) || from === to) return;
    var token = {};
    el._wallCount = token;
    var start = performance.now();
    function step(now) {
      if (el._wallCount !== token) return;
      var p = Math.min(1, (now - start) / COUNT_MS);
      var eased = 1 - Math.pow(1 - p, 3);
      if (p < 1) {
        el.textContent = formatNumber(from + (to - from) * eased, kind);
        window.requestAnimationFrame(step);
      } else {
        el.textContent = finalText;
        el._wallCount = null;
      }
    }
    window.requestAnimationFrame(step);
  }

  function parseValue(text) {
    return text === null || text === "" ? NaN : Number(text);
  }

  function countAll(root) {
    root.querySelectorAll(".wall-count").forEach(function (el) {
      countUp(el, 0, parseValue(el.getAttribute("data-value")));
    });
  }

  function watchCounts(root) {
    var observer = new MutationObserver(function (mutations) {
      mutations.forEach(function (m) {
        if (m.type === "attributes" && m.target.classList.contains("wall-count")) {
          countUp(m.target, parseValue(m.oldValue), parseValue(m.target.getAttribute("data-value")));
        }
      });
    });
    observer.observe(root, {
      subtree: true,
      attributes: true,
      attributeOldValue: true,
      attributeFilter: ["data-value"],
    });
    return observer;
  }

  /* ---------------------------------------------------------------- start / stop with the page */

  function start(root) {
    state.root = root;
    state.slots = 0;
    state.offset = 0;
    state.loadedAt = Date.now();
    state.lastOk = Date.now();
    var cfg = config(root);
    layoutCanvas();
    tick();
    countAll(root);
    var observer = watchCounts(root);
    state.filled = false;
    /* Sizes measured before the web fonts arrived are wrong: fit again once they have. */
    if (document.fonts && document.fonts.ready) {
      document.fonts.ready.then(function () {
        if (state.root !== root) return;
        root.querySelectorAll("[data-wall-fit]").forEach(function (el) {
          el._wallFit = null;
        });
        fitAll(root);
      });
    }
    state.timers = [
      window.setInterval(checkDrawn, 100),
      window.setInterval(tick, 1000),
      window.setInterval(stepLists, 500),
      window.setInterval(rotate, Math.max(5, Number(cfg.dwell) || 30) * 1000),
      window.setInterval(maybeReload, 60 * 1000),
    ];
    state.observer = observer;
  }

  function stop() {
    state.timers.forEach(window.clearInterval);
    state.timers = [];
    if (state.observer) state.observer.disconnect();
    state.observer = null;
    state.root = null;
  }

  function check(records) {
    var root = wallRoot();
    if (root !== state.root) {
      if (state.root) stop();
      if (root) start(root);
    }
    /* Only a data-wall-rows attribute change (the observer's one attribute) makes a known box refill. */
    var changed = (Array.isArray(records) ? records : []).some(function (r) {
      return r.type === "attributes";
    });
    if (root) {
      whenPreviewsShown(root);
      dropDrawnPreviews(root);
      fillLists(changed);
      /* The as-of line is replaced when a new snapshot arrives: fit it again. */
      if (state.root === root && headerTextChanged(root)) fitAll(root);
    }
  }

  window.addEventListener("resize", layoutCanvas);
  new MutationObserver(check).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ["data-wall-rows"],
  });
  document.addEventListener("DOMContentLoaded", check);

  /* ---------------------------------------------------------------- Dash clientside callbacks */

  function noUpdate() {
    return window.dash_clientside.no_update;
  }

  function focusCard(entry) {
    var items = (entry.items || []).map(function (item) {
      return {
        namespace: "dash_html_components",
        type: "Div",
        props: {
          className: "wall-focus-item",
          children: [
            { namespace: "dash_html_components", type: "Span", props: { className: "wall-focus-label", title: item[0], children: item[0] } },
            { namespace: "dash_html_components", type: "Span", props: { className: "wall-focus-value", children: item[1] } },
          ],
        },
      };
    });
    return [
      { namespace: "dash_html_components", type: "Div", props: { className: "wall-focus-name", title: entry.name, children: entry.name } },
      { namespace: "dash_html_components", type: "Div", props: { className: "wall-focus-items", children: items } },
    ];
  }

  /* The trace with uid "highlight" outlines the township in focus (see components/map.py). */
  function withHighlight(figure, outline) {
    if (!figure || !figure.data) return noUpdate();
    var changed = false;
    var data = figure.data.map(function (trace) {
      if (!trace || trace.uid !== "highlight") return trace;
      changed = true;
      return Object.assign({}, trace, { x: outline.x, y: outline.y });
    });
    return changed ? Object.assign({}, figure, { data: data }) : noUpdate();
  }

  /* The freshness banner's [children, className, hidden] for a poll answer ("fresh": "ok" or a reason with
     "as_of"), or no_update when the freshness is what the banner already shows. */
  function banner(body, cfg) {
    var nu = noUpdate();
    var reason = body && body.fresh;
    if (!reason) return [nu, nu, nu];
    var el = document.getElementById("wall-banner");
    var shown = el && !el.hidden ? el.getAttribute("data-reason") || "shown" : "ok";
    var key = reason + "|" + (body.as_of || "");
    if (state.fresh === undefined && reason === shown) state.fresh = key;
    if (key === state.fresh) return [nu, nu, nu];
    state.fresh = key;
    if (reason === "ok") return ["", "cockpit-wall-banner", true];
    var text = ((cfg.fresh_texts || {})[reason] || "{as_of}").replace("{as_of}", body.as_of || "—");
    return [text, "cockpit-wall-banner is-visible is-" + reason, false];
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.wall = {
    /* Ask the server for the snapshot version. Unchanged: nothing updates. Changed: the version store
       updates and the panel callbacks re-run. Failed: the badge shows, the panels stay. */
    poll: function (n, cfg, current) {
      var nu = noUpdate();
      var controller = new AbortController();
      var timer = window.setTimeout(function () {
        controller.abort();
      }, 8000);
      return fetch(cfg.version_url, { cache: "no-store", signal: controller.signal })
        .then(function (res) {
          if (!res.ok) throw new Error("HTTP " + res.status);
          return res.json();
        })
        .then(function (body) {
          state.lastOk = Date.now();
          var version = body && body.version;
          return [version && version !== current ? version : nu, "", "wall-badge"].concat(banner(body, cfg));
        })
        .catch(function () {
          return [nu, (cfg.offline || "{time}").replace("{time}", hhmm(state.lastOk, cfg.timezone)), "wall-badge is-visible",
                  nu, nu, nu];
        })
        .finally(function () {
          window.clearTimeout(timer);
        });
    },

    /* The first paint draws only the first screen's graphs; the others get their figures from the
       wall-lazy store once wall.js says the first screen is up (wall-drawn), unless a refresh already
       replaced the placeholder (layout.meta "wall-lazy") with newer data. */
    fill: function (drawn, lazy) {
      var nu = noUpdate();
      var outputs = window.dash_clientside.callback_context.outputs_list;
      var figures = Array.prototype.slice.call(arguments, 2);
      return outputs.map(function (output, i) {
        var id = output.id;
        var current = figures[i];
        var waiting = current && current.layout && current.layout.meta === "wall-lazy";
        return waiting && lazy && lazy[id] ? lazy[id] : nu;
      });
    },

    /* Rotate the township in focus: the card and the highlighted outline on both maps. */
    focus: function (n, data, mapFigure, bigMapFigure) {
      var nu = noUpdate();
      var entries = (data && data.entries) || [];
      if (!entries.length) return [nu, nu, nu, nu];
      var entry = entries[(n || 0) % entries.length];
      var outline = (data.outlines || {})[entry.code] || { x: [], y: [] };
      return [focusCard(entry), focusCard(entry), withHighlight(mapFigure, outline), withHighlight(bigMapFigure, outline)];
    },
  };
})();
