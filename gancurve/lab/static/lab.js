// gancurve lab: the page. Plain JavaScript drawing on <canvas>; nothing vendored, no build step.
// The server sends "setup" (the canvas, the controls, the changes) and "frame" (the newest state,
// at most ~30 a second) messages over one WebSocket; the page sends commands and shows each reply.
"use strict";

const COLOURS = {
  green: "#4AD631", upper: "#74BCFF", lower: "#FF9359", band: "#EAF3FB", real: "#9A9A9A",
  push: "#E07B00", d: "#1f77d0", dStar: "#111", grid: "#e3e7ec", text: "#33404d",
  dLoss: "#1f77d0", gLoss: "#2f9c1c", w1: "#7b3fb5", view: "#c77700", score: "#1f77d0",
};
const token = new URLSearchParams(location.search).get("token") || "";
let setup = null;
let frame = null;
let socket = null;
let commandId = 0;
let drawPending = false;
let shownGeneration = null;
let pendingField = null; // the field whose value was just sent

// -- the socket ---------------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "setup") {
      setup = message;
      showSetup();
    } else if (message.type === "frame") {
      frame = message;
      showStatus();
      schedule();
    } else if (message.type === "reply") {
      if (pendingField) {
        // A refused value stays in its field, marked, until corrected (the run keeps the old one).
        pendingField.classList.toggle("refused", !message.ok);
        pendingField = null;
      }
      say(message.message, !message.ok);
    }
  };
  socket.onclose = () => {
    say("The lab's server is gone (stopped, or the connection broke). Reload the page once it runs again.", true);
    document.getElementById("state").textContent = "· disconnected";
  };
}

function send(command) {
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    say("Not connected to the lab's server.", true);
    return;
  }
  commandId += 1;
  socket.send(JSON.stringify({ id: commandId, ...command }));
}

function say(text, isError) {
  const box = document.getElementById("message");
  box.textContent = text || "";
  box.classList.toggle("error", Boolean(isError));
}

// -- the controls -------------------------------------------------------------------------------

function showSetup() {
  document.getElementById("recipe").textContent = setup.recipe;
  const speed = document.getElementById("speed");
  if (!speed.options.length) {
    for (const value of setup.speeds) {
      const option = document.createElement("option");
      option.value = String(value);
      option.textContent = value === 0 ? "full" : `${value}/frame`;
      speed.appendChild(option);
    }
  }
  const name = document.getElementById("name");
  if (!name.value && setup.default_name) name.value = setup.default_name;
  if (setup.saved && document.activeElement !== name) name.value = setup.saved;
  const choices = document.getElementById("choices");
  if (choices.childElementCount !== setup.controls.length * 2) {
    choices.replaceChildren();
    for (const control of setup.controls) choices.append(...makeControl(control));
  }
  for (const control of setup.controls) {
    const field = choices.querySelector(`[data-option="${control.name}"]`);
    const label = choices.querySelector(`label[for="choice-${control.name}"]`);
    label.className = control.live ? "live" : "reset";
    label.title = `${control.help}\n${control.live ? "Applies at the next step." : "Starts the run again from step 0."}`;
    if (document.activeElement !== field && !field.classList.contains("refused")) field.value = control.value;
    field.dataset.shown = control.value;
  }
  const changes = document.getElementById("changes");
  changes.replaceChildren();
  for (const change of setup.changes.slice(-8)) {
    const item = document.createElement("li");
    const how = change.applied === "reset" ? "started again" : `from step ${(change.step + 1).toLocaleString("en")}`;
    item.textContent = `step ${change.step.toLocaleString("en")}: ${change.option} ${change.before} → ${change.after} (${how})`;
    changes.appendChild(item);
  }
  const last = setup.changes[setup.changes.length - 1];
  document.getElementById("last-change").textContent = last
    ? `· ${last.option} ${last.before} → ${last.after} at step ${last.step.toLocaleString("en")}`
    : "";
  if (setup.messages.length) say(setup.messages[setup.messages.length - 1], false);
  document.getElementById("seed").placeholder = String(valueOf("seed"));
  schedule();
}

function valueOf(name) {
  const control = setup && setup.controls.find((c) => c.name === name);
  return control ? control.value : "";
}

