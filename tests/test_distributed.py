"""Training across machines: TF_CONFIG and cluster files read, and two local worker processes
(loopback ports, as two hosts would be) training one run that the chief alone writes."""
import json
import os
import re
import socket
import subprocess
import sys

import pytest

from conftest import tiny_config
from musegen.config import SampleConfig
from musegen.errors import InputError
from musegen.messages import msg
from musegen.render.midi import write_midi
from musegen.runs.folder import Run
from musegen.generate.sample import Composer
from musegen.train.distribute import Cluster, cluster_from_env, even_batch, tf_config_from_file
from musegen.train.fit import train

RUN_FILES = {"config.json", "tokenizer.json", "data.json", "primers.npy", "model.keras", "weights.npz",
             "history.json", "summary.json"}


def tf_config(workers, kind="worker", index=0, **cluster):
    spec = {"cluster": {"worker": workers, **cluster}, "task": {"type": kind, "index": index}}
    return {"TF_CONFIG": json.dumps(spec)}


def test_tf_config_names_this_machine_among_the_workers():
    assert cluster_from_env({}) == Cluster() and not Cluster().distributed and Cluster().chief
    two = ["a:1", "b:2"]
    assert cluster_from_env(tf_config(two, index=1)) == Cluster(("a:1", "b:2"), 1)
    assert not cluster_from_env(tf_config(two, index=1)).chief and cluster_from_env(tf_config(two)).distributed
    # A chief task comes first; the workers follow it.
    assert cluster_from_env(tf_config(["b:2"], index=0, chief=["a:1"])) == Cluster(("a:1", "b:2"), 1)
    assert cluster_from_env(tf_config(["b:2"], kind="chief", chief=["a:1"])).chief
    for bad in ({"TF_CONFIG": "{not json"}, tf_config(two, index=2), tf_config(two, kind="ps"),
                tf_config(two, ps=["c:3"])):
        with pytest.raises(InputError, match="TF_CONFIG") as refusal:
            cluster_from_env(bad)
        assert refusal.value.message.code.startswith("said.tf_config_")


def test_a_cluster_file_becomes_tf_config(tmp_path):
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"workers": ["host1:2222", "host2:2222"], "index": 1}))
    assert cluster_from_env({"TF_CONFIG": tf_config_from_file(path)}) == Cluster(("host1:2222", "host2:2222"), 1)
    path.write_text(json.dumps({"workers": ["host1:2222"], "index": 1}))
    with pytest.raises(InputError) as refusal:
        tf_config_from_file(path)
    assert refusal.value.message == msg("said.cluster_index", path=str(path), index=1, n=1, last=0)
    path.write_text("[]")
    with pytest.raises(InputError) as refusal:
        tf_config_from_file(path)
    assert refusal.value.message.code == "said.cluster_shape"
    with pytest.raises(InputError, match="Cannot find .*missing.json: no such file or directory") as refusal:
        tf_config_from_file(tmp_path / "missing.json")
    assert refusal.value.message.code == "said.no_such_file"


def test_validation_batches_leave_no_replica_an_empty_share():
    assert even_batch(48, 16, 2) == 16  # 3 full batches
    assert even_batch(47, 16, 2) == 16  # the last one has 15: 8 and 7
    assert even_batch(33, 16, 2) == 15  # 16 would leave 1 window, for one replica of two
    with pytest.raises(InputError) as refusal:
        even_batch(1, 16, 2)
    assert refusal.value.message.code == "said.val_replicas"


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def epoch_lines(stderr: str) -> list[str]:
    return re.findall(r"^epoch \d+: .*val_loss [\d.]+", stderr, flags=re.M)


def test_two_workers_train_one_run_that_the_chief_writes(tmp_path, pieces):
    music = tmp_path / "music"
    for piece in pieces[:6]:
        write_midi(piece, music / f"{piece.name}.mid")
    config = tiny_config("wavenet")
    config.data.dataset, config.train.early_stopping = str(music), 0
    (tmp_path / "tiny.json").write_text(config.to_json())
    workers = [f"127.0.0.1:{port}" for port in free_ports(2)]
    runs = [tmp_path / "run", tmp_path / "worker-1-out"]
    temps = [tmp_path / "tmp-0", tmp_path / "tmp-1"]
    processes = []
    for index in range(2):
        (tmp_path / f"cluster-{index}.json").write_text(json.dumps({"workers": workers, "index": index}))
        temps[index].mkdir()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "musegen", "train", "--config", tmp_path / "tiny.json", "--out", runs[index],
             "--cluster", tmp_path / f"cluster-{index}.json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(temps[index])}))
    try:
        outputs = [p.communicate(timeout=150) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    for p, (_, stderr) in zip(processes, outputs):
        assert p.returncode == 0, stderr[-3000:]

    run = Run.load(runs[0])
    assert {p.name for p in runs[0].iterdir()} == RUN_FILES  # its backup gone with the training's end
    assert run.summary["workers"] == 2 and run.summary["device"] == "the CPU on each of 2 machines"
    assert run.summary["epochs"] == 2 and run.summary["stop"]["code"] == "finished"
    assert Composer(run).compose(SampleConfig(length=20, seed=1)).pieces
    # The other machine wrote nothing but its own temporary folder, and removed that.
    assert not runs[1].exists() and not any(temps[1].iterdir())
    assert "Worker 1 of 2 done: the chief" in outputs[1][1]
    # Both saw the same (all-reduced) losses, so they took the same decisions; and the same global
    # batch and steps as one machine reach the same loss, give or take a partial batch.
    chief_epochs = epoch_lines(outputs[0][1])
    assert len(chief_epochs) == 2 and chief_epochs == epoch_lines(outputs[1][1])
    alone = train(config, tmp_path / "alone")
    assert run.history["val_loss"] == pytest.approx(alone.history["val_loss"], abs=0.02)
