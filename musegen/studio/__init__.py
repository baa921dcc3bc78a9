"""The logic behind the app's pages, without Streamlit, one concern a module.

Pages stay thin — widgets in, these calls, results out — and tests reach all of this directly:

- ``run_library``: the runs a visitor may use (bundled first), their labels, which one a page
  selects, who may download a bundle, the Compare page's rows;
- ``training``: the Train page's presets and the RunConfig they make, what a new training starts
  from, what the model hears in bars;
- ``explore``: the Dataset page's token-cutoff preview and file report;
- ``composers``: loaded models shared by every session;
- ``steering``: the Generate page's key, scale, range and metre choices;
- ``generation``: composing with a run and rendering what it made (``musegen.render.rendering``).

Where runs live is ``musegen.paths``, so training and the job server never import this package.
"""
