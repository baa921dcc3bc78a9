"""The Generate page's steering choices (musegen.generate.steer does the work)."""
from __future__ import annotations

from ..generate import steer

FREE, AUTO = "free", steer.AUTO  # the Generate page's key choices besides a tonic (opt.tonic.* says them)
KEY_TONICS = [FREE, AUTO] + list(steer.NOTE_NAMES)
SCALE_NAMES = list(steer.SCALES)
NOTE_CHOICES = [steer.pitch_name(p) for p in range(21, 109)]  # A0 … C8, the piano
TIME_SIGNATURES = ["2/4", "3/4", "4/4", "5/4", "6/8", "9/8", "12/8", "2/2", "3/2"]


def key_setting(tonic: str, mode: str) -> str:
    """The Generate page's key choice as SampleConfig.key: "", steer.AUTO or "D minor"."""
    if tonic == FREE:
        return ""
    return AUTO if tonic == AUTO else f"{tonic} {mode}"
