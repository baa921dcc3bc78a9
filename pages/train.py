"""Train: pick a model and its settings, start; watch it learn; keep the result in the run library.

The training itself is a job in musegen.serve.jobs (a worker process of its own): this page only submits
it and paints its progress every second, so clicks, page switches and reloads never stop it. A
visitor sees, stops and manages only their own trainings and runs (musegen.serve.visitors).
"""
from __future__ import annotations

import functools

import streamlit as st

from musegen.serve import jobs, visitors
from musegen.studio import presets, run_library
from musegen.paths import runs_dir
from musegen.errors import MusegenError
from musegen.runs.bundle import import_run
from musegen.runs.library import delete_run, rename_run
from musegen.train.finetune import start_fit
from ui import dataset, language, library, server, session, training

session.through_app()
tr = language.tr

# The settings this page keeps across reloads; the sizes' values are keyed per size and start run
# (tr-<size>-<base>-<setting>), so a size resets them.
KEPT = ("tr-base", "tr-kind", "tr-preset", r"tr-\d+-.*-[a-z]+", training.DISMISSED)
session.keep(KEPT)

st.title(tr("train.title"))
st.caption(tr("train.caption"))

lim = session.limits()

# A reload starts a new session: find the job again from the address bar.
wanted = st.query_params.get("job")
if wanted and training.JOB not in st.session_state and training.my_job(wanted) is not None:
    st.session_state[training.JOB] = wanted
elif training.JOB not in st.session_state:  # a reload without the address, a new tab: the visitor's newest
    mine = jobs.list_jobs(owner=session.owner()) if session.owner() is not None else []
    if mine and mine[0].id != st.session_state.get(training.DISMISSED):  # ended too, unless put away
        training.watch_job(mine[0].id)


# ---------------------------------------------------------------- the job being watched

job_id = st.session_state.get(training.JOB)
job = training.my_job(job_id)
if job is not None:
    with st.container(border=True):
        training.watch([job_id], "tr")
    if job.active or job.sampling:
        st.caption(tr("train.carries_on"))

busy = job is not None and job.active


# ---------------------------------------------------------------- a new training

st.header(tr("train.new"))
data = dataset.current_dataset()
if data:
    st.markdown(language.tr_count("train.music", len(data["result"].pieces), label=dataset.dataset_label(data)))
else:
    st.markdown(tr("train.music_default"))

entries = [e for e in library.library() if e.run.config.tokenizer.scheme in ("metre", "rich")]
bases = [e.run for e in entries]
base_names = ["new"] + [r.name for r in bases]
n_pieces = len(data["result"].pieces) if data else len(server.builtin_dataset("bach").pieces)
suggested = presets.default_start(entries, n_pieces)  # the broad base for a small set
base_name = st.selectbox(
    tr("train.base"), base_names, key="tr-base", index=base_names.index(suggested.run.name) if suggested else 0,
    format_func=lambda n: (tr("train.base_new") if n == "new" else tr("train.base_broad") if n == run_library.BASE_RUN
                           else tr("train.base_run", name=n)),
    help=tr("train.base_help"))
base = next((r for r in bases if r.name == base_name), None)
if base is not None:
    music = data["result"].pieces if data else server.builtin_dataset("bach").pieces
    fit = start_fit(base, music)
    if fit["code"] == "new_layout":
        seen = fit["seen"]
        st.warning(tr(f"train.start_new_layout{'_1' if seen == [1] else ''}", name=base.name, parts=fit["parts"],
                      seen=", ".join(map(str, seen))), icon=":material/warning:")
    elif base.name == run_library.BASE_RUN:
        st.caption(language.tr_count("train.start_buys", n_pieces))

left, middle, right = st.columns(3)
if base is None:
    kind = left.selectbox(tr("train.model"), list(run_library.MODEL_KINDS), format_func=language.kind_name, key="tr-kind",
                          help=tr("train.model_help"))
else:
    kind = base.config.model.kind
    left.markdown(tr("train.model_kept", kind=language.kind_name(kind), name=base.name))
sizes = list(presets.PRESETS)
preset = middle.selectbox(tr("train.size"), sizes, index=sizes.index(presets.DEFAULT_PRESET), key="tr-preset",
                         format_func=lambda p: language.opt("preset", p), help=tr("train.size_help"))
d = dict(presets.PRESETS[preset])
if base is not None:  # gentler steps, and the base's window, when fine-tuning
    d.update(learning_rate=3e-4, window=base.config.data.window, stride=base.config.data.stride)
k = f"tr-{sizes.index(preset)}-{base_name}-"  # new widget keys per preset, so a preset resets the values

v = dict(d)
cap = lim.max_training_minutes or 240.0
v["minutes"] = right.number_input(
    tr("train.minutes"), 0.1, float(cap), float(min(d["minutes"], cap)), 0.5, key=k + "minutes",
    help=tr("train.minutes_help", cap=cap))