function makeControl(control) {
  const label = document.createElement("label");
  label.htmlFor = `choice-${control.name}`;
  label.textContent = control.flag.replace(/^--/, "");
  let field;
  if (control.names.length) {
    field = document.createElement("select");
    for (const name of control.names) {
      const option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      field.appendChild(option);
    }
    field.addEventListener("change", () => apply(control.name, field));
  } else {
    field = document.createElement("input");
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter") apply(control.name, field);
      if (event.key === "Escape") { field.value = field.dataset.shown; field.classList.remove("refused"); field.blur(); }
    });
    field.addEventListener("change", () => apply(control.name, field));
  }
  field.id = `choice-${control.name}`;
  field.dataset.option = control.name;
  field.title = control.help;
  return [label, field];
}

function apply(name, field) {
  if (field.value === field.dataset.shown) { field.classList.remove("refused"); return; }
  pendingField = field;
  send({ do: "set", option: name, value: field.value });
}


function togglePlay() {
  send({ do: frame && frame.playing ? "pause" : "play" });
}

function wire() {
  document.getElementById("play").addEventListener("click", togglePlay);
  document.getElementById("step1").addEventListener("click", () => send({ do: "step", count: 1 }));
  document.getElementById("step10").addEventListener("click", () => send({ do: "step", count: 10 }));
  document.getElementById("step100").addEventListener("click", () => send({ do: "step", count: 100 }));
  document.getElementById("speed").addEventListener("change", (event) => send({ do: "speed", value: Number(event.target.value) }));
  document.getElementById("reset").addEventListener("click", () => send({ do: "reset", seed: document.getElementById("seed").value }));
  document.getElementById("save").addEventListener("click", () => send({ do: "save", name: document.getElementById("name").value }));
  document.getElementById("seed").addEventListener("keydown", (event) => {
    if (event.key === "Enter") document.getElementById("reset").click();
  });
  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === " ") { event.preventDefault(); togglePlay(); }
    if (event.key === "ArrowRight") { event.preventDefault(); send({ do: "step", count: 1 }); }
  });
  window.addEventListener("resize", schedule);
}

function showStatus() {
  document.getElementById("step").textContent = `step ${frame.step.toLocaleString("en")}`;
  document.getElementById("rate").textContent = frame.playing ? `· ${Math.round(frame.steps_per_second).toLocaleString("en")} steps/s` : "";
  document.getElementById("state").textContent = frame.playing ? "· playing" : "· paused";
  const play = document.getElementById("play");
  play.textContent = frame.playing ? "Pause" : "Play";
  play.classList.toggle("playing", frame.playing);
  const speed = document.getElementById("speed");
  if (document.activeElement !== speed) speed.value = String(frame.speed);
}

// -- drawing ------------------------------------------------------------------------------------

function schedule() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    if (!setup || !frame || frame.setup > setup.number) return;
    if (shownGeneration !== frame.generation) shownGeneration = frame.generation;
    drawPaintings();
    drawCritic();
    drawCurves();
    drawHistogram();
    // Ask for the next frame only now: a slow or hidden tab is sent fewer frames, never a backlog.
    if (socket && socket.readyState === WebSocket.OPEN) socket.send("drawn");
  });
}

function surface(id) {
  const canvas = document.getElementById(id);
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  return { context, width, height };
}

// A plotting box: maps data to pixels, draws its frame, ticks and labels.
function plotBox(context, left, top, width, height, xRange, yRange, options = {}) {
  const [x0, x1] = xRange, [y0, y1] = yRange;
  const box = {
    left, top, width, height,
    x: (value) => left + ((value - x0) / (x1 - x0)) * width,
    y: (value) => top + height - ((value - y0) / (y1 - y0)) * height,
  };
  context.save();
  context.strokeStyle = "#9aa5b1";
  context.lineWidth = 1;
  context.strokeRect(left, top, width, height);
  context.fillStyle = COLOURS.text;
  context.font = `${options.font || 12}px system-ui, sans-serif`;
  context.textAlign = "center";
  context.textBaseline = "top";
  for (const tick of ticks(x0, x1, options.xTicks || 5)) {
    context.fillText(format(tick), box.x(tick), top + height + 3);
  }
  context.textAlign = "right";
  context.textBaseline = "middle";
  for (const tick of ticks(y0, y1, options.yTicks || 4)) {
    context.fillText(format(tick), left - 4, box.y(tick));
    context.strokeStyle = COLOURS.grid;
    context.beginPath(); context.moveTo(left + 1, box.y(tick)); context.lineTo(left + width - 1, box.y(tick)); context.stroke();
  }
  if (options.xLabel) {
    context.textAlign = "center";
    context.textBaseline = "bottom";
    context.fillText(options.xLabel, left + width / 2, top + height + 32);
  }
  if (options.title) {
    context.textAlign = "left";
    context.textBaseline = "bottom";
    context.font = `600 ${options.font || 12}px system-ui, sans-serif`;
    context.fillText(options.title, left + 2, top - 2);
  }
  context.restore();
  return box;
}

