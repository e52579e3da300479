"""Write docs/api.md, the Python API's reference, from the docstrings of ``gancurve.api`` itself.

python docs/gen_api.py          # rewrite docs/api.md
python docs/gen_api.py --check  # exit 1 if docs/api.md is out of date (the tests do this)

The reference is the public names of ``import gancurve as gc`` (``gancurve.__all__``): each
function's signature and docstring, each class's docstring and its public methods and properties.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import gancurve

TARGET = Path(__file__).parent / "api.md"

HEADER = """# Python API

```python
import gancurve as gc

run = gc.train(steps=10_000, recipe="best", seed=3)
run.sample(5)  # ndarray (5, 15); label=, a= for conditional runs
q = run.evaluate()  # exact metrics and the verdict
run.metrics  # the metrics log, a pandas DataFrame
run.plot()  # the summary figure, a matplotlib Figure
run.export("g.pt2")  # as gancurve export model
run = gc.train(steps=20_000, resume=run)  # continue (bit-exact, as --resume)

study = gc.sweep(seeds=range(1, 101), recipe=["tutorial", "best"])  # list values make a grid
study.summary  # one row per recipe (per seed for a sweep), a DataFrame
study.plot()
study.compare("tutorial", "best")
gc.load("lesson"), gc.load("runs/x/seed-007"), gc.runs()
```

The tables need pandas: `pip install 'gancurve[notebook]'` (the command line never loads it).
Bad arguments raise `gc.UsageError` with the command line's sentence (the option named as Python
names it: `lr_g` for `--lr-g`); failures raise `gc.GancurveError`; what training notices (a
collapsing G) comes as a `gc.GancurveWarning`. Nothing prints unless `progress=True` (by default:
when stderr is a terminal).

## The CLI and the API side by side

| command line | Python |
| --- | --- |
| `gancurve train --seed 3 --recipe best --lr-d 4e-4` | `gc.train(seed=3, recipe="best", lr_d=4e-4)` |
| `gancurve train --betas 0,0.99 --recipe mine.toml` | `gc.train(betas=(0, 0.99), recipe="mine.toml")` |
| `gancurve train --resume --name lesson --steps 20000` | `gc.train(resume="lesson", steps=20_000)` |
| `gancurve sample -n 5 --run lesson --seed 1` | `gc.load("lesson").sample(5, seed=1)` |
| `gancurve evaluate --run lesson --json` | `gc.load("lesson").evaluate()` |
| `gancurve export metrics log.csv --run lesson` | `gc.load("lesson").metrics` |
| `gancurve plot lesson` | `gc.load("lesson").plot()` |
| `gancurve export model g.onnx --run lesson` | `gc.load("lesson").export("g.onnx")` |
| `gancurve sweep --seeds 1-8 --ema 0,0.999` | `gc.sweep(seeds=range(1, 9), ema=[0, 0.999])` |
| `gancurve compare A B --metric ks` | `gc.load("A").compare("B", metric="ks")` |
| `--runs-dir DIR`, `$GANCURVE_RUNS_DIR` | `runs_dir=DIR`, `$GANCURVE_RUNS_DIR` |

The two are one path: the commands call `gancurve.api.train_run` and `sweep_run`, the figures and
the exports, so a run trained with `gc.train(seed=3, steps=2000)` and one trained with
`gancurve train --seed 3 --steps 2000` hold identical checkpoints on the CPU (tested).

## Reference
"""


def _signature(thing: Any) -> str:
    """The signature as written in the source (its annotations are strings there)."""
    signature = inspect.signature(thing)
    parts: list[str] = []
    for parameter in signature.parameters.values():
        if (
            parameter.kind is parameter.KEYWORD_ONLY
            and "*" not in parts
            and not any(part.startswith("*") for part in parts)
        ):
            parts.append("*")
        stars = "**" if parameter.kind is parameter.VAR_KEYWORD else ""
        text = stars + parameter.name
        if parameter.annotation is not parameter.empty:
            text += f": {parameter.annotation}"
        if parameter.default is not parameter.empty:
            text += f" = {parameter.default!r}"
        parts.append(text)
    returns = "" if signature.return_annotation is signature.empty else f" -> {signature.return_annotation}"
    return f"({', '.join(parts)}){returns}"


def _doc(thing: Any) -> str:
    return inspect.cleandoc(thing.__doc__ or "").strip()


def _function(name: str, function: Any) -> str:
    text = f"### `gc.{name}`\n\n```text\ngc.{name}{_signature(function)}\n```\n\n{_doc(function)}\n"
    return text + (_options() if name == "train" else "")


def _options() -> str:
    """The training options, the keyword arguments of train and sweep, from their declarations."""
    from gancurve.core.recipes import TRAINING_OPTIONS

    rows = ["", "| keyword | default | what | a grid in `sweep` |", "| --- | --- | --- | --- |"]
    for option in TRAINING_OPTIONS.values():
        default = repr(option.default)
        grid = "a list of values" if option.choice.grid else ""
        rows.append(f"| `{option.name}` | `{default}` | {option.choice.help} | {grid} |")
    return "\n".join(rows) + "\n"


def _members(cls: type) -> list[str]:
    lines = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            lines.append(f"- `.{name}` — {_doc(member).splitlines()[0]}")
        elif inspect.isfunction(member):
            first = _doc(member).replace("\n", " ")
            lines.append(f"- `.{name}{_signature(member)}` — {first}")
    return lines


def _class(name: str, cls: type) -> str:
    members = _members(cls)
    body = "\n".join(members) + "\n" if members else ""
    return f"### `gc.{name}`\n\n{_doc(cls)}\n\n{body}"


def render() -> str:
    """The whole reference as Markdown."""
    sections = []
    for name in gancurve.__all__:
        if name.startswith("_"):
            continue
        thing = getattr(gancurve, name)
        sections.append(_class(name, thing) if inspect.isclass(thing) else _function(name, thing))
    return HEADER + "\n" + "\n".join(sections)


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        if TARGET.read_text(encoding="utf-8") != text:
            sys.exit("docs/api.md is out of date: run python docs/gen_api.py")
        return
    TARGET.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
