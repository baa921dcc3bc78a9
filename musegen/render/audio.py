"""MIDI → audio with the FluidSynth command line and a General MIDI soundfont.

FluidSynth renders float samples; they are normalised to a normal loudness (peak about -1 dBFS,
never clipped, silence left silent), the silent tail is trimmed, and the result is written as a
16-bit WAV. OGG/Vorbis is encoded from that WAV with sox or ffmpeg, or written by FluidSynth itself
(``-T oga``, at the gain found) when neither is installed.
"""
from __future__ import annotations

import glob
import io
import os
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from ..errors import AudioError, InputError
from ..messages import msg
from ..files import atomic_path

SOUNDFONT_ENV = "MUSEGEN_SOUNDFONT"
# Searched in order after $MUSEGEN_SOUNDFONT; globs allowed. Debian/Ubuntu packages first
# (fluid-soundfont-gm, musescore-general-soundfont, timgm6mb-soundfont), then common places.
SOUNDFONT_CANDIDATES: list[str] = [
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/default.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/*.sf2",
    "/usr/share/soundfonts/*.sf2",
    "/usr/share/sounds/sf3/*.sf3",
    "/usr/share/soundfonts/*.sf3",
    "/usr/local/share/soundfonts/*.sf[23]",
    "/opt/homebrew/share/soundfonts/*.sf[23]",
]
INSTALL_FLUIDSYNTH = msg("said.no_fluidsynth")
INSTALL_SOUNDFONT = msg("said.no_soundfont")
FORMATS = ("wav", "ogg")
GAIN = 0.6  # FluidSynth master gain, before the level is set (its float output does not clip)
PEAK_DB = -1.0  # rendered audio is normalised so its highest sample is here (dBFS) ...
MAX_RMS_DB = -14.0  # ... unless that makes its average level (RMS) louder than this (dense chords)
MAX_BOOST_DB = 30.0  # and it is never raised more than this: very quiet music is not blown up
OGG_HEADROOM_DB = 0.5  # Vorbis moves peaks: measured up to +0.45 dB over 105 renders at -1 dBFS
RELEASE_SECONDS = 3.0  # sound kept after the last note ends (release and reverb)
# The most audio one render writes, whatever its max_seconds: a note held three days once had
# FluidSynth write 3 GB in 56 s. Ten minutes is 106 MB of WAV (and 2x that as float while levelled).
MAX_RENDER_SECONDS = 600.0
MIN_RENDER_SECONDS = 1.0  # below, a "render" is a 48-byte WAV of nothing: a mistaken setting, refused
SILENCE = 10 ** (-60 / 20)  # -60 dBFS


def find_soundfont() -> Path | None:
    """The soundfont to use: ``$MUSEGEN_SOUNDFONT`` if it names a file, else the first one found
    in :data:`SOUNDFONT_CANDIDATES`; None when there is none."""
    env = os.environ.get(SOUNDFONT_ENV)
    if env and Path(env).expanduser().is_file():
        return Path(env).expanduser()
    for pattern in SOUNDFONT_CANDIDATES:
        for hit in sorted(glob.glob(pattern)) if any(c in pattern for c in "*?[") else [pattern]:
            if Path(hit).is_file():
                return Path(hit)
    return None


def _fluidsynth() -> str | None:
    return shutil.which("fluidsynth")


def check_audio():
    """None when audio rendering works here, else a message saying what to install."""
    if _fluidsynth() is None:
        return INSTALL_FLUIDSYNTH
    if find_soundfont() is None:
        env = os.environ.get(SOUNDFONT_ENV)
        if env:
            return msg("said.no_soundfont_set", setting=f"{SOUNDFONT_ENV}={env}")
        return INSTALL_SOUNDFONT
    return None


def _require() -> tuple[str, Path]:
    problem = check_audio()
    if problem:
        raise AudioError(problem)
    return _fluidsynth(), find_soundfont()  # type: ignore[return-value]


# ---------------------------------------------------------------- MIDI preparation


def _load_midi(midi) -> bytes:
    if hasattr(midi, "notes") and hasattr(midi, "tempo"):  # a Piece
        from .midi import piece_to_midi_bytes

        return piece_to_midi_bytes(midi)
    if isinstance(midi, (bytes, bytearray, memoryview)):
        return bytes(midi)
    path = Path(midi)
    if not path.is_file():
        raise InputError(msg("said.midi_not_found", path=str(path)))
    return path.read_bytes()


def _seconds_score(data: bytes):
    """The MIDI parsed, its times in seconds; refused in words when it has no notes or no usable clock."""
    import symusic

    try:
        score = symusic.Score.from_midi(data)
    except Exception as exc:
        raise InputError(msg("said.midi_unreadable", error=str(exc))) from exc
    if score.ticks_per_quarter <= 0:  # a header division of 0: every time would be a division by zero
        raise InputError(msg("said.midi_zero_ticks"))
    secs = score.to("second")
    if secs.note_num() == 0:
        raise AudioError(msg("said.midi_no_notes"))
    if not np.isfinite(_music_end(secs)):
        raise InputError(msg("said.midi_endless"))
    return secs


def _music_end(secs) -> float:
    """Where the last note ends, in seconds (events after it are not music)."""
    return max(float(np.max(arr["time"] + arr["duration"]))
               for arr in (track.notes.numpy() for track in secs.tracks if len(track.notes)))


def music_seconds(midi) -> float:
    """How long the music of a MIDI (bytes, a path or a Piece) lasts, to its last note's end: a
    render is at most this, max_seconds and MAX_RENDER_SECONDS."""
    return _music_end(_seconds_score(_load_midi(midi)))


def _cap_midi(data: bytes, max_seconds: float) -> tuple[bytes, float]:
    """The MIDI ended at its last note off and cut to its first ``max_seconds`` (and never more than
    MAX_RENDER_SECONDS; notes clipped), and its length in seconds. The music's end, not the file's:
    a 60-byte file can put a tempo change or a marker ten days in, and FluidSynth would render every
    silent second of it."""
    import symusic

    secs = _seconds_score(data)
    cut = min(_music_end(secs), float(max_seconds), MAX_RENDER_SECONDS)
    if float(secs.end()) <= cut:
        return data, cut  # nothing after the music or past the limit: the file as it is
    for track in secs.tracks:
        arr = track.notes.numpy()
        keep = arr["time"] < cut
        t, d = arr["time"][keep], arr["duration"][keep]
        d = np.minimum(d, cut - t).astype(np.float32)
        track.notes = symusic.Note.from_numpy(
            np.ascontiguousarray(t, dtype=np.float32), np.ascontiguousarray(d),
            np.ascontiguousarray(arr["pitch"][keep]), np.ascontiguousarray(arr["velocity"][keep]),
            ttype="second",
        )
        for name in ("controls", "pitch_bends", "pedals", "lyrics"):
            events = getattr(track, name)
            setattr(track, name, [e for e in events if e.time < cut])
    for name in ("tempos", "time_signatures", "key_signatures", "markers"):  # events after the music end it late
        setattr(secs, name, [e for e in getattr(secs, name) if e.time < cut])
    return bytes(secs.to("tick").dumps_midi()), cut


# ---------------------------------------------------------------- rendering


def _run(cmd: list[str], timeout: float, what: str) -> None:
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise AudioError(msg("said.tool_timeout", what=what, seconds=f"{timeout:g}")) from exc
    except OSError as exc:
        raise AudioError(msg("said.tool_not_started", what=what, error=str(exc))) from exc
    if proc.returncode != 0:
        err = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip().splitlines()
        raise AudioError(msg("said.tool_failed", what=what,
                             error=err[-1] if err else msg("said.exit_status", code=proc.returncode)))


def _fluidsynth_cmd(exe, soundfont, midi_path, out_path, file_type, sample_rate, gain) -> list[str]:
    # Dynamic sample loading reads only the instruments the piece plays, not the whole 140 MB bank:
    # measured, a third less time per render (most of a short render was loading the soundfont).
    # FluidSynth's gain range is 0-10.
    return [exe, "-ni", "-q", "-g", f"{min(max(gain, 0.0), 10.0):g}", "-r", str(int(sample_rate)),
            "-o", "synth.dynamic-sample-loading=1",
            "-T", file_type, "-F", str(out_path), str(soundfont), str(midi_path)]


def _synthesize(exe, soundfont, mid: Path, raw: Path, sample_rate: int, gain: float, timeout: float) -> np.ndarray:
    """FluidSynth's output as 32-bit float samples, ``(frames, 2)``, mapped from the file ``raw``.
    Float, not 16-bit: nothing clips before the level is set, quiet music keeps its resolution when
    raised, and there is no dither noise for the normalisation to amplify."""
    cmd = _fluidsynth_cmd(exe, soundfont, mid, raw, "raw", sample_rate, gain)
    cmd[cmd.index("-T"):cmd.index("-T")] = ["-O", "float"]
    _run(cmd, timeout, "FluidSynth")
    frames = raw.stat().st_size // 8 if raw.is_file() else 0
    if frames == 0:
        raise AudioError(msg("said.no_audio_out"))
    return np.memmap(raw, dtype="<f4", mode="r", shape=(frames, 2))


def _level(samples: np.ndarray, limit: int, rate: int, normalize: bool,
           peak_db: float | None = None) -> tuple[float, int]:
    """The factor that brings ``samples[:limit]`` to a normal loudness, and the frame after which
    only silence (FluidSynth's tail, as heard after that factor) follows.

    The highest sample goes to ``peak_db`` (default :data:`PEAK_DB`), unless that puts the average
    level (RMS, up to the end of the sound) above :data:`MAX_RMS_DB`, and nothing is raised by more
    than :data:`MAX_BOOST_DB`. What is silent as rendered (below :data:`SILENCE`) is left alone, so
    it is not amplified into noise. Without ``normalize`` the factor is 1 unless the rendering would
    clip."""
    peak_db = PEAK_DB if peak_db is None else peak_db
    chunk = rate * 10
    peak, blocks = 0.0, []
    for at in range(0, limit, chunk):
        block = np.asarray(samples[at:min(limit, at + chunk)], dtype=np.float32)
        peak = max(peak, float(np.abs(block).max()))
        blocks.append(float(np.einsum("ij,ij->", block, block, dtype=np.float64)))
    power = np.cumsum([0.0] + blocks)  # energy before each block boundary

    def end_at(factor: float) -> int:
        # The last audible frame is looked for in the final few seconds.
        look = min(limit, int(RELEASE_SECONDS * 2 * rate))
        tail = np.abs(np.asarray(samples[limit - look:limit], dtype=np.float32)).max(axis=1) * factor
        loud = np.flatnonzero(tail > SILENCE)
        end = limit - look + (int(loud[-1]) + 1 + int(0.05 * rate) if len(loud) else 0)
        return max(1, min(limit, end))

    factor = 1.0
    if normalize and peak > SILENCE:
        factor = min(10 ** (peak_db / 20) / peak, 10 ** (MAX_BOOST_DB / 20))
        end = end_at(factor)
        # Energy after `end` is below -60 dB as heard: counting the whole block it falls in is fine.
        rms = (power[min(len(blocks), -(-end // chunk))] / (end * samples.shape[1])) ** 0.5
        factor = min(factor, 10 ** (MAX_RMS_DB / 20) / rms)
    elif peak > 1.0:
        factor = 1.0 / peak
    return factor, end_at(factor)


def _write_wav(samples: np.ndarray, end: int, factor: float, rate: int, dst: Path) -> None:
    """``samples[:end] * factor`` as a 16-bit stereo WAV."""
    with wave.open(str(dst), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        chunk = rate * 10
        for at in range(0, end, chunk):
            block = np.asarray(samples[at:min(end, at + chunk)], dtype=np.float32) * np.float32(factor * 32767)
            w.writeframes(np.clip(np.rint(block), -32768, 32767).astype("<i2").tobytes())


def _frames_to_float(raw: bytes, width: int) -> np.ndarray:
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if width == 4:
        return np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    if width == 1:
        return (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        return v.astype(np.float32) / float(1 << 23)
    raise AudioError(msg("said.wav_width", width=width))


def _encode_ogg(wav: Path, ogg: Path, timeout: float) -> bool:
    """WAV → OGG/Vorbis with sox or ffmpeg; False when neither is installed."""
    if shutil.which("sox"):
        _run(["sox", str(wav), "-t", "ogg", "-C", "3", str(ogg)], timeout, "Encoding OGG with sox")
        return True
    if shutil.which("ffmpeg"):
        _run(["ffmpeg", "-nostdin", "-y", "-loglevel", "error", "-i", str(wav),
              "-c:a", "libvorbis", "-q:a", "3", "-f", "ogg", str(ogg)], timeout, "Encoding OGG with ffmpeg")
        return True
    return False


def render(
    midi,
    out: str | os.PathLike,
    fmt: str | None = None,
    max_seconds: float = 600,
    sample_rate: int = 44100,
    timeout: float = 120,
    gain: float = GAIN,
    normalize: bool = True,
) -> Path:
    """Render MIDI (bytes, a path, or a Piece) to ``out`` as WAV (16-bit) or OGG/Vorbis.

    ``fmt`` defaults to the suffix of ``out``. The music is cut at ``max_seconds`` and FluidSynth's
    silent tail is cut right after the last audible sample. With ``normalize`` (the default) the
    level is set from the whole rendering: peak at :data:`PEAK_DB` (about -1 dBFS), never clipped,
    silence left silent (see :func:`_level`); ``gain`` is FluidSynth's master gain before that.
    The file is written atomically. Raises AudioError with a message for a person when FluidSynth
    or a soundfont is missing, or rendering fails or times out.

    FluidSynth renders to a temporary float file, then it is levelled and written or encoded.
    Normalising needs the whole rendering, so synthesis (about 0.21 s for 20 s of music) and Vorbis
    encoding (about 0.20 s) run one after the other, where piping FluidSynth straight into sox ran
    them side by side: measured on two busy cores, 0.45-0.49 s per 20 s OGG instead of 0.43-0.45 s;
    on idle cores the pipe could save up to 0.2 s, but its level could not be set.
    """
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".") or "").lower()
    fmt = {"oga": "ogg", "wave": "wav"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise AudioError(msg("said.audio_format", fmt=fmt))
    if not max_seconds >= MIN_RENDER_SECONDS:  # NaN too
        raise AudioError(msg("said.render_seconds", least=f"{MIN_RENDER_SECONDS:g}", got=f"{max_seconds:g}",
                             most=f"{MAX_RENDER_SECONDS / 60:g}"))
    exe, soundfont = _require()
    data, seconds = _cap_midi(_load_midi(midi), float(max_seconds))
    rate = int(sample_rate)

    with atomic_path(out, suffix=f".{fmt}") as final_tmp, tempfile.TemporaryDirectory(prefix="musegen-audio-") as work:
        work = Path(work)
        mid = work / "in.mid"
        mid.write_bytes(data)
        samples = _synthesize(exe, soundfont, mid, work / "raw.f32", rate, gain, timeout)
        limit = min(len(samples), int((seconds + RELEASE_SECONDS) * rate))
        factor, end = _level(samples, max(1, limit), rate, normalize,
                             PEAK_DB - (OGG_HEADROOM_DB if fmt == "ogg" else 0.0))
        if fmt == "wav":
            _write_wav(samples, end, factor, rate, final_tmp)
        else:
            levelled = work / "levelled.wav"
            _write_wav(samples, end, factor, rate, levelled)
            if not _encode_ogg(levelled, final_tmp, timeout):
                # Neither sox nor ffmpeg: let FluidSynth (libsndfile) write Vorbis itself, at the
                # gain found above (FluidSynth is linear in its gain; its tail is not cut here).
                _run(_fluidsynth_cmd(exe, soundfont, mid, final_tmp, "oga", rate, gain * factor),
                     timeout, "FluidSynth (OGG)")
        del samples  # the mapping, before the folder holding its file goes
        if final_tmp.stat().st_size == 0:
            raise AudioError(msg("said.render_empty"))
    return out


def render_bytes(midi, fmt: str = "ogg", **kw) -> bytes:
    """Render MIDI to audio bytes (``fmt`` "ogg" or "wav"), e.g. for ``st.audio``."""
    with tempfile.TemporaryDirectory(prefix="musegen-audio-") as work:
        path = render(midi, Path(work) / f"out.{fmt}", fmt=fmt, **kw)
        return path.read_bytes()


# ---------------------------------------------------------------- inspection


def _read_wav(src) -> tuple[np.ndarray, int]:
    with wave.open(src, "rb") as r:
        ch, width, rate, n = r.getnchannels(), r.getsampwidth(), r.getframerate(), r.getnframes()
        raw = r.readframes(n)
    return _frames_to_float(raw, width).reshape(-1, ch), rate


def audio_stats(path: str | os.PathLike) -> dict:
    """``{"seconds", "rms", "peak", "sample_rate", "channels"}`` of a WAV or OGG file
    (amplitudes in full scale, 0–1). OGG is decoded with sox or ffmpeg."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(msg("said.audio_not_found", path=str(path)))
    with open(path, "rb") as f:
        is_wav = f.read(4) == b"RIFF"
    if is_wav:
        samples, rate = _read_wav(str(path))
    else:
        if shutil.which("sox"):
            cmd = ["sox", str(path), "-t", "wav", "-b", "16", "-"]
        elif shutil.which("ffmpeg"):
            cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "wav", "-"]
        else:
            raise AudioError(msg("said.no_ogg_reader"))
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise AudioError(msg("said.decode_slow", name=path.name)) from exc
        if proc.returncode != 0:
            raise AudioError(msg("said.decode_failed", name=path.name, error=proc.stderr.decode(errors="replace").strip()))
        samples, rate = _read_wav(io.BytesIO(proc.stdout))
    flat = samples.astype(np.float64)
    return {
        "seconds": len(samples) / rate if rate else 0.0,
        "rms": float(np.sqrt(np.mean(flat ** 2))) if flat.size else 0.0,
        "peak": float(np.abs(flat).max()) if flat.size else 0.0,
        "sample_rate": int(rate),
        "channels": int(samples.shape[1]) if samples.ndim == 2 else 1,
    }
