"""One error family whose messages are written for a person.

The CLI prints ``str(error)`` as one line and exits non-zero; the app shows it with ``st.error``.
"""


class MusegenError(Exception):
    """Something the user can act on; the message says what and how.

    Raised with a ``messages.Message`` (a code and its values: ``InputError(msg("said.x", n=3))``),
    which ``str`` says in English and the app in the visitor's language; a plain string is English
    only (the app shows it behind a lead-in that something went wrong)."""

    def __init__(self, message="", *args):
        super().__init__(str(message), *args)
        self.message = message  # the Message (or the string) as raised

    def __reduce__(self):  # across processes (a training worker's error) with its Message
        return type(self), (self.message, *self.args[1:])

    def said(self, lang: str) -> str | None:
        """The error in lang, or None where it was raised as plain English."""
        from .messages import Message

        return self.message.said(lang) if isinstance(self.message, Message) else None


class InputError(MusegenError):
    """A file, upload or setting we refuse (not MIDI, too big, unsafe zip, no usable files…)."""


class ModelError(MusegenError):
    """A run bundle that cannot be loaded or used as asked."""


class AudioError(MusegenError):
    """FluidSynth or a soundfont is missing, or rendering failed."""


class StoppedEarly(MusegenError):
    """A stop was asked for before training began (while the music was read or prepared)."""


from .messages import msg  # noqa: E402  (messages needs nothing of this module)

OUT_OF_MEMORY = msg("said.out_of_memory")


def out_of_memory(error: BaseException) -> bool:
    """TensorFlow's ResourceExhaustedError (its out-of-memory), recognised without importing TensorFlow:
    the CLI and the training worker say OUT_OF_MEMORY instead of its page of allocator details."""
    return any(kind.__name__ == "ResourceExhaustedError" for kind in type(error).__mro__)
