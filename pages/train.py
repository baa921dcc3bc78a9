"""Train: pick a model and its settings, start; watch it learn; keep the result in the run library.

The training itself is a job in musegen.jobs (a worker process of its own): this page only submits
it and paints its progress every second, so clicks, page switches and reloads never stop it. A
visitor sees, stops and manages only their own trainings and runs (musegen.visitors).
"""
from __future__ import annotations

import functools

import streamlit as st

import appui
from musegen import jobs, studio, visitors
from musegen.errors import MusegenError
from musegen.plots import training_progress
from musegen.runs import delete_run, import_run, rename_run, zip_run

appui.through_app()

st.title(":material/model_training: Train")
st.caption("A network learns to predict the next note of the music. Lower loss = better predictions; "
           "the dashed *validation* line is measured on pieces it never trains on.")

lim = appui.limits()

# A reload starts a new session: find the job again from the address bar.
wanted = st.query_params.get("job")
if wanted and appui.JOB not in st.session_state and appui.my_job(wanted) is not None:
    st.session_state[appui.JOB] = wanted
elif appui.JOB not in st.session_state:  # a reload without the address: the visitor's newest training
    mine = jobs.list_jobs(owner=appui.owner()) if appui.owner() is not None else []
    if mine and (mine[0].active or mine[0].state == "interrupted"):
        st.session_state[appui.JOB] = mine[0].id
        st.query_params["job"] = mine[0].id


def stop_job(job_id: str) -> None:
    try:
        jobs.stop(job_id, owner=appui.owner())
    except MusegenError as e:
        st.toast(str(e), icon=":material/error:")


def resume_job(job_id: str) -> None:
    try:
        new = jobs.resume(job_id, owner=appui.owner())
        st.session_state[appui.JOB] = new
        st.query_params["job"] = new
    except MusegenError as e:
        st.toast(str(e), icon=":material/error:")


# ---------------------------------------------------------------- the job being watched

def paint(job_id: str, was: tuple[bool, bool]) -> None:
    job = appui.my_job(job_id)
    if job is None:
        st.session_state.pop(appui.JOB, None)
        return
    if (was[0] and not job.active) or (was[1] and not job.sampling and not job.active):
        st.rerun()  # it just ended: repaint the whole page (sidebar, run library; polling stops)
    st.subheader(f"{appui.STATE_ICONS[job.state]} {job.name}")
    if job.state == "queued":
        st.info(f"Waiting in the queue — place **{job.place}**. {job.message} "
                f"(This server trains {lim.max_concurrent_trainings} model(s) at a time.)")
    elif job.state == "running":
        p = job.progress
        text = job.message
        if p.get("event") in ("batch", "epoch"):
            text += f" · elapsed {jobs.format_seconds(p.get('elapsed'))} · ETA {jobs.format_seconds(job.eta)}"
        st.progress(job.fraction, text=text)
    elif job.state == "failed":
        st.error(job.error)
    elif job.state == "interrupted":
        st.warning(job.message, icon=":material/pause_circle:")
    else:
        st.success(job.message)

    if job.history or job.batches["epoch"]:
        st.plotly_chart(training_progress(job.batches, job.history, title=f"{job.name}"),
                        key=f"tr-chart-{job_id}", width="stretch")
        h = job.history
        if h.get("loss"):
            cols = st.columns(4)
            for col, key in zip(cols, ("loss", "val_loss", "accuracy", "val_accuracy")):
                if h.get(key):
                    col.metric(key.replace("_", " "), f"{h[key][-1]:.3f}",
                               delta=f"{h[key][-1] - h[key][-2]:+.3f}" if len(h[key]) > 1 else None,
                               delta_color="inverse" if "loss" in key else "normal")
    if job.sample_audio:
        st.markdown(f"**Listen:** a short sample from the checkpoint after epoch {job.sample_epoch}")
        st.audio(job.sample_audio, format="audio/ogg")
    elif job.sampling:
        st.caption("Writing a short sample from the newest checkpoint…")
    if job.sample_note:
        st.caption(job.sample_note)

    if job.active:
        st.button(":material/stop: Stop", key=f"tr-stop-{job_id}", on_click=stop_job, args=(job_id,),
                  help="Ends training after the current batch; the best checkpoint so far is kept as a run.")
    else:
        cols = st.columns([1, 1, 1, 2])
        if job.run_path is not None:
            cols[0].page_link("pages/generate.py", label="Generate with it", icon=":material/piano:")
        if job.resumable:
            cols[2].button(":material/play_arrow: Resume", key=f"tr-resume-{job_id}", on_click=resume_job,
                           args=(job_id,), type="primary",
                           help="Continue from the kept checkpoint for the epochs it had left.")
        if cols[1].button("New training", key=f"tr-dismiss-{job_id}"):
            st.session_state.pop(appui.JOB, None)
            st.query_params.pop("job", None)
            st.rerun()


