"""The interface text of the app, one catalogue per language (English, 简体中文).

Pages look every sentence up here by key (``t("train.start", lang)``); placeholders are
str.format fields (``{name}``, ``{params:,}``). Keys are grouped by page; ``opt.*`` keys translate
the option values a page keeps in English (its code compares them), shown through format_func.
A test (tests/test_i18n.py) fails on a key missing from either language or placeholders that differ.

musegen's library speaks English (the command line, logs, the files it writes); ``said`` says its
sentences in the app's language: each is recognised by a pattern (SENTENCES, PHRASES, at the end)
and filled into a ``said.*`` text. How a training ended is kept as a code next to its English
(summary.json "stop"), said by ``stop_text``.
"""
from __future__ import annotations

import re
from string import Formatter

LANGUAGES = {"en": "English", "zh": "简体中文"}
DEFAULT = "en"


def language_of(locale: str | None) -> str:
    """A browser language tag ("zh-CN", "zh-Hans-SG", "en-GB", None) → a catalogue's code."""
    tag = (locale or "").strip().lower().replace("_", "-")
    return "zh" if tag == "zh" or tag.startswith("zh-") else DEFAULT


def t(key: str, lang: str = DEFAULT, **values) -> str:
    """The text for key in lang (English where that language lacks it), placeholders filled."""
    text = CATALOGUE.get(lang, {}).get(key)
    if text is None:
        text = CATALOGUE[DEFAULT][key]
    return text.format(**values)


def option(group: str, value, lang: str = DEFAULT) -> str:
    """How an option value kept in English (a preset's name, a scale) reads in lang: its
    ``opt.<group>.<value>`` entry, else the value itself (names of things, or a value the
    catalogue does not know yet)."""
    key = f"opt.{group}.{value}"
    return t(key, lang) if key in CATALOGUE[DEFAULT] else str(value)


