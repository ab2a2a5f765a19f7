"""The team's overlay turns every way a read can fail into a refusal for that one call."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from codeswitch.edits import EditRejected
from codeswitch.team import Overlay
from codeswitch.team import overlay as overlay_module


def test_an_unreadable_file_is_a_refused_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked.py").write_text("x = 1\n")

    def denied(path: object, limit: int | None = None) -> bytes:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(overlay_module, "read_regular", denied)  # as root, chmod 000 would not stop a read
    with pytest.raises(EditRejected) as err:
        Overlay([tmp_path]).read("locked.py")
    assert err.value.kind == "unreadable" and "cannot read locked.py: Permission denied" in err.value.message


def test_reads_and_edits_of_bad_names_are_refused_with_their_verb(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "f.py").write_text("x = 1\n")
    overlay = Overlay([tmp_path], can_create=True)
    cases = [(lambda: overlay.read("a\0b"), "bad_path", "refusing to read"),
             (lambda: overlay.read("d"), "unreadable", "it is a directory"),
             (lambda: overlay.read("nope.py"), "not_found", "no such file"),
             (lambda: overlay.replace("t", "f\0.py", "x", "y"), "bad_path", "refusing to edit"),
             (lambda: overlay.create("t", "d/", "x"), "bad_path", "folder separator"),
             (lambda: overlay.create("t", "z" * 256 + ".py", "x"), "bad_path", "longer than 255")]
    for call, kind, says in cases:
        with pytest.raises(EditRejected) as err:
            call()
        assert err.value.kind == kind and says in err.value.message, err.value.message
    assert overlay.changes() == [] and overlay.refusals  # nothing created; the edits were recorded as refused
