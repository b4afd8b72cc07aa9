// The guided tour (ui/classroom/tour.py): a Components v2 element holding a "Take the tour" button that
// runs driver.js (static/tour/driver.js.iife.js) in the browser, and the #ctl-<key> links.

let TOUR = null;   // the driver.js instance of the running tour, if any

// While the tour is open it owns the keys the step-through player also listens to: ← / → move
// the tour (driver.js listens to keyup on window), Space moves it on as on a slide (driver.js
// focuses the popover's × on every step, and Space would otherwise close the tour), and the
// player (ui/runtime/chart.py, keydown on document) neither steps nor plays underneath. Capturing on
// window runs before the document. A widget on the page keeps its own keys.
const PLAYER_KEYS = new Set(["ArrowLeft", "ArrowRight", "Home", "End", " ", "Spacebar"]);
function ownKeys(event) {
  if (!TOUR || !(PLAYER_KEYS.has(event.key) || event.code === "Space")) return;
  event.stopPropagation();
  const target = event.target instanceof Element ? event.target : null;
  const inPopover = target && target.closest(".driver-popover");
  const control = target && target.closest("button, a, input, textarea, select, [role=slider]");
  if ((event.key === " " || event.code === "Space") && (inPopover || !control)) {
    event.preventDefault();
    if (!event.repeat) TOUR.moveNext();
  }
}
if (!window.__rnnlabTourKeys) {
  window.__rnnlabTourKeys = true;
  window.addEventListener("keydown", ownKeys, true);
}

// driver.js places the stage and the popover before it scrolls the target into view, and then
// follows scroll events of the window only; Streamlit scrolls its main area instead. Any scroll
// (captured: scroll events do not bubble) re-places them, once per frame.
let REFRESH = 0;
function follow() {
  if (!TOUR || REFRESH) return;
  REFRESH = requestAnimationFrame(() => { REFRESH = 0; if (TOUR) TOUR.refresh(); });
}
if (!window.__rnnlabTourScroll) {
  window.__rnnlabTourScroll = true;
  document.addEventListener("scroll", follow, {capture: true, passive: true});
}

// driver.js measures its popover when it places it: before driver.css has loaded, the unstyled
// popover has other sizes, and the first tour of a page opened off screen. Both files are loaded
// before the tour starts.
function loadDriver(jsSrc, cssSrc) {
  if (!window.__rnnlabDriverCss) {
    window.__rnnlabDriverCss = new Promise((ok, fail) => {
      const link = document.createElement("link");
      link.rel = "stylesheet"; link.href = cssSrc; link.dataset.rnnlabTour = "1";
      link.onload = () => ok();
      link.onerror = () => { link.remove(); window.__rnnlabDriverCss = null; fail(new Error("driver.css did not load")); };
      document.head.appendChild(link);
    });
  }
  if (!window.__rnnlabDriver) {
    window.__rnnlabDriver = new Promise((ok, fail) => {
      const script = document.createElement("script");
      script.src = jsSrc;
      script.onload = () => ok(window.driver.js.driver);
      script.onerror = () => { window.__rnnlabDriver = null; fail(new Error("driver.js did not load")); };
      document.head.appendChild(script);
    });
  }
  return Promise.all([window.__rnnlabDriver, window.__rnnlabDriverCss]).then(([driver]) => driver);
}

// Hidden means not shown at all (display: none, a folded expander) or off screen sideways (the
// sidebar in presenter view). Not its height: a chart is 0 px high until Plotly has drawn it,
// and a tour started meanwhile must still stop at it.
function visible(el) {
  const r = el.getBoundingClientRect();
  if (r.width <= 0 || r.right <= 0 || r.left >= window.innerWidth) return false;
  return el.checkVisibility ? el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) : true;
}

function firstVisible(selector) {
  return [...document.querySelectorAll(selector)].find(visible) || null;
}