def fields(text: str) -> set[str]:
    """The placeholder names of a catalogue text."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def sentences(lang: str, *parts: str) -> str:
    """Sentences one after another: a space between them in English, none in Chinese."""
    return ("" if lang == "zh" else " ").join(p for p in parts if p)


# ---------------------------------------------------------------- musegen's own English, said in the app

def said(message: str, lang: str = DEFAULT) -> str:
    """A sentence of musegen's library (an error, a job's progress, a file's reason for being
    skipped, a steering rule) as lang says it; what is not recognised stays as it is."""
    return recognise(message, lang)[0]


def recognise(message: str, lang: str = DEFAULT) -> tuple[str, bool]:
    """(message in lang, whether any of it was recognised). The library speaks English to the
    command line and its files; the sentences a person meets most are recognised here by pattern
    (SENTENCES anywhere in the message, PHRASES as the whole of it) and said from the catalogue."""
    if lang == DEFAULT or not message:
        return message, True
    whole = _phrase(message.strip(), lang)
    if whole is not None:
        return _tidy(whole, lang), True
    found = False
    for key, pattern in _SENTENCES:
        message, n = pattern.subn(lambda m, key=key: _fill(key, m, lang), message)
        found = found or n > 0
    if not found:  # "name.mid: no notes": a file and its reason (an upload refused)
        listed = _reasons(message, lang)
        found = listed != message
        message = listed
    return _tidy(message, lang), found


def stop_text(stop: dict, lang: str = DEFAULT) -> str:
    """How a training ended, from the code musegen.train stores next to its English stop_reason."""
    val = stop.get("monitor") == "val_loss"
    kept = (t("said.kept_val" if val else "said.kept_loss", lang, epoch=stop["kept"], loss=f"{stop['loss']:.3f}")
            if stop.get("kept") else t("said.no_finite", lang))
    code, epochs = stop.get("code"), stop.get("epochs", 0)
    if code == "early_stop":
        return t("said.early_stop_val" if val else "said.early_stop_train", lang, patience=stop.get("patience", 0),
                 epochs=epochs, kept=kept)
    learning = t("said.still_learning", lang) if stop.get("learning") else ""
    if code == "time_budget":
        budget = stop.get("budget_s", 0.0)
        told = t("said.n_min", lang, n=f"{budget / 60:g}") if budget >= 120 else t("said.n_s", lang, n=f"{budget:g}")
        return sentences(lang, t("said.budget_reached", lang, budget=told, epochs=epochs, kept=kept), learning)
    if code == "stop_requested":
        return sentences(lang, t("said.stop_requested", lang, epochs=epochs, kept=kept), learning)
    if code == "interrupted":
        return t("said.interrupted", lang, epochs=epochs, kept=kept)
    return sentences(lang, t("said.finished", lang, epochs=epochs, kept=kept), learning)


def _fill(key: str, match, lang: str) -> str:
    values = {name: _part(name, value or "", lang) for name, value in match.groupdict().items()}
    return t(key, lang, **values)


def _part(name: str, value: str, lang: str) -> str:
    """A value inside a recognised sentence, itself said in lang where it is a known phrase."""
    if name == "reasons":
        return _reasons(value, lang)
    if name in ("scale", "scheme"):
        return option(name, value, lang)
    phrase = _phrase(value, lang)
    return phrase if phrase is not None else recognise(value, lang)[0] if value else value


def _phrase(text: str, lang: str) -> str | None:
    for key, pattern in _PHRASES:
        match = pattern.fullmatch(text)
        if match:
            return _fill(key, match, lang)
    return None


def _reasons(text: str, lang: str) -> str:
    """"a.mid: no notes; b.mid: empty file" with each reason said in lang."""
    out = []
    for item in text.split("; "):
        name, colon, reason = item.partition(": ")
        said_reason, known = (_phrase(reason, lang), True) if colon else (None, False)
        if colon and said_reason is None:
            said_reason, known = recognise(reason, lang)
        out.append(f"{name}{t('said.colon', lang)}{said_reason}" if known else item)
    return t("said.semicolon", lang).join(out)


def _tidy(text: str, lang: str) -> str:
    """No spaces between Chinese sentences, nor between a Chinese name put in the place of an
    English one and the words around it (the catalogue's text spaces it as if it were Latin)."""
    if lang != "zh":
        return text
    text = re.sub(r"(?<=[。！？）])\s+(?=\S)", "", text)
    return re.sub(r"(?<=[\u4e00-\u9fff）])\s+(?=[\u4e00-\u9fff（])", "", text)


EN = {
    # ------------------------------------------------------------ app: navigation, sidebar, shared
    "app.page_title": "musegen — neural music",
    "app.language": "Language / 语言",
    "nav.home": "Home",
    "nav.dataset": "Dataset",
    "nav.train": "Train",
    "nav.generate": "Generate",
    "nav.compare": "Compare",
    "side.tagline": "Teach a neural network some music, then let it compose.",
    "side.dataset": "**Dataset:** {label}  \n{parsed} pieces, {notes:,} notes",
    "side.no_dataset": "**Dataset:** none chosen yet (Train uses Bach chorales)",
    "side.training": "**Training:** {icon} {name} — {state}",
    "side.pieces": "**This session:** {n} piece(s) composed",
    "side.limits": "Limits of this server",
    "side.limits_body": (
        "- uploads up to **{upload_mb} MB**\n"
        "- training up to **{minutes:g} min** per run{nocap}\n"
        "- **{concurrent}** training(s) at a time; others queue\n"
        "- per visitor: **{trainings}** training(s) running or waiting, the newest **{runs}** runs kept\n"
        "- disk: **{runs_mb:,} MB** for all that visitors keep (runs, imports, uploads), **{cache_mb:,} MB** for "
        "parsed music; when full, new work is refused and only your own runs unused the longest make room"),
    "side.nocap": " (no cap)",
    "side.operator": "Operator rights: you see and manage every visitor's runs and trainings.",
    "side.operator_off": "Give up operator rights",
    "side.operator_password": "Operator password",
    "side.wrong_password": "Wrong password.",
    "side.password_wait": "Too many wrong passwords on this server: try again in {seconds} s.",
    "side.bad_limits": "Bad demo limits ({error}); using the defaults.",
    "side.share_gone": "That share link no longer works: its run was deleted or unshared.",
    "side.shared": "**{name}** was shared with you: it is in your list of models.",
    "side.unshared": "**{name}** is no longer shared with you: its owner stopped sharing it. Choose another model.",
    "side.run_gone": "**{name}** is no longer in the library: it was deleted. Choose another model.",
    "side.dataset_lost": "Your dataset could not be read again ({error}): choose it on the Dataset page.",
    "side.no_audio": "**No audio on this machine.** {problem}. Piano rolls, scores and MIDI downloads still work.",
    "state.queued": "queued",
    "state.running": "running",
    "state.finished": "finished",
    "state.stopped": "stopped",
    "state.failed": "failed",
    "state.interrupted": "interrupted",
    "piece.alt": "Audio player and piano roll of {name}",
    "piece.caption": "{notes} notes · {seconds:.0f} s · {tempo:.0f} BPM",
    "piece.click": " · click or drag on the roll to play from there",
    "piece.engraving": "Engraving the score…",
    "piece.score": "Score",
    "piece.midi": ":material/download: MIDI",
    "piece.ogg": ":material/download: Audio (ogg)",
    "piece.wav": ":material/download: Audio (wav)",
    "piece.musicxml": ":material/download: MusicXML",
    "piece.unusable": "it holds no usable music",
    "runs.label": "{name} — {kind}{loss}{bundled}",
    "runs.loss": ", val loss {loss:.2f}",
    "runs.bundled": " (bundled)",
    "runs.none": "No trained model here yet: train one on the **Train** page "
                 "(or run `make models` to build the bundled ones).",

    # ------------------------------------------------------------ home
    "home.intro": (
        "musegen teaches a neural network to write music: it reads pieces (MIDI or scores), learns "
        "which note tends to come next, then composes new pieces one note at a time — a **WaveNet** "
        "(dilated convolutions) or an **LSTM** (a recurrent network), side by side if you like. "
        "No code, no installation."),
    "home.make_own": "Make your own",
    "home.step1": "1 · Choose music",
    "home.step1_text": "Pick Bach chorales or folk tunes, or upload your own MIDI files.",
    "home.step2": "2 · Train a model",
    "home.step2_text": "Watch the loss fall while it learns; hear a sample after each epoch.",
    "home.step3": "3 · Generate",
    "home.step3_text": "Compose, look at the score, listen, download.",
    "home.hear": "Hear it now",
    "home.no_model": "No pretrained model is bundled here yet. Train one on the **Train** page — the quick "
                     "preset takes about half a minute.",
    "home.generate": ":material/play_arrow: Generate a piece now",
    "home.composing": "Composing… (the first piece also loads the model)",
    "home.uses": "Uses the pretrained model **{name}** ({params:,} parameters, trained on {data}).",
    "home.made": "A new piece by **{run}** — seed {seed}. "
                 "Press the button again for another, or open **Generate** for all the controls.",

    # ------------------------------------------------------------ dataset
    "ds.title": ":material/library_music: Dataset",
    "ds.caption": "The music the model will learn from. Every file is checked; the ones that cannot be used "
                  "are listed with the reason, and never stop the others.",
    "ds.music": "Music",
    "opt.source.Built-in dataset": "Built-in dataset",
    "opt.source.Upload files": "Upload files",
    "ds.dataset": "Dataset",
    "ds.dataset_option": "{title} ({files} files)",
    "ds.load": "Load this dataset",
    "ds.reading": "Reading files…",
    "ds.reading_file": "Reading files… {done}/{total} {file}",
    "ds.reading_left": "Reading files… {done}/{total} · about {left} left",
    "ds.upload": "MIDI files, scores, or a .zip of them",
    "ds.upload_help": "MIDI (.mid, .midi), MusicXML (.xml, .musicxml, .mxl), ABC, Humdrum, or a .zip holding them.",
    "ds.limits": "Limits: {upload_mb} MB per upload · {file_bytes} per music file · "
                 "{notes:,} notes and {minutes:.0f} min of music per file · "
                 "a .zip may hold {members:,} files, {zip_bytes} unpacked.",
    "ds.too_large": "Too large (limit {mb} MB): {names}",
    "ds.reading_yours": "Reading your files…",
    "ds.uploaded": "{n} uploaded files",
    "ds.choose": "Choose a dataset above (or skip this step: training uses the Bach chorales by default).",
    "ds.files": "Files",
    "ds.parsed": "Parsed",
    "ds.skipped": "Skipped",
    "ds.notes": "Notes",
    "ds.music_metric": "Music",
    "ds.minutes": "{minutes:.1f} min",
    "ds.skipped_files": "{n} file(s) skipped: ",
    "ds.report": "Per-file report",
    "ds.rare": "Rare chords: only for the article's token scheme",
    "ds.rare_caption": "The default tokens (bars, beats and parts) keep every note: this matters only if you train "
                       "with *the article's notes and chords* (Train → Advanced settings → Tokens). That scheme "
                       "makes every chord a token of its own and keeps only those seen at least *cutoff* times (the "
                       "article used 50). Move the slider to see what it would drop.",
    "ds.cutoff": "Rare-token cutoff",
    "ds.cutoff_help": "Tokens seen fewer times than this are dropped from the vocabulary (the article's "
                      "notes-and-chords scheme only).",
    "ds.dropped_summary": "With that scheme, **{dropped}** of {tokens} tokens would be dropped — {occurrences:,} "
                          "occurrences, {share:.1%} of the notes and chords.",
    "ds.dropped": "Dropped: ",
    "ds.listen": "Listen to one file",
    "ds.piece": "Piece",
    "ds.rendering": "Rendering…",
    "ds.first_minute": "Audio preview: the first minute.",
    "opt.dataset.bach": "Bach chorales",
    "opt.dataset.folk": "Folk tunes (Ryan's Mammoth Collection)",
    "opt.dataset.palestrina": "Palestrina masses",
    "opt.dataset.monteverdi": "Monteverdi madrigals",
    "opt.dataset.base": "music21's corpus in every layout (the base model)",
    "opt.dataset_text.bach": "The 371 four-part chorales harmonised by J. S. Bach, as numbered in Riemenschneider's "
                             "collection (MusicXML, music21 corpus): 350 files, since 21 of those numbers repeat a "
                             "chorale already among them.",
    "opt.dataset_text.folk": "Fiddle tunes from Ryan's Mammoth Collection (1883): reels, jigs, hornpipes; "
                             "one melody per ABC file.",
    "opt.dataset_text.palestrina": "Renaissance polyphony by Palestrina (Humdrum .krn). Large and slow to parse the "
                                   "first time; cached afterwards.",
    "opt.dataset_text.monteverdi": "Five-voice madrigals by Monteverdi, books 3 to 5 (MusicXML).",

    # ------------------------------------------------------------ train
    "train.title": ":material/model_training: Train",
    "train.caption": "A network learns to predict the next note of the music. Lower loss = better predictions; "
                     "the dashed *validation* line is measured on pieces it never trains on.",
    "train.queued": "Waiting in the queue — place **{place}**. {message} "
                    "(This server trains {n} model(s) at a time.)",
    "train.elapsed": " · elapsed {elapsed} · ETA {eta}",
    "train.metric.loss": "loss",
    "train.metric.val_loss": "val loss",
    "train.metric.accuracy": "accuracy",
    "train.metric.val_accuracy": "val accuracy",
    "train.listen": "**Listen:** a short sample from the checkpoint after epoch {epoch}",
    "train.writing_sample": "Writing a short sample from the newest checkpoint…",
    "train.stop": ":material/stop: Stop",
    "train.stop_help": "Ends training after the current batch; the best checkpoint so far is kept as a run.",
    "train.generate_with": "Generate with it",
    "train.resume": ":material/play_arrow: Resume",
    "train.resume_help": "Continue from the kept checkpoint for the epochs it had left.",
    "train.new": "New training",
    "train.carries_on": "Training runs on the server: you can switch pages or reload this one; it carries on.",
    "train.music": "Music: **{label}** ({n} pieces) — change it on the **Dataset** page.",
    "train.music_default": "Music: **Bach chorales** (built-in) — choose other music on the **Dataset** page.",
    "train.base": "Start from",
    "train.base_new": "Nothing: a new model learns from scratch",
    "train.base_run": "{name} (fine-tune it)",
    "train.base_broad": "base: the broad base model (fine-tune it, recommended)",
    "train.started_at": "Fine-tuning started at validation loss {loss} (a uniform guess would be {chance})",
    "train.now_at": "; now {loss}.",
    "train.start_buys": "The base model already knows harmony, metre and parts in every layout (one line, a melody "
                        "with chords, two hands, four or five voices): a few minutes adapt it to your {n} pieces.",
    "train.start_new_layout": "{name} has only learnt music in {seen} part(s), and most of your pieces have {parts}: "
                              "its guesses for your other parts start from nothing, so fine-tuning it may end worse "
                              "than a new model. Start from **base** instead: it knows every layout.",
    "train.base_help": "Fine-tuning starts from a trained model (the bundled ones learnt from hundreds of pieces), "
                       "so a few of your own pieces and a minute of training already sound like them.",
    "train.model": "Model",
    "train.model_help": "WaveNet looks back through stacked dilated convolutions; the LSTM carries a "
                        "memory from note to note. The simple WaveNet is the article's small version.",
    "train.model_kept": "Model: **{kind}**, as in {name}: its size and tokens are kept.",
    "train.size": "Size",
    "train.size_help": "How big a model, trained how long: it fills in the advanced settings below.",
    "train.minutes": "Train for at most (minutes)",
    "train.minutes_help": "Training stops when the time is up and keeps its best epoch "
                          "(this server allows up to {cap:g} min).",
    "train.advanced": "Advanced settings: the model's size and how it learns",
    "train.advanced_caption": "The size above fills these in; change any of them if you know what they do.",
    "train.epochs": "Epochs",
    "train.epochs_help": "Passes over the training music. 0: as many as the time allows (early stopping may end "
                         "it sooner).",
    "train.steps": "Batches per epoch",
    "train.steps_help": "0 = the whole dataset once per epoch.",
    "train.batch": "Batch size",
    "train.batch_help": "Windows learnt from at once; bigger is smoother but uses more memory.",
    "train.lr": "Learning rate",
    "train.lr_help": "Step size of the optimiser (Adam); too high and the loss jumps.",
    "train.window": "Window (tokens)",
    "train.window_help": "How much music the model reads at once while training.",
    "train.files": "Files to use",
    "train.files_help": "Only the first N pieces (0 = all): fewer trains faster.",
    "train.emb": "Embedding size",
    "train.emb_help": "Numbers the model uses to describe each token.",
    "train.dropout": "Dropout",
    "train.dropout_help": "Randomly silences units while training, against memorising.",
    "train.channels": "Channels",
    "train.channels_help": "Width of each convolution layer.",
    "train.depth": "Dilation depth",
    "train.depth_help": "Layers per stack; dilations 1, 2, 4 … double how far back it sees.",
    "train.stacks": "Stacks",
    "train.stacks_help": "Repeats of the dilation cycle.",
    "train.units": "LSTM units",
    "train.units_help": "Size of the memory carried from note to note.",
    "train.layers": "LSTM layers",
    "train.layers_help": "Recurrent layers stacked on each other.",
    "train.dense": "Dense units",
    "train.dense_help": "The layer between the LSTM and the prediction.",
    "train.filters": "Filters",
    "train.filters_help": "Width of each convolution.",
    "train.blocks": "Blocks",
    "train.blocks_help": "Convolutions with dilations 1, 2, 4 …",
    "train.sdense_help": "The layer before the prediction.",
    "train.tokens": "Tokens",
    "train.tokens_help": "How music becomes tokens. Bars, beats and parts keep the metre and who plays what; "
                         "the article's scheme drops rare chords (cutoff on the Dataset page).",
    "train.seed": "Seed",
    "train.seed_help": "Same seed and settings, same model.",
    "train.patience": "Early stopping",
    "train.patience_help": "Stop when validation loss has not improved for this many epochs, and keep "
                           "the best epoch (0 = off).",
    "train.transpose": "Transpose up to",
    "train.semitones": "± {n} semitones",
    "train.off": "off",
    "train.transpose_help": "Each passage is also learnt moved up or down by up to this many semitones, in a new "
                            "key every epoch. Off by default: in our measurements it raised the validation loss "
                            "and blurred the harmony, even on ten pieces.",
    "train.busy": "The server is busy ({n} training running): yours will wait in the queue.",
    "train.start": ":material/play_arrow: Start training",
    "train.stop_first": "Stop the current training first.",
    "train.others": "Other trainings on this server",
    "train.place": "place {place} in the queue",
    "train.another": "Another visitor’s training",
    "train.other_row": "**{name}** — {state}",
    "train.watch": "Watch",
    "lib.share": ":material/share: Share",
    "lib.share_help": "Makes a link: whoever opens it can generate with this run, not change it.",
    "lib.share_link": "Share link: whoever opens it can generate with this run, not change it.",
    "lib.unshare": ":material/link_off: Stop sharing",
    "lib.title": "Run library",
    "lib.import": ":material/upload: Import a run (.zip downloaded from musegen)",
    "lib.bundle": "Run bundle",
    "lib.bundle_help": "A run's Bundle (.zip) from this or another musegen. Checked against its own "
                       "manifest; nothing in it is ever run as code.",
    "lib.imported": "Imported as **{name}**: it is in the list below and on Generate.",
    "lib.none": "No runs yet. Finished trainings appear here.",
    "lib.params": "Parameters",
    "lib.epochs": "Epochs",
    "lib.val_loss": "Best val loss",
    "lib.val_acc": "Val accuracy",
    "lib.time": "Training time",
    "lib.data": "Data: {source} · {files} training files · {ended}",
    "lib.ended_by": "ended by: {how}",
    "lib.download": ":material/download: Bundle (.zip)",
    "lib.bundled": "Bundled with the app: read-only.",
    "lib.not_yours": "Shared with you, or the server's own: you can generate with it, not change it.",
    "lib.new_name": "New name",
    "lib.rename": "Rename",
    "lib.delete": ":material/delete: Delete",
    "lib.confirm": "Delete **{name}** for good?",
    "lib.yes": "Yes, delete",
    "lib.keep": "Keep it",

    # ------------------------------------------------------------ generate
    "gen.title": ":material/piano: Generate",
    "gen.caption": "The model writes one token at a time, each chosen at random among the likely next ones. "
                   "Temperature, top-k and top-p decide how adventurous that choice is.",
    "gen.rough": "Your run **{mine}** is still rough (val loss {mine_loss:.2f} against {better_loss:.2f} for "
                 "**{better}**, on the same music), so {better} is selected. Pick yours in the list to hear it "
                 "anyway, or train it longer.",
    "gen.model": "Model",
    "gen.model_help": "Bundled models come with the app; your own appear when a training ends.",
    "gen.about": "{kind} · {params:,} parameters · trained on {data}",
    "gen.hears": " · hears {tokens} tokens ≈ {bars:.0f} bars",
    "gen.primer": "Start from",
    "opt.primer.A random passage of the dataset": "A random passage of the dataset",
    "opt.primer.My MIDI file (continue it)": "My MIDI file (continue it)",
    "opt.primer.Nothing": "Nothing",
    "gen.primer_help": "The model continues the music it is given.",
    "gen.upload": "MIDI file to continue",
    "gen.upload_read": "{name}: {notes} notes; its last bars lead into the new music.",
    "gen.primer_bars": "Bars of your music the model hears",
    "gen.primer_bars_help": "The model continues from the last bars of your piece.",
    "gen.keep_primer": "Start the new piece with your passage",
    "gen.keep_primer_help": "So you hear the join; the roll and the score mark where the model takes over.",
    "gen.unit": "Length in",
    "opt.unit.seconds": "seconds",
    "opt.unit.bars": "bars",
    "gen.bars": "Length (bars)",
    "gen.bars_help": "The model writes this many bars.",
    "gen.seconds": "Length (seconds of music)",
    "gen.seconds_help": "The model writes until the piece lasts this long.",
    "gen.time_signature": "Time signature",
    "gen.time_signature_help": "The metre of a piece started from nothing; a continuation keeps yours.",
    "gen.tempo": "Tempo (BPM, 0 = the dataset's)",
    "gen.instrument": "Instrument",
    "gen.instrument_help": "The General MIDI sound of every part in the audio and the MIDI file; "
                           "as written, each part keeps the instrument the music gives it.",
    "gen.temperature": "Temperature",
    "gen.temperature_help": "Low: safe and repetitive (0 = always the likeliest note). High: surprising.",
    "gen.topk": "Top-k (0 = off)",
    "gen.topk_help": "Choose only among the k likeliest next tokens.",
    "gen.rhythm": "Rhythm temperature",
    "gen.rhythm_help": "The temperature of when notes fall and how long they last; Temperature above sets which "
                       "notes. 1.0 keeps the music's own rhythm; lower makes it squarer, higher looser.",
    "gen.topp": "Top-p",
    "gen.topp_help": "Choose among the likeliest tokens that together hold this much probability (1 = off).",
    "gen.seed": "Seed",
    "gen.seed_help": "Same seed and settings, same piece. Typing a seed locks it.",
    "gen.lock": "Lock seed",
    "gen.lock_help": "Off: each Compose draws a new seed (shown in the box, so you can lock it to hear that "
                     "piece again). On: the seed in the box is used.",
    "gen.variations_n": "Variations",
    "gen.variations_help": "Compose several pieces at once, side by side, and keep the ones you like.",
    "gen.steer": ":material/tune: Steer: key, range, repetition",
    "gen.key": "Key",
    "gen.key_help": "Keep to a scale. Auto: the key of the music the model continues.",
    "gen.scale": "Scale",
    "gen.strength": "Strength",
    "gen.strength_help": "1 = strict: only notes of the scale. 0.95: a note outside is twenty times rarer.",
    "gen.range": "Pitch range",
    "gen.range_help": "The lowest and highest note the model may write (middle C is C4).",
    "gen.guard": "Repetition guard",
    "gen.guard_help": "A passage may come back, but not loop for ever (greedy decoding needs it most).",
    "gen.echo": "Bar echo (form)",
    "gen.echo_help": "Once a bar begins like an earlier bar, how strongly it goes on as its repeat: "
                     "tunes get their repeated bars. 0 = off.",
    "gen.compose": ":material/play_arrow: Compose",
    "gen.composing": "Composing…",
    "gen.composing_n": "Composing {n} variations…",
    "gen.variations": "Variations",
    "gen.variations_caption": "Seed {seed}, the same settings, {n} different draws. "
                              "Listen, then keep the ones you like.",
    "gen.variation": "**Variation {i}** · {seconds:.0f} s",
    "gen.keep": ":material/bookmark_add: Keep this one",
    "gen.kept_shown": ":material/check: Kept · shown below",
    "gen.kept_show": ":material/check: Kept · show it",
    "playhead.yours": "yours",
    "playhead.model": "model",
    "playhead.no_notes": "no notes",
    "playhead.roll": "Piano roll",
    "playhead.roll_help": "Piano roll: click to play from there; arrow keys move a bar, space plays",
    "gen.piece_caption": "{run} · seed {seed} · temperature {temperature:g} · top-k {top_k} · "
                         "top-p {top_p:g} · {speed:,.0f} tokens/s",
    "gen.variation_of": " · variation {i} of {n}",
    "gen.session": "This session's pieces",
    "gen.session_caption": "Play them again to compare; the newest is at the top.",
    "gen.no_audio": "no audio",
    "gen.show": "Show",
    "opt.instrument.As written (each part its own)": "As written (each part its own)",
    "opt.instrument.Acoustic grand piano": "Acoustic grand piano",
    "opt.instrument.Harpsichord": "Harpsichord",
    "opt.instrument.Music box": "Music box",
    "opt.instrument.Vibraphone": "Vibraphone",
    "opt.instrument.Church organ": "Church organ",
    "opt.instrument.Acoustic guitar (nylon)": "Acoustic guitar (nylon)",
    "opt.instrument.Violin": "Violin",
    "opt.instrument.Cello": "Cello",
    "opt.instrument.String ensemble": "String ensemble",
    "opt.instrument.Choir aahs": "Choir aahs",
    "opt.instrument.Trumpet": "Trumpet",
    "opt.instrument.French horn": "French horn",
    "opt.instrument.Oboe": "Oboe",
    "opt.instrument.Clarinet": "Clarinet",
    "opt.instrument.Flute": "Flute",
    "opt.instrument.Marimba": "Marimba",
    "opt.tonic.Free": "Free",
    "opt.tonic.Auto (the music's own key)": "Auto (the music's own key)",
    "opt.scale.major": "major",
    "opt.scale.minor": "minor",
    "opt.scale.natural minor": "natural minor",
    "opt.scale.harmonic minor": "harmonic minor",
    "opt.scale.dorian": "dorian",
    "opt.scale.mixolydian": "mixolydian",
    "opt.scale.major pentatonic": "major pentatonic",
    "opt.scale.minor pentatonic": "minor pentatonic",
    "opt.scale.blues": "blues",

    # ------------------------------------------------------------ train and compare: musegen's option names
    "opt.kind.wavenet": "WaveNet (dilated causal convolutions)",
    "opt.kind.lstm": "LSTM (the article's recurrent model)",
    "opt.kind.simple-wavenet": "Simple WaveNet (the article's version)",
    "opt.preset.Quick test (about 30 s)": "Quick test (about 30 s)",
    "opt.preset.Small (a few minutes)": "Small (a few minutes)",
    "opt.preset.Full (like the bundled models)": "Full (like the bundled models)",
    "opt.scheme.metre": "bars, beats and parts (recommended)",
    "opt.scheme.rich": "pitch + duration + time shift",
    "opt.scheme.notes": "the article's notes and chords",

    # ------------------------------------------------------------ compare
    "cmp.title": ":material/balance: Compare",
    "cmp.caption": "Which learns music better from the same data: a WaveNet or an LSTM? Compare their learning "
                   "curves, their numbers, and — most of all — listen.",
    "cmp.train_both": "Train both with identical settings on this dataset",
    "cmp.bach": "Bach chorales",
    "cmp.train_both_text": "A WaveNet and an LSTM, same music (**{label}**), same split, same epochs and time budget. "
                           "They run one after the other when the server trains one model at a time.",
    "cmp.size": "Size",
    "cmp.train": ":material/play_arrow: Train both",
    "cmp.job": "**{name}** — {state}",
    "cmp.waiting": "Waiting: place {place} in the queue",
    "cmp.eta": "{message} · ETA {eta}",
    "cmp.no_runs": "No runs yet: train some on the **Train** page, or use **Train both** above.",
    "cmp.runs": "Runs to compare",
    "cmp.pick": "Pick at least one run.",
    "cmp.measuring": "Measuring each model on the same held-out music (a few seconds, once)…",
    "cmp.answer": "The answer",
    "cmp.why": "Why: the evidence",
    "cmp.listen_both": "Then listen to both below: the numbers say which predicts better, your ears which you prefer.",
    "cmp.table_caption": "Parameters: size of the model. Best val loss / accuracy: on music held out from training "
                         "(lower loss, higher accuracy = better predictions). Generation speed appears after "
                         "composing below.",
    "cmp.listen": "Listen side by side",
    "cmp.seconds": "Length (s)",
    "cmp.temperature": "Temperature",
    "cmp.seed": "Seed (the same for all)",
    "cmp.compose": ":material/play_arrow: Compose one piece with each",
    "cmp.composing": "{name} is composing…",
    "cmp.study": "The study's answer",
    "cmp.study_caption": "From the repository's benchmark study (read-only); the method and the full tables are in "
                         "`docs/study.md`.",

    # ------------------------------------------------------------ compare: the plain answer (musegen/verdict.py)
    'verdict.mismatch_windows': 'they were validated on windows of different lengths ({low} and {high} tokens), so one heard more context than the other',
    'verdict.mismatch_pieces': 'they were validated on different pieces',
    'verdict.pick_two': 'Pick two trained runs (a WaveNet and an LSTM) to get an answer.',
    'verdict.other_music': 'These runs learnt from different music, so their losses cannot be compared: pick runs trained on the same dataset (Train both does that).',
    'verdict.not_alike': "These runs' own losses cannot be set side by side: {why}. They need measuring on the same held-out music, and that music is not here (it was an upload): compare runs trained with Train both, which share everything.",
    'verdict.other_tokens': 'These runs read the music as different tokens, so their losses are not on the same scale: pick runs with the same token scheme.',
    'verdict.too_short': '{name} trained for only {epochs} epoch(s): too short to judge. Train it longer (the Small or Full size) before trusting the answer.',
    'verdict.improving': '{name} was still improving when it stopped: with more time it would do better, so this answer may change.',
    'verdict.noise_seeds': 'the spread between runs of the same model with other seeds is about {noise:.3f}',
    'verdict.noise_jitter': "with one run of each, the only measure of noise is how much a run's loss moved over its last epochs: {noise:.3f} (runs with other seeds usually differ more: train each twice with another seed to be sure)",
    'verdict.early': 'Too early to tell: the runs are too short to judge. So far the {best} is ahead by {gap:.3f}, but a few epochs decide little: train both longer (the same size for each).',
    'verdict.winner': 'The {best} predicts held-out music better on this data: its average surprise at each next note is {gap:.3f} lower (it gives the right note {pct:.0f} % more probability), well beyond the noise.',
    'verdict.so_far': 'So far the {best} predicts held-out music better ({gap:.3f} lower loss, beyond the noise), but see the warnings before trusting it.',
    'verdict.no_winner': 'No clear winner: the {best} is ahead by {gap:.3f}, which is within the noise. On this data they predict the music about equally well; listen to both.',
    'verdict.how_measured': 'held-out loss measured on the same pieces',
    'verdict.how_recorded': 'validation loss',
    'verdict.run_line': '{label}: {how} {loss:.3f}, validation accuracy {accuracy:.1%}, after {epochs} epochs ({time})',
    'verdict.noise': 'Noise: {text}.',
    'verdict.explain': 'Validation loss is measured on pieces the model never trained on: lower means it expected the real next note more. Accuracy is how often its first guess was right.',
    'verdict.measured': 'Measured for this answer on the same held-out pieces (up to {pieces}, each from its first note, {tokens} tokens at most), because {why}.',
    'verdict.not_like_for_like': 'the recorded losses were not like for like',
    'verdict.speed': 'Training took {fast_time} for {fast} and {slow_time} for {slow}; both compose a piece in well under a second, so speed is no reason to choose here.',
    'verdict.time_unknown': 'time unknown',
    'verdict.minutes': '{n:.1f} min',
    'verdict.seconds': '{n:.0f} s',

    # ------------------------------------------------------------ train: what the model hears (studio.context_text)
    'context.hears': 'The model hears {tokens} tokens ({told}).',
    'context.lstm': 'The model trained on windows of {tokens} tokens ({told}).',
    'context.bar': '≈ {bars:.0f} bar of this music',
    'context.bars': '≈ {bars:.0f} bars of this music',
    'context.bars_unknown': 'bars unknown',

    # ------------------------------------------------------------ pieces, tables and the values in them
    'piece.score_fit': 'Fit the score to the screen',
    'piece.score_fit_help': 'Off: the score at a size you can read; on a narrow screen, scroll it sideways.',
    'gen.sampling': ':material/casino: More settings: tempo, instrument, rhythm, top-k, top-p, seed',
    'gen.session_row': '**{name}**  \n{run} · T {temperature:g} · p {top_p:g} · {seconds:.0f} s',
    'ds.skipped_file': '{name} ({reason})',
    'ds.dropped_token': '{token} ×{n}',
    'ds.list_separator': ', ',
    'ds.roll_caption': '{name} — {notes} notes',
    'opt.stopped.finished': 'finished',
    'opt.stopped.stop requested': 'stop requested',
    'opt.stopped.time budget': 'time budget',
    'opt.stopped.early stopping': 'early stopping',
    'opt.stopped.interrupted': 'interrupted',
    'opt.cell.parsed': 'parsed',
    'opt.cell.skipped': 'skipped',
    'opt.cell.unbounded (recurrent)': 'unbounded (recurrent)',
    'opt.cell.ours': 'ours',
    'opt.cell.article': 'article',
    'opt.cell.metre': 'metre',
    'opt.cell.rich': 'rich',
    'opt.cell.notes': 'notes',
    'table.sd': '{name}_sd',
    'table.real': '{name}_real',
    'table.gap': '{name}_gap',
    'said.n_tokens': '{n} tokens',
    'opt.column.run': 'run',
    'opt.column.model': 'model',
    'opt.column.parameters': 'parameters',
    'opt.column.receptive field': 'receptive field',
    'opt.column.epochs': 'epochs',
    'opt.column.training time (s)': 'training time (s)',
    'opt.column.best val loss': 'best val loss',
    'opt.column.val accuracy': 'val accuracy',
    'opt.column.generation tokens/s': 'generation tokens/s',
    'opt.column.file': 'file',
    'opt.column.status': 'status',
    'opt.column.reason': 'reason',
    'opt.column.notes': 'notes',
    'opt.column.seconds': 'seconds',
    'opt.column.dataset': 'dataset',
    'opt.column.setup': 'setup',
    'opt.column.name': 'name',
    'opt.column.scheme': 'scheme',
    'opt.column.seeds': 'seeds',
    'opt.column.vocab': 'vocab',
    'opt.column.params': 'params',
    'opt.column.train_seconds': 'train_seconds',
    'opt.column.val_nll': 'val_nll',
    'opt.column.val_loss': 'val_loss',
    'opt.column.val_perplexity': 'val_perplexity',
    'opt.column.val_accuracy': 'val_accuracy',
    'opt.column.val_tokens': 'val_tokens',
    'opt.column.bits_per_quarter': 'bits_per_quarter',
    'opt.column.tokens_per_s': 'tokens_per_s',
    'opt.column.temperature': 'temperature',
    'opt.column.pitch_class_entropy': 'pitch_class_entropy',
    'opt.column.overlap': 'overlap',
    'opt.column.kl': 'kl',
    'opt.column.distinct_tokens': 'distinct_tokens',
    'opt.column.collapsed': 'collapsed',
    'opt.column.copy_tokens': 'copy_tokens',
    'opt.column.longest_copy': 'longest_copy',
    'opt.column.longest_copy_file': 'longest_copy_file',
    'opt.column.copy_baseline': 'copy_baseline',
    'opt.column.mean_longest_copy': 'mean_longest_copy',
    'opt.column.on_beat_share': 'on_beat_share',
    'opt.column.beat_chord_fit': 'beat_chord_fit',
    'opt.column.bar_repetition': 'bar_repetition',
    'opt.column.key_stability': 'key_stability',

    # ------------------------------------------------------------ charts (musegen/plots.py)
    "plot.roll_title": "{name} — {n} notes",
    "plot.time_s": "time (s)",
    "plot.time_q": "time (quarter notes)",
    "plot.pitch": "pitch",
    "plot.part": "Part {n}",
    "plot.start": "start",
    "plot.duration": "duration",
    "plot.velocity": "velocity",
    "plot.beats": "beats",
    "plot.takeover": "the model takes over",
    "plot.no_notes": "no notes",
    "plot.epoch": "epoch",
    "plot.loss": "loss",
    "plot.accuracy": "accuracy",
    "plot.curves_title": "Learning curves",
    "plot.metric.loss": "loss",
    "plot.metric.val_loss": "val_loss",
    "plot.metric.accuracy": "accuracy",
    "plot.metric.val_accuracy": "val_accuracy",
    "plot.metric.acc": "acc",
    "plot.metric.val_acc": "val_acc",
    "plot.batches": "{metric} (batches)",
    "plot.training": "Training",
    "plot.waiting": "waiting for the first batch…",
    "plot.pieces": "pieces",
    "plot.pitches": "Pitches",
    "plot.share": "share of notes",
    "plot.notes": "notes",
    "plot.durations": "Durations",
    "plot.dur.plain": "{value} note",
    "plot.dur.dotted": "dotted {value}",
    "plot.dur.triplet": "{value} triplet",
    "plot.dur.whole": "whole",
    "plot.dur.half": "half",
    "plot.dur.quarter": "quarter",
    "plot.dur.eighth": "eighth",
    "plot.dur.16th": "16th",
    "plot.dur.32nd": "32nd",
    "plot.dur.64th": "64th",
    "plot.dur.beats": "{n} beats",
    "plot.dur.about": "≈ {value}",
    "plot.dur.other": "other lengths (rare)",
    "plot.octaves": "{note} in octaves",
    "plot.chord": "{symbol} ({notes})",
    "plot.tokens_title": "Token frequencies",
    "plot.rank": "token rank (most common first)",
    "plot.count": "count (log scale)",
    "plot.cutoff_line": "cutoff {cutoff}: {dropped} of {total} tokens dropped",
    "plot.kept": "kept",
    "plot.dropped": "dropped",

    # ------------------------------------------------------------ musegen's own sentences (text.SENTENCES, PHRASES)
    "said.colon": ": ",
    "said.semicolon": "; ",
    "said.error": "Something went wrong: {detail}",
    # a training's progress and end (musegen.jobs, musegen.train, musegen.worker)
    "said.waiting": "Waiting for a free slot…",
    "said.next": "Waiting for a free slot: you are next.",
    "said.ahead": "Waiting for a free slot: {n} training(s) ahead of you.",
    "said.starting": "Starting a worker…",
    "said.reading": "Reading music…",
    "said.windows_moved": "Training on {n} windows, moved by up to ±{k} semitones…",
    "said.windows": "Training on {n} windows…",
    "said.batch": "Epoch {epoch}/{epochs}, batch {step}/{steps}",
    "said.epoch_done": "Epoch {epoch}/{epochs} done",
    "said.batch_open": "Epoch {epoch}, batch {step}/{steps}",
    "said.epoch_done_open": "Epoch {epoch} done",
    "said.preparing": "Preparing tokens…",
    "said.building": "Building the model…",
    "said.start_loss": "Fine-tuning {name}: validation loss starts at {loss} (chance is {chance}).",
    "said.stopping": "Stopping after this batch…",
    "said.stopped_queued": "Stopped before it started.",
    "said.stopped_early": "Stopped before training began: nothing was trained.",
    "said.resumed": "Resumed as a new training ({n} epoch(s) left).",
    "said.resumed_open": "Resumed as a new training.",
    "said.restarted": "The server restarted before this training began: start it again.",
    "said.server_stopped": "The server stopped during this training.",
    "said.worker_oom": "The training's worker process ended unexpectedly (killed by {signal}: the machine may have "
                       "run out of memory).",
    "said.worker_killed": "The training's worker process ended unexpectedly (killed by {signal}).",
    "said.worker_exit": "The training's worker process ended unexpectedly (exit code {code}).",
    "said.worker_nostart": "The training's worker process ended unexpectedly (it did not start).",
    "said.nothing_kept": "No epoch had finished: nothing to keep.",
    "said.checkpoint_unreadable": "Its checkpoint could not be read ({error}).",
    "said.failed": "Training failed.",
    "said.not_kept": "The trained model could not be kept ({error}).",
    "said.failed_unexpectedly": "Training failed unexpectedly ({error}).",
    "said.end_finished": "Training finished.",
    "said.end_stopped": "Stopped: the best checkpoint so far was kept.",
    "said.end_budget": "The time budget ran out: the best checkpoint so far was kept.",
    "said.end_early": "Early stopping: validation loss stopped improving.",
    "said.end_other": "Training ended.",
    "said.evicted": "This server keeps {n} runs per visitor: your oldest ({names}) was deleted.",
    "said.resumed_elsewhere": "{old} was renamed or replaced while it trained: the resumed run is {new}.",
    "said.disk_full": "The server's disk budget for visitors' work ({mb} MB) was full: {n} of your runs unused the "
                      "longest were deleted.",
    "said.no_sample": "No sample this epoch ({error}).",
    "said.no_preview_audio": "No audio preview: {problem}",
    "said.early_stop_val": "Validation loss did not improve for {patience} epoch(s): stopped after epoch {epochs}, "
                           "{kept}.",
    "said.early_stop_train": "Training loss did not improve for {patience} epoch(s): stopped after epoch {epochs}, "
                             "{kept}.",
    "said.budget_reached": "Time budget ({budget}) reached in epoch {epochs}: {kept}.",
    "said.stop_requested": "Stopped on request in epoch {epochs}: {kept}.",
    "said.interrupted": "Interrupted after epoch {epochs}: {kept}. Resume continues it.",
    "said.finished": "Finished {epochs} epoch(s): {kept}.",
    "said.still_learning": "Still learning when it stopped: train longer for better music.",
    "said.kept_val": "kept epoch {epoch} (val loss {loss})",
    "said.kept_loss": "kept epoch {epoch} (loss {loss})",
    "said.no_finite": "no epoch had a finite loss",
    "said.val_loss": "val loss",
    "said.loss": "loss",
    "said.n_min": "{n} min",
    "said.n_s": "{n} s",
    "said.n_h_min": "{h} h {m} min",
    "said.n_min_s": "{m} min {s} s",
    "said.n_h": "{h} h",
    "said.n_days": "{n} days",
    "said.n_years": "{n} years",
    "said.n_bytes": "{n} bytes",
    # audio, scores, a piece (musegen.audio, musegen.studio, musegen.sample, musegen.midi)
    "said.no_fluidsynth": "FluidSynth is not installed: sudo apt-get install fluidsynth",
    "said.no_soundfont_set": "No General MIDI soundfont found: install fluid-soundfont-gm or set MUSEGEN_SOUNDFONT "
                             "({setting} is not a file)",
    "said.no_soundfont": "No General MIDI soundfont found: install fluid-soundfont-gm or set MUSEGEN_SOUNDFONT",
    "said.no_audio": "No audio: {problem}",
    "said.engraving_failed": "No score: engraving failed ({error}).",
    "said.no_score": "No score: {error}",
    "said.no_verovio": "Score display needs verovio: pip install verovio",
    "said.verovio_unreadable": "Verovio could not read this MusicXML.",
    "said.musicxml_failed": "Could not write '{name}' as MusicXML: {error}",
    "said.no_key_lock": "No key lock: 'auto' follows the key of the music being continued, and this piece starts "
                        "from nothing. Name a key (e.g. D minor) instead.",
    "said.collapsed": "The output collapsed: it uses only {n} distinct token(s) — one note or chord repeated.",
    "said.loop": "The output fell into a loop: its second half repeats the same {n} tokens over and over.",
    "said.advice": "Raise the temperature (e.g. 1.0–1.2) or sample with top-p ≈ 0.9 instead of greedy / low "
                   "temperature.",
    "said.key_strength": "key {tonic} {scale} (strength {strength})",
    "said.key": "key {tonic} {scale}",
    "said.range": "range {low}–{high}",
    "said.guard": "repetition guard",
    "said.echo": "bar echo {n}",
    "said.not_note_name": "'{name}' is not a note name: use a letter A–G, optionally with # or b (e.g. F#, Bb).",
    "said.name_a_key": "Name a key, e.g. 'D minor' or 'Bb major'.",
    "said.unknown_scale": "Unknown scale '{scale}': choose one of {known}.",
    "said.not_a_note": "'{text}' is not a note: write it like C3, F#5 or Bb2 (middle C is C4), or a MIDI number.",
    "said.outside_midi": "'{text}' is outside the MIDI range (C-1 … G9, 0–127).",
    "said.not_a_range": "'{text}' is not a range: write the lowest and highest note, e.g. C3-C6.",
    "said.range_upside_down": "The range {text} is upside down: the lowest note comes first (e.g. C3-C6).",
    "said.key_strength_range": "Key strength {strength} is outside 0–1 (1 = strict, 0 = off).",
    "said.about": "{name}: {error}",
    "said.bad_primer": "The primer must be random, none or the music of a MIDI file (got {primer}).",
    "said.not_time_signature": "'{text}' is not a time signature: write it like 3/4 or 6/8.",
    "said.no_time_signatures": "This model's tokens have no time signatures (use the metre scheme).",
    "said.unknown_model": "Unknown model '{kind}': choose one of {known}.",
    "said.wavenet_full": "The full WaveNet takes embeddings and learns every position (inputs=embedding, "
                         "targets=sequence).",
    "said.unknown_inputs": "Unknown inputs '{inputs}': embedding or scalar.",
    "said.range_empty": "No note the model knows lies between {low} and {high}: widen the range.",
    "said.key_range_empty": "No note of {tonic} {scale} lies between {low} and {high}: widen the range, or make the key "
                            "lock less strict.",
    "said.budget_stop": "The music stopped at {n} tokens a piece, the most one request writes, before the length asked "
                        "(the model wrote more tokens per beat than usual): ask for fewer seconds, bars or variations.",
    "said.weights_nan": "the weights hold NaN or infinite values (layer {layer}): the training that made them diverged, "
                        "so they cannot write music.",
    "said.out_of_memory": "Out of memory: the model or its batches do not fit this machine. Lower the batch size, the "
                          "window or the model's size (channels, units, layers).",
    "said.model_too_big": "This model would have {n} parameters, more than the {most} that can be trained here: lower "
                          "the channels, units, stacks, dilation depth or layers.",
    "said.no_time_signature": "The model's tokens have no {signature}: choose one of {known}.",
    # music that cannot be used (musegen.sources, musegen.readers)
    "said.no_files": "No usable music in {label}: no files found (looking for {extensions} or .zip)",
    "said.all_skipped": "No usable music in {label}: {n} files, all skipped ({reasons})",
    "said.bundle_bad_zip": "{label} is not a readable zip file ({error}): was it cut short?",
    "said.bad_zip": "{label} is not a readable zip file ({error})",
    "said.zip_members": "{label} has {n} files; the limit is {limit}. Split it into smaller zips.",
    "said.zip_unpacks": "{label} unpacks to {size}; the limit is {limit}.",
    "said.no_workers": "Music files are read in a separate process, and none could be started here ({why}).",
    "said.empty": "{name} is empty",
    "said.uploads_label": "{n} uploaded file(s)",
    "said.files_label": "{n} file(s)",
    "said.the_zip": "The zip",
    "said.the_bundle": "The bundle",
    "said.r_empty": "empty file",
    "said.r_too_large": "too large: {size} (limit {limit})",
    "said.r_score_unpacked": "too large for a score: {size} unpacked (limit {limit} of score text; reading a bigger "
                             "one takes minutes)",
    "said.r_score": "too large for a score: {size} (limit {limit} of score text; reading a bigger one takes minutes)",
    "said.r_many_notes": "too many notes: {n} (limit {limit})",
    "said.r_too_long": "too long: {length} (limit {limit})",
    "said.r_tempo": "tempo {bpm} BPM is outside {low}–{high} BPM",
    "said.r_not_midi": "not a MIDI file: {ext} but it does not start with the MIDI header",
    "said.r_not_music": "not a MIDI or score file ({ext})",
    "said.r_no_extension": "no extension",
    "said.r_no_notes": "no notes",
    "said.r_drums": "drums only",
    "said.r_no_piano": "no piano part",
    "said.r_no_notes_parts": "no notes in part(s) {parts} (the file has {n} part(s))",
    "said.r_corrupt": "truncated or corrupt MIDI: {error}",
    "said.r_parse": "could not parse: {error}",
    "said.r_no_mxl_score": "no score inside the .mxl archive",
    "said.r_damaged_mxl": "damaged .mxl archive ({error})",
    "said.r_read": "could not read: {error}",
    "said.r_unsafe": "unsafe path in zip (absolute or '..')",
    "said.r_nested_zip": "zip inside a zip is not read",
    "said.r_damaged_member": "damaged zip member ({error})",
    "said.r_zip_bomb": "zip bomb: compressed {ratio}:1 (limit {limit}:1)",
    "said.r_not_found": "file not found",
    "said.r_timed_out": "took longer than {seconds} s to read: refused",
    "said.r_crashed": "the parser crashed on this file: refused",
    "said.r_memory": "needed more than {mb} MB to read: refused",
    "said.r_abc_field": "ABC field {field} is out of range: refused (numbers up to {most})",
    "said.r_over_budget": "not read: the upload had used its {seconds} s of reading time",
    "said.r_unusable": "it holds no usable music",
    "said.not_zip": "File is not a zip file",
    # trainings refused or failed (musegen.jobs, musegen.dataset, musegen.train, musegen.tokens)
    "said.quota": "You already have {cap} trainings running or waiting, the most this server allows one visitor: "
                  "stop one, or wait until one ends.",
    "said.quota_1": "You already have {cap} training running or waiting, the most this server allows one visitor: "
                    "stop one, or wait until one ends.",
    "said.no_checkpoint": "{name} has no checkpoint to resume from.",
    "said.cannot_train": "This server cannot write to its runs folder, so no training can start here; the bundled "
                         "models still compose.",
    "said.no_such_job": "There is no such training (it may have been forgotten by now).",
    "said.not_your_job": "That training belongs to another visitor.",
    "said.batch_replicas": "A batch of {batch} cannot be shared among {replicas} replicas: raise --batch-size.",
    "said.from_or_resume": "Fine-tuning starts a new run and resuming continues one: choose either --from or --resume.",
    "said.resume_one_machine": "--resume continues a run on one machine. Across machines, an interrupted training goes "
                               "on when every machine runs its command again; a finished one can be fine-tuned with "
                               "--from.",
    "said.run_exists": "{out} already holds a run: choose another output folder, or resume it.",
    "said.base_damaged": "{name}: its model predicts {n} tokens but its vocabulary has {vocab}: the bundle is damaged.",
    "said.no_base": "No run to fine-tune from at {name}: give a run folder.",
    "said.no_base_bundled": "No run to fine-tune from at {name}: give a run folder or a bundled model ({bundled}).",
    "said.too_short": "The pieces are too short for windows of {window} tokens: lower the window or add music.",
    "said.no_train_file": "Training needs at least one file outside the validation split: add music.",
    "said.all_rare": "Every token is rarer than the cutoff ({cutoff}): lower min_count (the most frequent token "
                     "appears {n} times).",
    "said.diverged": "Training diverged: the {monitor} was never a finite number, so no model was saved. Try a lower "
                     "learning rate (it was {rate}).",
    "said.cannot_fine_tune": "{name} uses the '{scheme}' scheme, whose vocabulary was fitted to its own music: {n} "
                             "frequent tokens of this music (e.g. {examples}) are not in it, so it cannot learn them. "
                             "Only metre and rich runs can be fine-tuned on other music: train a new run.",
    # runs imported, renamed (musegen.runs)
    "said.bundle_too_big": "{label} is {size}; a run bundle may be at most {limit}.",
    "said.bundle_unpacks": "{label} unpacks to {size}; a run bundle may be at most {limit}.",
    "said.bundle_empty": "{label} holds no run bundle files.",
    "said.bundle_incomplete": "{label} is incomplete: its manifest lists {files}, which the zip does not hold.",
    "said.bundle_changed": "{label} holds {files}, which its manifest does not list: it was changed after it was made.",
    "said.not_a_run": "{path} is not a finished musegen run (missing {files}).",
    "said.name_needed": "A run name needs at least one letter or digit.",
    "said.name_taken": "A run called {name} already exists.",
    "said.not_owner": "Only the owner of {name} may download its bundle.",
    "said.no_room": "The server's disk budget for visitors' work ({mb:,} MB) has no room for this: delete one of your "
                    "runs, or try again later.",
    "said.runs_cap": "You have {n} runs, the most this server keeps per visitor: delete one, then import again.",
    "said.session_not_kept": "This server cannot keep your session on its disk: the app works, but a reload will "
                             "forget your settings, dataset and pieces.",
}

ZH = {
    # ------------------------------------------------------------ app: navigation, sidebar, shared
    "app.page_title": "musegen — 神经网络作曲",
    "app.language": "Language / 语言",
    "nav.home": "首页",
    "nav.dataset": "数据集",
    "nav.train": "训练",
    "nav.generate": "生成",
    "nav.compare": "比较",
    "side.tagline": "教神经网络听一些音乐，再让它来作曲。",
    "side.dataset": "**数据集**：{label}  \n{parsed} 首乐曲，{notes:,} 个音符",
    "side.no_dataset": "**数据集**：尚未选择（训练默认使用巴赫众赞歌）",
    "side.training": "**训练**：{icon} {name} — {state}",
    "side.pieces": "**本次会话**：已创作 {n} 首",
    "side.limits": "本服务器的限制",
    "side.limits_body": (
        "- 每次上传最多 **{upload_mb} MB**\n"
        "- 每次训练最长 **{minutes:g} 分钟**{nocap}\n"
        "- 同时最多训练 **{concurrent}** 个模型，其余排队\n"
        "- 每位访客：最多 **{trainings}** 个训练在运行或排队，保留最新的 **{runs}** 个训练结果\n"
        "- 磁盘：访客保存的一切（训练结果、导入、上传）共 **{runs_mb:,} MB**，解析后的音乐缓存 **{cache_mb:,} MB**；"
        "满了之后新的工作会被拒绝，只会清理你自己最久未用的训练结果来腾出空间"),
    "side.nocap": "（不限）",
    "side.operator": "管理员权限：你可以查看和管理所有访客的训练结果与训练。",
    "side.operator_off": "放弃管理员权限",
    "side.operator_password": "管理员密码",
    "side.wrong_password": "密码错误。",
    "side.password_wait": "本服务器上输错密码的次数太多：请 {seconds} 秒后再试。",
    "side.bad_limits": "演示限制设置有误（{error}），改用默认值。",
    "side.share_gone": "该分享链接已失效：对应的训练结果已被删除或取消分享。",
    "side.shared": "**{name}** 已分享给你：它已在你的模型列表中。",
    "side.unshared": "**{name}** 已不再分享给你：它的主人停止了分享。请换一个模型。",
    "side.run_gone": "**{name}** 已不在模型库中：它已被删除。请换一个模型。",
    "side.dataset_lost": "无法重新读取你的数据集（{error}）：请在数据集页面重新选择。",
    "side.no_audio": "**本机无法播放音频**。{problem}。钢琴卷帘、乐谱和 MIDI 下载仍可使用。",
    "state.queued": "排队中",
    "state.running": "训练中",
    "state.finished": "已完成",
    "state.stopped": "已停止",
    "state.failed": "失败",
    "state.interrupted": "已中断",
    "piece.alt": "{name} 的音频播放器与钢琴卷帘",
    "piece.caption": "{notes} 个音符 · {seconds:.0f} 秒 · {tempo:.0f} BPM",
    "piece.click": " · 在卷帘上点击或拖动，从该处开始播放",
    "piece.engraving": "正在排版乐谱…",
    "piece.score": "乐谱",
    "piece.midi": ":material/download: MIDI",
    "piece.ogg": ":material/download: 音频（OGG）",
    "piece.wav": ":material/download: 音频（WAV）",
    "piece.musicxml": ":material/download: MusicXML",
    "piece.unusable": "其中没有可用的音乐",
    "runs.label": "{name} — {kind}{loss}{bundled}",
    "runs.loss": "，验证损失 {loss:.2f}",
    "runs.bundled": "（内置）",
    "runs.none": "这里还没有训练好的模型：请在**训练**页面训练一个（或运行 `make models` 生成内置模型）。",

    # ------------------------------------------------------------ home
    "home.intro": (
        "musegen 教神经网络写音乐：它读取乐曲（MIDI 或乐谱），学习下一个音通常是什么，"
        "然后一个音一个音地创作新曲——可以用 **WaveNet**（空洞卷积），也可以用 **LSTM**（循环神经网络），"
        "还能并排比较。无需写代码，无需安装。"),
    "home.make_own": "自己动手",
    "home.step1": "1 · 选择音乐",
    "home.step1_text": "选用巴赫众赞歌或民间曲调，或上传你自己的 MIDI 文件。",
    "home.step2": "2 · 训练模型",
    "home.step2_text": "看着损失随学习下降；每轮训练后都能试听一段样例。",
    "home.step3": "3 · 生成",
    "home.step3_text": "作曲、看乐谱、试听、下载。",
    "home.hear": "马上试听",
    "home.no_model": "这里还没有内置的预训练模型。请在**训练**页面训练一个——“快速测试”规模大约只需半分钟。",
    "home.generate": ":material/play_arrow: 立即生成一首",
    "home.composing": "正在作曲…（第一首还要加载模型）",
    "home.uses": "使用预训练模型 **{name}**（{params:,} 个参数，训练数据：{data}）。",
    "home.made": "**{run}** 创作的新曲——种子 {seed}。再按一次按钮换一首，或打开**生成**页面使用全部选项。",

    # ------------------------------------------------------------ dataset
    "ds.title": ":material/library_music: 数据集",
    "ds.caption": "模型要学习的音乐。每个文件都会被检查；无法使用的文件会列出原因，但不会影响其他文件。",
    "ds.music": "音乐",
    "opt.source.Built-in dataset": "内置数据集",
    "opt.source.Upload files": "上传文件",
    "ds.dataset": "数据集",
    "ds.dataset_option": "{title}（{files} 个文件）",
    "ds.load": "载入此数据集",
    "ds.reading": "正在读取文件…",
    "ds.reading_file": "正在读取文件… {done}/{total} {file}",
    "ds.reading_left": "正在读取文件… {done}/{total} · 约剩 {left}",
    "ds.upload": "MIDI 文件、乐谱，或打包它们的 .zip",
    "ds.upload_help": "MIDI（.mid、.midi）、MusicXML（.xml、.musicxml、.mxl）、ABC、Humdrum，或包含这些文件的 .zip。",
    "ds.limits": "限制：每次上传 {upload_mb} MB · 每个音乐文件 {file_bytes} · "
                 "每个文件最多 {notes:,} 个音符、{minutes:.0f} 分钟音乐 · "
                 ".zip 最多 {members:,} 个文件，解压后 {zip_bytes}。",
    "ds.too_large": "文件过大（上限 {mb} MB）：{names}",
    "ds.reading_yours": "正在读取你的文件…",
    "ds.uploaded": "上传的 {n} 个文件",
    "ds.choose": "请在上方选择数据集（也可以跳过这一步：训练默认使用巴赫众赞歌）。",
    "ds.files": "文件",
    "ds.parsed": "已解析",
    "ds.skipped": "已跳过",
    "ds.notes": "音符",
    "ds.music_metric": "时长",
    "ds.minutes": "{minutes:.1f} 分钟",
    "ds.skipped_files": "跳过了 {n} 个文件：",
    "ds.report": "逐文件报告",
    "ds.rare": "罕见和弦：只影响原文的词元方案",
    "ds.rare_caption": "默认的词元（小节、拍与声部）会保留每一个音：只有用*原文的音符与和弦*方案训练时（训练 → 高级设"
                       "置 → 词元方案），这里才有影响。那个方案把每种和弦当作一个词元，只保留出现次数不少于*阈值*的（原文"
                       "用 50）。拖动滑块，看看会舍弃哪些。",
    "ds.cutoff": "罕见词元阈值",
    "ds.cutoff_help": "出现次数少于此值的词元会从词表中舍弃（只用于原文的音符与和弦方案）。",
    "ds.dropped_summary": "用那个方案时，{tokens} 个词元中有 **{dropped}** 个会被舍弃——共出现 {occurrences:,} 次，占"
                          "音符与和弦的 {share:.1%}。",
    "ds.dropped": "舍弃：",
    "ds.listen": "试听单个文件",
    "ds.piece": "乐曲",
    "ds.rendering": "正在渲染…",
    "ds.first_minute": "音频预览：前一分钟。",
    "opt.dataset.bach": "巴赫众赞歌",
    "opt.dataset.folk": "民间曲调（Ryan's Mammoth Collection）",
    "opt.dataset.palestrina": "帕莱斯特里纳弥撒曲",
    "opt.dataset.monteverdi": "蒙特威尔第牧歌",
    "opt.dataset.base": "music21 曲库中的各种编排（基础模型）",
    "opt.dataset_text.bach": "J. S. 巴赫配和声的 371 首四声部众赞歌，按 Riemenschneider 合集编号（MusicXML，music21 "
                             "曲库）：共 350 个文件，因为其中 21 个编号与已有的众赞歌重复。",
    "opt.dataset_text.folk": "Ryan's Mammoth Collection（1883）中的提琴曲：里尔舞曲、吉格舞曲、角笛舞曲；"
                             "每个 ABC 文件一段旋律。",
    "opt.dataset_text.palestrina": "帕莱斯特里纳的文艺复兴复调音乐（Humdrum .krn）。规模大，首次解析较慢，之后会缓存。",
    "opt.dataset_text.monteverdi": "蒙特威尔第的五声部牧歌，第 3 至 5 卷（MusicXML）。",

    # ------------------------------------------------------------ train
    "train.title": ":material/model_training: 训练",
    "train.caption": "神经网络学习预测音乐中的下一个音。损失越低，预测越准；"
                     "虚线表示的*验证*损失是在从未参与训练的乐曲上测得的。",
    "train.queued": "正在排队——第 **{place}** 位。{message}（本服务器同时训练 {n} 个模型。）",
    "train.elapsed": " · 已用 {elapsed} · 预计剩余 {eta}",
    "train.metric.loss": "损失",
    "train.metric.val_loss": "验证损失",
    "train.metric.accuracy": "准确率",
    "train.metric.val_accuracy": "验证准确率",
    "train.listen": "**试听**：第 {epoch} 轮之后的检查点生成的一小段样例",
    "train.writing_sample": "正在用最新的检查点生成一小段样例…",
    "train.stop": ":material/stop: 停止",
    "train.stop_help": "在当前批次后结束训练；目前最好的检查点会保存为训练结果。",
    "train.generate_with": "用它来生成",
    "train.resume": ":material/play_arrow: 继续",
    "train.resume_help": "从保存的检查点继续，训练剩下的轮数。",
    "train.new": "新的训练",
    "train.carries_on": "训练在服务器上运行：你可以切换页面或刷新本页，训练不会中断。",
    "train.music": "音乐：**{label}**（{n} 首）——可在**数据集**页面更换。",
    "train.music_default": "音乐：**巴赫众赞歌**（内置）——可在**数据集**页面选择其他音乐。",
    "train.base": "起点",
    "train.base_new": "从零开始：训练一个新模型",
    "train.base_run": "{name}（在其基础上微调）",
    "train.base_broad": "base：通用基础模型（在其基础上微调，推荐）",
    "train.started_at": "微调开始时的验证损失为 {loss}（随机猜测为 {chance}）",
    "train.now_at": "；现在为 {loss}。",
    "train.start_buys": "基础模型已经懂得各种声部编排（单旋律、旋律加和弦、双手、四五个声部）的和声、节拍与声部："
                        "几分钟就能让它适应你的 {n} 首乐曲。",
    "train.start_new_layout": "{name} 只学过 {seen} 个声部的音乐，而你的大多数乐曲有 {parts} 个声部："
                              "它对其余声部的猜测将从零开始，微调的结果可能比新模型更差。请改从 **base** 开始：它懂得各种编排。",
    "train.base_help": "微调从一个训练好的模型出发（内置模型学过数百首乐曲），"
                       "因此只需你的几首乐曲、训练一分钟，就能听出它们的风格。",
    "train.model": "模型",
    "train.model_help": "WaveNet 通过层叠的空洞卷积回看之前的音乐；LSTM 则逐音传递记忆。"
                        "简单 WaveNet 是原文中的小型版本。",
    "train.model_kept": "模型：**{kind}**，与 {name} 相同：保留其规模与词元方案。",
    "train.size": "规模",
    "train.size_help": "模型多大、训练多久：它会填好下方的高级设置。",
    "train.minutes": "最长训练时间（分钟）",
    "train.minutes_help": "时间一到训练就停止，并保留最好的一轮（本服务器最多允许 {cap:g} 分钟）。",
    "train.advanced": "高级设置：模型规模与学习方式",
    "train.advanced_caption": "上面的规模会填好这些值；如果你清楚它们的作用，可以随意修改。",
    "train.epochs": "轮数",
    "train.epochs_help": "遍历训练音乐的次数。0：时间允许多少轮就训练多少轮（早停可能更早结束）。",
    "train.steps": "每轮批次数",
    "train.steps_help": "0 = 每轮完整遍历一次数据集。",
    "train.batch": "批大小",
    "train.batch_help": "一次学习的窗口数；越大越平稳，但占用更多内存。",
    "train.lr": "学习率",
    "train.lr_help": "优化器（Adam）的步长；太大时损失会跳动。",
    "train.window": "窗口（词元）",
    "train.window_help": "训练时模型一次读入的音乐长度。",
    "train.files": "使用的文件数",
    "train.files_help": "只用前 N 首（0 = 全部）：越少训练越快。",
    "train.emb": "嵌入维度",
    "train.emb_help": "模型用来描述每个词元的数值个数。",
    "train.dropout": "Dropout 比例",
    "train.dropout_help": "训练时随机屏蔽部分神经元，防止死记硬背。",
    "train.channels": "通道数",
    "train.channels_help": "每个卷积层的宽度。",
    "train.depth": "空洞层数",
    "train.depth_help": "每组的层数；空洞率 1、2、4 …… 每层回看的距离翻倍。",
    "train.stacks": "组数",
    "train.stacks_help": "空洞循环重复的次数。",
    "train.units": "LSTM 单元数",
    "train.units_help": "逐音传递的记忆大小。",
    "train.layers": "LSTM 层数",
    "train.layers_help": "相互堆叠的循环层。",
    "train.dense": "全连接单元数",
    "train.dense_help": "LSTM 与预测之间的那一层。",
    "train.filters": "卷积核数",
    "train.filters_help": "每个卷积的宽度。",
    "train.blocks": "卷积块数",
    "train.blocks_help": "空洞率为 1、2、4 …… 的卷积。",
    "train.sdense_help": "预测之前的那一层。",
    "train.tokens": "词元方案",
    "train.tokens_help": "音乐如何变成词元。“小节、拍与声部”保留节拍和各声部的分工；"
                         "原文的方案会舍弃罕见和弦（阈值在数据集页面设置）。",
    "train.seed": "随机种子",
    "train.seed_help": "相同的种子和设置，得到相同的模型。",
    "train.patience": "提前停止",
    "train.patience_help": "验证损失连续这么多轮没有改善就停止，并保留最好的一轮（0 = 关闭）。",
    "train.transpose": "移调范围",
    "train.semitones": "± {n} 个半音",
    "train.off": "关闭",
    "train.transpose_help": "每段音乐还会被上下移调最多这么多个半音来学习，每轮换一个调。"
                            "默认关闭：我们的测量中，它使验证损失升高、和声变得模糊，即使只有十首乐曲也是如此。",
    "train.busy": "服务器正忙（{n} 个训练在运行）：你的训练将排队等候。",
    "train.start": ":material/play_arrow: 开始训练",
    "train.stop_first": "请先停止当前的训练。",
    "train.others": "本服务器上的其他训练",
    "train.place": "排队第 {place} 位",
    "train.another": "其他访客的训练",
    "train.other_row": "**{name}** — {state}",
    "train.watch": "查看",
    "lib.share": ":material/share: 分享",
    "lib.share_help": "生成一个链接：打开它的人可以用这个训练结果生成音乐，但不能修改它。",
    "lib.share_link": "分享链接：打开它的人可以用这个训练结果生成音乐，但不能修改它。",
    "lib.unshare": ":material/link_off: 停止分享",
    "lib.title": "训练结果库",
    "lib.import": ":material/upload: 导入训练结果（从 musegen 下载的 .zip）",
    "lib.bundle": "训练结果包",
    "lib.bundle_help": "来自本 musegen 或其他 musegen 的训练结果包（.zip）。会按其自带的清单校验，"
                       "其中的内容绝不会作为代码运行。",
    "lib.imported": "已导入为 **{name}**：它在下面的列表中，也可在生成页面使用。",
    "lib.none": "还没有训练结果。完成的训练会出现在这里。",
    "lib.params": "参数量",
    "lib.epochs": "轮数",
    "lib.val_loss": "最佳验证损失",
    "lib.val_acc": "验证准确率",
    "lib.time": "训练时长",
    "lib.data": "数据：{source} · {files} 个训练文件 · {ended}",
    "lib.ended_by": "结束原因：{how}",
    "lib.download": ":material/download: 训练结果包（.zip）",
    "lib.bundled": "随应用内置：只读。",
    "lib.not_yours": "别人分享给你的，或服务器自带的：你可以用它生成音乐，但不能修改。",
    "lib.new_name": "新名称",
    "lib.rename": "重命名",
    "lib.delete": ":material/delete: 删除",
    "lib.confirm": "永久删除 **{name}**？",
    "lib.yes": "是的，删除",
    "lib.keep": "保留",

    # ------------------------------------------------------------ generate
    "gen.title": ":material/piano: 生成",
    "gen.caption": "模型一次写一个词元，每个都从可能的下一个词元中随机选出。"
                   "温度、top-k 和 top-p 决定这种选择有多大胆。",
    "gen.rough": "你的训练结果 **{mine}** 还很粗糙（在同样的音乐上，验证损失为 {mine_loss:.2f}，"
                 "而 **{better}** 为 {better_loss:.2f}），因此选中了 {better}。"
                 "仍想试听你的模型，请在列表中选择它，或者把它训练得更久一些。",
    "gen.model": "模型",
    "gen.model_help": "内置模型随应用提供；你自己的模型在训练结束后出现。",
    "gen.about": "{kind} · {params:,} 个参数 · 训练数据：{data}",
    "gen.hears": " · 能听到 {tokens} 个词元 ≈ {bars:.0f} 小节",
    "gen.primer": "起点",
    "opt.primer.A random passage of the dataset": "数据集中随机的一段",
    "opt.primer.My MIDI file (continue it)": "我的 MIDI 文件（续写）",
    "opt.primer.Nothing": "从零开始",
    "gen.primer_help": "模型会接着给它的音乐往下写。",
    "gen.upload": "要续写的 MIDI 文件",
    "gen.upload_read": "{name}：{notes} 个音符；它的最后几小节会引出新的音乐。",
    "gen.primer_bars": "模型听你音乐的小节数",
    "gen.primer_bars_help": "模型从你乐曲的最后几小节接着写。",
    "gen.keep_primer": "新曲以你的片段开头",
    "gen.keep_primer_help": "这样能听到衔接处；钢琴卷帘和乐谱会标出模型接手的位置。",
    "gen.unit": "长度单位",
    "opt.unit.seconds": "秒",
    "opt.unit.bars": "小节",
    "gen.bars": "长度（小节）",
    "gen.bars_help": "模型写这么多小节。",
    "gen.seconds": "长度（音乐秒数）",
    "gen.seconds_help": "模型一直写到乐曲达到这个时长。",
    "gen.time_signature": "拍号",
    "gen.time_signature_help": "从零开始的乐曲的拍号；续写时沿用你的拍号。",
    "gen.tempo": "速度（BPM，0 = 数据集的速度）",
    "gen.instrument": "乐器",
    "gen.instrument_help": "音频和 MIDI 文件中所有声部使用的 General MIDI 音色；"
                           "选“按原谱”时，每个声部保留音乐本身指定的乐器。",
    "gen.temperature": "温度",
    "gen.temperature_help": "低：稳妥而重复（0 = 总选最可能的音）。高：出人意料。",
    "gen.topk": "Top-k（0 = 关闭）",
    "gen.topk_help": "只在最可能的 k 个下一个词元中选择。",
    "gen.rhythm": "节奏温度",
    "gen.rhythm_help": "决定音符落在何处、持续多久的温度；上面的“温度”决定选哪些音。1.0 保留音乐本身的节奏；"
                       "更低更方正，更高更松散。",
    "gen.topp": "Top-p",
    "gen.topp_help": "在概率合计达到此值的最可能词元中选择（1 = 关闭）。",
    "gen.seed": "随机种子",
    "gen.seed_help": "相同的种子和设置，得到相同的乐曲。输入种子即锁定它。",
    "gen.lock": "锁定种子",
    "gen.lock_help": "关：每次作曲都抽取新种子（显示在框中，想再听那首时可以锁定）。开：使用框中的种子。",
    "gen.variations_n": "变奏数",
    "gen.variations_help": "一次创作多首，并排比较，保留你喜欢的。",
    "gen.steer": ":material/tune: 引导：调性、音域、重复",
    "gen.key": "调",
    "gen.key_help": "限制在某个音阶内。自动：沿用模型所续写音乐的调。",
    "gen.scale": "音阶",
    "gen.strength": "强度",
    "gen.strength_help": "1 = 严格：只用音阶内的音。0.95：音阶外的音出现的概率低二十倍。",
    "gen.range": "音域",
    "gen.range_help": "模型可以写的最低音和最高音（中央 C 为 C4）。",
    "gen.guard": "防止重复",
    "gen.guard_help": "乐段可以再现，但不会无休止地循环（贪心解码最需要它）。",
    "gen.echo": "小节呼应（曲式）",
    "gen.echo_help": "一小节的开头与前面某小节相似时，它有多大倾向把那一小节重复下去："
                     "让曲调有重复的小节。0 = 关闭。",
    "gen.compose": ":material/play_arrow: 作曲",
    "gen.composing": "正在作曲…",
    "gen.composing_n": "正在创作 {n} 首变奏…",
    "gen.variations": "变奏",
    "gen.variations_caption": "种子 {seed}，相同的设置，{n} 次不同的抽取。试听后保留你喜欢的。",
    "gen.variation": "**变奏 {i}** · {seconds:.0f} 秒",
    "gen.keep": ":material/bookmark_add: 保留这一首",
    "gen.kept_shown": ":material/check: 已保留 · 见下方",
    "gen.kept_show": ":material/check: 已保留 · 显示",
    "playhead.yours": "你的",
    "playhead.model": "模型",
    "playhead.no_notes": "没有音符",
    "playhead.roll": "钢琴卷帘",
    "playhead.roll_help": "钢琴卷帘：点击即从该处播放；方向键移动一小节，空格键播放",
    "gen.piece_caption": "{run} · 种子 {seed} · 温度 {temperature:g} · top-k {top_k} · "
                         "top-p {top_p:g} · 每秒 {speed:,.0f} 个词元",
    "gen.variation_of": " · 第 {i} 首变奏（共 {n} 首）",
    "gen.session": "本次会话的乐曲",
    "gen.session_caption": "再听一遍以便比较；最新的在最上面。",
    "gen.no_audio": "无音频",
    "gen.show": "显示",
    "opt.instrument.As written (each part its own)": "按原谱（各声部各用其乐器）",
    "opt.instrument.Acoustic grand piano": "原声大钢琴",
    "opt.instrument.Harpsichord": "羽管键琴",
    "opt.instrument.Music box": "八音盒",
    "opt.instrument.Vibraphone": "颤音琴",
    "opt.instrument.Church organ": "教堂管风琴",
    "opt.instrument.Acoustic guitar (nylon)": "古典吉他（尼龙弦）",
    "opt.instrument.Violin": "小提琴",
    "opt.instrument.Cello": "大提琴",
    "opt.instrument.String ensemble": "弦乐合奏",
    "opt.instrument.Choir aahs": "合唱（啊音）",
    "opt.instrument.Trumpet": "小号",
    "opt.instrument.French horn": "圆号",
    "opt.instrument.Oboe": "双簧管",
    "opt.instrument.Clarinet": "单簧管",
    "opt.instrument.Flute": "长笛",
    "opt.instrument.Marimba": "马林巴",
    "opt.tonic.Free": "不限",
    "opt.tonic.Auto (the music's own key)": "自动（沿用音乐本身的调）",
    "opt.scale.major": "大调",
    "opt.scale.minor": "小调",
    "opt.scale.natural minor": "自然小调",
    "opt.scale.harmonic minor": "和声小调",
    "opt.scale.dorian": "多利亚调式",
    "opt.scale.mixolydian": "混合利底亚调式",
    "opt.scale.major pentatonic": "大调五声音阶",
    "opt.scale.minor pentatonic": "小调五声音阶",
    "opt.scale.blues": "布鲁斯音阶",

    # ------------------------------------------------------------ train and compare: musegen's option names
    "opt.kind.wavenet": "WaveNet（空洞因果卷积）",
    "opt.kind.lstm": "LSTM（原文的循环神经网络）",
    "opt.kind.simple-wavenet": "简单 WaveNet（原文的版本）",
    "opt.preset.Quick test (about 30 s)": "快速测试（约 30 秒）",
    "opt.preset.Small (a few minutes)": "小型（几分钟）",
    "opt.preset.Full (like the bundled models)": "完整（同内置模型）",
    "opt.scheme.metre": "小节、拍与声部（推荐）",
    "opt.scheme.rich": "音高 + 时值 + 时间偏移",
    "opt.scheme.notes": "原文的音符与和弦",

    # ------------------------------------------------------------ compare
    "cmp.title": ":material/balance: 比较",
    "cmp.caption": "用同样的数据，谁学音乐学得更好：WaveNet 还是 LSTM？比较它们的学习曲线和各项数字，"
                   "最重要的是——用耳朵听。",
    "cmp.train_both": "在此数据集上用完全相同的设置训练两者",
    "cmp.bach": "巴赫众赞歌",
    "cmp.train_both_text": "一个 WaveNet 和一个 LSTM：同样的音乐（**{label}**）、同样的划分、同样的轮数和时间预算。"
                           "服务器一次只训练一个模型时，它们会先后进行。",
    "cmp.size": "规模",
    "cmp.train": ":material/play_arrow: 训练两者",
    "cmp.job": "**{name}** — {state}",
    "cmp.waiting": "等待中：排队第 {place} 位",
    "cmp.eta": "{message} · 预计剩余 {eta}",
    "cmp.no_runs": "还没有训练结果：请在**训练**页面训练，或使用上方的**训练两者**。",
    "cmp.runs": "要比较的训练结果",
    "cmp.pick": "请至少选择一个训练结果。",
    "cmp.measuring": "正在用同一段预留音乐测量每个模型（只需几秒，仅一次）…",
    "cmp.answer": "结论",
    "cmp.why": "依据",
    "cmp.listen_both": "然后在下方试听两者：数字说明谁预测得更准，你的耳朵决定你更喜欢谁。",
    "cmp.table_caption": "参数量：模型的大小。最佳验证损失 / 准确率：在训练时预留的音乐上测得"
                         "（损失越低、准确率越高，预测越好）。生成速度在下方作曲之后显示。",
    "cmp.listen": "并排试听",
    "cmp.seconds": "长度（秒）",
    "cmp.temperature": "温度",
    "cmp.seed": "随机种子（所有模型相同）",
    "cmp.compose": ":material/play_arrow: 每个模型各创作一首",
    "cmp.composing": "{name} 正在作曲…",
    "cmp.study": "研究的结论",
    "cmp.study_caption": "来自本仓库的基准研究（只读）；方法和完整表格见 `docs/study.md`。",

    # ------------------------------------------------------------ compare: the plain answer (musegen/verdict.py)
    'verdict.mismatch_windows': '它们的验证窗口长度不同（{low} 与 {high} 个 token），其中一个听到的上下文更多',
    'verdict.mismatch_pieces': '它们是在不同的乐曲上验证的',
    'verdict.pick_two': '选择两个训练好的模型（一个 WaveNet 和一个 LSTM）即可得到结论。',
    'verdict.other_music': '这些模型学习的是不同的音乐，损失无法相比：请选择在同一数据集上训练的模型（“同时训练两者”正是如此）。',
    'verdict.not_alike': '这些模型各自记录的损失不能直接对比：{why}。需要在同一份留出的音乐上重新测量，但那份音乐不在这里（它是上传的）：请比较用“同时训练两者”训练的模型，它们的一切条件都相同。',
    'verdict.other_tokens': '这些模型把音乐读成了不同的 token，损失不在同一尺度上：请选择使用相同 token 方案的模型。',
    'verdict.too_short': '{name} 只训练了 {epochs} 轮：太短，无法判断。请先训练更久（“小”或“完整”规模），再相信这个结论。',
    'verdict.improving': '{name} 停止时仍在进步：多训练一些时间会更好，所以这个结论可能会变。',
    'verdict.noise_seeds': '同一模型换用其他随机种子时，各次训练之间的差异约为 {noise:.3f}',
    'verdict.noise_jitter': '每种模型只有一次训练，唯一的噪声度量是一次训练在最后几轮中损失的波动：{noise:.3f}（换用其他种子的训练通常差异更大：为确定起见，请用另一个种子把两者各训练一次）',
    'verdict.early': '现在下结论还太早：训练太短，无法判断。目前 {best} 领先 {gap:.3f}，但几轮训练说明不了什么：请把两者都训练得更久（规模相同）。',
    'verdict.winner': '在这份数据上，{best} 对留出音乐的预测更好：它对每个下一个音的平均“意外程度”低 {gap:.3f}（给正确音符的概率高 {pct:.0f}%），明显超出噪声。',
    'verdict.so_far': '目前 {best} 对留出音乐的预测更好（损失低 {gap:.3f}，超出噪声），但请先看看下面的提醒再相信它。',
    'verdict.no_winner': '没有明显的赢家：{best} 领先 {gap:.3f}，仍在噪声范围内。在这份数据上两者预测音乐的能力差不多；请两个都听一听。',
    'verdict.how_measured': '在同一批乐曲上测得的留出损失',
    'verdict.how_recorded': '验证损失',
    'verdict.run_line': '{label}：{how} {loss:.3f}，验证准确率 {accuracy:.1%}，训练 {epochs} 轮（{time}）',
    'verdict.noise': '噪声：{text}。',
    'verdict.explain': '验证损失是在模型从未训练过的乐曲上测得的：越低说明它越能预料到真正的下一个音。准确率是它第一猜测猜中的比例。',
    'verdict.measured': '为得出这个结论，在同一批留出乐曲上重新测量（最多 {pieces} 首，每首从第一个音开始，最多 {tokens} 个 token），因为{why}。',
    'verdict.not_like_for_like': '记录下来的损失并非同等条件',
    'verdict.speed': '{fast} 训练用时 {fast_time}，{slow} 用时 {slow_time}；两者生成一首曲子都远不到一秒，所以速度不是选择的理由。',
    'verdict.time_unknown': '用时未知',
    'verdict.minutes': '{n:.1f} 分钟',
    'verdict.seconds': '{n:.0f} 秒',

    # ------------------------------------------------------------ train: what the model hears (studio.context_text)
    'context.hears': '模型一次能听到 {tokens} 个 token（{told}）。',
    'context.lstm': '模型在 {tokens} 个 token 的窗口上训练（{told}）。',
    'context.bar': '约为这份音乐的 {bars:.0f} 小节',
    'context.bars': '约为这份音乐的 {bars:.0f} 小节',
    'context.bars_unknown': '小节数未知',

    # ------------------------------------------------------------ pieces, tables and the values in them
    'piece.score_fit': '乐谱缩放到屏幕宽度',
    'piece.score_fit_help': '关：乐谱保持可以看清的大小；屏幕较窄时左右滑动查看。',
    'gen.sampling': ':material/casino: 更多设置：速度、乐器、节奏、top-k、top-p、随机种子',
    'gen.session_row': '**{name}**  \n{run} · 温度 {temperature:g} · p {top_p:g} · {seconds:.0f} 秒',
    'ds.skipped_file': '{name}（{reason}）',
    'ds.dropped_token': '{token} ×{n}',
    'ds.list_separator': '，',
    'ds.roll_caption': '{name} — {notes} 个音符',
    'opt.stopped.finished': '完成',
    'opt.stopped.stop requested': '按要求停止',
    'opt.stopped.time budget': '时间预算用完',
    'opt.stopped.early stopping': '提前停止',
    'opt.stopped.interrupted': '中断',
    'opt.cell.parsed': '已解析',
    'opt.cell.skipped': '已跳过',
    'opt.cell.unbounded (recurrent)': '不限（循环网络）',
    'opt.cell.ours': '本项目',
    'opt.cell.article': '原文',
    'opt.cell.metre': '小节、拍与声部',
    'opt.cell.rich': '音高 + 时值 + 时间偏移',
    'opt.cell.notes': '原文的音符与和弦',
    'table.sd': '{name}（标准差）',
    'table.real': '{name}（真实音乐）',
    'table.gap': '{name}（与真实音乐之差）',
    'said.n_tokens': '{n} 个词元',
    'opt.column.run': '训练结果',
    'opt.column.model': '模型',
    'opt.column.parameters': '参数量',
    'opt.column.receptive field': '感受野',
    'opt.column.epochs': '轮数',
    'opt.column.training time (s)': '训练时间（秒）',
    'opt.column.best val loss': '最佳验证损失',
    'opt.column.val accuracy': '验证准确率',
    'opt.column.generation tokens/s': '生成速度（词元/秒）',
    'opt.column.file': '文件',
    'opt.column.status': '状态',
    'opt.column.reason': '原因',
    'opt.column.notes': '音符',
    'opt.column.seconds': '秒',
    'opt.column.dataset': '数据集',
    'opt.column.setup': '设定',
    'opt.column.name': '名称',
    'opt.column.scheme': '词元方案',
    'opt.column.seeds': '种子数',
    'opt.column.vocab': '词表大小',
    'opt.column.params': '参数量',
    'opt.column.train_seconds': '训练时间（秒）',
    'opt.column.val_nll': '验证损失',
    'opt.column.val_loss': '验证损失',
    'opt.column.val_perplexity': '验证困惑度',
    'opt.column.val_accuracy': '验证准确率',
    'opt.column.val_tokens': '验证词元数',
    'opt.column.bits_per_quarter': '每拍比特数',
    'opt.column.tokens_per_s': '生成速度（词元/秒）',
    'opt.column.temperature': '温度',
    'opt.column.pitch_class_entropy': '音级熵',
    'opt.column.overlap': '音级重合度',
    'opt.column.kl': 'KL 散度',
    'opt.column.distinct_tokens': '不同词元数',
    'opt.column.collapsed': '塌缩次数',
    'opt.column.copy_tokens': '照抄词元数',
    'opt.column.longest_copy': '最长照抄',
    'opt.column.longest_copy_file': '照抄自',
    'opt.column.copy_baseline': '照抄基线',
    'opt.column.mean_longest_copy': '平均最长照抄',
    'opt.column.on_beat_share': '落在拍点上的比例',
    'opt.column.beat_chord_fit': '拍点和弦吻合度',
    'opt.column.bar_repetition': '小节重复率',
    'opt.column.key_stability': '调性稳定度',

    # ------------------------------------------------------------ charts (musegen/plots.py)
    "plot.roll_title": "{name} — {n} 个音符",
    "plot.time_s": "时间（秒）",
    "plot.time_q": "时间（四分音符）",
    "plot.pitch": "音高",
    "plot.part": "声部 {n}",
    "plot.start": "开始",
    "plot.duration": "时值",
    "plot.velocity": "力度",
    "plot.beats": "拍",
    "plot.takeover": "模型从这里接手",
    "plot.no_notes": "没有音符",
    "plot.epoch": "轮次",
    "plot.loss": "损失",
    "plot.accuracy": "准确率",
    "plot.curves_title": "学习曲线",
    "plot.metric.loss": "损失",
    "plot.metric.val_loss": "验证损失",
    "plot.metric.accuracy": "准确率",
    "plot.metric.val_accuracy": "验证准确率",
    "plot.metric.acc": "准确率",
    "plot.metric.val_acc": "验证准确率",
    "plot.batches": "{metric}（逐批）",
    "plot.training": "训练",
    "plot.waiting": "正在等待第一批…",
    "plot.pieces": "乐曲",
    "plot.pitches": "音高",
    "plot.share": "音符占比",
    "plot.notes": "音符数",
    "plot.durations": "时值",
    "plot.dur.plain": "{value}",
    "plot.dur.dotted": "附点{value}",
    "plot.dur.triplet": "{value}三连音",
    "plot.dur.whole": "全音符",
    "plot.dur.half": "二分音符",
    "plot.dur.quarter": "四分音符",
    "plot.dur.eighth": "八分音符",
    "plot.dur.16th": "十六分音符",
    "plot.dur.32nd": "三十二分音符",
    "plot.dur.64th": "六十四分音符",
    "plot.dur.beats": "{n} 拍",
    "plot.dur.about": "约{value}",
    "plot.dur.other": "其他时值（少见）",
    "plot.octaves": "{note}（八度叠加）",
    "plot.chord": "{symbol}（{notes}）",
    "plot.tokens_title": "词元出现次数",
    "plot.rank": "词元排名（最常见的在前）",
    "plot.count": "次数（对数刻度）",
    "plot.cutoff_line": "阈值 {cutoff}：{total} 个词元中舍弃 {dropped} 个",
    "plot.kept": "保留",
    "plot.dropped": "舍弃",

    # ------------------------------------------------------------ musegen's own sentences (text.SENTENCES, PHRASES)
    "said.colon": "：",
    "said.semicolon": "；",
    "said.error": "出错了：{detail}",
    # a training's progress and end (musegen.jobs, musegen.train, musegen.worker)
    "said.waiting": "正在等待空闲的训练位…",
    "said.next": "正在等待空闲的训练位：下一个就轮到你。",
    "said.ahead": "正在等待空闲的训练位：你前面还有 {n} 个训练。",
    "said.starting": "正在启动训练进程…",
    "said.reading": "正在读取音乐…",
    "said.windows_moved": "正在用 {n} 个窗口训练，每个窗口随机移调最多 ±{k} 个半音…",
    "said.windows": "正在用 {n} 个窗口训练…",
    "said.batch": "第 {epoch}/{epochs} 轮，第 {step}/{steps} 批",
    "said.epoch_done": "第 {epoch}/{epochs} 轮完成",
    "said.batch_open": "第 {epoch} 轮，第 {step}/{steps} 批",
    "said.epoch_done_open": "第 {epoch} 轮完成",
    "said.preparing": "正在准备音符标记…",
    "said.building": "正在构建模型…",
    "said.start_loss": "微调 {name}：验证损失从 {loss} 开始（随机猜测为 {chance}）。",
    "said.stopping": "这一批结束后停止…",
    "said.stopped_queued": "尚未开始就已停止。",
    "said.stopped_early": "在训练开始前停止：没有训练任何内容。",
    "said.resumed": "已作为新的训练继续（还剩 {n} 轮）。",
    "said.resumed_open": "已作为新的训练继续。",
    "said.restarted": "这个训练开始之前服务器重启了：请重新开始。",
    "said.server_stopped": "服务器在训练过程中停止了。",
    "said.worker_oom": "训练进程意外结束（被 {signal} 终止：机器可能内存不足）。",
    "said.worker_killed": "训练进程意外结束（被 {signal} 终止）。",
    "said.worker_exit": "训练进程意外结束（退出码 {code}）。",
    "said.worker_nostart": "训练进程意外结束（它没能启动）。",
    "said.nothing_kept": "还没有完成任何一轮：没有可保留的内容。",
    "said.checkpoint_unreadable": "无法读取它的检查点（{error}）。",
    "said.failed": "训练失败。",
    "said.not_kept": "训练好的模型无法保存（{error}）。",
    "said.failed_unexpectedly": "训练意外失败（{error}）。",
    "said.end_finished": "训练完成。",
    "said.end_stopped": "已停止：保留了目前最好的检查点。",
    "said.end_budget": "时间预算已用完：保留了目前最好的检查点。",
    "said.end_early": "提前停止：验证损失不再下降。",
    "said.end_other": "训练结束。",
    "said.evicted": "本服务器为每位访客保留 {n} 个训练结果：你最早的（{names}）已被删除。",
    "said.resumed_elsewhere": "{old} 在训练期间被改名或被另一个训练结果占用：继续训练的结果保存为 {new}。",
    "said.disk_full": "服务器给访客存放作品的磁盘空间（{mb} MB）已满：你最久未用的 {n} 个训练结果已被删除。",
    "said.no_sample": "这一轮没有样例（{error}）。",
    "said.no_preview_audio": "没有试听音频：{problem}",
    "said.early_stop_val": "验证损失连续 {patience} 轮没有改善：在第 {epochs} 轮后停止，{kept}。",
    "said.early_stop_train": "训练损失连续 {patience} 轮没有改善：在第 {epochs} 轮后停止，{kept}。",
    "said.budget_reached": "在第 {epochs} 轮用完了时间预算（{budget}）：{kept}。",
    "said.stop_requested": "在第 {epochs} 轮按要求停止：{kept}。",
    "said.interrupted": "在第 {epochs} 轮后中断：{kept}。点“继续”可以接着训练。",
    "said.finished": "完成 {epochs} 轮训练：{kept}。",
    "said.still_learning": "停止时仍在进步：训练得更久，音乐会更好。",
    "said.kept_val": "保留第 {epoch} 轮（验证损失 {loss}）",
    "said.kept_loss": "保留第 {epoch} 轮（损失 {loss}）",
    "said.no_finite": "没有哪一轮的损失是有限值",
    "said.val_loss": "验证损失",
    "said.loss": "损失",
    "said.n_min": "{n} 分钟",
    "said.n_s": "{n} 秒",
    "said.n_h_min": "{h} 小时 {m} 分钟",
    "said.n_min_s": "{m} 分 {s} 秒",
    "said.n_h": "{h} 小时",
    "said.n_days": "{n} 天",
    "said.n_years": "{n} 年",
    "said.n_bytes": "{n} 字节",
    # audio, scores, a piece (musegen.audio, musegen.studio, musegen.sample, musegen.midi)
    "said.no_fluidsynth": "未安装 FluidSynth：sudo apt-get install fluidsynth",
    "said.no_soundfont_set": "找不到 General MIDI 音色库：请安装 fluid-soundfont-gm 或设置 MUSEGEN_SOUNDFONT"
                             "（{setting} 不是文件）",
    "said.no_soundfont": "找不到 General MIDI 音色库：请安装 fluid-soundfont-gm 或设置 MUSEGEN_SOUNDFONT",
    "said.no_audio": "没有音频：{problem}",
    "said.engraving_failed": "没有乐谱：排版失败（{error}）。",
    "said.no_score": "没有乐谱：{error}",
    "said.no_verovio": "显示乐谱需要 verovio：pip install verovio",
    "said.verovio_unreadable": "Verovio 无法读取这份 MusicXML。",
    "said.musicxml_failed": "无法把“{name}”写成 MusicXML：{error}",
    "said.no_key_lock": "未锁定调性：“自动”沿用被续写音乐的调，而这首曲子是从零开始的。请改为指定一个调（例如 D 小调）。",
    "said.collapsed": "输出塌缩了：只用了 {n} 种不同的词元——同一个音或和弦反复出现。",
    "said.loop": "输出陷入了循环：后半段一遍又一遍地重复同样的 {n} 个词元。",
    "said.advice": "请调高温度（例如 1.0–1.2），或用 top-p ≈ 0.9 采样，而不要用贪心解码或低温度。",
    "said.key_strength": "调性 {tonic} {scale}（强度 {strength}）",
    "said.key": "调性 {tonic} {scale}",
    "said.range": "音域 {low}–{high}",
    "said.guard": "防止重复",
    "said.echo": "小节呼应 {n}",
    "said.not_note_name": "“{name}”不是音名：请用字母 A–G，可以加 # 或 b（例如 F#、Bb）。",
    "said.name_a_key": "请指定一个调，例如“D minor”或“Bb major”。",
    "said.unknown_scale": "未知的音阶“{scale}”：请从 {known} 中选择。",
    "said.not_a_note": "“{text}”不是一个音：请写成 C3、F#5 或 Bb2 这样的形式（中央 C 是 C4），或写 MIDI 音高数字。",
    "said.outside_midi": "“{text}”超出了 MIDI 的音域（C-1 … G9，0–127）。",
    "said.not_a_range": "“{text}”不是一个音域：请写出最低音和最高音，例如 C3-C6。",
    "said.range_upside_down": "音域 {text} 写反了：最低音要写在前面（例如 C3-C6）。",
    "said.key_strength_range": "调性强度 {strength} 超出了 0–1 的范围（1 = 严格，0 = 关闭）。",
    "said.about": "{name}：{error}",
    "said.bad_primer": "开头只能是随机、无，或一个 MIDI 文件的音乐（收到的是 {primer}）。",
    "said.not_time_signature": "“{text}”不是拍号：请写成 3/4 或 6/8 这样的形式。",
    "said.no_time_signatures": "这个模型的词元里没有拍号（请使用“小节、拍与声部”方案）。",
    "said.unknown_model": "未知的模型“{kind}”：请从 {known} 中选择。",
    "said.wavenet_full": "完整的 WaveNet 使用嵌入输入，并学习每个位置（inputs=embedding，targets=sequence）。",
    "said.unknown_inputs": "未知的输入方式“{inputs}”：只能是 embedding 或 scalar。",
    "said.range_empty": "模型认识的音没有一个落在 {low} 和 {high} 之间：请放宽音域。",
    "said.key_range_empty": "{tonic} {scale}的音没有一个落在 {low} 和 {high} 之间：请放宽音域，或放松调性锁定。",
    "said.budget_stop": "音乐在每首 {n} 个词元处停下了，这是一次请求最多能写的长度，还没到要求的长度（模型每拍写出的词元比平常多）："
                        "请减少秒数、小节数或变奏数。",
    "said.weights_nan": "权重中含有 NaN 或无穷大的值（`{layer}` 层）：训练它们时发散了，所以无法用来作曲。",
    "said.out_of_memory": "内存不足：模型或它的批次放不进这台机器。请调小批大小、窗口或模型的规模（通道数、单元数、层数）。",
    "said.model_too_big": "这个模型会有 {n} 个参数，超过了这里能训练的 {most} 个：请减少通道数、单元数、堆叠数、膨胀深度或层数。",
    "said.no_time_signature": "模型的词元里没有 {signature} 拍：请从 {known} 中选择。",
    # music that cannot be used (musegen.sources, musegen.readers)
    "said.no_files": "{label} 中没有可用的音乐：没有找到文件（支持 {extensions} 或 .zip）",
    "said.all_skipped": "{label} 中没有可用的音乐：{n} 个文件全部被跳过（{reasons}）",
    "said.bundle_bad_zip": "{label} 不是可读取的 zip 文件（{error}）：是不是没有下载完整？",
    "said.bad_zip": "{label} 不是可读取的 zip 文件（{error}）",
    "said.zip_members": "{label} 含有 {n} 个文件，上限是 {limit}。请拆成几个较小的 zip。",
    "said.zip_unpacks": "{label} 解压后有 {size}，上限是 {limit}。",
    "said.no_workers": "音乐文件要在单独的进程中读取，但这里无法启动任何进程（{why}）。",
    "said.empty": "{name} 是空文件",
    "said.uploads_label": "上传的 {n} 个文件",
    "said.files_label": "{n} 个文件",
    "said.the_zip": "这个 zip",
    "said.the_bundle": "这个训练结果包",
    "said.r_empty": "空文件",
    "said.r_too_large": "太大：{size}（上限 {limit}）",
    "said.r_score_unpacked": "乐谱太大：解压后 {size}（乐谱文本上限 {limit}；读取更大的乐谱要好几分钟）",
    "said.r_score": "乐谱太大：{size}（乐谱文本上限 {limit}；读取更大的乐谱要好几分钟）",
    "said.r_many_notes": "音符太多：{n}（上限 {limit}）",
    "said.r_too_long": "太长：{length}（上限 {limit}）",
    "said.r_tempo": "速度 {bpm} BPM 超出 {low}–{high} BPM 的范围",
    "said.r_not_midi": "不是 MIDI 文件：扩展名是 {ext}，但开头没有 MIDI 文件头",
    "said.r_not_music": "不是 MIDI 或乐谱文件（{ext}）",
    "said.r_no_extension": "无扩展名",
    "said.r_no_notes": "没有音符",
    "said.r_drums": "只有鼓",
    "said.r_no_piano": "没有钢琴声部",
    "said.r_no_notes_parts": "声部 {parts} 中没有音符（文件共有 {n} 个声部）",
    "said.r_corrupt": "MIDI 文件被截断或已损坏：{error}",
    "said.r_parse": "无法解析：{error}",
    "said.r_no_mxl_score": ".mxl 压缩包里没有乐谱",
    "said.r_damaged_mxl": ".mxl 压缩包已损坏（{error}）",
    "said.r_read": "无法读取：{error}",
    "said.r_unsafe": "zip 中的路径不安全（绝对路径或含有 “..”）",
    "said.r_nested_zip": "不读取 zip 里的 zip",
    "said.r_damaged_member": "zip 中的这个文件已损坏（{error}）",
    "said.r_zip_bomb": "疑似 zip 炸弹：压缩比 {ratio}:1（上限 {limit}:1）",
    "said.r_not_found": "找不到文件",
    "said.r_timed_out": "读取超过 {seconds} 秒：已拒绝",
    "said.r_crashed": "解析器在这个文件上崩溃了：已拒绝",
    "said.r_memory": "读取时需要超过 {mb} MB 内存：已拒绝",
    "said.r_abc_field": "ABC 字段 {field} 超出范围：已拒绝（数字最大为 {most}）",
    "said.r_over_budget": "未读取：这次上传已用完 {seconds} 秒的读取时间",
    "said.r_unusable": "其中没有可用的音乐",
    "said.not_zip": "文件不是 zip 格式",
    # trainings refused or failed (musegen.jobs, musegen.dataset, musegen.train, musegen.tokens)
    "said.quota": "你已有 {cap} 个训练在运行或排队，这是本服务器允许每位访客的上限：请停止一个，或等其中一个结束。",
    "said.quota_1": "你已有 {cap} 个训练在运行或排队，这是本服务器允许每位访客的上限：请停止一个，或等其中一个结束。",
    "said.no_checkpoint": "{name} 没有可以继续的检查点。",
    "said.cannot_train": "本服务器无法写入它的模型文件夹，因此这里不能开始训练；内置模型仍可作曲。",
    "said.no_such_job": "没有这个训练（它可能已经被清理了）。",
    "said.not_your_job": "那个训练属于另一位访客。",
    "said.batch_replicas": "{batch} 个样本的批次无法平分给 {replicas} 个副本：请调大 --batch-size。",
    "said.from_or_resume": "微调会开始一个新的训练结果，继续训练则接着原来的：--from 和 --resume 只能选一个。",
    "said.resume_one_machine": "--resume 只能在一台机器上继续训练。多台机器时，中断的训练会在每台机器重新运行命令后继续；"
                               "已完成的训练可以用 --from 微调。",
    "said.run_exists": "{out} 里已经有一个训练结果：请换一个输出文件夹，或继续训练它。",
    "said.base_damaged": "{name}：它的模型预测 {n} 个词元，但词表有 {vocab} 个：训练结果包已损坏。",
    "said.no_base": "{name} 处没有可以微调的训练结果：请给出一个训练结果文件夹。",
    "said.no_base_bundled": "{name} 处没有可以微调的训练结果：请给出一个训练结果文件夹或内置模型（{bundled}）。",
    "said.too_short": "乐曲太短，切不出 {window} 个词元的窗口：请调小窗口，或添加音乐。",
    "said.no_train_file": "训练至少需要一个不在验证集里的文件：请添加音乐。",
    "said.all_rare": "每个词元出现的次数都低于阈值（{cutoff}）：请降低阈值（最常见的词元出现了 {n} 次）。",
    "said.diverged": "训练发散了：{monitor}始终不是有限值，所以没有保存模型。请试试更低的学习率（原来是 {rate}）。",
    "said.cannot_fine_tune": "{name} 使用“{scheme}”词元方案，它的词表是按自己的音乐拟合的：这份音乐中有 {n} 个常见词元"
                             "（例如 {examples}）不在其中，所以学不会。只有“小节、拍与声部”和“音高 + 时值 + 时间偏移”"
                             "方案的模型能在别的音乐上微调：请训练一个新模型。",
    # runs imported, renamed (musegen.runs)
    "said.bundle_too_big": "{label} 有 {size}；训练结果包最大 {limit}。",
    "said.bundle_unpacks": "{label} 解压后有 {size}；训练结果包最大 {limit}。",
    "said.bundle_empty": "{label} 里没有训练结果包的文件。",
    "said.bundle_incomplete": "{label} 不完整：清单列出的 {files} 不在 zip 里。",
    "said.bundle_changed": "{label} 含有清单上没有的 {files}：它在生成之后被改动过。",
    "said.not_a_run": "{path} 不是一个完成的 musegen 训练结果（缺少 {files}）。",
    "said.name_needed": "训练结果的名称至少要有一个字母或数字。",
    "said.name_taken": "已经有一个叫 {name} 的训练结果了。",
    "said.not_owner": "只有 {name} 的主人才能下载它的训练结果包。",
    "said.no_room": "服务器给访客存放作品的磁盘空间（{mb:,} MB）已放不下了：请删除一个你的训练结果，或稍后再试。",
    "said.runs_cap": "你已有 {n} 个训练结果，这是本服务器为每位访客保留的上限：请先删除一个，再导入。",
    "said.session_not_kept": "本服务器无法在磁盘上保存你的会话：应用仍可使用，但重新加载后会丢失你的设置、数据集和作品。",
}

CATALOGUE = {"en": EN, "zh": ZH}


# ---------------------------------------------------------------- musegen's English sentences, recognised
# (key, pattern) pairs: each pattern's named groups are its catalogue text's placeholders, and a
# group's value is itself said in the visitor's language where it is a known phrase (a file's
# reason inside "all skipped (…)", the epoch kept inside a stop reason). tests/test_i18n.py checks
# the groups against the texts, and real messages of the library against the patterns.

_KEPT = r"kept epoch \d+ \((?:val )?loss [\d.]+\)|no epoch had a finite loss"
_SIZE = r"[\d.,]+ (?:GB|MB|kB|bytes)"
_WORKER = r"The training's worker process ended unexpectedly "

SENTENCES = [  # found anywhere in a message, in this order (the longer of two alike first)
    # a training's progress and end
    ("said.next", r"Waiting for a free slot: you are next\."),
    ("said.ahead", r"Waiting for a free slot: (?P<n>\d+) training\(s\) ahead of you\."),
    ("said.waiting", r"Waiting for a free slot…"),
    ("said.starting", r"Starting a worker…"),
    ("said.reading", r"Reading music…"),
    ("said.windows_moved", r"Training on (?P<n>[\d,]+) windows, moved by up to ±(?P<k>\d+) semitones…"),
    ("said.windows", r"Training on (?P<n>[\d,]+) windows…"),
    ("said.batch", r"Epoch (?P<epoch>\d+)/(?P<epochs>\d+), batch (?P<step>\d+)/(?P<steps>\d+)"),
    ("said.epoch_done", r"Epoch (?P<epoch>\d+)/(?P<epochs>\d+) done"),
    ("said.batch_open", r"Epoch (?P<epoch>\d+), batch (?P<step>\d+)/(?P<steps>\d+)"),
    ("said.epoch_done_open", r"Epoch (?P<epoch>\d+) done"),
    ("said.preparing", r"Preparing tokens…"),
    ("said.building", r"Building the model…"),
    ("said.start_loss", r"Fine-tuning (?P<name>[^:]+): validation loss starts at (?P<loss>[\d.]+) "
                        r"\(chance is (?P<chance>[\d.]+)\)\."),
    ("said.stopping", r"Stopping after this batch…"),
    ("said.stopped_queued", r"Stopped before it started\."),
    ("said.stopped_early", r"Stopped before training began: nothing was trained\."),
    ("said.resumed", r"Resumed as a new training \((?P<n>\d+) epochs? left\)\."),
    ("said.resumed_open", r"Resumed as a new training\."),
    ("said.restarted", r"The server restarted before this training began: start it again\."),
    ("said.server_stopped", r"The server stopped during this training\."),
    ("said.worker_oom", _WORKER + r"\(killed by (?P<signal>\w+): the machine may have run out of memory\)\."),
    ("said.worker_killed", _WORKER + r"\(killed by (?P<signal>\w+)\)\."),
    ("said.worker_exit", _WORKER + r"\(exit code (?P<code>-?\d+)\)\."),
    ("said.worker_nostart", _WORKER + r"\(it did not start\)\."),
    ("said.nothing_kept", r"No epoch had finished: nothing to keep\."),
    ("said.checkpoint_unreadable", r"Its checkpoint could not be read \((?P<error>.*)\)\."),
    ("said.failed_unexpectedly", r"Training failed unexpectedly \((?P<error>.*)\)\."),
    ("said.failed", r"Training failed\."),
    ("said.not_kept", r"The trained model could not be kept \((?P<error>.*)\)\."),
    ("said.end_finished", r"Training finished\."),
    ("said.end_stopped", r"Stopped: the best checkpoint so far was kept\."),
    ("said.end_budget", r"The time budget ran out: the best checkpoint so far was kept\."),
    ("said.end_early", r"Early stopping: validation loss stopped improving\."),
    ("said.end_other", r"Training ended\."),
    ("said.resumed_elsewhere", r"(?P<old>\S+) was renamed or replaced while it trained: the resumed run is "
                               r"(?P<new>\S+)\."),
    ("said.evicted", r"This server keeps (?P<n>\d+) runs per visitor: your oldest \((?P<names>.*?)\) was deleted\."),
    ("said.disk_full", r"The server's disk budget for visitors' work \((?P<mb>[\d,]+) MB\) was full: (?P<n>\d+) of "
                       r"your runs unused the longest were deleted\."),
    ("said.no_sample", r"No sample this epoch \((?P<error>.*)\)\."),
    ("said.no_preview_audio", r"No audio preview: (?P<problem>.+)"),
    ("said.early_stop_val", rf"Validation loss did not improve for (?P<patience>\d+) epochs?: stopped after epoch "
                            rf"(?P<epochs>\d+), (?P<kept>{_KEPT})\."),
    ("said.early_stop_train", rf"Training loss did not improve for (?P<patience>\d+) epochs?: stopped after epoch "
                              rf"(?P<epochs>\d+), (?P<kept>{_KEPT})\."),
    ("said.budget_reached", rf"Time budget \((?P<budget>[^)]+)\) reached in epoch (?P<epochs>\d+): "
                            rf"(?P<kept>{_KEPT})\."),
    ("said.stop_requested", rf"Stopped on request in epoch (?P<epochs>\d+): (?P<kept>{_KEPT})\."),
    ("said.interrupted", rf"Interrupted after epoch (?P<epochs>\d+): (?P<kept>{_KEPT})\. Resume continues it\."),
    ("said.finished", rf"Finished (?P<epochs>\d+) epochs?: (?P<kept>{_KEPT})\."),
    ("said.still_learning", r"Still learning when it stopped: train longer for better music\."),
    # audio, scores, a piece
    ("said.no_fluidsynth", r"FluidSynth is not installed: sudo apt-get install fluidsynth"),
    ("said.no_soundfont_set", r"No General MIDI soundfont found: install fluid-soundfont-gm or set MUSEGEN_SOUNDFONT "
                              r"\((?P<setting>.*?) is not a file\)"),
    ("said.no_soundfont", r"No General MIDI soundfont found: install fluid-soundfont-gm or set MUSEGEN_SOUNDFONT"),
    ("said.engraving_failed", r"No score: engraving failed \((?P<error>[^)]*)\)\."),
    ("said.no_score", r"No score: (?P<error>.+)"),
    ("said.no_audio", r"No audio: (?P<problem>.+)"),
    ("said.no_verovio", r"Score display needs verovio: pip install verovio"),
    ("said.verovio_unreadable", r"Verovio could not read this MusicXML\."),
    ("said.musicxml_failed", r"Could not write '(?P<name>.*?)' as MusicXML: (?P<error>.+)"),
    ("said.no_key_lock", r"No key lock: 'auto' follows the key of the music being continued, and this piece starts "
                         r"from nothing\. Name a key \(e\.g\. D minor\) instead\."),
    ("said.collapsed", r"The output collapsed: it uses only (?P<n>\d+) distinct token\(s\) — one note or chord "
                       r"repeated\."),
    ("said.loop", r"The output fell into a loop: its second half repeats the same (?P<n>\d+) tokens over and over\."),
    ("said.advice", r"Raise the temperature \(e\.g\. 1\.0–1\.2\) or sample with top-p ≈ 0\.9 instead of greedy / low "
                    r"temperature\."),
    ("said.budget_stop", r"The music stopped at (?P<n>[\d,]+) tokens a piece, the most one request writes, before the "
                         r"length asked \(the model wrote more tokens per beat than usual\): ask for fewer seconds, "
                         r"bars or variations\."),
    ("said.weights_nan", r"the weights hold NaN or infinite values \(layer (?P<layer>[^)]+)\): the training that made "
                         r"them diverged, so they cannot write music\."),
    ("said.out_of_memory", r"Out of memory: the model or its batches do not fit this machine\. Lower the batch size, "
                           r"the window or the model's size \(channels, units, layers\)\."),
    ("said.model_too_big", r"This model would have (?P<n>[\d,]+) parameters, more than the (?P<most>[\d,]+) that can "
                           r"be trained here: lower the channels, units, stacks, dilation depth or layers\."),
    # music that cannot be used
    ("said.no_files", r"No usable music in (?P<label>.+?): no files found \(looking for (?P<extensions>.+?) or "
                      r"\.zip\)"),
    ("said.all_skipped", r"No usable music in (?P<label>.+?): (?P<n>[\d,]+) files, all skipped \((?P<reasons>.*)\)"),
    ("said.bundle_bad_zip", r"(?P<label>\S.*?) is not a readable zip file \((?P<error>.*?)\): was it cut short\?"),
    ("said.bad_zip", r"(?P<label>\S.*?) is not a readable zip file \((?P<error>.*)\)"),
    ("said.zip_members", r"(?P<label>\S.*?) has (?P<n>[\d,]+) files; the limit is (?P<limit>[\d,]+)\. "
                         r"Split it into smaller zips\."),
    ("said.zip_unpacks", rf"(?P<label>\S.*?) unpacks to (?P<size>{_SIZE}); the limit is (?P<limit>{_SIZE})\."),
    ("said.no_workers", r"Music files are read in a separate process, and none could be started here "
                        r"\((?P<why>.*)\)\."),
    # trainings refused or failed
    ("said.too_short", r"The pieces are too short for windows of (?P<window>\d+) tokens: lower the window or add "
                       r"music\."),
    ("said.no_train_file", r"Training needs at least one file outside the validation split: add music\."),
    ("said.all_rare", r"Every token is rarer than the cutoff \((?P<cutoff>\d+)\): lower min_count \(the most frequent "
                      r"token appears (?P<n>\d+) times\)\."),
    ("said.diverged", r"Training diverged: the (?P<monitor>val loss|loss) was never a finite number, so no model was "
                      r"saved\. Try a lower learning rate \(it was (?P<rate>[^)]+)\)\."),
    ("said.cannot_fine_tune", r"(?P<name>\S+) uses the '(?P<scheme>\w+)' scheme, whose vocabulary was fitted to its "
                              r"own music: (?P<n>\d+) frequent tokens of this music \(e\.g\. (?P<examples>.*?)\) are "
                              r"not in it, so it cannot learn them\. Only metre and rich runs can be fine-tuned on "
                              r"other music: train a new run\."),
    # runs imported, renamed
    ("said.bundle_too_big", rf"(?P<label>\S.*?) is (?P<size>{_SIZE}); a run bundle may be at most "
                            rf"(?P<limit>{_SIZE})\."),
    ("said.bundle_unpacks", rf"(?P<label>\S.*?) unpacks to (?P<size>{_SIZE}); a run bundle may be at most "
                            rf"(?P<limit>{_SIZE})\."),
    ("said.bundle_empty", r"(?P<label>\S.*?) holds no run bundle files\."),
    ("said.bundle_incomplete", r"(?P<label>\S.*?) is incomplete: its manifest lists (?P<files>.*?), which the zip "
                               r"does not hold\."),
    ("said.bundle_changed", r"(?P<label>\S.*?) holds (?P<files>.*?), which its manifest does not list: it was changed "
                            r"after it was made\."),
    ("said.not_a_run", r"(?P<path>\S.*?) is not a finished musegen run \(missing (?P<files>[^)]*)\)\."),
    ("said.name_needed", r"A run name needs at least one letter or digit\."),
    ("said.name_taken", r"A run called (?P<name>.+?) already exists\."),
]

PHRASES = [  # the whole of a short text: a file's reason, a steering rule, a value inside a sentence
    ("said.kept_val", r"kept epoch (?P<epoch>\d+) \(val loss (?P<loss>[\d.]+)\)"),
    ("said.kept_loss", r"kept epoch (?P<epoch>\d+) \(loss (?P<loss>[\d.]+)\)"),
    ("said.no_finite", r"no epoch had a finite loss"),
    ("said.val_loss", r"val loss"),
    ("said.loss", r"loss"),
    ("said.n_min", r"(?P<n>[\d.,]+) min"),
    ("said.n_s", r"(?P<n>[\d.,]+) s"),
    ("said.n_h_min", r"(?P<h>\d+) h (?P<m>\d+) min"),
    ("said.n_min_s", r"(?P<m>\d+) min (?P<s>\d+) s"),
    ("said.n_h", r"(?P<h>\d+) h"),
    ("said.n_days", r"(?P<n>[\d,]+) days"),
    ("said.n_years", r"(?P<n>[\d,]+) years"),
    ("said.n_bytes", r"(?P<n>[\d,]+) bytes"),
    ("said.n_tokens", r"(?P<n>[\d,]+) tokens"),
    ("said.key_strength", r"key (?P<tonic>[A-G][#b]?) (?P<scale>[a-z ]+?) \(strength (?P<strength>[\d.]+)\)"),
    ("said.key", r"key (?P<tonic>[A-G][#b]?) (?P<scale>[a-z ]+)"),
    ("said.range", r"range (?P<low>\S+)–(?P<high>\S+)"),
    ("said.guard", r"repetition guard"),
    ("said.echo", r"bar echo (?P<n>[\d.]+)"),
    ("said.empty", r"(?P<name>.+) is empty"),
    ("said.uploads_label", r"(?P<n>\d+) uploaded file\(s\)"),
    ("said.files_label", r"(?P<n>\d+) file\(s\)"),
    ("said.the_zip", r"The zip"),
    ("said.the_bundle", r"The bundle"),
    ("said.r_empty", r"empty file"),
    ("said.r_too_large", r"too large: (?P<size>.+?) \(limit (?P<limit>.+?)\)"),
    ("said.r_score_unpacked", r"too large for a score: (?P<size>.+?) unpacked \(limit (?P<limit>.+?) of score text; "
                              r"reading a bigger one takes minutes\)"),
    ("said.r_score", r"too large for a score: (?P<size>.+?) \(limit (?P<limit>.+?) of score text; reading a bigger "
                     r"one takes minutes\)"),
    ("said.r_many_notes", r"too many notes: (?P<n>[\d,]+) \(limit (?P<limit>[\d,]+)\)"),
    ("said.r_too_long", r"too long: (?P<length>.+?) \(limit (?P<limit>.+?)\)"),
    ("said.r_tempo", r"tempo (?P<bpm>\S+) BPM is outside (?P<low>[\d.]+)–(?P<high>[\d.]+) BPM"),
    ("said.r_not_midi", r"not a MIDI file: (?P<ext>\S+) but it does not start with the MIDI header"),
    ("said.r_not_music", r"not a MIDI or score file \((?P<ext>.*)\)"),
    ("said.r_no_extension", r"no extension"),
    ("said.r_no_notes", r"no notes"),
    ("said.r_drums", r"drums only"),
    ("said.r_no_piano", r"no piano part"),
    ("said.r_no_notes_parts", r"no notes in part\(s\) (?P<parts>.+?) \(the file has (?P<n>\d+) part\(s\)\)"),
    ("said.r_corrupt", r"truncated or corrupt MIDI: (?P<error>.+)"),
    ("said.r_parse", r"could not parse: (?P<error>.+)"),
    ("said.r_no_mxl_score", r"no score inside the \.mxl archive"),
    ("said.r_damaged_mxl", r"damaged \.mxl archive \((?P<error>.*)\)"),
    ("said.r_read", r"could not read: (?P<error>.+)"),
    ("said.r_unsafe", r"unsafe path in zip \(absolute or '\.\.'\)"),
    ("said.r_nested_zip", r"zip inside a zip is not read"),
    ("said.r_damaged_member", r"damaged zip member \((?P<error>.*)\)"),
    ("said.r_zip_bomb", r"zip bomb: compressed (?P<ratio>[\d,.]+):1 \(limit (?P<limit>[\d,.]+):1\)"),
    ("said.r_not_found", r"file not found"),
    ("said.r_timed_out", r"took longer than (?P<seconds>[\d.]+) s to read: refused"),
    ("said.r_crashed", r"the parser crashed on this file: refused"),
    ("said.r_memory", r"needed more than (?P<mb>[\d,]+) MB to read: refused"),
    ("said.r_abc_field", r"ABC field (?P<field>[ML]:.*?) is out of range: refused \(numbers up to (?P<most>\d+)\)"),
    ("said.r_over_budget", r"not read: the upload had used its (?P<seconds>[\d.]+) s of reading time"),
    ("said.r_unusable", r"it holds no usable music"),
    ("said.not_zip", r"File is not a zip file"),
]

_SENTENCES = [(key, re.compile(pattern)) for key, pattern in SENTENCES]
_PHRASES = [(key, re.compile(pattern)) for key, pattern in PHRASES]