function ticks(low, high, count) {
  const span = high - low;
  if (!(span > 0) || !isFinite(span)) return [low];
  const raw = span / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => span / s <= count) || 10 * power;
  const result = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) result.push(Math.abs(value) < step * 1e-9 ? 0 : value);
  return result;
}

function format(value) {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 10000) return `${Math.round(value / 1000)}k`;
  if (magnitude >= 100) return String(Math.round(value));
  return String(Number(value.toPrecision(3)));
}

function line(context, box, xs, ys, colour, width = 1.5, dash = null, alpha = 1) {
  context.save();
  context.beginPath();
  context.rect(box.left, box.top, box.width, box.height);
  context.clip();
  context.strokeStyle = colour;
  context.lineWidth = width;
  context.globalAlpha = alpha;
  if (dash) context.setLineDash(dash);
  context.beginPath();
  let drawing = false;
  for (let i = 0; i < xs.length; i += 1) {
    if (ys[i] === null || ys[i] === undefined || !isFinite(ys[i])) { drawing = false; continue; }
    const px = box.x(xs[i]), py = box.y(ys[i]);
    if (drawing) context.lineTo(px, py); else context.moveTo(px, py);
    drawing = true;
  }
  context.stroke();
  context.restore();
}

function legend(context, x, y, entries, font = 12) {
  context.save();
  context.font = `${font}px system-ui, sans-serif`;
  context.textBaseline = "middle";
  let at = x;
  for (const [label, colour, dash] of entries) {
    context.strokeStyle = colour;
    context.lineWidth = 2.5;
    context.setLineDash(dash || []);
    context.beginPath(); context.moveTo(at, y); context.lineTo(at + 18, y); context.stroke();
    context.fillStyle = COLOURS.text;
    context.fillText(label, at + 22, y);
    at += 30 + context.measureText(label).width;
  }
  context.restore();
}

function drawPaintings() {
  const { context, width, height } = surface("paintings");
  const [yLow, yHigh] = setup.y_limits;
  const xs = setup.fine_x;
  const box = plotBox(context, 40, 24, width - 52, height - 48, [xs[0], xs[xs.length - 1]], [yLow, yHigh]);
  context.save();
  context.beginPath(); context.rect(box.left, box.top, box.width, box.height); context.clip();
  context.fillStyle = COLOURS.band;
  context.beginPath();
  xs.forEach((x, i) => (i ? context.lineTo(box.x(x), box.y(setup.upper[i])) : context.moveTo(box.x(x), box.y(setup.upper[i]))));
  for (let i = xs.length - 1; i >= 0; i -= 1) context.lineTo(box.x(xs[i]), box.y(setup.lower[i]));
  context.fill();
  context.restore();
  for (const example of setup.examples) line(context, box, xs, example, COLOURS.real, 1, [5, 4]);
  line(context, box, xs, setup.upper, COLOURS.upper, 2.5);
  line(context, box, xs, setup.lower, COLOURS.lower, 2.5);
  const colours = setup.colours || [];
  frame.paintings.slice(1).forEach((painting, i) => line(context, box, setup.x, painting, colours[i + 1] || COLOURS.green, 1.5, null, 0.55));
  if (frame.paintings.length) line(context, box, setup.x, frame.paintings[0], colours[0] || COLOURS.green, 3.5);
  legend(context, 44, 12, [[setup.upper_label, COLOURS.upper], [setup.lower_label, COLOURS.lower], ["real", COLOURS.real, [5, 4]], ["G's paintings", colours[0] || COLOURS.green]]);
}

