// The chart component's code (static/chart/chart.js) is an ES module the browser fetches once
// from the app's static route (data.module, versioned by its content), instead of JavaScript
// resent inside every chart element on every run (10 KB each: a third of /gates' bytes).
export default function (component) {
  const src = component.data && component.data.module;
  if (!src) return undefined;
  let cleanup = null;
  let unmounted = false;
  // absolute: this loader itself runs from a blob: URL, against which "/app/..." cannot resolve
  import(new URL(src, window.location.href).href).then((module) => {
    if (!unmounted) cleanup = module.default(component);
  });
  return () => {
    unmounted = true;
    if (typeof cleanup === "function") cleanup();
  };
}