job_id = st.session_state.get(appui.JOB)
job = appui.my_job(job_id)
if job is not None:
    live = job.active or job.sampling

    @st.fragment(run_every=1.0 if live else None)
    def live_panel():
        paint(job_id, (job.active, job.sampling))

    with st.container(border=True):
        live_panel()
    if live:
        st.caption("Training runs on the server: you can switch pages or reload this one; it carries on.")

busy = job is not None and job.active


# ---------------------------------------------------------------- a new training

st.header("New training")
data = appui.current_dataset()
if data:
    st.markdown(f"Music: **{data['label']}** ({len(data['result'].pieces)} pieces) — change it on the "
                "**Dataset** page.")
else:
    st.markdown("Music: **Bach chorales** (built-in) — choose other music on the **Dataset** page.")

bases = [e.run for e in appui.library() if e.run.config.tokenizer.scheme in ("metre", "rich")]
base_names = ["new"] + [r.name for r in bases]
base_name = st.selectbox(
    "Start from", base_names, key="tr-base",
    format_func=lambda n: "Nothing: a new model learns from scratch" if n == "new" else f"{n} (fine-tune it)",
    help="Fine-tuning starts from a trained model (the bundled ones learnt from hundreds of pieces), so a "
         "few of your own pieces and a minute of training already sound like them.")
base = next((r for r in bases if r.name == base_name), None)

left, middle, right = st.columns(3)
if base is None:
    kind = left.selectbox("Model", list(studio.MODEL_KINDS), format_func=studio.MODEL_KINDS.get, key="tr-kind",
                          help="WaveNet looks back through stacked dilated convolutions; the LSTM carries a "
                               "memory from note to note. The simple WaveNet is the article's small version.")
else:
    kind = base.config.model.kind
    left.markdown(f"Model: **{studio.MODEL_KINDS.get(kind, kind)}**, as in {base.name}: its size and tokens "
                  "are kept.")
presets = list(studio.PRESETS)
preset = middle.selectbox("Size", presets, index=presets.index(studio.DEFAULT_PRESET), key="tr-preset",
                         help="How big a model, trained how long: it fills in the advanced settings below.")
d = dict(studio.PRESETS[preset])
if base is not None:  # gentler steps, and the base's window, when fine-tuning
    d.update(learning_rate=3e-4, window=base.config.data.window, stride=base.config.data.stride)
k = f"tr-{presets.index(preset)}-{base_name}-"  # new widget keys per preset, so a preset resets the values

v = dict(d)
cap = lim.max_training_minutes or 240.0
v["minutes"] = right.number_input(
    "Train for at most (minutes)", 0.1, float(cap), float(min(d["minutes"], cap)), 0.5, key=k + "minutes",
    help=f"Training stops when the time is up and keeps its best epoch (this server allows up to {cap:g} min).")

