"""Where training runs: the devices of one machine (GPUs, mixed precision) and several machines
training one model together (TF_CONFIG, tf.distribute.MultiWorkerMirroredStrategy).

``train.train`` follows the same flow everywhere; this module answers its questions about the
hardware: which strategy, which dtype policy, which folder a machine writes, how a batch is shared,
and what the machines must agree on (settings before training, when to stop during it). The chief
(worker 0) writes the run; the others write only a temporary folder of their own.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ..config import RunConfig, to_dict
from ..errors import InputError, ModelError
from ..messages import msg, plural

BACKUP = "training-backup"  # a training across machines keeps its last epoch here until it ends


# ---------------------------------------------------------------- devices and precision


@dataclasses.dataclass(frozen=True)
class Devices:
    """What trains: each machine's GPUs (names), or its CPU; `capability`: the oldest GPU's CUDA
    compute capability (which decides mixed precision)."""

    gpus: tuple[str, ...] = ()
    capability: tuple[int, int] | None = None
    workers: int = 1

    @classmethod
    def visible(cls, workers: int = 1) -> "Devices":
        import tensorflow as tf

        details = [tf.config.experimental.get_device_details(gpu) for gpu in tf.config.list_physical_devices("GPU")]
        capabilities = [tuple(d["compute_capability"]) for d in details if d.get("compute_capability")]
        return cls(tuple(d.get("device_name", "GPU") for d in details), min(capabilities, default=None),
                   max(1, workers))

    def __str__(self) -> str:
        one = f"{len(self.gpus)} GPU{'s' * (len(self.gpus) > 1)} ({', '.join(self.gpus)})" if self.gpus else "the CPU"
        return one if self.workers == 1 else f"{one} on each of {self.workers} machines"


def precision_policy(setting: str, devices: Devices) -> str:
    """The Keras dtype policy TrainConfig.precision asks for on these devices. Auto: float16 where
    GPUs have tensor cores for it (compute capability 7.0, Volta, and later), else float32."""
    if setting == "auto":
        return "mixed_float16" if devices.capability and devices.capability >= (7, 0) else "float32"
    return "mixed_float16" if setting == "mixed" else "float32"


@contextlib.contextmanager
def dtype_policy(policy: str):
    """Keras's global dtype policy for a while, then the one before: a process may train many times."""
    import keras

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def with_precision(model, policy: str):
    """The model computing under `policy`, its weights unchanged: a new or loaded model is rebuilt
    layer by layer when its layers say otherwise. The logits layer stays float32 whatever the
    policy, so the softmax and the loss see exact numbers; weights are float32 under every policy,
    which is what the NumPy engine reads."""
    import keras

    def wanted(layer) -> str:
        return "float32" if layer.name == "logits" else policy

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]  # ids stay int32
    if all(layer.dtype_policy.name == wanted(layer) for layer in layers):
        return model

    def rebuilt(layer):
        config = layer.get_config()
        config["dtype"] = wanted(layer)
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=rebuilt)  # its own policy, loss scaling's: the global one
    clone.set_weights(model.get_weights())
    return clone


# ---------------------------------------------------------------- several machines


@dataclasses.dataclass(frozen=True)
class Cluster:
    """The machines training one model together, as TF_CONFIG names them; `index` is this one's
    place among `workers`. The first, the chief, writes the run."""

    workers: tuple[str, ...] = ()
    index: int = 0

    @property
    def distributed(self) -> bool:
        return len(self.workers) > 1

    @property
    def chief(self) -> bool:
        return self.index == 0


def cluster_from_env(environ=None) -> Cluster:
    """TF_CONFIG read without TensorFlow (whose multi-worker strategy must come before any op). A
    "chief" task, when TF_CONFIG names one, is worker 0 and the "worker" tasks follow it."""
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        return Cluster()
    try:
        spec = json.loads(text)
        cluster, task = spec["cluster"], spec.get("task", {})
        chiefs, workers = list(cluster.get("chief", [])), list(cluster.get("worker", []))
        kind, index = task.get("type", "worker"), int(task.get("index", 0))
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise InputError(msg("said.tf_config_bad", error=str(e))) from None
    others = sorted(set(cluster) - {"chief", "worker"})
    if others or kind not in ("chief", "worker"):
        raise InputError(msg("said.tf_config_tasks", tasks=", ".join(others) or kind))
    names = chiefs + workers
    position = index + (len(chiefs) if kind == "worker" else 0)
    if not 0 <= position < len(names):
        raise InputError(plural("said.tf_config_index", len(names), kind=kind, index=index, n=len(names)))
    return Cluster(tuple(map(str, names)), position)