function drawCritic() {
  const { context, width, height } = surface("critic");
  const [a0, a1] = setup.a_range;
  const critic = frame.critic;
  const objective = setup.objective;
  let low = 0, high = 1;
  if (!objective.probabilistic && critic) {
    const values = critic.d.concat(critic.d_star).filter((v) => v !== null);
    if (values.length) { low = Math.min(...values); high = Math.max(...values); }
    if (!(high > low)) { low -= 1; high += 1; }
  }
  const span = high - low;
  const box = plotBox(context, 44, 26, width - 56, height - 64, [a0, a1], [low - 0.22 * span, high + 0.08 * span], {
    xLabel: "a: which curve of the artist's family (dots: G's paintings at their fitted a)",
  });
  const grid = critic ? critic.d.map((_, i) => a0 + ((a1 - a0) * i) / (critic.d.length - 1)) : [];
  // The artist's density of a, as a grey silhouette.
  context.save();
  context.fillStyle = "rgba(154,154,154,0.25)";
  for (const [lo, hi] of setup.law) {
    context.fillRect(box.x(lo), box.y(low + 0.35 * span), box.x(hi) - box.x(lo), box.y(low) - box.y(low + 0.35 * span));
  }
  context.restore();
  if (objective.probabilistic) line(context, box, [a0, a1], [0.5, 0.5], "#000", 1, [2, 3]);
  if (critic) {
    line(context, box, grid, critic.d, COLOURS.d, 2.5);
    line(context, box, grid, critic.d_star, COLOURS.dStar, 1.5, [6, 4]);
  }
  // G's paintings as dots at their fitted a, each with an arrow for G's push there.
  const dotsAt = low - 0.11 * span;
  const pushes = frame.dots.map((a) => (a === null || !critic ? 0 : interpolate(grid, critic.push, a)));
  const strongest = Math.max(0, ...pushes.map(Math.abs));
  const colours = setup.colours || [];
  frame.dots.forEach((a, i) => {
    if (a === null || a < a0 || a > a1) return;
    const x = box.x(a), y = box.y(dotsAt);
    if (strongest > 0) {
      const length = (pushes[i] / strongest) * 0.12 * (box.width / (a1 - a0));
      arrow(context, x, y, x + length, y, COLOURS.push);
    }
    context.fillStyle = colours[i] || COLOURS.green;
    context.beginPath(); context.arc(x, y, 4, 0, 2 * Math.PI); context.fill();
  });
  const entries = [[objective.probabilistic ? "D" : "D's output", COLOURS.d]];
  if (critic && critic.d_star.some((v) => v !== null)) entries.push(["optimal D*", COLOURS.dStar, [6, 4]]);
  entries.push(["G's push", COLOURS.push]);
  legend(context, 48, 12, entries);
  if (!critic) note(context, box, "D appears after the first step.");
}

