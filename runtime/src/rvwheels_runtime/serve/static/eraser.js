// The photo eraser page: paint a mask over a photo, send both to the server, show the result.
// The mask is a canvas at the photo's own resolution, scaled by CSS for display; what was drawn
// is kept as a list of operations, so undo and redo replay them instead of storing bitmaps
// (a 12-megapixel snapshot per step would be too much for a slow laptop).
"use strict";

const MASK_COLOUR = "#ff2050";
const POLL_MS = 400;
const ACCEPTED = /\.(png|jpe?g|bmp|webp)$/i;
// The server refuses uploads from a browser unless they carry the token it put in this page.
const TOKEN = document.querySelector("meta[name=eraser-token]").content;

const $ = (id) => document.getElementById(id);
const ui = {
  file: $("file"), open: $("open"), size: $("size"), sizeValue: $("size-value"),
  undo: $("undo"), redo: $("redo"), clear: $("clear"), erase: $("erase"),
  stage: $("stage"), empty: $("empty"), frame: $("frame"), before: $("before"), after: $("after"),
  mask: $("mask"), overlay: $("overlay"), divider: $("divider"), tagBefore: $("tag-before"), tagAfter: $("tag-after"),
  busy: $("busy"), progress: $("progress"), progressText: $("progress-text"),
  resultBar: $("result-bar"), compare: $("compare"), download: $("download"),
  keep: $("keep"), back: $("back"), message: $("message"), model: $("model"),
};
const maskContext = ui.mask.getContext("2d");
const overlayContext = ui.overlay.getContext("2d");

const state = {
  mode: "empty",          // empty | edit | busy | result
  tool: "brush",
  photo: null,            // Blob sent as the image
  photoURL: null,
  width: 0, height: 0,
  ops: [], undone: [],    // mask operations, and the ones undo took back
  drawing: null,          // the operation being drawn
  pointer: null,          // last pointer position in display pixels, for the brush cursor
  result: null, resultURL: null,
  maxUploadBytes: Infinity,
  maxPixels: Infinity,
};

// --- model info --------------------------------------------------------------------------

fetch("/api/info").then((r) => r.json()).then((info) => {
  ui.model.textContent = `model: ${info.model}`;
  state.maxUploadBytes = info.max_upload_mb * 1e6;
  state.maxPixels = info.max_pixels;
}).catch(() => { ui.model.textContent = "model: (server not reachable)"; });

// --- loading a photo ---------------------------------------------------------------------

ui.open.addEventListener("click", () => ui.file.click());
ui.file.addEventListener("change", () => {
  if (ui.file.files.length) loadPhoto(ui.file.files[0]);
  ui.file.value = "";
});
for (const name of ["dragenter", "dragover"]) {
  document.addEventListener(name, (event) => {
    event.preventDefault();
    if (state.mode !== "busy") ui.stage.classList.add("dragging");
  });
}
document.addEventListener("dragleave", (event) => {
  if (event.target === ui.stage || !ui.stage.contains(event.relatedTarget)) {
    ui.stage.classList.remove("dragging");
  }
});
document.addEventListener("drop", (event) => {
  event.preventDefault();
  ui.stage.classList.remove("dragging");
  const file = event.dataTransfer && event.dataTransfer.files[0];
  if (file && state.mode !== "busy") loadPhoto(file);
});

async function loadPhoto(blob, { keepMessage = false } = {}) {
  if (blob.name && !ACCEPTED.test(blob.name) && !/^image\/(png|jpeg|bmp|webp)$/.test(blob.type)) {
    return say(`${blob.name} is not a JPG, PNG or BMP photo`, true);
  }
  if (blob.size > state.maxUploadBytes) {
    return say(`this photo is ${(blob.size / 1e6).toFixed(1)} MB; the server takes at most ` +
      `${(state.maxUploadBytes / 1e6).toFixed(0)} MB`, true);
  }
  const url = URL.createObjectURL(blob);
  const probe = new Image();
  probe.src = url;
  try {
    await probe.decode();
  } catch {
    URL.revokeObjectURL(url);
    return say("the browser cannot read this file as an image", true);
  }
  if (probe.naturalWidth * probe.naturalHeight > state.maxPixels) {
    URL.revokeObjectURL(url);
    return say(`this photo is ${probe.naturalWidth}×${probe.naturalHeight}; the server takes at ` +
      `most ${state.maxPixels} pixels: downscale it first`, true);
  }
  if (state.photoURL) URL.revokeObjectURL(state.photoURL);
  Object.assign(state, { photo: blob, photoURL: url, ops: [], undone: [] });
  state.width = probe.naturalWidth;
  state.height = probe.naturalHeight;
  ui.before.src = url;
  ui.mask.width = state.width;
  ui.mask.height = state.height;
  dropResult();
  setMode("edit");
  layout();
  redrawMask();
  if (!keepMessage) say(`${blob.name || "photo"}: ${state.width}×${state.height}`);
}