with st.expander(tr("train.advanced"), expanded=False):
    st.caption(tr("train.advanced_caption"))
    c = st.columns(4)
    v["epochs"] = c[0].number_input(tr("train.epochs"), 0, 500, d["epochs"], key=k + "epochs",
                                    help=tr("train.epochs_help"))
    v["steps_per_epoch"] = c[1].number_input(tr("train.steps"), 0, 10_000, d["steps_per_epoch"],
                                             key=k + "steps", help=tr("train.steps_help"))
    v["batch_size"] = c[2].select_slider(tr("train.batch"), [8, 16, 32, 64, 128], d["batch_size"], key=k + "batch",
                                         help=tr("train.batch_help"))
    v["learning_rate"] = c[3].select_slider(tr("train.lr"), [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2],
                                            d["learning_rate"], key=k + "lr", format_func=lambda x: f"{x:g}",
                                            help=tr("train.lr_help"))
    c = st.columns(4)
    v["window"] = c[0].select_slider(tr("train.window"), [32, 64, 128, 256, 512, 1024], d["window"], key=k + "window",
                                     help=tr("train.window_help"))
    v["stride"] = max(1, v["window"] // 2)
    v["max_files"] = c[1].number_input(tr("train.files"), 0, 100_000, d["max_files"], key=k + "files",
                                       help=tr("train.files_help"))
    v["embedding_dim"] = d["embedding_dim"] if base else c[2].select_slider(tr("train.emb"), [8, 16, 32, 64, 128], d["embedding_dim"],
                                            key=k + "emb", help=tr("train.emb_help"))
    v["dropout"] = c[3].slider(tr("train.dropout"), 0.0, 0.5, float(d["dropout"]), 0.05, key=k + "dropout",
                               help=tr("train.dropout_help"))
    c = st.columns(4)
    if base is not None:
        pass  # the base run's model
    elif kind == "wavenet":
        v["residual_channels"] = c[0].select_slider(tr("train.channels"), [8, 16, 32, 64, 128], d["residual_channels"],
                                                    key=k + "res", help=tr("train.channels_help"))
        v["skip_channels"] = 2 * v["residual_channels"]
        v["dilation_depth"] = c[1].slider(tr("train.depth"), 1, 10, d["dilation_depth"], key=k + "depth",
                                          help=tr("train.depth_help"))
        v["stacks"] = c[2].slider(tr("train.stacks"), 1, 4, d["stacks"], key=k + "stacks", help=tr("train.stacks_help"))
    elif kind == "lstm":
        v["lstm_units"] = c[0].select_slider(tr("train.units"), [16, 32, 64, 128, 256], d["lstm_units"], key=k + "units",
                                             help=tr("train.units_help"))
        v["lstm_layers"] = c[1].slider(tr("train.layers"), 1, 3, d["lstm_layers"], key=k + "layers",
                                       help=tr("train.layers_help"))
        v["lstm_dense"] = c[2].select_slider(tr("train.dense"), [32, 64, 128, 256], d["lstm_dense"], key=k + "dense",
                                             help=tr("train.dense_help"))
    else:
        v["simple_filters"] = c[0].select_slider(tr("train.filters"), [8, 16, 32, 64, 128], d["simple_filters"],
                                                 key=k + "filters", help=tr("train.filters_help"))
        v["simple_blocks"] = c[1].slider(tr("train.blocks"), 1, 6, d["simple_blocks"], key=k + "blocks",
                                         help=tr("train.blocks_help"))
        v["simple_dense"] = c[2].select_slider(tr("train.dense"), [32, 64, 128, 256], d["simple_dense"],
                                               key=k + "sdense", help=tr("train.sdense_help"))
    scheme = base.config.tokenizer.scheme if base else c[3].selectbox(
        tr("train.tokens"), list(presets.SCHEMES), key=k + "scheme", format_func=language.scheme_name,
        help=tr("train.tokens_help"))
    c = st.columns(4)
    seed = c[1].number_input(tr("train.seed"), 0, 1_000_000, 1, key=k + "seed", help=tr("train.seed_help"))
    patience = c[2].number_input(tr("train.patience"), 0, 50, 3, key=k + "patience",
                                 help=tr("train.patience_help"))
    transpose = c[3].selectbox(
        tr("train.transpose"), list(range(13)), key=k + "transpose",
        format_func=lambda n: tr("train.semitones", n=n) if n else tr("train.off"),
        help=tr("train.transpose_help"))

config = presets.build_config(training.dataset_name(data), kind, v, scheme=scheme,
                             min_count=int(session.setting("ds-cutoff", 50)), seed=int(seed),
                             early_stopping=int(patience), transpose=int(transpose), base=base)
st.caption(presets.context_text(config, dataset.tokens_per_bar(data, config.tokenizer), language.lang()))
running_here = sum(1 for j in jobs.list_jobs() if j.state == "running")
if running_here >= lim.max_concurrent_trainings and not busy:
    st.caption(tr("train.busy", n=running_here))
if st.button(tr("train.start"), type="primary", disabled=busy, key="tr-start",
             help=tr("train.stop_first") if busy else None):
    new = training.submit(config, data, v["max_files"])
    if new is not None:
        training.watch_job(new)
        st.rerun()

others = [j for j in jobs.list_jobs() if j.active and j.id != job_id]
if others:
    st.subheader(tr("train.others"))
    for other in others:
        cols = st.columns([3, 2, 1])
        where = tr("train.place", place=other.place) if other.state == "queued" else language.say(other.message)
        mine = session.owner() is None or other.owner == session.owner()
        cols[0].markdown(tr("train.other_row", name=other.name if mine else tr("train.another"),
                            state=language.state_name(other.state)))
        cols[1].caption(where)
        if mine and cols[2].button(tr("train.watch"), key=f"tr-watch-{other.id}", disabled=busy):
            training.watch_job(other.id)
            st.rerun()


# ---------------------------------------------------------------- the run library


def share_panel(run) -> None:
    """On a shared server: a link that lets anyone use this run (never change it), and its undo."""
    if session.visitor() is None:
        return
    token = visitors.share_token(run.path)
    if token is None:
        if st.button(tr("lib.share"), key=f"lib-share-{run.name}", help=tr("lib.share_help")):
            visitors.share(run.path)
            st.rerun()
        return
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    st.caption(tr("lib.share_link"))
    st.code(f"{base}/?shared={token}", language=None)  # st.code has a copy button
    if st.button(tr("lib.unshare"), key=f"lib-unshare-{run.name}"):
        visitors.unshare(run.path)
        st.rerun()


st.header(tr("lib.title"))
with st.expander(tr("lib.import")):
    bundle = st.file_uploader(tr("lib.bundle"), type=["zip"], key="lib-import",
                              max_upload_size=session.limits().max_upload_mb or None,
                              help=tr("lib.bundle_help"))
    if bundle is not None and st.session_state.get("lib-imported") != (bundle.name, bundle.size):
        try:
            folder = visitors.folder_of(session.visitor(), runs_dir())
            imported = import_run(bundle.getvalue(), folder, limits=session.limits())
            st.session_state["lib-imported"] = (bundle.name, bundle.size)
            st.success(tr("lib.imported", name=imported.name))
        except MusegenError as e:
            st.error(language.error_text(e))
entries = library.library()
if not entries:
    st.info(tr("lib.none"))
for entry in entries:
    run, s = entry.run, entry.run.summary
    with st.expander(library.entry_label(entry)):
        cols = st.columns(5)
        cols[0].metric(tr("lib.params"), f"{s.get('params', 0):,}")
        cols[1].metric(tr("lib.epochs"), s.get("epochs", "?"))
        cols[2].metric(tr("lib.val_loss"), f"{s['val_loss']:.3f}" if s.get("val_loss") is not None else "—")
        cols[3].metric(tr("lib.val_acc"), f"{s['val_accuracy']:.1%}" if s.get("val_accuracy") is not None else "—")
        cols[4].metric(tr("lib.time"), language.duration_text(s.get("seconds")))
        ended = language.stop_text(run) or tr("lib.ended_by", how=language.opt("stopped", s.get("stopped", "?")))
        st.caption(tr("lib.data", source=language.source_name(run_library.dataset_source(run) or "?"),
                      files=len(run.data.get("train_files", [])), ended=ended))
        cols = st.columns([1, 2, 1, 1])
        if run_library.may_download(session.visitor(), run.path):  # a share lends a run for composing, not its bundle
            cols[0].download_button(tr("lib.download"),
                                    functools.partial(run_library.bundle_for, session.visitor(), run.path),
                                    f"{run.name}.zip", "application/zip", key=f"lib-zip-{run.path}", on_click="ignore")
        if not library.may_change(entry):
            cols[1].caption(tr("lib.bundled") if entry.bundled else tr("lib.not_yours"))
            continue
        share_panel(run)
        new_name = cols[1].text_input(tr("lib.new_name"), run.name, key=f"lib-name-{run.name}", label_visibility="collapsed")
        if cols[2].button(tr("lib.rename"), key=f"lib-rename-{run.name}"):
            try:
                rename_run(run.path, new_name)
                st.rerun()
            except MusegenError as e:
                st.error(language.error_text(e))
        if cols[3].button(tr("lib.delete"), key=f"lib-delete-{run.name}"):
            st.session_state["lib-confirm"] = str(run.path)
        if st.session_state.get("lib-confirm") == str(run.path):
            st.warning(tr("lib.confirm", name=run.name))
            yes, no = st.columns(2)
            if yes.button(tr("lib.yes"), key=f"lib-yes-{run.name}", type="primary"):
                delete_run(run.path)
                st.session_state.pop("lib-confirm", None)
                st.rerun()
            if no.button(tr("lib.keep"), key=f"lib-no-{run.name}"):
                st.session_state.pop("lib-confirm", None)
                st.rerun()