function interpolate(xs, ys, x) {
  if (x <= xs[0]) return ys[0] || 0;
  for (let i = 1; i < xs.length; i += 1) {
    if (x <= xs[i]) {
      const t = (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
      return (ys[i - 1] || 0) * (1 - t) + (ys[i] || 0) * t;
    }
  }
  return ys[ys.length - 1] || 0;
}

function arrow(context, x0, y0, x1, y1, colour) {
  context.save();
  context.strokeStyle = colour;
  context.fillStyle = colour;
  context.lineWidth = 2;
  context.beginPath(); context.moveTo(x0, y0); context.lineTo(x1, y1); context.stroke();
  const direction = Math.sign(x1 - x0);
  if (Math.abs(x1 - x0) > 3) {
    context.beginPath();
    context.moveTo(x1 + direction * 5, y1);
    context.lineTo(x1 - direction * 2, y1 - 4);
    context.lineTo(x1 - direction * 2, y1 + 4);
    context.fill();
  }
  context.restore();
}

function note(context, box, text) {
  context.save();
  context.fillStyle = "#56616d";
  context.font = "13px system-ui, sans-serif";
  context.textAlign = "center";
  context.fillText(text, box.left + box.width / 2, box.top + box.height / 2);
  context.restore();
}

function drawCurves() {
  const { context, width, height } = surface("curves");
  const series = frame.series;
  const objective = setup.objective;
  const last = Math.max(1, ...Object.values(series).map((s) => (s.step.length ? s.step[s.step.length - 1] : 0)));
  const xRange = [0, Math.max(last, 1)];
  const dLossTarget = objective.d_loss_at_equilibrium;
  const charts = [
    { title: "W1 to the artist (0: perfect)", keys: [["w1", COLOURS.w1]], targets: [[0, "#000"]], empty: "measured every 500 steps" },
    { title: `${objective.view} (equilibrium ${format(objective.view_at_equilibrium)})`, keys: [["d_accuracy", COLOURS.view]], targets: [[objective.view_at_equilibrium, "#000"]] },
    { title: dLossTarget === null ? "D score" : `D score (equilibrium ${format(-dLossTarget)})`, keys: [["d_score", COLOURS.score]], targets: dLossTarget === null ? [] : [[-dLossTarget, "#000"]] },
    {
      title: "losses of D and G",
      keys: [["d_loss", COLOURS.dLoss], ["g_loss", COLOURS.gLoss]],
      targets: [[dLossTarget, COLOURS.dLoss], [objective.g_loss_at_equilibrium, COLOURS.gLoss]].filter(([value]) => value !== null),
    },
  ];
  const columns = 2, rows = 2;
  const cellWidth = width / columns, cellHeight = height / rows;
  charts.forEach((chart, index) => {
    const column = index % columns, row = Math.floor(index / columns);
    const values = chart.keys.flatMap(([key]) => series[key].value.filter((v) => v !== null));
    const measured = values.length > 0;
    for (const [value] of chart.targets) values.push(value);
    let low = values.length ? Math.min(...values) : 0, high = values.length ? Math.max(...values) : 1;
    if (!(high > low)) { low -= 0.5; high += 0.5; }
    const pad = (high - low) * 0.08;
    const box = plotBox(context, column * cellWidth + 42, row * cellHeight + 20, cellWidth - 52, cellHeight - 40, xRange, [low - pad, high + pad], { title: chart.title, font: 11, xTicks: 4, yTicks: 3 });
    for (const [value, colour] of chart.targets) line(context, box, xRange, [value, value], colour, 1, [3, 3]);
    for (const [key, colour] of chart.keys) line(context, box, series[key].step, series[key].value, colour, 1.8);
    if (chart.keys.length > 1) legend(context, box.left + box.width - 110, box.top + box.height - 10, [["D", COLOURS.dLoss], ["G", COLOURS.gLoss]], 11);
    if (!measured) note(context, box, chart.empty || "logged every 50 steps");
  });
}

function drawHistogram() {
  const { context, width, height } = surface("histogram");
  const [a0, a1] = setup.a_range;
  const counts = frame.histogram;
  const bins = counts.length || 40;
  const binWidth = (a1 - a0) / bins;
  const total = frame.histogram_paintings;
  const density = counts.map((count) => count / (total * binWidth));
  let lawHeight = 0;
  for (const [lo, hi] of setup.law) lawHeight = Math.max(lawHeight, 1 / (setup.law.length * (hi - lo)));
  const top = Math.max(lawHeight * 1.6, ...density, 0.5);
  const box = plotBox(context, 44, 26, width - 56, height - 64, [a0, a1], [0, top], { xLabel: "fitted a of 2,000 of G's paintings" });
  context.save();
  context.fillStyle = "rgba(74,214,49,0.55)";
  density.forEach((value, i) => {
    const x = box.x(a0 + i * binWidth);
    const w = box.x(a0 + (i + 1) * binWidth) - x;
    context.fillRect(x + 0.5, box.y(Math.min(value, top)), w - 1, box.y(0) - box.y(Math.min(value, top)));
  });
  context.restore();
  // The artist's law of a: its exact density.
  const xs = [], ys = [];
  xs.push(a0); ys.push(0);
  for (const [lo, hi] of setup.law) {
    const h = 1 / (setup.law.length * (hi - lo));
    xs.push(lo, lo, hi, hi); ys.push(0, h, h, 0);
  }
  xs.push(a1); ys.push(0);
  line(context, box, xs, ys, "#111", 2);
  const lawName = setup.law.length === 1 ? `the artist's law U(${setup.law[0][0]}, ${setup.law[0][1]})` : `the artist's ${setup.law.length} modes`;
  legend(context, 48, 12, [["G's fitted a", "rgba(74,214,49,0.8)"], [lawName, "#111"]]);
  const box2 = document.getElementById("verdict");
  const judged = frame.verdict;
  if (judged) {
    box2.className = judged.label.replace(/ /g, "-");
    box2.innerHTML = "";
    const bold = document.createElement("b");
    bold.textContent = judged.label;
    box2.append(bold, document.createTextNode(` at step ${judged.step.toLocaleString("en")}: ${judged.reason}`));
  } else {
    box2.className = "";
    box2.textContent = "The verdict comes with the first evaluation (step 500).";
  }
}

wire();
connect();
