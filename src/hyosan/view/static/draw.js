// hyosan view: the charts beside the map (curves with bands, the transmission tree, the patch map).
// Classic script loaded before app.js; it shares app.js's globals (state, el, bisect, colourOf) at call time.
"use strict";

// ---- charts -------------------------------------------------------------------------------------------
function drawChart(p, t) {
  const m = p.m, c = p.chart.getContext("2d"), W = p.chart.width, H = p.chart.height, L = 48, B = 24, T = 8, R = 8;
  c.clearRect(0, 0, W, H);
  const times = m.times, span = +p.zoom.value / m.scale, tc = t / m.scale;
  let x0 = times[0], x1 = times[times.length - 1] || 1;
  if (span > 0) { x0 = Math.max(x0, tc - span / 2); x1 = Math.min(x1, x0 + span); x0 = Math.max(times[0], x1 - span); }
  let ymax = 0, ymin = 0;
  const see = (v) => { if (v > ymax) ymax = v; if (v < ymin) ymin = v; };
  for (const k of m.compartments) { m.series[k].q95.forEach(see); m.series[k].q05.forEach(see); }
  if (p.showLines && p.lines) for (const k of m.compartments) for (const r of p.lines[k]) r.forEach(see);
  if (ymax === ymin) ymax = ymin + 1;
  const X = (v) => L + (v - x0) / ((x1 - x0) || 1) * (W - L - R), Y = (v) => H - B - (v - ymin) / (ymax - ymin) * (H - B - T);
  c.strokeStyle = "#999"; c.lineWidth = 1; c.beginPath(); c.moveTo(L, T); c.lineTo(L, H - B); c.lineTo(W - R, H - B); c.stroke();
  c.fillStyle = "#444"; c.font = "11px sans-serif";
  c.fillText(ymax.toPrecision(3), 2, T + 8); c.fillText(ymin.toPrecision(3), 2, H - B);
  c.fillText(`${+(+x0).toPrecision(4)}`, L, H - 8); c.fillText(`${+(+x1).toPrecision(4)} ${m.time_unit}`, W - R - 90, H - 8);
  c.save(); c.beginPath(); c.rect(L, 0, W - L - R + 1, H); c.clip();
  m.compartments.forEach((k, i) => {
    const s = m.series[k], col = colourOf(m, k, i);
    if (m.replicates > 1) {
      for (const [lo, hi, alpha] of [["q05", "q95", 0.15], ["q25", "q75", 0.25]]) {
        c.globalAlpha = alpha; c.fillStyle = col; c.beginPath();
        times.forEach((tt, j) => (j ? c.lineTo(X(tt), Y(s[hi][j] ?? 0)) : c.moveTo(X(tt), Y(s[hi][j] ?? 0))));
        for (let j = times.length - 1; j >= 0; j--) c.lineTo(X(times[j]), Y(s[lo][j] ?? 0));
        c.fill();
      }
      c.globalAlpha = 1;
      if (p.showLines && p.lines) {
        c.globalAlpha = 0.25; c.strokeStyle = col; c.lineWidth = 0.7;
        for (const r of p.lines[k]) { c.beginPath(); r.forEach((v, j) => (j ? c.lineTo(X(times[j]), Y(v ?? 0)) : c.moveTo(X(times[j]), Y(v ?? 0)))); c.stroke(); }
        c.globalAlpha = 1;
      }
    }
    c.strokeStyle = col; c.lineWidth = 2; c.beginPath();
    s.median.forEach((v, j) => (j ? c.lineTo(X(times[j]), Y(v ?? 0)) : c.moveTo(X(times[j]), Y(v ?? 0))));
    c.stroke();
  });
  const tx = X(t / m.scale);
  c.strokeStyle = "#d00"; c.lineWidth = 1.5; c.beginPath(); c.moveTo(tx, T); c.lineTo(tx, H - B); c.stroke();
  c.restore();
}

