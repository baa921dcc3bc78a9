"""Evaluation: how good is a trained run, and which of two runs predicts music better.

    heldout          held-out likelihood: NLL per token, perplexity, accuracy, bits per quarter
    note_statistics  one piece's notes: pitch-class entropy, scale consistency, polyphony, …
    rhythm           the beats of a piece, and the share of notes on them
    harmony          chords on the beat, one key throughout
    repetition       repeated bars, loops of tokens, ostinato lock-in
    structure        those four structure statistics together, and their means over a set
    collapse         a loop of tokens or a locked-in figure
    against_real     generated against real music, set against set (mgeval: overlap, KL)
    memorisation     the longest passage copied verbatim from the training data
    run_report       all of the above for one run (the CLI's `musegen evaluate`, the study)
    verdict          the Compare page's plain answer: which model predicts held-out music better
"""
