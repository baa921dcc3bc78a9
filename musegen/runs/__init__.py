"""Runs: the folders a training leaves, each holding everything needed to reload and use its model.

- ``folder``: what a run folder holds, read and checked (``Run``);
- ``save``: its files written while it trains, each atomically;
- ``library``: the runs of a folder listed, renamed, deleted, rid of what a killed write left;
- ``bundle``: a run as a .zip to download, and a .zip imported as a new run (hostile ones refused).
"""
