"""A generated workspace large enough that the workspace index takes a while to build.

    from codeswitch.testing.workspace import generate_workspace
    target = generate_workspace(tmp_path / "ws", files=3000)   # -> the path of app.py

``files`` Python modules in packages of 100, each with ``defs`` small functions calling each
other across modules, plus ``app.py`` (the file a test or bench sends its request about):

    def area(w, h):
        return w
"""

from __future__ import annotations

from pathlib import Path

#: the file requests are sent about, and its text
TARGET = "app.py"
TARGET_TEXT = "def area(w, h):\n    return w\n"


def module_text(i: int, defs: int) -> str:
    """Module ``i``: ``defs`` functions, each calling one of module ``i - 1``."""
    rows = [f"from pkg{max(i - 1, 0) // 100}.mod{max(i - 1, 0)} import f{max(i - 1, 0)}_0\n\n"]
    for j in range(defs):
        rows.append(f"\ndef f{i}_{j}(items, limit={j}):\n"
                    f"    total = f{max(i - 1, 0)}_0(items[:limit], {j})\n"
                    f"    for item in items:\n"
                    f"        total += len(str(item)) * {j}\n"
                    f"    return total\n\n")
    return "".join(rows)


def generate_workspace(root: Path, files: int = 3000, defs: int = 12) -> Path:
    """Write the workspace (a ``.git`` folder marks its root); returns the path of ``app.py``."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for i in range(files):
        package = root / f"pkg{i // 100}"
        if i % 100 == 0:
            package.mkdir(exist_ok=True)
            (package / "__init__.py").write_text("", encoding="utf-8")
        (package / f"mod{i}.py").write_text(module_text(i, defs), encoding="utf-8")
    target = root / TARGET
    target.write_text(TARGET_TEXT, encoding="utf-8")
    return target
