// The step-through's step, reported to the server so that every rerun starts where the student
// is. The player (ui/runtime/chart.py) announces each step it shows with a "rnnlab:step" event; this
// element reports a step the server does not know yet, which reruns only its fragment (ui/runtime/lab.py).
// While ▶ Play runs, it waits until the frames stop.
const STATE = new WeakMap();   // parentElement -> {known, timer, listener}

export default function ({ data, parentElement, setStateValue }) {
  let state = STATE.get(parentElement);
  if (!state) {
    state = {};
    state.listener = (event) => {
      const {step, playing} = event.detail;
      clearTimeout(state.timer);
      if (step === state.known || state.known === undefined) return;
      state.timer = setTimeout(() => {
        state.known = step;
        setStateValue("step", step);
      }, playing ? data.settle_ms : 0);
    };
    document.addEventListener("rnnlab:step", state.listener);
    STATE.set(parentElement, state);
    state.known = data.step;
    // A step the student moved to before this element was mounted (the player came first)
    const last = window.__rnnlabStep;
    if (last && last.key === data.player) state.listener({detail: last});
  }
  state.known = data.step;   // what the server holds now (its reruns draw the player there)
  return () => {
    clearTimeout(state.timer);
    document.removeEventListener("rnnlab:step", state.listener);
    STATE.delete(parentElement);
  };
}
