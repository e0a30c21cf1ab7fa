// hyosan view: plays result folders on <canvas> from typed arrays; served by hyosan.view.server or
// embedded in one exported HTML file (window.HYOSAN_EMBED). No libraries, no network beyond the page's own API.
"use strict";

const EMBED = window.HYOSAN_EMBED || null;
const TOKEN = new URLSearchParams(location.search).get("token") || "";
const UNIT_S = { seconds: 1, s: 1, minutes: 60, min: 60, hours: 3600, h: 3600, days: 86400, d: 86400 };
const PALETTE = ["#2b7bba", "#f5961e", "#2ea043", "#964fb0", "#787878", "#46b9be", "#d62728", "#8c564b", "#e377c2", "#17becf"];
const DRAW_ORDER = [4, 0, 6, 1, 3, 2]; // dead first, zombies last (on top), as the animation draws them
const $ = (id) => document.getElementById(id);

const state = { results: [], cache: {}, panels: [], timeline: [0], index: 0, playing: false, acc: 0, last: 0, frames: 0, fpsLog: [] };
window.hyosanView = state;

async function api(path, options) {
  if (EMBED) throw new Error("offline");
  const r = await fetch(path, Object.assign({ headers: { "X-Hyosan-Token": TOKEN, "Content-Type": "application/json" } }, options || {}));
  const body = r.headers.get("Content-Type") === "application/octet-stream" ? await r.arrayBuffer() : await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function b64bytes(text) {
  const raw = atob(text), out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out.buffer;
}

const TYPED = { float32: Float32Array, float64: Float64Array, uint8: Uint8Array, int16: Int16Array, int32: Int32Array, uint16: Uint16Array, int64: BigInt64Array };

function views(table, buffer) {
  const out = {};
  for (const [name, [dtype, shape, offset]] of Object.entries(table)) {
    const T = TYPED[dtype];
    const n = shape.reduce((a, b) => a * b, 1);
    out[name] = { data: new T(buffer, offset, n), shape };
  }
  return out;
}

async function openResult(id) {
  if (state.cache[id]) return state.cache[id];
  let m, buffer = null;
  if (EMBED) {
    const e = EMBED.results[id];
    m = e.manifest;
    if (e.blob) buffer = b64bytes(e.blob);
  } else {
    m = await api(`/api/result/${id}`);
    if (m.film) buffer = await api(`/api/result/${id}/blob`);
  }
  m.id = id;
  m.scale = UNIT_S[m.time_unit] || 1;
  if (m.film) m.arrays = views(m.film.arrays, buffer);
  state.cache[id] = m;
  return m;
}

// ---- clocks -------------------------------------------------------------------------------------------
function pad(n) { return String(n).padStart(2, "0"); }
function clockLabel(meta, t) {
  if (meta && meta.starts_at !== null && meta.starts_at !== undefined) {
    const c = Math.round((meta.starts_at + t) / 60) * 60;
    const day = Math.floor(c / 86400) + 1, s = c % 86400;
    return `day ${day}, ${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}`;
  }
  let s = Math.round(t);
  const d = Math.floor(s / 86400); s %= 86400;
  const hms = `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return d ? `+${d} d ${hms}` : `+${hms}`;
}
function isNight(meta, t) {
  if (!meta || meta.starts_at == null || meta.sunrise == null || meta.sunset == null) return false;
  const tod = (meta.starts_at + t) % 86400;
  return tod >= meta.sunset || tod < meta.sunrise;
}
function fmtTime(m, t) {
  if (m.film) return clockLabel(m.film.meta, t);
  return `t = ${(t / m.scale).toFixed(2)} ${m.time_unit}`;
}
function bisect(arr, t) { // last index with arr[i] <= t (0 if none)
  let lo = 0, hi = arr.length - 1;
  if (!(arr[0] <= t)) return 0;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (arr[mid] <= t) lo = mid; else hi = mid - 1; }
  return lo;
}

// ---- panels -------------------------------------------------------------------------------------------
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k) e.appendChild(k);
  return e;
}
function colourOf(m, c, i) {
  if (m.film) {
    const name = m.labels[c], col = m.film.meta.colours[name];
    if (col) return `rgb(${col.join(",")})`;
  }
  return PALETTE[i % PALETTE.length];
}

function makePanel(m) {
  const p = { m, root: el("div", { class: "panel", "data-result": String(m.id) }) };
  const sub = `${m.engine} · ${m.replicates} replicate${m.replicates > 1 ? "s" : ""} · seed ${m.seed ?? "–"}`;
  p.root.appendChild(el("h2", { text: `${m.title}` }));
  p.root.appendChild(el("div", { class: "muted", text: `${m.folder} · ${sub}` }));
  const row = el("div", { class: "row" });
  p.root.appendChild(row);
  if (m.film) buildMap(p, row);
  else if (m.kind === "agents") row.appendChild(el("div", { class: "story", text: "No frames.npz in this folder (run with plots on, or a run made before the viewer): the curves and the log only." }));
  const side = el("div", { class: "side" });
  row.appendChild(side);
  p.chart = el("canvas", { class: "chart", width: "520", height: "300" });
  side.appendChild(p.chart);
  p.zoom = el("select", { class: "zoom" });
  for (const [v, label] of [["0", "the whole run"], ["86400", "the day around the clock"], ["7200", "two hours around the clock"], ["1200", "20 minutes around the clock"]]) {
    if (+v === 0 || +v < (m.times[m.times.length - 1] - m.times[0]) * m.scale) p.zoom.appendChild(el("option", { value: v, text: label }));
  }
  p.zoom.addEventListener("change", draw);
  if (m.film && p.zoom.options.length > 2) p.zoom.value = p.zoom.options[2].value;
  if (p.zoom.options.length > 1) side.appendChild(el("div", { class: "muted" }, document.createTextNode("the chart shows "), p.zoom));
  p.legend = el("div", { class: "legend" });
  side.appendChild(p.legend);
  m.compartments.forEach((c, i) => {
    const sw = el("i", {}); sw.style.background = colourOf(m, c, i);
    p.legend.appendChild(el("span", {}, sw, document.createTextNode(m.labels[c] || c)));
  });
  if (m.replicates > 1) {
    const box = el("input", { type: "checkbox", class: "lines" });
    box.addEventListener("change", async () => { p.showLines = box.checked; if (p.showLines) await loadLines(p); draw(); });
    side.appendChild(el("label", {}, box, document.createTextNode(" per-replicate lines")));
  }
  if (m.tree) { p.tree = el("canvas", { class: "tree", width: "520", height: "260" }); side.appendChild(el("div", { class: "muted", text: `transmission tree, replicate 0 (${m.tree.total} transmissions)` })); side.appendChild(p.tree); }
  if (m.patches) buildPatches(p, side);
  side.appendChild(el("div", { class: "outbox" }, outcomeTable(m)));
  if (m.events && m.events.t) buildLog(p);
  return p;
}

async function loadLines(p) {
  const m = p.m;
  if (p.lines) return;
  p.lines = {};
  for (const c of m.compartments) {
    p.lines[c] = EMBED ? (EMBED.results[m.id].lines || {})[c] || [] : (await api(`/api/result/${m.id}/lines?c=${encodeURIComponent(c)}`)).lines;
  }
}

function outcomeTable(m) {
  const t = el("table", { class: "small outcomes" });
  t.appendChild(el("tr", {}, el("th", { text: "outcome" }), el("th", { text: m.replicates > 1 ? "mean ± SE (5–95%)" : "value" })));
  const rows = Object.entries(m.outcomes || {}).slice(0, 40);
  for (const [k, v] of rows) {
    let text;
    if (v && typeof v === "object") text = v.mean == null ? "–" : `${(+v.mean).toPrecision(4)} ± ${v.se == null ? "–" : (+v.se).toPrecision(2)} (${v.q05} to ${v.q95})`;
    else text = v == null ? "–" : String(v);
    t.appendChild(el("tr", {}, el("td", { text: k }), el("td", { text })));
  }
  if (!rows.length) for (const [k, v] of Object.entries(m.final || {})) t.appendChild(el("tr", {}, el("td", { text: `final ${k}` }), el("td", { text: (+v).toFixed(2) })));
  return t;
}

// ---- the agent map ------------------------------------------------------------------------------------
function buildMap(p, row) {
  const m = p.m, a = m.arrays, [H, W] = a.cells.shape;
  const px = Math.max(1, Math.min(8, Math.floor(900 / W), Math.floor(640 / H)));
  p.px = px; p.W = W; p.H = H;
  const box = el("div", {});
  row.appendChild(box);
  p.canvas = el("canvas", { class: "map", width: String(W * px), height: String(H * px) });
  box.appendChild(p.canvas);
  p.ctx = p.canvas.getContext("2d");
  p.img = p.ctx.createImageData(W * px, H * px);
  p.pix = new Uint32Array(p.img.data.buffer);
  p.base = new Uint32Array(W * px * H * px);
  p.nightBase = new Uint32Array(W * px * H * px);
  const cells = a.cells.data, rgba = (r, g, b) => (255 << 24) | (b << 16) | (g << 8) | r;
  for (let y = 0; y < H * px; y++) for (let x = 0; x < W * px; x++) {
    const c = ((y / px | 0) * W + (x / px | 0)) * 3;
    p.base[y * W * px + x] = rgba(cells[c], cells[c + 1], cells[c + 2]);
    p.nightBase[y * W * px + x] = rgba(cells[c] * 0.62 | 0, cells[c + 1] * 0.66 | 0, cells[c + 2] * 0.86 | 0);
  }
  const meta = m.film.meta;
  p.stateRGBA = meta.states.map((s) => { const c = meta.colours[s]; return rgba(c[0], c[1], c[2]); });
  p.doorRGBA = meta.door_colours.map((c) => rgba(c[0], c[1], c[2]));
  p.d = Math.max(2, Math.min(8, Math.round(px * 0.9)));
  const leg = el("div", { class: "legend" });
  meta.states.forEach((s, i) => { if (i === 6 && !Array.from(a.state.data.subarray(0, a.x.shape[1])).includes(6)) return; const sw = el("i", {}); sw.style.background = `rgb(${meta.colours[s].join(",")})`; leg.appendChild(el("span", {}, sw, document.createTextNode(s))); });
  box.appendChild(leg);
  p.story = el("div", { class: "story", text: "Click an agent for its story." });
  box.appendChild(p.story);
  p.canvas.addEventListener("click", (ev) => clickMap(p, ev));
}

function frameOf(p, t) { return bisect(p.m.arrays.t.data, t); }

function drawMap(p, t) {
  const m = p.m, a = m.arrays, f = frameOf(p, t), N = a.x.shape[1], Wp = p.W * p.px, Hp = p.H * p.px;
  p.frame = f;
  p.pix.set(isNight(m.film.meta, a.t.data[f]) ? p.nightBase : p.base);
  const dc = a.door_cells.data, nd = a.door_cells.shape[0], doors = a.doors.data, nDoors = a.doors.shape[1];
  for (let k = 0; k < nd; k++) {
    const x = dc[3 * k], y = dc[3 * k + 1], id = dc[3 * k + 2];
    const s = nDoors ? doors[f * nDoors + Math.max(id, 0)] : 0, col = p.doorRGBA[Math.min(s, 2)];
    for (let j = 0; j < p.px; j++) p.pix.fill(col, (y * p.px + j) * Wp + x * p.px, (y * p.px + j) * Wp + x * p.px + p.px);
  }
  const xs = a.x.data, ys = a.y.data, st = a.state.data, off = f * N;
  for (const code of DRAW_ORDER) {
    const col = p.stateRGBA[code], d = code === 4 ? Math.max(2, p.d - 2) : p.d, h = d >> 1;
    for (let i = 0; i < N; i++) {
      if (st[off + i] !== code) continue;
      let cx = (xs[off + i] * p.px | 0) - h, cy = (ys[off + i] * p.px | 0) - h;
      if (cx < 0) cx = 0; else if (cx > Wp - d) cx = Wp - d;
      if (cy < 0) cy = 0; else if (cy > Hp - d) cy = Hp - d;
      for (let j = 0; j < d; j++) p.pix.fill(col, (cy + j) * Wp + cx, (cy + j) * Wp + cx + d);
    }
  }
  p.ctx.putImageData(p.img, 0, 0);
  if (p.picked != null) {
    p.ctx.strokeStyle = "#e00"; p.ctx.lineWidth = 2; p.ctx.beginPath();
    p.ctx.arc(xs[off + p.picked] * p.px, ys[off + p.picked] * p.px, p.d + 3, 0, 2 * Math.PI); p.ctx.stroke();
  }
}

function clickMap(p, ev) {
  const r = p.canvas.getBoundingClientRect();
  const cx = (ev.clientX - r.left) * (p.canvas.width / r.width) / p.px, cy = (ev.clientY - r.top) * (p.canvas.height / r.height) / p.px;
  const drop = $("drop") && $("drop").value;
  if (drop && !EMBED) { chooseZone(p, cx, cy, drop); return; }
  const a = p.m.arrays, N = a.x.shape[1], off = (p.frame || 0) * N;
  let best = -1, bd = 4;
  for (let i = 0; i < N; i++) {
    if (a.state.data[off + i] === 5) continue;
    const dx = a.x.data[off + i] - cx, dy = a.y.data[off + i] - cy, d2 = dx * dx + dy * dy;
    if (d2 < bd) { bd = d2; best = i; }
  }
  p.picked = best >= 0 ? best : null;
  p.story.textContent = best >= 0 ? storyOf(p, best) : "No agent there; click closer to a dot.";
  draw();
}

function storyOf(p, i) {
  const m = p.m, a = m.arrays, meta = m.film.meta, ev = m.events, N = a.x.shape[1];
  const kind = meta.kinds[a.kind.data[i]] ?? "?", g = a.group.data[i];
  const lines = [`Agent ${i}: ${kind}${g >= 0 ? `, placed in ${meta.groups[g]}` : ""}.`];
  const at = (t) => clockLabel(meta, t);
  for (let k = 0; k < (ev.t || []).length; k++) {
    const who = ev.agent[k], other = ev.other[k], kd = ev.kind[k];
    if (who === i) {
      if (kd === "bite") lines.push(`Bitten at ${at(ev.t[k])} by agent ${other}.`);
      else if (kd === "turn") lines.push(`Turned at ${at(ev.t[k])}.`);
      else if (kd === "escape") lines.push(`Escaped at ${at(ev.t[k])} by ${meta.exits[other] ?? "an exit"}.`);
      else if (kd === "kill" || kd === "shot") lines.push(`Destroyed at ${at(ev.t[k])}${other >= 0 ? ` by agent ${other}` : ""}.`);
      else lines.push(`${kd} at ${at(ev.t[k])}.`);
    } else if (other === i && (kd === "bite" || kd === "kill" || kd === "shot")) {
      lines.push(`${kd === "bite" ? "Bit" : "Destroyed"} agent ${who} at ${at(ev.t[k])}.`);
    }
  }
  const last = (a.t.shape[0] - 1) * N + i;
  lines.push(`Ended ${meta.states[a.state.data[last]]} at (${(a.x.data[last] * meta.scale_m).toFixed(1)} m, ${(a.y.data[last] * meta.scale_m).toFixed(1)} m).`);
  return lines.join(" ");
}

function chooseZone(p, cx, cy, what) {
  const meta = p.m.film.meta, x = +(cx * meta.scale_m).toFixed(2), y = +(cy * meta.scale_m).toFixed(2);
  state.dropZone = { what, x_m: x, y_m: y };
  $("dropzone").textContent = `${what === "noise" ? "a noise" : "patient zero"} at (${x} m, ${y} m) of ${meta.name}`;
  const known = [...$("target").options].some((o) => o.value === meta.target);
  if (known && $("target").value !== meta.target) { $("target").value = meta.target; loadFields(); }
  p.ctx.strokeStyle = what === "noise" ? "#f0a000" : "#d00"; p.ctx.lineWidth = 2;
  p.ctx.beginPath(); p.ctx.arc(cx * p.px, cy * p.px, 3 * p.d, 0, 2 * Math.PI); p.ctx.stroke();
}

// ---- event log ----------------------------------------------------------------------------------------
function buildLog(p) {
  const ev = p.m.events, kinds = [...new Set(ev.kind)].sort();
  p.logKind = el("select", { class: "logkind" }, el("option", { value: "", text: "all kinds" }));
  for (const k of kinds) p.logKind.appendChild(el("option", { value: k, text: k }));
  p.logKind.addEventListener("change", () => { p.logAt = -1; draw(); });
  p.log = el("div", { class: "log" });
  p.root.appendChild(el("div", {}, el("b", { text: "Event log " }), p.logKind, el("span", { class: "muted", text: " (up to the clock; latest first)" })));
  p.root.appendChild(p.log);
}

function drawLog(p, t) {
  const ev = p.m.events, kind = p.logKind.value, upto = bisect(ev.t, t) + (ev.t[0] <= t ? 1 : 0);
  const key = `${upto}|${kind}`, stamp = performance.now();
  if (p.logAt === key || (state.playing && stamp - (p.logTime || 0) < 250)) return;
  p.logAt = key; p.logTime = stamp;
  const tb = el("table", { class: "small" });
  tb.appendChild(el("tr", {}, ...["clock", "event", "agent", "other"].map((h) => el("th", { text: h }))));
  let shown = 0;
  for (let k = upto - 1; k >= 0 && shown < 150; k--) {
    if (kind && ev.kind[k] !== kind) continue;
    tb.appendChild(el("tr", {}, el("td", { text: clockLabel(p.m.film ? p.m.film.meta : null, ev.t[k]) }), el("td", { text: ev.kind[k] + (ev.name[k] ? ` (${ev.name[k]})` : "") }), el("td", { text: String(ev.agent[k]) }), el("td", { text: ev.other[k] >= 0 ? String(ev.other[k]) : "" })));
    shown++;
  }
  p.log.replaceChildren(tb);
}

// ---- the shared clock ---------------------------------------------------------------------------------
function keyTimes(m) {
  if (m.film) return Array.from(m.arrays.t.data);
  return m.times.map((v) => v * m.scale);
}
function buildTimeline() {
  const all = new Set();
  for (const p of state.panels) for (const v of keyTimes(p.m)) all.add(v);
  let tl = [...all].sort((a, b) => a - b);
  if (tl.length > 6000) { const step = tl.length / 6000; tl = Array.from({ length: 6000 }, (_, i) => tl[Math.floor(i * step)]); }
  state.timeline = tl.length ? tl : [0];
  $("slider").max = String(state.timeline.length - 1);
  setIndex(Math.min(state.index, state.timeline.length - 1));
}
function now() { return state.timeline[state.index] ?? 0; }
function setIndex(i) { state.index = Math.max(0, Math.min(state.timeline.length - 1, i)); $("slider").value = String(state.index); draw(); }

function draw() {
  const t = now();
  for (const p of state.panels) {
    if (p.canvas) drawMap(p, t);
    drawChart(p, t);
    if (p.tree) drawTree(p, t);
    if (p.patchCanvas) drawPatches(p, t);
    if (p.log) drawLog(p, t);
  }
  const first = state.panels[0];
  $("clock").textContent = first ? fmtTime(first.m, t) + (isNight(first.m.film && first.m.film.meta, t) ? "  night" : "") : "–";
  $("clock").dataset.t = String(t);
  state.frames++;
}

function tick(ts) {
  if (state.playing) {
    const dt = state.last ? Math.min(0.25, (ts - state.last) / 1000) : 0;
    const sp = $("speed").value;
    if (sp === "max") state.index += 1; else { state.acc += dt * 10 * parseFloat(sp); const n = Math.floor(state.acc); state.acc -= n; state.index += n; }
    if (state.index >= state.timeline.length - 1) { state.index = state.timeline.length - 1; setPlaying(false); }
    $("slider").value = String(state.index);
    draw();
  }
  state.last = ts;
  requestAnimationFrame(tick);
}
function setPlaying(on) { state.playing = on; $("play").textContent = on ? "❚❚ pause" : "▶ play"; if (on && state.index >= state.timeline.length - 1) state.index = 0; }

async function show() {
  const a = $("pickA").value, b = $("pickB").value;
  const ids = [a, b].filter((v) => v !== "").map(Number);
  $("status").textContent = "opening…";
  const t0 = performance.now();
  const ms = [];
  for (const id of ids) ms.push(await openResult(id));
  state.panels = ms.map(makePanel);
  $("panels").replaceChildren(...state.panels.map((p) => p.root));
  buildTimeline();
  state.openedMs = performance.now() - t0;
  $("status").textContent = `opened in ${(state.openedMs / 1000).toFixed(2)} s`;
  document.body.dataset.ready = "1";
}

function fillPickers(results) {
  const A = $("pickA"), B = $("pickB"), keepA = A.value, keepB = B.value;
  A.replaceChildren(); B.replaceChildren(el("option", { value: "", text: "—" }));
  for (const r of results) {
    const label = `${r.id}: ${r.folder} (${r.kind})`;
    A.appendChild(el("option", { value: String(r.id), text: label }));
    B.appendChild(el("option", { value: String(r.id), text: label }));
  }
  if (keepA !== "") A.value = keepA;
  if (keepB !== "") B.value = keepB;
  state.results = results;
}

// ---- runs from the page -------------------------------------------------------------------------------
async function setupRunner() {
  $("runner").hidden = false;
  const tg = await api("/api/targets"), sel = $("target");
  for (const group of ["scenarios", "models"]) {
    const og = el("optgroup", { label: group });
    for (const t of tg[group]) og.appendChild(el("option", { value: t.name, text: `${t.name} — ${t.title}` }));
    sel.appendChild(og);
  }
  sel.value = "sir";
  sel.addEventListener("change", loadFields);
  await loadFields();
  $("run").addEventListener("click", startRun);
}
async function loadFields() {
  const f = await api(`/api/fields?target=${encodeURIComponent($("target").value)}`);
  $("engine").replaceChildren(...f.engines.map((e) => el("option", { value: e, text: e })));
  const tb = el("table", { class: "small" }, el("tr", {}, ...["parameter", "value", "unit", "meaning"].map((h) => el("th", { text: h }))));
  for (const x of f.fields) {
    const inp = el("input", { type: "text", name: x.name, value: String(x.value), "data-default": String(x.value) });
    const cell = el("td", {}, inp);
    if (typeof x.value === "number" && x.value > 0) {
      const top = x.value <= 1 && !Number.isInteger(x.value) ? 1 : 4 * x.value;
      const slide = el("input", { type: "range", min: "0", max: String(top), step: String(top / 200), value: String(x.value), "aria-label": x.name });
      slide.addEventListener("input", () => { inp.value = String(+(+slide.value).toPrecision(4)); });
      inp.addEventListener("input", () => { if (isFinite(+inp.value)) slide.value = inp.value; });
      cell.appendChild(slide);
    }
    tb.appendChild(el("tr", {}, el("td", { text: x.name }), cell, el("td", { text: x.unit }), el("td", { text: x.meaning })));
  }
  $("fields").replaceChildren(tb);
}
async function startRun() {
  const values = {};
  for (const inp of $("fields").querySelectorAll("input[type=text]")) if (inp.value !== inp.dataset.default) values[inp.name] = inp.value;
  const body = { target: $("target").value, engine: $("engine").value, replicates: $("replicates").value, seed: $("seed").value, t_end: $("t_end").value, values };
  if (state.dropZone && $("drop").value) body.drop = state.dropZone;
  const msg = $("runmsg");
  msg.className = ""; msg.textContent = "starting…"; $("progress").removeAttribute("value");
  let job;
  try { job = await api("/api/run", { method: "POST", body: JSON.stringify(body) }); }
  catch (e) { msg.className = "error"; msg.textContent = e.message; $("progress").value = 0; return; }
  while (job.state === "running") {
    msg.textContent = `running ${job.target}… ${job.done} of ${job.total} replicate${job.total > 1 ? "s" : ""} done, ${job.elapsed_s} s`;
    if (job.total > 1) $("progress").value = job.done / job.total; else $("progress").removeAttribute("value");
    await new Promise((r) => setTimeout(r, 500));
    job = await api(`/api/job/${job.id}`);
  }
  if (job.state === "error") { msg.className = "error"; msg.textContent = job.message; $("progress").value = 0; return; }
  $("progress").value = 1;
  msg.textContent = `done in ${job.elapsed_s} s`;
  const list = await api("/api/results");
  const prev = $("pickA").value;
  fillPickers(list.results);
  $("pickA").value = prev; $("pickB").value = String(job.result);
  await show();
}

async function main() {
  $("play").addEventListener("click", () => setPlaying(!state.playing));
  $("step").addEventListener("click", () => { setPlaying(false); setIndex(state.index + 1); });
  $("back").addEventListener("click", () => { setPlaying(false); setIndex(state.index - 1); });
  $("slider").addEventListener("input", () => setIndex(parseInt($("slider").value, 10)));
  $("pickA").addEventListener("change", show);
  $("pickB").addEventListener("change", show);
  document.addEventListener("keydown", (e) => { if (e.code === "Space" && e.target.tagName !== "INPUT") { e.preventDefault(); setPlaying(!state.playing); } });
  if (EMBED) fillPickers(EMBED.results.map((r, i) => ({ id: i, folder: r.manifest.folder, kind: r.manifest.kind })));
  else fillPickers((await api("/api/results")).results);
  if (state.results.length) await show();
  if (!EMBED) await setupRunner();
  requestAnimationFrame(tick);
}
main().catch((e) => { $("status").textContent = `error: ${e.message}`; console.error(e); });