function drawTree(p, t) {
  const m = p.m, tr = m.tree, c = p.tree.getContext("2d"), W = p.tree.width, H = p.tree.height;
  c.clearRect(0, 0, W, H);
  if (!p.treeY) {
    const kids = new Map();
    tr.node.forEach((n, k) => { const b = tr.by[k]; if (!kids.has(b)) kids.set(b, []); kids.get(b).push(n); });
    const y = new Map(), tin = new Map();
    tr.node.forEach((n, k) => tin.set(n, tr.t[k]));
    let row = 0;
    const stack = [...tr.seeds].reverse();
    while (stack.length) { const n = stack.pop(); if (y.has(n)) continue; y.set(n, row++); for (const k of (kids.get(n) || []).slice().reverse()) stack.push(k); }
    p.treeY = y; p.treeT = tin; p.treeRows = Math.max(row, 1);
  }
  const x1 = m.times[m.times.length - 1] || 1, X = (v) => 10 + v / x1 * (W - 20), Y = (r) => 6 + r / p.treeRows * (H - 12);
  c.lineWidth = 0.6;
  tr.node.forEach((n, k) => {
    const b = tr.by[k], yb = p.treeY.get(b), yn = p.treeY.get(n), tb = p.treeT.get(b) || 0;
    if (yb == null || yn == null) return;
    c.strokeStyle = tr.t[k] * m.scale <= t ? "#c0392b" : "#ccc";
    c.beginPath(); c.moveTo(X(tb), Y(yb)); c.lineTo(X(tb), Y(yn)); c.lineTo(X(tr.t[k]), Y(yn)); c.stroke();
  });
}

function buildPatches(p, side) {
  const pt = p.m.patches, names = Object.keys(pt.counts);
  if (!names.length) return;
  p.patchSel = el("select", { class: "patchvar" });
  for (const n of names) p.patchSel.appendChild(el("option", { value: n, text: n.replace(/_patch$/, "") }));
  if (pt.time_of_fall) p.patchSel.appendChild(el("option", { value: "time_of_fall", text: "time of fall" }));
  if (pt.first_arrival) p.patchSel.appendChild(el("option", { value: "first_arrival", text: "first arrival" }));
  const inf = names.find((n) => /^(I|Z)_patch$/.test(n));
  if (inf) p.patchSel.value = inf;
  p.patchSel.addEventListener("change", draw);
  p.patchCanvas = el("canvas", { class: "patchmap", width: "520", height: "360" });
  p.patchNote = el("div", { class: "muted" });
  side.appendChild(el("div", { class: "muted" }, document.createTextNode("patch map, replicate 0: "), p.patchSel));
  side.appendChild(p.patchCanvas);
  side.appendChild(p.patchNote);
  const n = pt.names.length, lon = pt.lon || pt.x, lat = pt.lat || pt.y;
  p.patchXY = [];
  if (lon && lat) {
    const lo0 = Math.min(...lon), lo1 = Math.max(...lon), la0 = Math.min(...lat), la1 = Math.max(...lat);
    const sx = 500 / ((lo1 - lo0) || 1), sy = 320 / ((la1 - la0) || 1), k = Math.min(sx, sy);
    for (let i = 0; i < n; i++) p.patchXY.push([10 + (lon[i] - lo0) * k, 350 - (lat[i] - la0) * k]);
  } else {
    const cols = Math.ceil(Math.sqrt(n * 1.5));
    for (let i = 0; i < n; i++) p.patchXY.push([10 + (i % cols) * 500 / cols, 10 + Math.floor(i / cols) * 340 / Math.ceil(n / cols)]);
  }
  p.patchTotal = pt.names.map((_, i) => names.reduce((acc, c) => acc + (pt.counts[c][i][0] || 0), 0));
}

function drawPatches(p, t) {
  const pt = p.m.patches, which = p.patchSel.value, c = p.patchCanvas.getContext("2d"), W = p.patchCanvas.width, H = p.patchCanvas.height;
  const j = bisect(p.m.times, t / p.m.scale), n = pt.names.length, r = Math.max(2, Math.min(9, 180 / Math.sqrt(n)));
  c.clearRect(0, 0, W, H);
  const timed = which === "time_of_fall" || which === "first_arrival";
  const tEnd = p.m.times[p.m.times.length - 1] || 1;
  for (let i = 0; i < n; i++) {
    let fill;
    if (timed) {
      const v = pt[which][i];
      if (v == null) fill = "#ddd";
      else if (v * p.m.scale > t) fill = "#fff";
      else { const f = v / tEnd; fill = `rgb(${120 + 135 * f | 0},${20 + 160 * f | 0},${20 + 60 * f | 0})`; }
    } else {
      const share = Math.min(1, (pt.counts[which][i][j] || 0) / (p.patchTotal[i] || 1));
      fill = `rgb(${255 - share * 90 | 0},${255 - share * 235 | 0},${255 - share * 225 | 0})`;
    }
    c.beginPath(); c.arc(p.patchXY[i][0], p.patchXY[i][1], r, 0, 2 * Math.PI);
    c.fillStyle = fill; c.fill(); c.strokeStyle = "#555"; c.lineWidth = 0.5; c.stroke();
  }
  p.patchNote.textContent = timed
    ? `${which.replace("_", " ")}: dark red early, pale late, white not yet at the clock, grey never (days; horizon ${tEnd})`
    : `share of each patch's people in ${which.replace(/_patch$/, "")} at the clock (white 0, red 1)`;
}

