"""`musegen import`: a run bundle .zip (as the app's download makes it) unpacked into a new run
folder, checked first."""
from __future__ import annotations

from pathlib import Path

from .arguments import add_command, check_writable
from .terminal import say


def cmd_import(args) -> dict:
    from ..config import AppLimits
    from ..runs.bundle import import_run
    from ..runs.folder import Run

    runs = Path(args.runs)
    check_writable(runs, folder=runs)
    # Into a visitor's folder (runs/visitors/<key>), the app's caps apply as they do to the app's import.
    path = import_run(Path(args.bundle), runs, name=args.name, limits=AppLimits.from_env())
    run = Run.load(path)
    s = run.summary
    if not args.json:
        val_loss = f", best val_loss {s['val_loss']:.3f}" if isinstance(s.get("val_loss"), (int, float)) else ""
        params = f", {s['params']:,} parameters" if isinstance(s.get("params"), int) else ""
        say(f"Imported {Path(args.bundle).name} as {path}: {run.config.model.kind}{params}{val_loss}")
        say(f"Generate with: musegen generate {path}")
    return {"run": str(path), "name": path.name, "model": run.config.model.kind, "params": s.get("params"),
            "val_loss": s.get("val_loss")}


def add_import(sub) -> None:
    im = add_command(sub, "import", "unpack a run bundle .zip (the app's download) into a new run folder, checked first: "
                     "sizes, file names, its manifest's SHA-256 of each file, settings and weights", cmd_import)
    im.add_argument("bundle", metavar="BUNDLE.zip", help="the run bundle to import")
    im.add_argument("--runs", default="runs", help="folder the run goes into (default runs)")
    im.add_argument("--name", help="name of the new run folder (default: the bundle's; -2, -3… if taken)")
