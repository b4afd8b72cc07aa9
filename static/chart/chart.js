// defines globalThis.rnnlabFrames; the same ?v= version as this module (the loader hashes both
// files), so a browser never keeps an old frames.js beside a new chart.js
const VERSION = new URL(import.meta.url).search;
await import(new URL("./frames.js" + VERSION, import.meta.url).href);
// The one theme (a Plotly template, also the exported charts'), fetched once per page, not sent
// with every chart; presenter view reads its type a size up (ui/js/presenter.css scales it more)
const THEME = await (await fetch(new URL("./theme.json" + VERSION, import.meta.url))).json();
const PRESENTER_THEME = Object.assign({}, THEME, {font: Object.assign({}, THEME.font, {size: 18})});

const PLOTS = new WeakMap();   // parentElement -> its one plot div (kept across reruns)

function loadPlotly(src) {
  if (!window.__rnnlabPlotly) {
    window.__rnnlabPlotly = window.Plotly ? Promise.resolve(window.Plotly) : new Promise((ok, fail) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => ok(window.Plotly);
      script.onerror = () => { window.__rnnlabPlotly = null; fail(new Error("plotly.js did not load")); };
      document.head.appendChild(script);
    });
  }
  return window.__rnnlabPlotly;
}

function themed(layout, theme, key) {
  // The theme (static/chart/theme.json) as a Plotly template: plotly.js puts it under the figure's own
  // layout, every axis included, exactly as in the exported chart (ui/classroom/exports.py).
  const out = Object.assign({template: {layout: theme}}, layout);
  if (out.uirevision === undefined) out.uirevision = key;
  out.autosize = true;
  delete out.width;
  return out;
}

function scrollTop(element) {
  // How far the page's scroll container has scrolled (Streamlit scrolls its main area, not window).
  for (let node = element.parentElement; node; node = node.parentElement) {
    if (node.scrollTop) return node.scrollTop;
  }
  return window.scrollY;
}

function setUrlStep(step) {
  const url = new URL(window.location.href);
  if (url.searchParams.get("step") === String(step)) return;
  url.searchParams.set("step", String(step));
  window.history.replaceState(window.history.state, "", url);
}

// The page's step-through (at most one player per page listens to the keyboard).
let ACTIVE = null;
document.addEventListener("keydown", (event) => {
  if (!ACTIVE || !ACTIVE.div.isConnected) return;
  const target = event.target;
  const typing = target && (target.isContentEditable ||
    ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.getAttribute("role") === "slider");
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
  const last = ACTIVE.count - 1;
  const moves = {ArrowLeft: ACTIVE.step - 1, ArrowRight: ACTIVE.step + 1, Home: 0, End: last};
  if (event.key in moves) {
    event.preventDefault();
    ACTIVE.pause();
    ACTIVE.go(Math.max(0, Math.min(last, moves[event.key])));
  } else if (event.key === " " || event.code === "Space") {
    event.preventDefault();
    ACTIVE.playing ? ACTIVE.pause() : ACTIVE.play();
  }
});

// A step-through's frames, built from its description (fig.animation): static/chart/frames.js,
// the one implementation, shared with the downloaded chart (ui/classroom/exports.py chart_html).
const {stepFrames, onFrame} = globalThis.rnnlabFrames;