with st.expander("Advanced settings: the model's size and how it learns", expanded=False):
    st.caption("The size above fills these in; change any of them if you know what they do.")
    c = st.columns(4)
    v["epochs"] = c[0].number_input("Epochs", 1, 500, d["epochs"], key=k + "epochs",
                                    help="Passes over the training music.")
    v["steps_per_epoch"] = c[1].number_input("Batches per epoch", 0, 10_000, d["steps_per_epoch"],
                                             key=k + "steps", help="0 = the whole dataset once per epoch.")
    v["batch_size"] = c[2].select_slider("Batch size", [8, 16, 32, 64, 128], d["batch_size"], key=k + "batch",
                                         help="Windows learnt from at once; bigger is smoother but uses more memory.")
    v["learning_rate"] = c[3].select_slider("Learning rate", [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2],
                                            d["learning_rate"], key=k + "lr", format_func=lambda x: f"{x:g}",
                                            help="Step size of the optimiser (Adam); too high and the loss jumps.")
    c = st.columns(4)
    v["window"] = c[0].select_slider("Window (tokens)", [32, 64, 128, 256, 512, 1024], d["window"], key=k + "window",
                                     help="How much music the model reads at once while training.")
    v["stride"] = max(1, v["window"] // 2)
    v["max_files"] = c[1].number_input("Files to use", 0, 100_000, d["max_files"], key=k + "files",
                                       help="Only the first N pieces (0 = all): fewer trains faster.")
    v["embedding_dim"] = d["embedding_dim"] if base else c[2].select_slider("Embedding size", [8, 16, 32, 64, 128], d["embedding_dim"],
                                            key=k + "emb", help="Numbers the model uses to describe each token.")
    v["dropout"] = c[3].slider("Dropout", 0.0, 0.5, float(d["dropout"]), 0.05, key=k + "dropout",
                               help="Randomly silences units while training, against memorising.")
    c = st.columns(4)
    if base is not None:
        pass  # the base run's model
    elif kind == "wavenet":
        v["residual_channels"] = c[0].select_slider("Channels", [8, 16, 32, 64, 128], d["residual_channels"],
                                                    key=k + "res", help="Width of each convolution layer.")
        v["skip_channels"] = 2 * v["residual_channels"]
        v["dilation_depth"] = c[1].slider("Dilation depth", 1, 10, d["dilation_depth"], key=k + "depth",
                                          help="Layers per stack; dilations 1, 2, 4 … double how far back it sees.")
        v["stacks"] = c[2].slider("Stacks", 1, 4, d["stacks"], key=k + "stacks", help="Repeats of the dilation cycle.")
    elif kind == "lstm":
        v["lstm_units"] = c[0].select_slider("LSTM units", [16, 32, 64, 128, 256], d["lstm_units"], key=k + "units",
                                             help="Size of the memory carried from note to note.")
        v["lstm_layers"] = c[1].slider("LSTM layers", 1, 3, d["lstm_layers"], key=k + "layers",
                                       help="Recurrent layers stacked on each other.")
        v["lstm_dense"] = c[2].select_slider("Dense units", [32, 64, 128, 256], d["lstm_dense"], key=k + "dense",
                                             help="The layer between the LSTM and the prediction.")
    else:
        v["simple_filters"] = c[0].select_slider("Filters", [8, 16, 32, 64, 128], d["simple_filters"],
                                                 key=k + "filters", help="Width of each convolution.")
        v["simple_blocks"] = c[1].slider("Blocks", 1, 6, d["simple_blocks"], key=k + "blocks",
                                         help="Convolutions with dilations 1, 2, 4 …")
        v["simple_dense"] = c[2].select_slider("Dense units", [32, 64, 128, 256], d["simple_dense"],
                                               key=k + "sdense", help="The layer before the prediction.")
    scheme = base.config.tokenizer.scheme if base else c[3].selectbox(
        "Tokens", list(studio.SCHEMES), key=k + "scheme", format_func=studio.SCHEMES.get,
        help="How music becomes tokens. Bars, beats and parts keep the metre and who plays what; the article's "
             "scheme drops rare chords (cutoff on the Dataset page).")
    c = st.columns(4)
    seed = c[1].number_input("Seed", 0, 1_000_000, 1, key=k + "seed", help="Same seed and settings, same model.")
    patience = c[2].number_input("Early stopping", 0, 50, 3, key=k + "patience",
                                 help="Stop when validation loss has not improved for this many epochs, and keep "
                                      "the best epoch (0 = off).")
    transpose = c[3].selectbox(
        "Transpose up to", list(range(13)), key=k + "transpose",
        format_func=lambda n: f"± {n} semitones" if n else "off",
        help="Each passage is also learnt moved up or down by up to this many semitones, in a new key every "
             "epoch. Off by default: in our measurements it raised the validation loss and blurred the "
             "harmony, even on ten pieces.")

config = studio.build_config((data["name"] or "upload") if data else "bach", kind, v, scheme=scheme,
                             min_count=int(st.session_state.get("ds-cutoff", 50)), seed=int(seed),
                             early_stopping=int(patience), transpose=int(transpose), base=base)
st.caption(studio.context_text(config, appui.tokens_per_bar(data, config.tokenizer)))
running_here = sum(1 for j in jobs.list_jobs() if j.state == "running")
if running_here >= lim.max_concurrent_trainings and not busy:
    st.caption(f"The server is busy ({running_here} training running): yours will wait in the queue.")
if st.button(":material/play_arrow: Start training", type="primary", disabled=busy, key="tr-start",
             help="Stop the current training first." if busy else None):
    try:
        pieces = studio.first_files(data["result"], v["max_files"]) if data else None
        label = data["label"] if data else "bach"
        new = jobs.submit(config, studio.new_run_path(label, kind, appui.visitor()), pieces=pieces,
                          owner=appui.owner() or "")
        st.session_state[appui.JOB] = new
        st.query_params["job"] = new
        st.rerun()
    except MusegenError as e:
        st.error(str(e))

others = [j for j in jobs.list_jobs() if j.active and j.id != job_id]
if others:
    st.subheader("Other trainings on this server")
    for other in others:
        cols = st.columns([3, 2, 1])
        where = f"place {other.place} in the queue" if other.state == "queued" else other.message
        mine = appui.owner() is None or other.owner == appui.owner()
        cols[0].markdown(f"**{other.name if mine else 'Another visitor’s training'}** — {other.state}")
        cols[1].caption(where)
        if mine and cols[2].button("Watch", key=f"tr-watch-{other.id}", disabled=busy):
            st.session_state[appui.JOB] = other.id
            st.query_params["job"] = other.id
            st.rerun()


# ---------------------------------------------------------------- the run library


def share_panel(run) -> None:
    """On a shared server: a link that lets anyone use this run (never change it), and its undo."""
    if appui.visitor() is None:
        return
    token = visitors.share_token(run.path)
    if token is None:
        if st.button(":material/share: Share", key=f"lib-share-{run.name}",
                     help="Makes a link: whoever opens it can generate with this run, not change it."):
            visitors.share(run.path)
            st.rerun()
        return
    base = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]
    st.caption("Share link: whoever opens it can generate with this run, not change it.")
    st.code(f"{base}/?shared={token}", language=None)  # st.code has a copy button
    if st.button(":material/link_off: Stop sharing", key=f"lib-unshare-{run.name}"):
        visitors.unshare(run.path)
        st.rerun()


