"""musegen: train a WaveNet or an LSTM on MIDI music, then generate, see and hear new pieces."""
import os

# TensorFlow's C++ start-up chatter is noise to a musician; errors still show.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
