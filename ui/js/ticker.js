// The cross-check status's poll, kept in the browser: one trigger after data.ms, which reruns
// only the status fragment (ui/runtime/status.py). The status stops drawing this element once the result
// is in, so polling ends with it.
const TIMERS = new WeakMap();   // parentElement -> its pending timer

export default function ({ data, parentElement, setTriggerValue }) {
  clearTimeout(TIMERS.get(parentElement));
  TIMERS.set(parentElement, setTimeout(() => setTriggerValue("tick", data.run), data.ms));
  return () => clearTimeout(TIMERS.get(parentElement));
}