// --- display size ------------------------------------------------------------------------

function layout() {
  if (!state.width) return;
  const box = ui.stage.getBoundingClientRect();
  const scale = Math.min((box.width - 24) / state.width, (box.height - 24) / state.height, 1);
  const width = Math.max(1, Math.floor(state.width * scale));
  const height = Math.max(1, Math.floor(state.height * scale));
  ui.frame.style.width = `${width}px`;
  ui.frame.style.height = `${height}px`;
  // The overlay (lasso line, brush cursor) is drawn at display resolution: cheap to redraw.
  const ratio = window.devicePixelRatio || 1;
  ui.overlay.width = Math.round(width * ratio);
  ui.overlay.height = Math.round(height * ratio);
  drawOverlay();
}
window.addEventListener("resize", layout);

// Photo pixels per CSS pixel of the displayed frame.
function photoScale() {
  return state.width / ui.overlay.getBoundingClientRect().width;
}

function toPhoto(event) {
  const rect = ui.overlay.getBoundingClientRect();
  const scale = state.width / rect.width;
  return [(event.clientX - rect.left) * scale, (event.clientY - rect.top) * scale];
}

// --- drawing the mask --------------------------------------------------------------------

ui.size.addEventListener("input", () => {
  ui.sizeValue.textContent = ui.size.value;
  drawOverlay();
});
for (const button of document.querySelectorAll(".tool")) {
  button.addEventListener("click", () => selectTool(button.dataset.tool));
}

function selectTool(tool) {
  state.tool = tool;
  for (const button of document.querySelectorAll(".tool")) {
    button.setAttribute("aria-pressed", String(button.dataset.tool === tool));
  }
  drawOverlay();
}

ui.overlay.addEventListener("pointerdown", (event) => {
  if (state.mode !== "edit" || event.button !== 0) return;
  ui.overlay.setPointerCapture(event.pointerId);
  const point = toPhoto(event);
  if (state.tool === "lasso") {
    state.drawing = { type: "lasso", points: [point] };
  } else {
    const size = Number(ui.size.value) * photoScale();
    state.drawing = { type: "stroke", erase: state.tool === "eraser", size, points: [point] };
    paintSegment(state.drawing, 0);
  }
  state.pointer = [event.offsetX, event.offsetY];
  drawOverlay();
});

ui.overlay.addEventListener("pointermove", (event) => {
  state.pointer = [event.offsetX, event.offsetY];
  const op = state.drawing;
  if (op) {
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const each of events.length ? events : [event]) {
      op.points.push(toPhoto(each));
      if (op.type === "stroke") paintSegment(op, op.points.length - 1);
    }
  }
  drawOverlay();
});

function finishDrawing() {
  const op = state.drawing;
  if (!op) return;
  state.drawing = null;
  if (op.type === "lasso") {
    if (op.points.length < 3) return drawOverlay();
    paintLasso(op);
  }
  state.ops.push(op);
  state.undone = [];
  drawOverlay();
  updateButtons();
}
ui.overlay.addEventListener("pointerup", finishDrawing);
ui.overlay.addEventListener("pointercancel", finishDrawing);
ui.overlay.addEventListener("pointerleave", () => { state.pointer = null; drawOverlay(); });

// Paint segment ``i`` of a stroke: a dot for its first point, else the line from the point
// before. Drawing and replaying (undo) go segment by segment alike, so they give the same pixels.
function paintSegment(op, i) {
  const c = maskContext;
  c.save();
  c.globalCompositeOperation = op.erase ? "destination-out" : "source-over";
  c.strokeStyle = c.fillStyle = MASK_COLOUR;
  c.lineWidth = op.size;
  c.lineCap = c.lineJoin = "round";
  const [x, y] = op.points[i];
  c.beginPath();
  if (i === 0) {
    c.arc(x, y, op.size / 2, 0, 2 * Math.PI);
    c.fill();
  } else {
    c.moveTo(...op.points[i - 1]);
    c.lineTo(x, y);
    c.stroke();
  }
  c.restore();
}

