// The attention explorer: its controls, heatmaps, next-character table and generated names.
// One drawing for two places: the widget of notebook 12 (attention_utils/explorer.py, whose
// numbers come from PyTorch in the kernel) and the explorer page of the site (whose numbers
// come from site/explorer/page.js, the model in plain JavaScript). Each gives mount() a
// `source`: {info, compute(state), generate(state)}; it answers with view.show(result) and
// view.showSamples(samples) (the page at once, the kernel when its message arrives).
//
// A classic script (the page works opened from disk) that is also the widget's module: the
// widget's Python appends `export default {render}` (see explorer.py).
const AttentionExplorer = (() => {
  "use strict";
  let mounted = 0; // ids of labels and controls stay unique with several explorers in a page

  function make(tag, props = {}, ...children) {
    const node = Object.assign(document.createElement(tag), props);
    for (const child of children) node.append(child);
    return node;
  }

  // ------------------------------------------------------------------ one heatmap

  function drawHeatmap(canvas, w, labels, title, size, cmap) {
    const T = labels.length, ratio = window.devicePixelRatio || 1;
    const margin = 18, top = title ? 18 : 4, cell = (size - margin - 4) / T;
    canvas.width = Math.round(size * ratio);
    canvas.height = Math.round((size + top - 4) * ratio);
    canvas.style.width = `${size}px`;
    canvas.style.height = `${size + top - 4}px`;
    const ctx = canvas.getContext("2d"), n = cmap.length;
    ctx.scale(ratio, ratio);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, size, size + top);
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const value = Math.min(1, Math.max(0, w[i * T + j]));
        ctx.fillStyle = cmap[Math.round(value * (n - 1))];
        ctx.fillRect(margin + j * cell, top + i * cell, Math.ceil(cell), Math.ceil(cell));
      }
    }
    ctx.fillStyle = "#222";
    ctx.font = `${Math.max(9, Math.min(14, cell * 0.7))}px monospace`;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let t = 0; t < T; t++) {
      ctx.fillText(labels[t], margin / 2, top + (t + 0.5) * cell); // queries, down
      ctx.fillText(labels[t], margin + (t + 0.5) * cell, top + T * cell + margin / 2 + 1); // keys
    }
    if (title) ctx.fillText(title, margin + (T * cell) / 2, 9);
  }

  // ------------------------------------------------------------------ the explorer

  // state: {name (as typed), kind ("trained"|"untrained"), causal, layer, head ("all"|"0"...),
  // temperature}. result: {name, labels, maps: [layer][head] (T*T, queries on rows),
  // probs (T*V)} or {message} for a name the model cannot read (the last picture stays).
  // options: prefix, of the ids of the controls (the page: "", so #name, #layer, ...);
  // heading, the level of the headings of the parts (the page: h2, under its h1).
  function mount(root, source, state, { prefix = null, heading = "h3" } = {}) {
    const info = source.info, sizes = info.sizes;
    const pre = prefix === null ? `explorer${++mounted}-` : prefix;
    const id = (what) => pre + what;
    const field = (label, control) =>
      make("div", { className: "explorer-control" }, make("label", { htmlFor: control.id, textContent: label }), control);

    const name = make("input", { id: id("name"), className: "explorer-name", type: "text",
      spellcheck: false, autocomplete: "off" });
    name.setAttribute("autocapitalize", "off");
    const layer = make("select", { id: id("layer"), className: "explorer-layer" });
    for (let l = 0; l < sizes.n_layers; l++) layer.add(new Option(`layer ${l}`, l));
    const head = make("select", { id: id("head"), className: "explorer-head" });
    head.add(new Option("all heads", "all"));
    for (let h = 0; h < sizes.n_heads; h++) head.add(new Option(`head ${h}`, h));
    const kinds = make("fieldset", { className: "explorer-control explorer-model" },
      make("legend", { textContent: "model" }));
    for (const kind of ["trained", "untrained"]) {
      const radio = make("input", { type: "radio", name: id("model"), value: kind, id: id(kind) });
      kinds.append(make("label", {}, radio, ` ${kind}`));
    }
    const causal = make("input", { id: id("causal"), className: "explorer-mask", type: "checkbox" });
    const controls = make("form", { className: "explorer-controls", autocomplete: "off" },
      field("name", name), field("layer", layer), field("head", head), kinds,
      make("div", { className: "explorer-control" }, make("label", {}, causal, " causal mask")));
    const message = make("p", { id: id("message"), className: "explorer-message" });
    message.setAttribute("role", "status");
    message.setAttribute("aria-live", "polite");
    name.setAttribute("aria-describedby", message.id);

    const panels = make("div", { className: "explorer-panels" });
    const bar = make("canvas", { className: "explorer-colourbar", width: 16, height: 160 });
    const ticks = make("div", { className: "explorer-ticks" },
      make("span", { textContent: "1" }), make("span", { textContent: "0.5" }), make("span", { textContent: "0" }));
    const scale = make("div", { className: "explorer-scale" }, bar, ticks);
    scale.setAttribute("aria-hidden", "true");
    const caption = make("figcaption", { className: "explorer-caption" });
    caption.setAttribute("aria-live", "polite"); // what is drawn, said when it changes
    const figure = make("figure", { className: "explorer-figure" },
      make("div", { className: "explorer-row" }, panels, scale), caption);
    // The heatmaps without sight: every row's largest weights, in tables a screen reader reaches.
    const weights = make("div", { className: "explorer-table explorer-weights-tables" });
    const weightsPart = make("details", { className: "explorer-weights" },
      make("summary", { textContent: "The weights drawn, as tables" }), weights);

    const next = make("table", { className: "explorer-next" });
    const nextPart = make("section", { className: "explorer-part" },
      make(heading, { textContent: "What the model expects next" }),
      make("p", { textContent: "After each prefix of the name, the three likeliest next " +
        `characters (${info.end} ends the name), with the model's probability.` }),
      make("div", { className: "explorer-table" }, next));

    const temperature = make("input", { id: id("temperature"), className: "explorer-temperature",
      type: "range", min: 0.1, max: 2, step: 0.1 });
    const shownT = make("output", { htmlFor: temperature.id });
    const generate = make("button", { type: "button", className: "explorer-generate",
      textContent: "generate", title: "write new names with the model" });
    const samples = make("div", { className: "explorer-samples" });
    samples.setAttribute("aria-live", "polite");
    const samplesPart = make("section", { className: "explorer-part" },
      make(heading, { textContent: "New names from the model" }),
      make("form", { className: "explorer-controls" },
        make("div", { className: "explorer-control" },
          make("label", { htmlFor: temperature.id, textContent: "temperature " }, shownT), temperature),
        generate),
      samples);

    root.classList.add("explorer");
    root.append(controls, message, figure, weightsPart, nextPart, samplesPart);

    const n = info.cmap.length;
    const bctx = bar.getContext("2d");
    for (let i = 0; i < bar.height; i++) {
      bctx.fillStyle = info.cmap[Math.round((1 - i / (bar.height - 1)) * (n - 1))];
      bctx.fillRect(0, i, bar.width, 1);
    }

    const view = { state: { ...state, redrawMs: [] }, result: null, root };
    let asked = 0; // performance.now() of the change that the next result answers

    function put(values) { // the controls show `values`
      name.value = values.name;
      layer.value = String(values.layer);
      head.value = String(values.head);
      for (const radio of kinds.querySelectorAll("input")) radio.checked = radio.value === values.kind;
      causal.checked = values.causal;
      temperature.value = values.temperature;
      shownT.textContent = Number(values.temperature).toFixed(1);
    }

    function read() { // what the controls say
      const kind = kinds.querySelector("input:checked");
      return { name: name.value, layer: Number(layer.value), head: head.value,
        kind: kind ? kind.value : "trained", causal: causal.checked, temperature: Number(temperature.value) };
    }

    function draw() {
      const r = view.result, s = view.state;
      if (!r) return;
      const shown = s.head === "all" ? [...r.maps[s.layer].keys()] : [Number(s.head)];
      while (panels.children.length > shown.length) panels.lastChild.remove();
      while (panels.children.length < shown.length) panels.append(make("canvas"));
      const width = Math.max(200, (root.clientWidth || 640) - 64); // less the colour bar
      const columns = shown.length === 1 ? 1 : width < 560 ? 2 : Math.min(4, shown.length);
      const size = Math.min(shown.length === 1 ? 420 : 260, Math.floor(width / columns) - 8);
      const T = r.labels.length;
      const largest = (w, i) => [...Array(T).keys()].sort((a, b) => w[i * T + b] - w[i * T + a])
        .slice(0, 3).filter((j) => w[i * T + j] >= 0.005);
      const said = (w, i, j) => `${r.labels[j]} (${j}) ${w[i * T + j].toFixed(2)}`;
      const tables = [];
      shown.forEach((h, k) => {
        const canvas = panels.children[k], w = r.maps[s.layer][h];
        const best = [...Array(T).keys()].map((i) => `${r.labels[i]} to ${r.labels[largest(w, i)[0]]}`);
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", `attention of head ${h}, layer ${s.layer}, ` +
          `${r.name}: each query's largest weight, ${best.join(", ")}`);
        drawHeatmap(canvas, w, r.labels, shown.length > 1 ? `head ${h}` : "", size, info.cmap);
        const rows = [make("tr", {}, make("th", { scope: "col", textContent: "query" }),
          make("th", { scope: "col", textContent: "largest weights: key (position) weight" }))];
        for (let i = 0; i < T; i++) {
          rows.push(make("tr", {}, make("th", { scope: "row", textContent: `${r.labels[i]} (${i})` }),
            make("td", { textContent: largest(w, i).map((j) => said(w, i, j)).join(", ") })));
        }
        tables.push(make("table", { className: "explorer-weights-table" },
          make("caption", { textContent: `head ${h}, layer ${s.layer}` }), ...rows));
      });
      weights.replaceChildren(...tables);
      caption.replaceChildren(make("b", { textContent: r.name }),
        ` · ${r.kind} model · layer ${s.layer} · ${s.head === "all" ? "all heads" : `head ${s.head}`} · ` +
        `causal mask ${r.causal ? "on" : "off"}. Rows: the character asking (query); columns: the ` +
        "characters it looks at (keys).");
      const V = info.symbols.length;
      const rows = [make("tr", {}, make("th", { textContent: "after" }),
        make("th", { textContent: "next character", colSpan: 3 }))];
      for (let t = 0; t < r.labels.length; t++) {
        const order = [...info.symbols.keys()].sort((a, b) => r.probs[t * V + b] - r.probs[t * V + a]);
        const th = make("th", { scope: "row", textContent: r.labels.slice(0, t + 1).join("") });
        rows.push(make("tr", {}, th, ...order.slice(0, 3).map((c) =>
          make("td", { textContent: `${info.symbols[c]} ${(100 * r.probs[t * V + c]).toFixed(1)}%` }))));
      }
      next.replaceChildren(...rows);
      if (asked) view.state.redrawMs.push(performance.now() - asked);
      asked = 0;
    }

    view.show = (result) => { // the numbers for the state asked: draw them, or say why not
      if (!result) return;
      if (result.message !== undefined && !result.maps) {
        message.textContent = result.message; // the last heatmap stays
        view.state.message = result.message;
        asked = 0;
        return;
      }
      message.textContent = "";
      Object.assign(view.state, { message: "" });
      view.result = result;
      draw();
    };

    view.showSamples = (found) => {
      if (!found || !found.names) return;
      const items = found.names.map(([text, isNew]) => {
        const shown = text || `(no letter: ${info.end} first)`;
        return isNew ? make("li", {}, make("b", { textContent: shown }), " ", make("i", { textContent: "(new)" }))
          : make("li", { textContent: shown });
      });
      const fresh = found.names.filter(([, isNew]) => isNew).length;
      samples.replaceChildren(make("p", { textContent: `${found.kind} model, temperature ` +
        `${Number(found.temperature).toFixed(1)}: ${fresh} of ${found.names.length} names are new` }),
      make("ul", {}, ...items));
      view.state.samples = found.names;
    };

    view.set = (values) => { // the state changed elsewhere (the kernel): follow it
      const before = view.state;
      if (Object.keys(values).every((k) => before[k] === values[k])) return; // our own change
      view.state = { ...before, ...values };
      put(view.state);
      if (["name", "kind", "causal"].some((k) => before[k] !== view.state[k])) {
        asked = performance.now();
        source.compute(view.state);
      } else draw();
    };

    function changed() {
      const now = read(), before = view.state;
      view.state = { ...before, ...now };
      shownT.textContent = now.temperature.toFixed(1);
      asked = performance.now();
      if (["name", "kind", "causal"].some((k) => before[k] !== now[k])) source.compute(view.state);
      else if (before.layer !== now.layer || before.head !== now.head) draw();
      else asked = 0;
      if (source.changed) source.changed(view.state);
    }

    for (const form of root.querySelectorAll("form")) {
      form.addEventListener("input", changed);
      form.addEventListener("change", changed);
      form.addEventListener("submit", (event) => event.preventDefault());
    }
    generate.addEventListener("click", () => source.generate(view.state));
    if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => draw()).observe(root);
    put(view.state);
    root.explorer = view;
    return view;
  }

  // ------------------------------------------------------------------ the notebook's widget

  // anywidget's render(): the kernel computes, the traits carry the numbers (explorer.py).
  const TRAITS = ["name", "kind", "causal", "layer", "head", "temperature"];
  function render({ model, el }) {
    const values = () => Object.fromEntries(TRAITS.map((t) => [t, model.get(t)]));
    const source = {
      info: model.get("info"),
      compute() {}, // the kernel answers a change of its traits with a new result
      changed(state) {
        for (const t of TRAITS) if (model.get(t) !== state[t]) model.set(t, state[t]);
        model.save_changes();
      },
      generate(state) {
        source.changed(state);
        model.set("clicks", model.get("clicks") + 1);
        model.save_changes();
      },
    };
    const view = mount(el, source, values());
    const follow = () => view.set(values());
    for (const t of TRAITS) model.on(`change:${t}`, follow);
    const show = () => view.show(model.get("result"));
    const showSamples = () => view.showSamples(model.get("samples"));
    model.on("change:result", show);
    model.on("change:samples", showSamples);
    show();
    showSamples();
    return () => {
      for (const t of TRAITS) model.off(`change:${t}`, follow);
      model.off("change:result", show);
      model.off("change:samples", showSamples);
    };
  }

  return { mount, render };
})();
