"""The app's shared components, one module each, Streamlit wiring only (the logic is musegen's):

- ``language``: the visitor's language, the catalogue's words, what the library says in it;
- ``session``: the visitor, the server's limits, and the kept session a reload gives back — each
  page declares the settings it keeps (``session.keep(KEPT)`` near its top);
- ``server``: the model pool and built-in datasets loaded once for every session;
- ``dataset``: the music a visitor chose; ``library``: their runs and the run picker;
- ``piece``: a generated piece shown (audio, roll, score, downloads); ``piece_share``: its link,
  and the read-only page the link opens; ``versions``: another version of it (bars, a section, a
  part written again); ``accompany``: the parts kept and written around;
- ``training``: the job panel and starting a training; ``figures``: charts and tables; ``sidebar``:
  the shared sidebar.

musegen never imports this package: the library stays free of Streamlit pages.
"""
