/* Motif: draws a repeat tile across a canvas the way it prints.
 *
 * A canvas with data-tile-src, data-repeat, data-tile-w and data-tile-h (CSS pixels per repeat) is
 * filled with copies of the tile laid out for its repeat type:
 *   basic / center  a plain grid;
 *   half_drop       every other column dropped by half a tile;
 *   half_brick      every other row shifted by half a tile;
 *   mirror          tiles flipped left-right in odd columns and top-bottom in odd rows.
 * After drawing, the canvas carries data-drawn="<repeat>" so tests and scripts can wait for it.
 */
(function () {
  "use strict";

  function layout(repeat, i, j, w, h) {
    var x = i * w, y = j * h, flipX = false, flipY = false;
    if (repeat === "half_drop" && (i & 1)) y += h / 2;
    if (repeat === "half_brick" && (j & 1)) x += w / 2;
    if (repeat === "mirror") { flipX = !!(i & 1); flipY = !!(j & 1); }
    return { x: x, y: y, flipX: flipX, flipY: flipY };
  }

  function draw(canvas, img, repeat, tileW, tileH) {
    var ratio = window.devicePixelRatio || 1;
    var cssW = canvas.clientWidth || 600, cssH = canvas.clientHeight || 360;
    canvas.width = Math.round(cssW * ratio);
    canvas.height = Math.round(cssH * ratio);
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    ctx.imageSmoothingQuality = "high";
    var w = Math.max(4, tileW), h = Math.max(4, tileH);
    var cols = Math.ceil(cssW / w) + 2, rows = Math.ceil(cssH / h) + 2;
    for (var i = -1; i < cols; i++) {
      for (var j = -1; j < rows; j++) {
        var t = layout(repeat, i, j, w, h);
        ctx.save();
        ctx.translate(t.x + (t.flipX ? w : 0), t.y + (t.flipY ? h : 0));
        ctx.scale(t.flipX ? -1 : 1, t.flipY ? -1 : 1);
        ctx.drawImage(img, 0, 0, w, h);
        ctx.restore();
      }
    }
    canvas.dataset.drawn = repeat;
    canvas.dispatchEvent(new CustomEvent("motif:drawn", { bubbles: true, detail: { repeat: repeat, img: img } }));
  }

  var images = {};
  function load(src) {
    if (!images[src]) {
      images[src] = new Promise(function (resolve, reject) {
        var img = new Image();
        img.decoding = "async";
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = src;
      });
    }
    return images[src];
  }

  function render(canvas) {
    var src = canvas.dataset.tileSrc;
    if (!src) return Promise.resolve();
    var repeat = canvas.dataset.repeat || "basic";
    var w = parseFloat(canvas.dataset.tileW) || 80, h = parseFloat(canvas.dataset.tileH) || 80;
    return load(src).then(function (img) { draw(canvas, img, repeat, w, h); });
  }

  function renderAll(root) {
    (root || document).querySelectorAll("canvas[data-tile-src]").forEach(function (c) { render(c); });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { renderAll(document); }, 150);
  });

  window.Motif = { render: render, renderAll: renderAll, layout: layout };

  document.addEventListener("DOMContentLoaded", function () { renderAll(document); });
  // htmx swaps in new previews: draw them as they arrive.
  document.addEventListener("htmx:load", function (e) { renderAll(e.target); });

  /* The designer's pre-publish check: the chosen file tiled in the chosen repeat, before upload. */
  // repeat and dpi start from the form's values, so a refused upload keeps what the designer chose.
  window.motifPatternPreview = function (pxPerInch, repeat, dpi) {
    return {
      src: "",
      repeat: repeat || "basic",
      dpi: dpi || 150,
      width: 0,
      height: 0,
      useStored: function (src, width, height) {
        this.src = src; this.width = width; this.height = height;
        var self = this;
        this.$nextTick(function () { self.redraw(); });
      },
      pick: function (event) {
        var file = event.target.files && event.target.files[0];
        if (this.src) URL.revokeObjectURL(this.src);
        this.src = file ? URL.createObjectURL(file) : "";
        var self = this;
        if (this.src) {
          load(this.src).then(function (img) {
            self.width = img.naturalWidth; self.height = img.naturalHeight; self.redraw();
          });
        }
      },
      inches: function (px) { return px && this.dpi ? (px / this.dpi).toFixed(2) : "–"; },
      redraw: function () {
        var canvas = this.$refs.canvas;
        if (!this.src || !canvas) return;
        canvas.dataset.tileSrc = this.src;
        canvas.dataset.repeat = this.repeat;
        canvas.dataset.tileW = (this.width / (this.dpi || 150)) * pxPerInch;
        canvas.dataset.tileH = (this.height / (this.dpi || 150)) * pxPerInch;
        render(canvas);
      }
    };
  };

  /* The configurator's sliders. Their starting values come from data-* attributes, read as numbers:
   * nothing the server renders is ever evaluated as an Alpine expression. */
  function number(value, fallback, lo, hi) {
    var n = parseFloat(value);
    return isFinite(n) ? Math.min(hi, Math.max(lo, n)) : fallback;
  }
  window.motifConfigurator = function () {
    return {
      strength: 0.7,
      scale: 1,
      own: false,
      live: false,
      pattern: "",
      init: function () {
        this.pattern = this.$el.dataset.pattern || "";
        this.strength = number(this.$el.dataset.strength, 0.7, 0, 1);
        this.scale = number(this.$el.dataset.scale, 1, 0.25, 4);
        this.live = this.$el.dataset.live === "true";
      }
    };
  };

  /* The configurator's product picker: price and the licence that applies, as the buyer chooses. */
  window.motifProductPicker = function (sizes) {
    return {
      sizes: sizes,
      size: "",
      quantity: 1,
      get chosen() { return this.sizes[this.size] || null; },
      get total() {
        var s = this.chosen;
        if (!s) return "";
        var q = Math.max(1, parseInt(this.quantity, 10) || 1);
        return (parseFloat(s.price) * q).toFixed(2) + " " + s.currency;
      }
    };
  };
})();

