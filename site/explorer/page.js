// The explorer page: the model of notebooks 08, 09 and 12 (explorer/model.js, written by
// course/webexplorer.py) computed in plain JavaScript and drawn by the explorer of notebook 12
// (explorer/explorer.js), on every keystroke, with no Python.
"use strict";

(function () {
  const DATA = window.EXPLORER_DATA;
  const $ = (id) => document.getElementById(id);
  if (!DATA) {
    $("explorer").textContent = "explorer/model.js is missing: build the site with `make site`.";
    return;
  }
  if (DATA.trained_on) {  // a teacher's own list (make site NAMES_FILE=...)
    const intro = document.querySelector(".intro");
    const first = intro.firstChild;
    first.textContent = first.textContent.replace(
      "The small transformer trained in notebook 08",
      `The small transformer of notebook 08, trained on ${DATA.trained_on},`);
    const note = document.createElement("p");
    note.id = "trained-on";
    note.textContent = `This page's model was trained on ${DATA.trained_on}, `
      + `not on the series' list: type a name spelled with its letters (${DATA.letters}).`;
    intro.after(note);
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

  // A name as the series stores it (attention_utils.data.normal_form): NFC, stripped, runs of
  // spaces made one, lowercased, typographic apostrophes as '.
  const normalForm = (text) => text.normalize("NFC").replace(/[\u2019\u02bc]/g, "'").trim()
    .replace(/ {2,}/g, " ").toLowerCase().normalize("NFC");

  // The name the model reads, or the notebook explorer's message for text it cannot read.
  function checkName(text) {
    const name = normalForm(text);
    const M = DATA.messages;
    if (!name) return { message: sentence(fill(M.empty, { letters: DATA.letters })) };
    const chars = [...name];
    if (chars.some((ch) => !LETTERS.has(ch))) {
      const bad = [...new Set(chars.filter((ch) => !LETTERS.has(ch)))];
      bad.sort((a, b) => name.indexOf(a) - name.indexOf(b));
      return { message: fill(M.unknown, {
        shown: bad.map(pyRepr).join(", "), text: pyRepr(text.trim()), letters: DATA.letters,
        vocabulary: DATA.vocabulary,
      }) };
    }
    if (chars.length > DATA.max_letters) {
      return { message: sentence(fill(M.too_long, {
        name: pyRepr(name), n: chars.length, max_letters: DATA.max_letters,
      })) };
    }
    return { name };
  }

  // ------------------------------------------------------------------ new names

  // A small seeded generator (mulberry32): the same click gives the same names.
  function random(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // n names, one character at a time from softmax(logits / temperature), as the notebook's
  // sampling does: ^ never drawn, at most max_letters letters.
  const TRAINED = new Set(DATA.train_names);
  function sample(kind, temperature, seed, n = 10) {
    const next = random(seed), V = SYMBOLS.length, start = STOI.get(DATA.start);
    const names = [];
    for (let k = 0; k < n; k++) {
      const ids = [start];
      while (ids.length <= DATA.max_letters) {
        const { probs } = forward(MODELS[kind], ids, true);
        const weights = new Float64Array(V);
        let total = 0;
        for (let c = 0; c < V; c++) {
          const p = c === start ? 0 : probs[(ids.length - 1) * V + c];
          total += (weights[c] = p > 0 ? Math.exp(Math.log(p) / temperature) : 0);
        }
        let r = next() * total, c = 0;
        while (c < V - 1 && (r -= weights[c]) >= 0) c++;
        if (SYMBOLS[c] === DATA.end) break;
        ids.push(c);
      }
      const name = ids.slice(1).map((i) => SYMBOLS[i]).join("");
      names.push([name, !TRAINED.has(name)]);
    }
    return { kind, temperature, names };
  }

  // ------------------------------------------------------------------ the explorer

  let clicks = 0;
  const source = {
    info: DATA,
    compute(state) {
      const checked = checkName(state.name);
      if (checked.message) return view.show({ message: checked.message });
      const ids = [...(DATA.start + checked.name)].map((c) => STOI.get(c));
      const { maps, probs } = forward(MODELS[state.kind], ids, state.causal);
      view.show({ name: checked.name, kind: state.kind, causal: state.causal,
        labels: [DATA.start, ...checked.name], maps, probs });
    },
    generate(state) {
      clicks += 1;
      view.showSamples(sample(state.kind, state.temperature, clicks));
    },
  };
  const view = AttentionExplorer.mount($("explorer"), source, {
    name: DATA.first_name || "abhishek", kind: "trained", causal: true, layer: SIZES.n_layers - 1, head: "all",
    temperature: 1.0,
  }, { prefix: "", heading: "h2" });
  source.compute(view.state);
  // For the browser tests: the state drawn, the model's own numbers, new names.
  window.explorerPage = {
    view, sample,
    forward: (kind, name, causal) =>
      forward(MODELS[kind], [...(DATA.start + name)].map((c) => STOI.get(c)), causal),
  };
  Object.defineProperty(window.explorerPage, "state", { get: () => view.state });
  document.body.dataset.ready = "1";
})();