function slideType(layout, plot) {
  // Presenter view: the chart's type at the page's (ui/js/presenter.css scales it with the
  // screen, 20 px at 1280×720), and subplot titles wider than their column wrapped at their
  // commas, with the top margin to hold the extra lines.
  const px = parseFloat(getComputedStyle(document.documentElement).fontSize) || 20;
  layout.font = Object.assign({}, layout.font, {size: px});
  // colour bars were given their ticks for the normal view's type (ui/drawing/plot.py colorbar): at this
  // size keep first, middle and last where all of them no longer fit, and keep 3 readable
  for (const [name, axis] of Object.entries(layout)) {
    const bar = name.startsWith("coloraxis") && axis && axis.colorbar;
    if (!bar || bar.lenmode !== "pixels" || !Array.isArray(bar.tickvals)) continue;
    const ticks = bar.tickvals;
    const fits = (n) => n * 1.8 * px <= bar.len;
    const three = ticks.length > 3 ? [ticks[0], ticks[(ticks.length - 1) / 2 | 0], ticks[ticks.length - 1]] : ticks;
    layout[name] = Object.assign({}, axis, {colorbar: Object.assign({}, bar, {
      tickvals: fits(ticks.length) ? ticks : three,
      len: Math.max(bar.len, 3 * 1.8 * px)})});
  }
  const titles = (layout.annotations || []).filter((a) => a.yref === "paper" && typeof a.text === "string");
  const columns = new Map();   // how many titles share each row
  for (const a of titles) columns.set(a.y, (columns.get(a.y) || 0) + 1);
  const margin = layout.margin || {};
  const width = plot.clientWidth - (margin.l || 80) - (margin.r || 80);
  let lines = 1;
  layout.annotations = (layout.annotations || []).map((a) => {
    if (!titles.includes(a)) return a;
    const room = width / columns.get(a.y);
    // only the top row's titles wrap: they grow into the top margin, a lower one into the ticks
    const top = Math.max(...titles.map((t) => t.y));
    if (a.y < top || a.text.length * 0.5 * px <= room || !a.text.includes(", ")) return a;
    const words = a.text.split(", ");
    lines = Math.max(lines, words.length);
    return Object.assign({}, a, {text: words.join(",<br>")});
  });
  // the left margin holds a unit tick and the "unit" title at this size (60 px fit only 16 px type)
  layout.margin = Object.assign({}, margin, {t: (margin.t || 40) + (lines - 1) * 1.25 * px,
                                             l: Math.max(margin.l || 80, 3.6 * px)});
}

function fill(template, values) {
  return template.replace(/\{(\d+)\}/g, (_, i) => values[Number(i)]);
}

function player(Plotly, div, panelDiv, panel, start, key) {
  const state = div.__rnnlabPlayer || {};
  div.__rnnlabPlayer = state;
  Object.assign(state, {div, panelDiv, panel, count: panel.values.length, key});
  const show = (k) => {
    if (!(k >= 0 && k < state.count)) return;
    state.step = k;
    if (state.panelDiv) {
      state.panelDiv.innerHTML = fill(state.panel.template, state.panel.values[k]);
      state.panelDiv.setAttribute("aria-label", `Equations at step ${k}`);
    }
    div.dataset.step = String(k);
    if (state.panelDiv) state.panelDiv.dataset.step = String(k);
    if (state.urlStep) {
      setUrlStep(k);
      // ui/js/step_report.js tells the server, so a rerun starts on this step
      window.__rnnlabStep = {step: k, playing: Boolean(state.playing), key: state.key};
      document.dispatchEvent(new CustomEvent("rnnlab:step", {detail: window.__rnnlabStep}));
    }
  };
  state.go = (k) => {
    Plotly.animate(div, [String(k)], {mode: "immediate", transition: {duration: 0},
                                      frame: {duration: 0, redraw: true}});
    show(k);
  };
  state.pause = () => {
    if (!state.playing) return;
    state.playing = false;
    Plotly.animate(div, [null], {mode: "immediate", frame: {duration: 0, redraw: false},
                                 transition: {duration: 0}});
  };
  state.play = () => {
    const names = [];
    const from = state.step >= state.count - 1 ? 0 : state.step;
    for (let k = from; k < state.count; k++) names.push(String(k));
    state.playing = true;
    Plotly.animate(div, names, {mode: "immediate", transition: {duration: 0},
                                frame: {duration: state.frameMs, redraw: true}});
  };
  if (!state.listening) {
    state.listening = true;
    // Every frame change, whoever caused it (Play, the slider, the keys), updates the panel.
    div.on("plotly_animatingframe", (event) => show(Number(event.name)));
    div.on("plotly_sliderchange", (event) => show(event.slider.active));
    div.on("plotly_animated", () => { state.playing = false; });
    div.on("plotly_animationinterrupted", () => { state.playing = false; });
    div.on("plotly_buttonclicked", (event) => {
      state.playing = event.button && /play/i.test(event.button.label);
    });
  }
  ACTIVE = state;
  show(Math.max(0, Math.min(state.count - 1, start)));
}

