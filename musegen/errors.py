"""One error family whose messages are written for a person.

The CLI prints ``str(error)`` as one line and exits non-zero; the app shows it with ``st.error``.
"""


class MusegenError(Exception):
    """Something the user can act on; the message says what and how."""


class InputError(MusegenError):
    """A file, upload or setting we refuse (not MIDI, too big, unsafe zip, no usable files…)."""


class ModelError(MusegenError):
    """A run bundle that cannot be loaded or used as asked."""


class AudioError(MusegenError):
    """FluidSynth or a soundfont is missing, or rendering failed."""


class StoppedEarly(MusegenError):
    """A stop was asked for before training began (while the music was read or prepared)."""