def tf_config_from_file(path) -> str:
    """TF_CONFIG for `musegen train --cluster FILE`: the file lists every machine's host:port
    ("workers", the chief first) and which of them this one is ("index", from 0)."""
    from ..files import read_regular

    try:
        spec = json.loads(read_regular(path, 1_000_000, "a cluster file"))  # not /dev/zero, not a pipe
        workers, index = [str(w) for w in spec["workers"]], int(spec["index"])
    except OSError as e:
        raise InputError(msg("said.cluster_unreadable", path=str(path), error=str(e.strerror or e))) from None
    except (ValueError, TypeError, KeyError) as e:
        raise InputError(msg("said.cluster_shape", path=str(path), error=f"{type(e).__name__}: {e}")) from None
    if not 0 <= index < len(workers):
        raise InputError(msg("said.cluster_index", path=str(path), index=index, n=len(workers), last=len(workers) - 1))
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def distribution_strategy(cluster: Cluster | None = None):
    """Several machines: mirrored across them (gradients all-reduced each step). One machine:
    mirrored over its GPUs when it has several, else its one device."""
    import tensorflow as tf

    if cluster is not None and cluster.distributed:
        return tf.distribute.MultiWorkerMirroredStrategy()  # reads TF_CONFIG
    gpus = tf.config.list_logical_devices("GPU")
    return tf.distribute.MirroredStrategy() if len(gpus) > 1 else tf.distribute.get_strategy()


@contextlib.contextmanager
def multi_worker_fit(model, strategy, cluster: Cluster):
    """Keras 3's fit under the multi-worker strategy, which it does not run as it comes
    (keras-team/keras#20585, tensorflow/tensorflow#72388), on the pinned Keras:
    - a model that knows its strategy first all-reduces a batch of (inputs, targets, weights) to
      build itself, which TensorFlow refuses: forgotten for the while, the strategy is found from
      the scope fit runs in, and the model and its metrics are built as the first step is traced;
    - each step's logs, scalars, are reduced across machines along an axis they lack: they are
      kept per machine instead, as on one machine. They only feed the progress bar: the epochs'
      losses, which early stopping and the checkpoint read, are read from the metrics' variables,
      summed across machines (the same on all, tests/test_distributed.py)."""
    if not cluster.distributed:
        yield
        return
    from keras.src.backend.tensorflow import trainer as keras_trainer

    own, across_workers = model._distribute_strategy, keras_trainer._collective_all_reduce_multi_worker
    model._distribute_strategy = None
    keras_trainer._collective_all_reduce_multi_worker = lambda strategy: False
    try:
        with strategy.scope():
            yield
    finally:
        model._distribute_strategy, keras_trainer._collective_all_reduce_multi_worker = own, across_workers


def worker_folder(out: Path, cluster: Cluster) -> Path:
    """Where a machine other than the chief writes: a temporary folder of its own, the same one
    when its command runs again (its backup is there), removed when its training ends."""
    key = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"musegen-worker{cluster.index}-{key}"


def interrupted(folder) -> bool:
    """Whether `folder` holds a training across machines that stopped before its end."""
    return (Path(folder) / BACKUP).is_dir()


def even_batch(n: int, batch: int, replicas: int) -> int:
    """The largest batch, at most `batch`, that gives every replica a share of each batch of `n`
    windows, the last one too: the models fail on an empty share. (The validation loss is a mean
    over windows, whatever the batch.)"""
    for size in range(batch, replicas - 1, -1):
        if n % size == 0 or n % size >= replicas:
            return size
    raise InputError(msg("said.val_replicas", n=n, replicas=replicas))


def sharded(dataset):
    """Each machine keeps its share of every batch (the global batch is TrainConfig.batch_size)."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def agreement(strategy, fingerprint: int, restarting: bool) -> "AllWorkers":
    """What the machines must agree on before training, checked on all at once (so all refuse
    together rather than some waiting for ever); then their agreement on when to stop."""
    agree = AllWorkers(strategy)
    if not agree.same(fingerprint):
        raise InputError(msg("said.cluster_differs"))
    if not agree.same(int(restarting)):
        raise ModelError(msg("said.cluster_backup", backup=BACKUP))
    return agree


def fingerprint(config: RunConfig, tokenizer, n_windows: int, steps: int) -> int:
    """A number that differs when two machines would train differently (settings, vocabulary,
    amount of music); the dataset's path may differ from machine to machine."""
    settings = to_dict(dataclasses.replace(config, data=dataclasses.replace(config.data, dataset="")))
    text = json.dumps([settings, tokenizer.to_json(), n_windows, steps], sort_keys=True, default=str)
    return int(hashlib.sha256(text.encode()).hexdigest()[:5], 16)  # 20 bits: its square sums exactly in float64


class AllWorkers:
    """Small agreements across the machines of a cluster, by all-reduce: every machine calls the
    same ones in the same order (as it runs the same steps), or all of them wait for ever."""

    def __init__(self, strategy):
        self.strategy, self.replicas = strategy, strategy.num_replicas_in_sync

    def sums(self, values) -> np.ndarray:
        """Each value summed over every replica of every machine (eagerly: a tf.function of it
        finds no devices to reduce to)."""
        import tensorflow as tf

        value = tf.constant(values, tf.float64)
        result = self.strategy.run(lambda: tf.distribute.get_replica_context().all_reduce("SUM", value))
        return np.asarray(self.strategy.experimental_local_results(result)[0])

    def __call__(self, *flags: bool) -> tuple[bool, ...]:
        """Each flag true when it is true on any machine: a stop must be every machine's at once."""
        return tuple(bool(s > 0) for s in self.sums([float(f) for f in flags]))

    def same(self, value: int) -> bool:
        """Whether every machine holds this value (n·Σv² = (Σv)² only then), the same answer on all."""
        total, squares = (int(s) for s in self.sums([value, value * value]))
        return self.replicas * squares == total * total
