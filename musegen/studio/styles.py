"""Styles on the Generate page: a waltz, a jig, a chorale, a march. Each is a metre, a tempo, an
instrument, a form, and the models (best first) that learnt the nearest music. A style only sets
these: a model writes in the style it learnt (a 3/4 piece from the Bach model is a chorale in 3/4),
which is why each names the model it is made with."""
from __future__ import annotations

from dataclasses import dataclass

from .run_library import BASE_RUN, Entry

MODEL_OWN = "model"  # no style: the model's own metre, tempo and instruments


@dataclass(frozen=True)
class Style:
    time_signature: str  # one of steering.TIME_SIGNATURES
    tempo: int  # quarter notes a minute
    instrument: str  # a name of render.midi.INSTRUMENTS
    form: str  # a name of generate.form.FORMS, "" for free
    models: tuple[str, ...]  # run names, the best suited first


STYLES = {
    "waltz": Style("3/4", 150, "Acoustic grand piano", "AABA", ("folk-wavenet", BASE_RUN)),
    "jig": Style("6/8", 180, "Violin", "AABB", ("folk-wavenet", BASE_RUN)),
    "chorale": Style("4/4", 80, "Church organ", "", ("bach-wavenet", "bach-lstm", BASE_RUN)),
    "march": Style("2/4", 112, "Trumpet", "AABB", ("folk-wavenet", BASE_RUN)),
}
CHOICES = [MODEL_OWN] + list(STYLES)


def model_for(style: Style, entries: list[Entry]) -> Entry | None:
    """The run a style is made with: the first of its models in the library (a bundled one before a
    visitor's of the same name); None when none is there, and the chosen model stays."""
    for name in style.models:
        found = [e for e in entries if e.run.name == name]
        if found:
            return next((e for e in found if e.bundled), found[0])
    return None
