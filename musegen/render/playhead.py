"""A piano roll that follows the audio: one self-contained HTML page (audio + canvas + script).

Why not ``st.audio`` next to a plotly roll: they live in separate browser frames with no shared
clock, so nothing can tell the roll where the audio is. Here the <audio> element and the roll sit in
one page, and a requestAnimationFrame loop moves a line from ``audio.currentTime`` while it plays
(quarters = seconds × tempo / 60); clicking or dragging on the roll seeks. The audio travels as a
base64 data URI and the script is inline, so the page needs no network at all (offline demos,
no CDN). The app shows it with ``st.iframe``, which sizes the frame to the page; the roll fills
the frame's width (phones too) and is redrawn when that changes.
"""
from __future__ import annotations

import base64
import html
import json

import numpy as np

from ..music.piece import DURATION, PART, PITCH, START, Piece
from .plots import PALETTE, legend_label


def roll_data(piece: Piece) -> dict:
    """What the script draws: notes as [start, duration, pitch, colour index] in quarters, the
    bar lines, the pitch range (as the plotly roll: two semitones of air), the tempo, in a
    continuation where the model takes over from the user's passage, and in an accompaniment the
    colours of the given parts (drawn lighter and outlined)."""
    notes = piece.notes
    parts = sorted({int(p) for p in notes[:, PART]}) or [0]
    colour = {index: i % len(PALETTE) for i, index in enumerate(parts)}  # as plots.piano_roll
    rows = [[round(float(n[START]), 4), round(float(n[DURATION]), 4), int(np.clip(np.rint(n[PITCH]), 0, 127)),
             colour[int(n[PART])]] for n in notes]
    pitches = [r[2] for r in rows]
    return {
        "notes": rows,
        "bars": [round(float(b), 4) for b in piece.bar_starts()] if len(notes) else [],
        "end": max(piece.duration_quarters, 1e-6),
        "lo": min(pitches) - 2 if rows else 48,
        "hi": max(pitches) + 2 if rows else 72,
        "tempo": float(piece.tempo),
        "colours": list(PALETTE),
        "takeover": float(getattr(piece, "takeover", None) or 0) or None,
        "rewritten": [float(x) for x in piece.rewritten] if getattr(piece, "rewritten", None) else None,
        "given": sorted(colour[p] for p in (getattr(piece, "given_parts", None) or ()) if p in colour),
    }


def legend(piece: Piece, lang: str | None = None) -> list[tuple[str, str, bool]]:
    """(label, colour, given) per part that plays, when there is more than one; ``lang``: the
    labels' language (None: English)."""
    parts = sorted({int(p) for p in piece.notes[:, PART]})
    if len(parts) < 2:
        return []
    given = getattr(piece, "given_parts", None) or ()
    return [(legend_label(piece, index, lang), PALETTE[i % len(PALETTE)], index in given)
            for i, index in enumerate(parts)]


# The page's own words; the app passes them in the visitor's language.
WORDS = {"yours": "yours", "model": "model", "new_bars": "new bars", "no_notes": "no notes", "roll": "Piano roll",
         "roll_help": "Piano roll: click to play from there; arrow keys move a bar, space plays"}


def playhead_html(piece: Piece, audio: bytes | None, roll_height: int = 220, mime: str = "audio/ogg",
                  words: dict | None = None, lang: str | None = None) -> str:
    """The whole page. ``audio``: the rendered piece (None: the roll alone, without a playhead);
    ``words`` and ``lang`` (the parts' names in the legend): the visitor's language."""
    words = {**WORDS, **(words or {})}
    data = json.dumps({**roll_data(piece), "words": words}, separators=(",", ":")).replace("</", "<\\/")  # safe inside <script>
    src = f"data:{mime};base64,{base64.b64encode(audio).decode('ascii')}" if audio else ""
    player = f'<audio controls preload="auto" src="{src}"></audio>' if audio else ""
    keys = "".join(f'<span{" class=given" if given else ""} style="--c:{c}">{html.escape(name)}</span>'
                   for name, c, given in legend(piece, lang))
    page = _PAGE.replace("__ROLL__", html.escape(words["roll"], quote=True))
    page = page.replace("__HEIGHT__", str(int(roll_height))).replace("__PLAYER__", player).replace("__DATA__", data)
    return page.replace("__LEGEND__", f'<div class="legend">{keys}</div>' if keys else "")  # names last: free text


# The page. Two stacked canvases: the roll (drawn on resize only) and the playhead with the notes
# sounding under it (drawn each animation frame while playing, and after each seek).
_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
html, body { margin: 0; padding: 0; background: transparent; overflow: hidden;
  font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f1d2b; }