// A target taller than this share of the window leaves driver.js no room above or below it, and
// it then puts the popover to the left: over the sidebar, far from what it talks about. Such a
// target is highlighted by an anchor over its top part instead, and the popover sits under that.
const TALL = 0.45;
function anchored(el) {
  if (el.getBoundingClientRect().height <= TALL * window.innerHeight) return el;
  let anchor = el.querySelector(":scope > .rnnlab-tour-anchor");
  if (!anchor) {
    anchor = document.createElement("div");
    anchor.className = "rnnlab-tour-anchor";
    anchor.setAttribute("aria-hidden", "true");
    el.classList.add("rnnlab-tour-host");
    el.appendChild(anchor);
  }
  anchor.style.height = `${Math.round(0.3 * window.innerHeight)}px`;
  return anchor;
}

function clearAnchors() {
  document.querySelectorAll(".rnnlab-tour-anchor").forEach((a) => a.remove());
  document.querySelectorAll(".rnnlab-tour-host").forEach((h) => h.classList.remove("rnnlab-tour-host"));
}

function startTour(data) {
  loadDriver(data.js, data.css).then((driver) => {
    if (TOUR) TOUR.destroy();
    // Resolved now, not per step: what is hidden (presenter view's sidebar) is left out.
    const steps = [];
    for (const s of data.steps) {
      const el = firstVisible(s.selector);
      if (el) steps.push({element: anchored(el), popover: {title: s.title, description: s.text,
                                                           side: "bottom", align: "start"}});
    }
    if (!steps.length) return;
    TOUR = driver({
      steps, showProgress: true, allowClose: true, smoothScroll: true, stagePadding: 6,
      overlayOpacity: 0.25, popoverClass: "rnnlab-tour",
      // driver.js tries left and right before top when the asked-for side has no room: over
      // the sidebar for anything in the main area. Ask for the side with more room instead
      // (a target out of view is scrolled to the centre, where both have room).
      onHighlightStarted: (element, step) => {
        const r = element.getBoundingClientRect();
        const inView = r.top >= 0 && r.bottom <= window.innerHeight;
        step.popover.side = inView && r.top > window.innerHeight - r.bottom ? "top" : "bottom";
      },
      nextBtnText: "Next →", prevBtnText: "← Back", doneBtnText: "Done",
      onDestroyed: () => {
        TOUR = null;
        clearAnchors();
        document.body.classList.remove("rnnlab-touring");
      },
    });
    document.body.classList.add("rnnlab-touring");
    TOUR.drive();
  });
}

// Links to #ctl-<key>: scroll to that widget (opening its expander) and focus it.
function goToControl(key) {
  const el = document.querySelector(".st-key-" + CSS.escape(key));
  if (!el) return false;
  const details = el.closest("details");
  if (details && !details.open) details.querySelector("summary").click();
  setTimeout(() => {
    el.scrollIntoView({block: "center", behavior: "smooth"});
    const input = el.querySelector("input, [role=slider], [role=combobox], button, textarea");
    if (input) input.focus({preventScroll: true});
    el.classList.add("rnnlab-flash");
    setTimeout(() => el.classList.remove("rnnlab-flash"), 1600);
  }, details ? 250 : 0);
  return true;
}

if (!window.__rnnlabControlLinks) {
  window.__rnnlabControlLinks = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href*="#ctl-"]');
    if (!link) return;
    const key = decodeURIComponent(link.getAttribute("href").split("#ctl-")[1] || "");
    if (key && goToControl(key)) { event.preventDefault(); event.stopPropagation(); }
  }, true);
}

export default function ({ data: raw, parentElement }) {
  if (!raw || !raw.json) return;
  const data = JSON.parse(raw.json);
  let button = parentElement.querySelector("button.rnnlab-tour-start");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    button.className = "rnnlab-tour-start";
    parentElement.appendChild(button);
  }
  button.textContent = data.label;
  button.onclick = () => startTour(data);   // the latest steps, rerun after rerun
  return () => {
    setTimeout(() => { if (!parentElement.isConnected && TOUR) TOUR.destroy(); }, 0);
  };
}