// The proof viewer: the print sheet's proof (a reduced whole, and full-resolution tiles marked PROOF
// fetched only once zoomed in, and only those in view), zoomed and panned in a viewport, with the
// repeat's tile edges drawn over it in sheet pixels (half-drop columns and half-brick rows offset).
(function () {
  function edges(svg, repeat, sheetW, sheetH, tileW, tileH) {
    var ns = "http://www.w3.org/2000/svg", parts = [];
    // One outline per tile, placed as the print sheet lays the repeat out (from the top-left corner).
    for (var j = -1; j * tileH < sheetH; j++) {
      for (var i = -1; i * tileW < sheetW; i++) {
        var x = i * tileW, y = j * tileH;
        if (repeat === "half_drop" && (i & 1)) y += tileH / 2;
        if (repeat === "half_brick" && (j & 1)) x += tileW / 2;
        parts.push("M" + x + " " + y + "h" + tileW + "v" + tileH + "h" + -tileW + "z");
      }
    }
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", parts.join(""));
    path.setAttribute("class", "proof-edge");
    path.setAttribute("vector-effect", "non-scaling-stroke");
    svg.replaceChildren(path);
  }

  function viewer(root) {
    if (root.dataset.ready) return;
    root.dataset.ready = "1";
    var d = root.dataset, sheetW = +d.sheetW, sheetH = +d.sheetH;
    var viewport = root.querySelector("[data-viewport]"), canvas = root.querySelector("[data-canvas]");
    var overlay = root.querySelector("[data-overlay]"), scale = 1;
    var tiles = root.querySelectorAll("[data-proof-tile]");
    edges(overlay, d.repeat, sheetW, sheetH, +d.tileW, +d.tileH);
    // Below half size the reduced proof shows as much as the screen can; above it, the tiles in view.
    function loadTiles() {
      if (scale < 0.5) return;
      var box = viewport.getBoundingClientRect();
      tiles.forEach(function (tile) {
        if (tile.getAttribute("src")) return;
        var r = tile.getBoundingClientRect();
        if (r.right > box.left && r.left < box.right && r.bottom > box.top && r.top < box.bottom) tile.src = tile.dataset.src;
      });
    }
    viewport.addEventListener("scroll", loadTiles, { passive: true });
    function fit() { return Math.min(1, viewport.clientWidth / sheetW); }
    function zoom(next, cx, cy) {
      var old = scale;
      scale = Math.max(fit(), Math.min(4, next));
      cx = cx === undefined ? viewport.clientWidth / 2 : cx;
      cy = cy === undefined ? viewport.clientHeight / 2 : cy;
      var sx = (viewport.scrollLeft + cx) / old, sy = (viewport.scrollTop + cy) / old;
      canvas.style.width = sheetW * scale + "px";
      canvas.style.height = sheetH * scale + "px";
      viewport.scrollLeft = sx * scale - cx;
      viewport.scrollTop = sy * scale - cy;
      root.dataset.scale = scale.toFixed(4);
      loadTiles();
    }
    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.dataset.zoom;
        zoom(how === "fit" ? fit() : how === "actual" ? 1 : how === "in" ? scale * 2 : scale / 2);
      });
    });
    root.querySelector("[data-edges]").addEventListener("change", function (e) {
      overlay.style.display = e.target.checked ? "" : "none";
    });
    viewport.addEventListener("wheel", function (e) {
      if (!e.ctrlKey && !e.metaKey) return;
      e.preventDefault();
      var box = viewport.getBoundingClientRect();
      zoom(scale * (e.deltaY < 0 ? 1.25 : 0.8), e.clientX - box.left, e.clientY - box.top);
    }, { passive: false });
    var drag = null;
    viewport.addEventListener("pointerdown", function (e) {
      drag = { x: e.clientX, y: e.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
      viewport.setPointerCapture(e.pointerId);
    });
    viewport.addEventListener("pointermove", function (e) {
      if (!drag) return;
      viewport.scrollLeft = drag.left - (e.clientX - drag.x);
      viewport.scrollTop = drag.top - (e.clientY - drag.y);
    });
    viewport.addEventListener("pointerup", function () { drag = null; });
    scale = 1;
    zoom(fit());
  }

  function all(root) { (root || document).querySelectorAll("[data-proof-viewer]").forEach(viewer); }
  document.addEventListener("DOMContentLoaded", function () { all(document); });
  document.addEventListener("htmx:load", function (e) { all(e.target); });
})();

/* A shortened identifier's copy button (provenance's short_id tag) copies the full value. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy[data-copy]");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });
})();

/* What cannot be undone asks first (frontend/confirmations.py): a form with data-confirm="<dialog id>"
 * opens that dialog instead of posting; its "confirm" button posts the form with confirm=yes. Without
 * JavaScript the form posts unconfirmed and the server answers a confirmation page with the same words.
 * The order page's htmx polling waits while a dialog is open, so a refresh cannot close it. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var id = form.getAttribute && form.getAttribute("data-confirm");
    if (!id || form.querySelector("input[name=confirm]")) return;
    var dialog = document.getElementById(id);
    if (!dialog || typeof dialog.showModal !== "function") return;
    event.preventDefault();
    var submitter = event.submitter || null;
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      if (dialog.returnValue !== "confirm") return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "confirm";
      input.value = "yes";
      form.appendChild(input);
      if (form.requestSubmit) form.requestSubmit(submitter); else form.submit();
    }, { once: true });
    dialog.showModal();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.querySelector("dialog[open]")) event.preventDefault();
  });
})();

/* A <details data-open-wide> (the catalogue's filters) is folded on a phone and open on a wide screen. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia("(min-width: 900px)").matches) return;
    document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
  });
})();