audio { display: block; width: 100%; height: 40px; margin-bottom: 6px; }
.roll { position: relative; width: 100%; height: __HEIGHT__px; border: 1px solid #e6e4ef; border-radius: 6px;
  box-sizing: border-box; overflow: hidden; touch-action: none; outline: none; }
.roll.seek { cursor: pointer; }
.roll:focus-visible { border-color: #5b4bdb; }
canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 14px; margin-top: 4px; line-height: 18px; }
.legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 5px; background: var(--c); vertical-align: -1px; }
.legend span.given::before { background: color-mix(in srgb, var(--c) 35%, transparent);
  box-shadow: inset 0 0 0 1.5px var(--c); }
</style></head><body>
__PLAYER__
<div class="roll" tabindex="0" aria-label="__ROLL__"><canvas></canvas><canvas></canvas></div>
__LEGEND__
<script>
(() => {
  const D = __DATA__;
  const audio = document.querySelector("audio");
  const roll = document.querySelector(".roll");
  const [bg, fg] = document.querySelectorAll("canvas");
  const NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
  const LEFT = 26, TOP = 14;  // room for the C labels and the bar numbers
  let W = 0, H = 0;

  const qx = q => LEFT + (W - LEFT) * q / D.end;
  const rowH = () => (H - TOP) / (D.hi - D.lo + 1);
  const py = p => TOP + (D.hi - p) * rowH();
  const now = () => audio ? audio.currentTime * D.tempo / 60 : 0;  // seconds -> quarters

  function sized(canvas) {
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return ctx;
  }

  function note(ctx, n) {
    const h = Math.max(1.5, rowH() - 1);
    ctx.fillRect(qx(n[0]), py(n[2]) + (rowH() - h) / 2, Math.max(1.5, qx(n[0] + n[1]) - qx(n[0]) - 0.5), h);
  }

  function outline(ctx, n) {
    const h = Math.max(1.5, rowH() - 1);
    ctx.strokeRect(qx(n[0]) + 0.5, py(n[2]) + (rowH() - h) / 2 + 0.5, Math.max(1, qx(n[0] + n[1]) - qx(n[0]) - 1.5), h - 1);
  }

  let fgx = null;  // the playhead's context, sized with the roll

  function drawRoll() {
    const ctx = sized(bg);
    fgx = sized(fg);
    ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, W, H);
    ctx.font = "10px system-ui, sans-serif"; ctx.textBaseline = "middle";
    for (let p = D.lo; p <= D.hi; p++) {  // a faint line and a label on every C
      if (p % 12) continue;
      const y = py(p) + rowH() / 2;
      ctx.fillStyle = "rgba(31,29,43,0.07)"; ctx.fillRect(LEFT, Math.round(y), W - LEFT, 1);
      ctx.fillStyle = "#6b6880"; ctx.fillText(NAMES[p % 12] + (p / 12 - 1), 3, y);
    }
    let every = 1;  // bar numbers at least 22 px apart: every bar, or every 2nd, 4th, 8th, ...
    while (every < 1024 && every * (qx(D.bars[1] || D.end) - qx(0)) < 22) every *= 2;
    D.bars.forEach((b, i) => {
      const x = Math.round(qx(b));
      if (i) { ctx.fillStyle = "rgba(31,29,43,0.10)"; ctx.fillRect(x, TOP, 1, H - TOP); }
      if (i % every === 0) { ctx.fillStyle = "#8a879c"; ctx.fillText(String(i + 1), x + 3, TOP / 2 + 1); }
    });
    if (D.takeover) {  // a continuation: the user's passage tinted, a dashed line where the model begins
      const x = Math.round(qx(D.takeover));
      ctx.fillStyle = "rgba(31,29,43,0.05)"; ctx.fillRect(LEFT, TOP, x - LEFT, H - TOP);
      ctx.strokeStyle = "rgba(31,29,43,0.6)"; ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x + 0.5, TOP); ctx.lineTo(x + 0.5, H); ctx.stroke(); ctx.setLineDash([]);
    }
    if (D.rewritten) {  // bars written again: tinted, a dashed line at each end, labelled
      const [a, b] = D.rewritten.map(q => Math.round(qx(q)));
      ctx.fillStyle = "rgba(91,75,219,0.08)"; ctx.fillRect(a, TOP, b - a, H - TOP);
      ctx.strokeStyle = "rgba(91,75,219,0.7)"; ctx.setLineDash([4, 3]);
      for (const x of [a, b]) { ctx.beginPath(); ctx.moveTo(x + 0.5, TOP); ctx.lineTo(x + 0.5, H); ctx.stroke(); }
      ctx.setLineDash([]);
      ctx.fillStyle = "#5b4bdb"; ctx.fillText(D.words.new_bars, a + 4, H - 8);
    }
    const given = new Set(D.given);  // an accompaniment's given parts: lighter, outlined
    for (const n of D.notes) {
      ctx.fillStyle = ctx.strokeStyle = D.colours[n[3]];
      ctx.globalAlpha = given.has(n[3]) ? 0.35 : 0.85;
      note(ctx, n);
      if (given.has(n[3])) { ctx.globalAlpha = 1; ctx.lineWidth = 1; outline(ctx, n); }
    }
    ctx.globalAlpha = 1;
    if (D.takeover) {  // its labels, over the notes
      const x = Math.round(qx(D.takeover));
      for (const [text, left] of [[D.words.yours, x - 4 - ctx.measureText(D.words.yours).width], [D.words.model, x + 4]]) {
        ctx.fillStyle = "rgba(255,255,255,0.85)"; ctx.fillRect(left - 2, H - 15, ctx.measureText(text).width + 4, 13);
        ctx.fillStyle = "#6b6880"; ctx.fillText(text, left, H - 8);
      }
    }
    if (!D.notes.length) {
      ctx.fillStyle = "#8a879c"; ctx.textAlign = "center"; ctx.fillText(D.words.no_notes, W / 2, H / 2);
    }
  }

  function drawHead() {
    const ctx = fgx;
    ctx.clearRect(0, 0, W, H);
    if (!audio) return;
    const q = Math.min(now(), D.end);
    if (q <= 0 && audio.paused) return;
    const x = qx(q);
    ctx.fillStyle = "rgba(91,75,219,0.06)"; ctx.fillRect(LEFT, 0, x - LEFT, H);  // what has been heard
    ctx.strokeStyle = "#1f1d2b"; ctx.lineWidth = 1.5;
    for (const n of D.notes) {  // the notes sounding now, outlined
      if (n[0] <= q && q < n[0] + n[1]) { ctx.fillStyle = D.colours[n[3]]; note(ctx, n);
        ctx.strokeRect(qx(n[0]), py(n[2]), Math.max(1.5, qx(n[0] + n[1]) - qx(n[0])), rowH()); }
    }
    ctx.fillStyle = "#5b4bdb"; ctx.fillRect(x - 1, 0, 2, H);
  }

  function resize() { W = roll.clientWidth; H = roll.clientHeight; drawRoll(); drawHead(); }
  new ResizeObserver(resize).observe(roll);
  resize();
  if (!audio) return;

  // One piece at a time: starting this one pauses the others (the frames share the app's origin).
  const others = "BroadcastChannel" in window ? new BroadcastChannel("musegen-playhead") : null;
  if (others) {
    others.onmessage = () => audio.pause();
    audio.addEventListener("play", () => others.postMessage("play"));
  }

  let frame = 0;
  function loop() { drawHead(); frame = audio.paused ? 0 : requestAnimationFrame(loop); }
  audio.addEventListener("play", () => { if (!frame) frame = requestAnimationFrame(loop); });
  for (const e of ["pause", "seeked", "timeupdate", "ended", "loadedmetadata"]) audio.addEventListener(e, drawHead);

  // Click or drag on the roll: play from there.
  roll.classList.add("seek");
  roll.setAttribute("aria-label", D.words.roll_help);
  let dragging = false;
  function seek(e) {
    const r = roll.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (e.clientX - r.left - LEFT) / (W - LEFT)));
    audio.currentTime = f * D.end * 60 / D.tempo;
    drawHead();
  }
  roll.addEventListener("pointerdown", e => { dragging = true; roll.setPointerCapture(e.pointerId); seek(e); });
  roll.addEventListener("pointermove", e => { if (dragging) seek(e); });
  roll.addEventListener("pointerup", () => { dragging = false; });
  roll.addEventListener("keydown", e => {
    const bar = (D.bars[1] || 4) * 60 / D.tempo;
    if (e.key === " ") { audio.paused ? audio.play() : audio.pause(); }
    else if (e.key === "ArrowRight") { audio.currentTime = Math.min(audio.currentTime + bar, D.end * 60 / D.tempo); }
    else if (e.key === "ArrowLeft") { audio.currentTime = Math.max(audio.currentTime - bar, 0); }
    else return;
    e.preventDefault(); drawHead();
  });
})();
</script>
</body></html>
"""