export default function ({ data, parentElement }) {
  if (!data || !data.src) return;
  const bundle = loadPlotly(data.src);
  if (!data.figure) return;   // preload(): only start the download
  let root = PLOTS.get(parentElement);
  if (!root) {
    root = {box: document.createElement("div"), plot: document.createElement("div"),
            panel: document.createElement("div"), alt: document.createElement("p")};
    root.plot.className = "rnnlab-chart";
    root.panel.className = "rnnlab-step-panel";
    // the equations scroll sideways: a keyboard can reach and scroll them, a reader names them
    root.panel.setAttribute("tabindex", "0");
    root.panel.setAttribute("role", "region");
    root.alt.className = "rnnlab-alt";   // visually hidden: the chart's text alternative
    root.box.append(root.alt, root.plot, root.panel);
    parentElement.appendChild(root.box);
    PLOTS.set(parentElement, root);
  }
  const fig = JSON.parse(data.figure);
  // The chart's text alternative (ui/runtime/chart.py alt_text): "<title>: <what it shows>".
  root.plot.setAttribute("role", "img");
  root.plot.setAttribute("aria-label", data.alt || "Chart");
  root.alt.textContent = data.alt || "";
  const layout = themed(fig.layout || {}, data.presenter ? PRESENTER_THEME : THEME, data.key);
  // A projector: the player sits beside its equations and fits the screen below its top edge
  // (measured again once the elements above it have settled).
  const fit = Boolean(data.presenter && data.panel);
  root.box.classList.toggle("rnnlab-side", fit);
  // It takes the screen's height below its top edge, never below 75 % of its own height: a
  // squeezed player overlaps its tick labels (then the page scrolls a little instead).
  const fitted = (height) => Math.max(0.75 * (height || 450),
      window.innerHeight - (root.box.getBoundingClientRect().top + scrollTop(root.box)) - 12);
  if (fit) {
    layout.height = fitted(layout.height);
    slideType(layout, root.plot);
  }
  root.plot.style.height = (layout.height || 450) + "px";
  let traces = fig.data, frames = fig.frames || [];
  if (fig.animation) {
    frames = stepFrames(fig);
    traces = onFrame(traces, frames[fig.animation.start]);   // the step shown first
  }
  bundle.then((Plotly) => {
    const config = Object.assign({}, data.config);
    return Plotly.react(root.plot, {data: traces, layout, frames, config})
      .then(() => {
        root.plot.__rnnlabRenders = (root.plot.__rnnlabRenders || 0) + 1;
        if (fit) {
          for (const ms of [300, 1000, 2500]) setTimeout(() => {
            // (and the width: a chart first drawn before its grid column settled keeps it)
            const height = fitted(fig.layout.height), width = root.plot.clientWidth;
            if (Math.abs(height - root.plot._fullLayout.height) > 4 ||
                Math.abs(width - root.plot._fullLayout.width) > 4) {
              root.plot.style.height = height + "px";
              Plotly.relayout(root.plot, {height, width});
            }
          }, ms);
        }
        if (data.panel) {
          root.panel.style.display = "";
          const state = root.plot.__rnnlabPlayer || {};
          root.plot.__rnnlabPlayer = state;
          state.frameMs = data.frame_ms;
          state.urlStep = data.url_step;
          player(Plotly, root.plot, root.panel, data.panel, data.start, data.key);
          if (data.start !== undefined && state.step !== data.start) state.go(data.start);
        } else {
          root.panel.style.display = "none";
        }
      });
  });
  return () => {
    // Called when Streamlit unmounts the element; a data change keeps the same element.
    setTimeout(() => {
      if (!parentElement.isConnected && window.Plotly) window.Plotly.purge(root.plot);
    }, 0);
  };
}