st.header("Run library")
with st.expander(":material/upload: Import a run (.zip downloaded from musegen)"):
    bundle = st.file_uploader("Run bundle", type=["zip"], key="lib-import",
                              max_upload_size=appui.limits().max_upload_mb or None,
                              help="A run's Bundle (.zip) from this or another musegen. Checked against its own "
                                   "manifest; nothing in it is ever run as code.")
    if bundle is not None and st.session_state.get("lib-imported") != (bundle.name, bundle.size):
        try:
            folder = appui.visitor().folder(studio.runs_dir()) if appui.visitor() else studio.runs_dir()
            imported = import_run(bundle.getvalue(), folder)
            st.session_state["lib-imported"] = (bundle.name, bundle.size)
            st.success(f"Imported as **{imported.name}**: it is in the list below and on Generate.")
        except MusegenError as e:
            st.error(str(e))
entries = appui.library()
if not entries:
    st.info("No runs yet. Finished trainings appear here.")
for entry in entries:
    run, s = entry.run, entry.run.summary
    with st.expander(entry.label):
        cols = st.columns(5)
        cols[0].metric("Parameters", f"{s.get('params', 0):,}")
        cols[1].metric("Epochs", s.get("epochs", "?"))
        cols[2].metric("Best val loss", f"{s['val_loss']:.3f}" if s.get("val_loss") is not None else "—")
        cols[3].metric("Val accuracy", f"{s['val_accuracy']:.1%}" if s.get("val_accuracy") is not None else "—")
        cols[4].metric("Training time", jobs.format_seconds(s.get("seconds")))
        st.caption(f"Data: {run.data.get('source', '?')} · {len(run.data.get('train_files', []))} training files · "
                   f"{s.get('stop_reason') or 'ended by: ' + str(s.get('stopped', '?'))}")
        cols = st.columns([1, 2, 1, 1])
        cols[0].download_button(":material/download: Bundle (.zip)", functools.partial(zip_run, run.path), f"{run.name}.zip",
                                "application/zip", key=f"lib-zip-{run.path}", on_click="ignore")
        if not appui.may_change(entry):
            cols[1].caption("Bundled with the app: read-only." if entry.bundled else
                            "Shared with you, or the server's own: you can generate with it, not change it.")
            continue
        share_panel(run)
        new_name = cols[1].text_input("New name", run.name, key=f"lib-name-{run.name}", label_visibility="collapsed")
        if cols[2].button("Rename", key=f"lib-rename-{run.name}"):
            try:
                rename_run(run.path, new_name)
                st.rerun()
            except MusegenError as e:
                st.error(str(e))
        if cols[3].button(":material/delete: Delete", key=f"lib-delete-{run.name}"):
            st.session_state["lib-confirm"] = str(run.path)
        if st.session_state.get("lib-confirm") == str(run.path):
            st.warning(f"Delete **{run.name}** for good?")
            yes, no = st.columns(2)
            if yes.button("Yes, delete", key=f"lib-yes-{run.name}", type="primary"):
                delete_run(run.path)
                st.session_state.pop("lib-confirm", None)
                st.rerun()
            if no.button("Keep it", key=f"lib-no-{run.name}"):
                st.session_state.pop("lib-confirm", None)
                st.rerun()
