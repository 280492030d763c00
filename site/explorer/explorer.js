// The explorer page: the model of notebooks 08-09 (explorer/model.js, written by
// course/webexplorer.py) computed in plain JavaScript, drawn as heatmaps on every keystroke.
"use strict";

(function () {
  const DATA = window.EXPLORER_DATA;
  const $ = (id) => document.getElementById(id);
  if (!DATA) {
    $("message").textContent = "explorer/model.js is missing: build the site with `make site`.";
    return;
  }
  const SIZES = DATA.sizes;
  const SYMBOLS = DATA.symbols;
  const STOI = new Map(SYMBOLS.map((s, i) => [s, i]));
  const LETTERS = new Set(SYMBOLS.filter((s) => s !== DATA.start && s !== DATA.end));

  // ------------------------------------------------------------------ the weights

  function decode(entry) {
    const bin = atob(entry.b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return Float64Array.from(new Float32Array(bytes.buffer));
  }

  function load(model) {
    const lin = (p) => ({ w: decode(p.w), b: decode(p.b), out: p.w.shape[0], in: p.w.shape[1] });
    const norm = (p) => ({ w: decode(p.w), b: decode(p.b), eps: p.eps });
    return {
      tokEmb: decode(model.tok_emb),
      pos: model.pos ? decode(model.pos) : null, // none: only relative positions
      blocks: model.blocks.map((b) => ({
        rel: b.rel ? decode(b.rel) : null, // (heads, block_size): a score per distance back
        ln1: norm(b.ln1), q: lin(b.q), k: lin(b.k), v: lin(b.v), o: lin(b.o),
        ln2: norm(b.ln2), fc1: lin(b.fc1), fc2: lin(b.fc2),
      })),
      lnF: norm(model.ln_f),
      head: lin(model.head),
    };
  }
  const MODELS = { trained: load(DATA.models.trained), untrained: load(DATA.models.untrained) };

  // ------------------------------------------------------------------ the forward pass

  function layerNorm(x, T, d, p) {
    const y = new Float64Array(T * d);
    for (let t = 0; t < T; t++) {
      let mean = 0, variance = 0;
      for (let c = 0; c < d; c++) mean += x[t * d + c];
      mean /= d;
      for (let c = 0; c < d; c++) variance += (x[t * d + c] - mean) ** 2;
      const scale = 1 / Math.sqrt(variance / d + p.eps);
      for (let c = 0; c < d; c++) y[t * d + c] = (x[t * d + c] - mean) * scale * p.w[c] + p.b[c];
    }
    return y;
  }

  function linear(x, T, p) {
    const y = new Float64Array(T * p.out);
    for (let t = 0; t < T; t++) {
      for (let o = 0; o < p.out; o++) {
        let s = p.b[o];
        const row = o * p.in, at = t * p.in;
        for (let i = 0; i < p.in; i++) s += x[at + i] * p.w[row + i];
        y[t * p.out + o] = s;
      }
    }
    return y;
  }

  // erf by the Chebyshev fit of Numerical Recipes (erfc), fractional error below 1.2e-7.
  function erf(x) {
    const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
    const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 +
      t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 +
      t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1 - r : r - 1;
  }

  // ids (T) -> {maps: [layer][head] (T*T, queries on rows), probs: (T*V)}
  function forward(model, ids, causal) {
    const T = ids.length, d = SIZES.d_model, H = SIZES.n_heads, dh = d / H;
    let x = new Float64Array(T * d);
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < d; c++) {
        x[t * d + c] = model.tokEmb[ids[t] * d + c] + (model.pos ? model.pos[t * d + c] : 0);
      }
    }
    const maps = [];
    for (const b of model.blocks) {
      const h = layerNorm(x, T, d, b.ln1);
      const q = linear(h, T, b.q), k = linear(h, T, b.k), v = linear(h, T, b.v);
      const heads = new Float64Array(T * d), layerMaps = [];
      for (let hd = 0; hd < H; hd++) {
        const w = new Float64Array(T * T), off = hd * dh;
        for (let i = 0; i < T; i++) {
          const last = causal ? i : T - 1;
          let max = -Infinity;
          for (let j = 0; j <= last; j++) {
            let s = 0;
            for (let c = 0; c < dh; c++) s += q[i * d + off + c] * k[j * d + off + c];
            w[i * T + j] = s / Math.sqrt(dh);
            // relative positions: the head's score for how far back key j is (0 if ahead)
            if (b.rel) w[i * T + j] += b.rel[hd * SIZES.block_size + Math.max(i - j, 0)];
            if (w[i * T + j] > max) max = w[i * T + j];
          }
          let sum = 0;
          for (let j = 0; j <= last; j++) sum += (w[i * T + j] = Math.exp(w[i * T + j] - max));
          for (let j = 0; j <= last; j++) w[i * T + j] /= sum;
          for (let c = 0; c < dh; c++) {
            let s = 0;
            for (let j = 0; j <= last; j++) s += w[i * T + j] * v[j * d + off + c];
            heads[i * d + off + c] = s;
          }
        }
        layerMaps.push(w);
      }
      maps.push(layerMaps);
      const attnOut = linear(heads, T, b.o);
      for (let n = 0; n < x.length; n++) x[n] += attnOut[n];
      const hidden = linear(layerNorm(x, T, d, b.ln2), T, b.fc1);
      for (let n = 0; n < hidden.length; n++) {
        hidden[n] = 0.5 * hidden[n] * (1 + erf(hidden[n] / Math.SQRT2));
      }
      const mlpOut = linear(hidden, T, b.fc2);
      for (let n = 0; n < x.length; n++) x[n] += mlpOut[n];
    }
    const logits = linear(layerNorm(x, T, d, model.lnF), T, model.head);
    const V = model.head.out, probs = new Float64Array(T * V);
    for (let t = 0; t < T; t++) {
      let max = -Infinity, sum = 0;
      for (let c = 0; c < V; c++) max = Math.max(max, logits[t * V + c]);
      for (let c = 0; c < V; c++) sum += (probs[t * V + c] = Math.exp(logits[t * V + c] - max));
      for (let c = 0; c < V; c++) probs[t * V + c] /= sum;
    }
    return { maps, probs };
  }

  // ------------------------------------------------------------------ names it cannot read

  // Python's repr() of a string, so messages read exactly as in the notebook's explorer.
  const HIDDEN = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
  function pyRepr(s) {
    const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
    let out = quote;
    for (const ch of s) {
      const code = ch.codePointAt(0);
      if (ch === "\\" || ch === quote) out += "\\" + ch;
      else if (ch === "\t") out += "\\t";
      else if (ch === "\n") out += "\\n";
      else if (ch === "\r") out += "\\r";
      else if (ch !== " " && HIDDEN.test(ch)) {
        const hex = code.toString(16);
        if (code < 0x100) out += "\\x" + hex.padStart(2, "0");
        else if (code < 0x10000) out += "\\u" + hex.padStart(4, "0");
        else out += "\\U" + hex.padStart(8, "0");
      } else out += ch;
    }
    return out + quote;
  }
  const fill = (template, fields) => template.replace(/\{(\w+)\}/g, (_, key) => fields[key]);
  const sentence = (s) => s.charAt(0).toUpperCase() + s.slice(1) + ".";

  // The name the model reads, or the notebook explorer's message for text it cannot read.
  function checkName(text) {
    const name = text.trim().toLowerCase();
    const M = DATA.messages;
    if (!name) return { message: sentence(M.empty) };
    const chars = [...name];
    if (chars.some((ch) => !LETTERS.has(ch))) {
      const bad = [...new Set(chars.filter((ch) => !LETTERS.has(ch)))];
      bad.sort((a, b) => text.indexOf(a) - text.indexOf(b));
      return { message: fill(M.unknown, {
        shown: bad.map(pyRepr).join(", "), text: pyRepr(text.trim()), vocabulary: DATA.vocabulary,
      }) };
    }
    if (chars.length > DATA.max_letters) {
      return { message: sentence(fill(M.too_long, {
        name: pyRepr(name), n: chars.length, max_letters: DATA.max_letters,
      })) };
    }
    return { name };
  }

  // ------------------------------------------------------------------ drawing

  const form = $("controls"), panels = $("panels");
  for (let l = 0; l < SIZES.n_layers; l++) $("layer").add(new Option(`layer ${l}`, l));
  $("layer").value = SIZES.n_layers - 1;
  $("head").add(new Option("all heads", "all"));
  for (let h = 0; h < SIZES.n_heads; h++) $("head").add(new Option(`head ${h}`, h));

  function drawColourbar() {
    const canvas = $("colourbar"), ctx = canvas.getContext("2d");
    const n = DATA.cmap.length;
    for (let i = 0; i < canvas.height; i++) {
      ctx.fillStyle = DATA.cmap[Math.round((1 - i / (canvas.height - 1)) * (n - 1))];
      ctx.fillRect(0, i, canvas.width, 1);
    }
  }

  function drawHeatmap(canvas, w, labels, title, size) {
    const T = labels.length, ratio = window.devicePixelRatio || 1;
    const margin = 18, top = title ? 18 : 4, cell = (size - margin - 4) / T;
    canvas.width = Math.round(size * ratio);
    canvas.height = Math.round((size + top - 4) * ratio);
    canvas.style.width = `${size}px`;
    canvas.style.height = `${size + top - 4}px`;
    const ctx = canvas.getContext("2d"), n = DATA.cmap.length;
    ctx.scale(ratio, ratio);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size + top);
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const value = Math.min(1, Math.max(0, w[i * T + j]));
        ctx.fillStyle = DATA.cmap[Math.round(value * (n - 1))];
        ctx.fillRect(margin + j * cell, top + i * cell, Math.ceil(cell), Math.ceil(cell));
      }
    }
    ctx.fillStyle = "#222";
    ctx.font = `${Math.max(9, Math.min(14, cell * 0.7))}px monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let t = 0; t < T; t++) {
      ctx.fillText(labels[t], margin / 2, top + (t + 0.5) * cell);  // queries, down
      ctx.fillText(labels[t], margin + (t + 0.5) * cell, top + T * cell + margin / 2 + 1);  // keys
    }
    if (title) ctx.fillText(title, margin + (T * cell) / 2, 9);
  }

  function drawNext(probs, labels) {
    const V = SYMBOLS.length, rows = [];
    for (let t = 0; t < labels.length; t++) {
      const order = [...SYMBOLS.keys()].sort((a, b) => probs[t * V + b] - probs[t * V + a]);
      const best = order.slice(0, 3).map((c) => `${SYMBOLS[c]} ${(100 * probs[t * V + c]).toFixed(1)}%`);
      rows.push(`<tr><th scope="row">${labels.slice(0, t + 1).join("")}</th>` +
        best.map((b) => `<td>${b}</td>`).join("") + "</tr>");
    }
    $("next").innerHTML = "<tr><th>after</th><th colspan=3>next character</th></tr>" + rows.join("");
  }

  const state = { redrawMs: [] };
  window.explorerPage = { state, forward: (kind, name, causal) =>
    forward(MODELS[kind], [...(DATA.start + name)].map((c) => STOI.get(c)), causal) };

  function redraw() {
    const start = performance.now();
    const checked = checkName($("name").value);
    if (checked.message) {
      $("message").textContent = checked.message;  // the last heatmap stays
      state.message = checked.message;
      return;
    }
    const kind = form.elements.model.value, causal = $("causal").checked;
    const layer = Number($("layer").value), head = $("head").value;
    const labels = [DATA.start, ...checked.name];
    const { maps, probs } = window.explorerPage.forward(kind, checked.name, causal);
    Object.assign(state, { name: checked.name, kind, causal, layer, head, maps, probs, message: "" });
    $("message").textContent = "";
    const shown = head === "all" ? [...maps[layer].keys()] : [Number(head)];
    while (panels.children.length > shown.length) panels.lastChild.remove();
    while (panels.children.length < shown.length) panels.append(document.createElement("canvas"));
    const width = Math.max(200, $("figure").clientWidth - 64);  // less the colour bar
    const columns = shown.length === 1 ? 1 : width < 560 ? 2 : Math.min(4, shown.length);
    const size = Math.min(shown.length === 1 ? 420 : 260, Math.floor(width / columns) - 8);
    shown.forEach((h, n) => {
      const canvas = panels.children[n];
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", `attention of head ${h}, layer ${layer}`);
      drawHeatmap(canvas, maps[layer][h], labels, shown.length > 1 ? `head ${h}` : "", size);
    });
    $("caption").innerHTML = "";
    $("caption").append(Object.assign(document.createElement("b"), { textContent: checked.name }),
      ` · ${kind} model · layer ${layer} · ${head === "all" ? "all heads" : `head ${head}`} · ` +
      `causal mask ${causal ? "on" : "off"}. Rows: the character asking (query); columns: the ` +
      "characters it looks at (keys).");
    drawNext(probs, labels);
    state.redrawMs.push(performance.now() - start);
  }

  form.addEventListener("input", redraw);
  form.addEventListener("submit", (event) => event.preventDefault());
  window.addEventListener("resize", redraw);
  drawColourbar();
  redraw();
  document.body.dataset.ready = "1";
})();
