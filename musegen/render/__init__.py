"""Output: MIDI and MusicXML, audio, plots and the playhead page."""