function paintLasso(op) {
  const c = maskContext;
  c.save();
  c.fillStyle = MASK_COLOUR;
  c.beginPath();
  op.points.forEach(([x, y], i) => (i ? c.lineTo(x, y) : c.moveTo(x, y)));
  c.closePath();
  c.fill();
  c.restore();
}

function redrawMask() {
  maskContext.clearRect(0, 0, ui.mask.width, ui.mask.height);
  for (const op of state.ops) {
    if (op.type === "clear") maskContext.clearRect(0, 0, ui.mask.width, ui.mask.height);
    else if (op.type === "lasso") paintLasso(op);
    else op.points.forEach((_, i) => paintSegment(op, i));
  }
  updateButtons();
}

function drawOverlay() {
  const c = overlayContext;
  const ratio = ui.overlay.width / (ui.overlay.getBoundingClientRect().width || 1);
  c.setTransform(1, 0, 0, 1, 0, 0);
  c.clearRect(0, 0, ui.overlay.width, ui.overlay.height);
  c.setTransform(ratio, 0, 0, ratio, 0, 0);
  const op = state.drawing;
  if (op && op.type === "lasso") {
    const scale = 1 / photoScale();
    c.beginPath();
    op.points.forEach(([x, y], i) => (i ? c.lineTo(x * scale, y * scale) : c.moveTo(x * scale, y * scale)));
    c.setLineDash([6, 4]);
    c.lineWidth = 1.5;
    c.strokeStyle = "#fff";
    c.stroke();
    c.fillStyle = "rgba(255, 32, 80, .25)";
    c.fill();
  }
  if (state.pointer && state.mode === "edit" && state.tool !== "lasso") {
    const [x, y] = state.pointer;
    c.setLineDash([]);
    c.beginPath();
    c.arc(x, y, Number(ui.size.value) / 2, 0, 2 * Math.PI);
    c.lineWidth = 1;
    c.strokeStyle = state.tool === "eraser" ? "#8cf" : "#fff";
    c.stroke();
  } else if (state.pointer && state.mode === "edit") {
    c.setLineDash([]);
    c.fillStyle = "#fff";
    c.fillRect(state.pointer[0] - 1, state.pointer[1] - 1, 3, 3);
  }
}

// --- undo, redo, clear -------------------------------------------------------------------

function hasMask() {
  let painted = false;
  for (const op of state.ops) painted = op.type === "clear" ? false : painted || !op.erase;
  return painted;
}

function updateButtons() {
  const editing = state.mode === "edit";
  ui.undo.disabled = !editing || !state.ops.length;
  ui.redo.disabled = !editing || !state.undone.length;
  ui.clear.disabled = !editing || !hasMask();
  ui.erase.disabled = !editing || !hasMask();
  ui.open.disabled = state.mode === "busy";
}

function undo() {
  if (state.mode !== "edit" || !state.ops.length) return;
  state.undone.push(state.ops.pop());
  redrawMask();
}

function redo() {
  if (state.mode !== "edit" || !state.undone.length) return;
  state.ops.push(state.undone.pop());
  redrawMask();
}

ui.undo.addEventListener("click", undo);
ui.redo.addEventListener("click", redo);
ui.clear.addEventListener("click", () => {
  if (!hasMask()) return;
  state.ops.push({ type: "clear" });
  state.undone = [];
  redrawMask();
});

document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.type !== "range") return;
  const key = event.key.toLowerCase();
  const command = event.ctrlKey || event.metaKey;
  if (command && key === "z") { event.preventDefault(); return event.shiftKey ? redo() : undo(); }
  if (command && key === "y") { event.preventDefault(); return redo(); }
  if (command) return;
  if (key === "b") selectTool("brush");
  else if (key === "l") selectTool("lasso");
  else if (key === "e") selectTool("eraser");
  else if (key === "o" && state.mode !== "busy") ui.file.click();
  else if (key === "enter" && !ui.erase.disabled) erase();
  else if (key === "[" || key === "]") {
    ui.size.value = Number(ui.size.value) + (key === "]" ? 4 : -4);
    ui.size.dispatchEvent(new Event("input"));
  }
});

// --- erasing -----------------------------------------------------------------------------

