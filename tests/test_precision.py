"""Devices, mixed precision and XLA: the policy chosen per device, float32 logits whatever the
policy, a mixed-precision run that saves, reloads and generates on NumPy, and XLA-compiled steps
for every model (on the CPU here: mixed float16 and XLA both run there, slowly)."""
import numpy as np
import pytest

from conftest import Loaded, tiny_config, tiny_model
from musegen.models.engine import forced_logits
from musegen.models.build import build_model
from musegen.runs.folder import Run
from musegen.generate.sample import load_engine
from musegen.train.distribute import Devices, dtype_policy, precision_policy, with_precision
from musegen.train.fit import train


def test_auto_precision_is_mixed_only_on_gpus_with_tensor_cores():
    cpu, volta, pascal = Devices(), Devices(("Tesla V100",), (7, 0)), Devices(("GTX 1080",), (6, 1))
    assert [precision_policy("auto", d) for d in (cpu, volta, pascal)] == ["float32", "mixed_float16", "float32"]
    assert precision_policy("mixed", cpu) == "mixed_float16" and precision_policy("float32", volta) == "float32"
    assert str(cpu) == "the CPU" and str(volta) == "1 GPU (Tesla V100)"
    assert str(Devices(("A", "B"), (8, 0), workers=2)) == "2 GPUs (A, B) on each of 2 machines"


def test_the_logits_stay_float32_and_the_weights_stay_the_same():
    import keras

    model = build_model(tiny_model("simple-wavenet"), 20, 32)
    with dtype_policy("mixed_float16"):
        mixed = with_precision(model, "mixed_float16")
    assert keras.config.dtype_policy().name == "float32"  # the global policy is back
    policies = {layer.name: layer.dtype_policy.name for layer in mixed.layers}
    assert policies.pop("logits") == "float32" and set(policies.values()) - {"float32"} == {"mixed_float16"}
    assert mixed.inputs[0].dtype == "int32" and mixed.dtype_policy.name == "mixed_float16"  # ids; loss scaling
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), mixed.get_weights()))
    back = with_precision(mixed, "float32")
    assert {layer.dtype_policy.name for layer in back.layers} == {"float32"}
    assert with_precision(back, "float32") is back  # nothing to change: the same model


@pytest.mark.parametrize("kind", ["wavenet", "simple-wavenet", "lstm"])
def test_a_mixed_precision_xla_run_saves_reloads_and_generates_on_numpy(tmp_path, pieces, kind):
    import keras

    config = tiny_config(kind)
    config.train.epochs, config.train.steps_per_epoch = 1, 2
    config.train.precision, config.train.jit_compile = "mixed", "on"
    events = []
    run = train(config, tmp_path / kind, pieces=Loaded(pieces[:4]), progress=events.append)
    assert keras.config.dtype_policy().name == "float32"  # the next training in this process is float32 again
    s = run.summary
    assert s["precision"] == "mixed_float16" and s["jit_compile"] is True and s["device"] == "the CPU"
    status = [e for e in events if e["event"] == "status" and "device" in e]
    assert status and status[0]["precision"] == "mixed_float16" and status[0]["jit_compile"] is True

    model = Run.load(run.path).load_model()
    assert model.get_layer("logits").dtype_policy.name == "float32"
    ids = run.primers()[:1, :24]
    keras_logits = np.asarray(model(ids, training=False))
    assert keras_logits.dtype == np.float32
    numpy_logits = forced_logits(load_engine(run), ids)
    # The same weights (float32 in weights.npz): float32 arithmetic agrees closely, and Keras's
    # float16 arithmetic within float16's precision.
    exact = np.asarray(with_precision(model, "float32")(ids, training=False))
    assert np.allclose(numpy_logits, exact, atol=1e-4)
    assert np.allclose(numpy_logits, keras_logits, atol=0.05, rtol=0.02)
