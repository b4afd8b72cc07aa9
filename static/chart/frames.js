// A step-through's Plotly frames, built from its description (fig.animation; the format is
// specified once, in ui/drawing/figures.py step_through, and tests/oracle/labels.py builds the same):
// the figure sends every array once, frame k fills the heatmaps in up to step k, grows the lines
// to k + 1 points and moves the cursors to x = k.
//
// The one implementation, used by the chart component (static/chart/chart.js imports this file)
// and by a downloaded chart (ui/classroom/exports.py chart_html inlines it): a plain script, no export
// syntax, that puts `rnnlabFrames` = {stepFrames, onFrame} on the global object.
(function (root) {
  const TYPED = {f8: Float64Array, f4: Float32Array, i1: Int8Array, i2: Int16Array, i4: Int32Array,
                 u1: Uint8Array, u2: Uint16Array, u4: Uint32Array};

  function decoded(value) {
    // Plotly's typed-array spec {dtype, bdata, shape} (ui/drawing/plot.py encode), a typed array or
    // (nested) arrays, as plain (nested) arrays: null must stay null (a typed array makes it 0)
    if (!value) return value;
    if (value.bdata === undefined) {
      if (ArrayBuffer.isView(value)) return Array.from(value);
      return Array.isArray(value) ? value.map((v) => (v && typeof v === "object" ? decoded(v) : v))
                                  : value;
    }
    const bytes = Uint8Array.from(atob(value.bdata), (c) => c.charCodeAt(0));
    const flat = Array.from(new TYPED[value.dtype](bytes.buffer));
    if (!value.shape) return flat;
    const cols = Number(String(value.shape).split(",")[1]);
    const rows = [];
    for (let r = 0; r * cols < flat.length; r++) rows.push(flat.slice(r * cols, (r + 1) * cols));
    return rows;
  }

  function stepFrames(fig) {
    const spec = fig.animation;
    const z = spec.fill.map((i) => [i, decoded(fig.data[i].z)]);     // (units, T) rows
    const y = spec.grow.map((i) => [i, decoded(fig.data[i].y)]);     // (T,)
    const frames = [];
    for (let k = 0; k < spec.timesteps; k++) {
      const traces = [], data = [];
      for (const [i, rows] of z) {
        traces.push(i);
        data.push({type: fig.data[i].type, z: rows.map((row) => row.map((v, j) => (j <= k ? v : null)))});
      }
      for (const [i, values] of y) {
        traces.push(i);
        data.push({type: fig.data[i].type, y: values.slice(0, k + 1)});
      }
      for (const i of spec.cursor) {
        traces.push(i);
        data.push({type: fig.data[i].type, x: [k, k]});
      }
      frames.push({name: String(k), traces, data});
    }
    return frames;
  }

  function onFrame(traces, frame) {
    // The traces with one frame applied (what Plotly.animate does to them).
    const out = traces.slice();
    frame.traces.forEach((i, j) => { out[i] = Object.assign({}, out[i], frame.data[j]); });
    return out;
  }

  root.rnnlabFrames = {stepFrames, onFrame};
})(globalThis);