// The mask as the server wants it: white where painted (any alpha), black elsewhere.
function maskBlob() {
  const canvas = document.createElement("canvas");
  canvas.width = state.width;
  canvas.height = state.height;
  const c = canvas.getContext("2d");
  c.drawImage(ui.mask, 0, 0);
  c.globalCompositeOperation = "source-in";
  c.fillStyle = "#fff";
  c.fillRect(0, 0, canvas.width, canvas.height);
  c.globalCompositeOperation = "destination-over";
  c.fillStyle = "#000";
  c.fillRect(0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

async function errorText(response) {
  try {
    const body = await response.json();
    const retry = response.headers.get("Retry-After");
    return body.error + (retry ? ` (retry in ${retry} s)` : "");
  } catch {
    return `the server answered ${response.status} ${response.statusText}`;
  }
}

async function erase() {
  if (state.mode !== "edit" || !hasMask()) return;
  setMode("busy");
  showProgress({ fraction: 0, elapsed: 0, status: "uploading" });
  say("uploading…");
  try {
    const form = new FormData();
    form.append("image", state.photo, state.photo.name || "photo.png");
    form.append("mask", await maskBlob(), "mask.png");
    const response = await fetch("/api/jobs", {
      method: "POST", body: form, headers: { "X-Eraser-Token": TOKEN },
    });
    if (!response.ok) throw new Error(await errorText(response));
    const job = await response.json();
    const finished = await follow(job);
    const result = await fetch(finished.result_url || `/api/jobs/${job.id}/result`);
    if (!result.ok) throw new Error(await errorText(result));
    showResult(await result.blob(), finished);
  } catch (error) {
    setMode("edit");
    say(error.message || String(error), true);
  }
}
ui.erase.addEventListener("click", erase);

async function follow(job) {
  let status = job;
  for (;;) {
    showProgress(status);
    if (status.status === "done") return { ...status, result_url: job.result_url };
    if (status.status === "failed") throw new Error(status.error || "inpainting failed");
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const response = await fetch(`/api/jobs/${job.id}`);
    if (!response.ok) throw new Error(await errorText(response));
    status = await response.json();
  }
}

function showProgress(status) {
  ui.progress.value = status.fraction || 0;
  const percent = Math.round((status.fraction || 0) * 100);
  const where = status.status === "queued" ? ` · waiting (${status.position} ahead)` :
    status.stage ? ` · ${status.stage}` : "";
  ui.progressText.textContent = `${percent} %${where} · ${(status.elapsed || 0).toFixed(1)} s`;
  if (status.status === "running" || status.status === "queued") say("erasing…");
}

function showResult(blob, status) {
  dropResult();
  state.result = blob;
  state.resultURL = URL.createObjectURL(blob);
  ui.after.src = state.resultURL;
  ui.download.href = state.resultURL;
  ui.download.download = resultName();
  setMode("result");
  compare();
  say(`done in ${status.elapsed.toFixed(1)} s: drag the slider to compare, then download`);
}

function resultName() {
  const base = (state.photo.name || "photo").replace(/\.[^.]*$/, "");
  return `${base}-erased.png`;
}

function dropResult() {
  if (state.resultURL) URL.revokeObjectURL(state.resultURL);
  state.result = state.resultURL = null;
  ui.after.removeAttribute("src");
  ui.download.href = "#";
}

function compare() {
  ui.after.style.clipPath = `inset(0 0 0 ${ui.compare.value}%)`;
  ui.divider.style.left = `${ui.compare.value}%`;
}
ui.compare.addEventListener("input", compare);

ui.keep.addEventListener("click", async () => {
  const blob = state.result;
  const name = resultName();
  await loadPhoto(new File([blob], name, { type: "image/png" }), { keepMessage: true });
  say("the result is now the photo: paint the next thing to erase");
});
ui.back.addEventListener("click", () => {
  dropResult();
  setMode("edit");
  say("mask kept: change it and erase again");
});

// --- modes and messages ------------------------------------------------------------------

function setMode(mode) {
  state.mode = mode;
  document.body.dataset.mode = mode;
  ui.empty.hidden = mode !== "empty";
  ui.frame.hidden = mode === "empty";
  ui.busy.hidden = mode !== "busy" && mode !== "result";  // the result keeps its timing
  ui.resultBar.hidden = mode !== "result";
  ui.after.hidden = ui.divider.hidden = ui.tagBefore.hidden = ui.tagAfter.hidden =
    mode !== "result";
  for (const button of document.querySelectorAll(".tool")) button.disabled = mode !== "edit";
  ui.size.disabled = mode !== "edit";
  updateButtons();
  drawOverlay();
}

function say(text, isError = false) {
  ui.message.textContent = text;
  ui.message.classList.toggle("error", isError);
}

setMode("empty");
