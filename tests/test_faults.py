"""Faults: a build killed mid-write, damaged or stale index files, a read-only or full cache folder,
two builds at once. Whatever happens, planqa serves a complete index that matches its inputs, or
says in one line what is wrong and builds a new one; it never loads half an index.

Every test works on a small plan-like text and on index folders under a temporary folder; the
project's own ``.cache/index`` is never touched.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.store import IndexProblem, IndexSettings, load_index, open_index

pytestmark = pytest.mark.slow

PLAN = (Path(__file__).parent / "data" / "small_plan.txt").read_text(encoding="utf-8")  # small_index's plan
SETTINGS = IndexSettings()


# -- helpers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def plan_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    return path


def copy_index(index_dir: Path, folder: Path) -> Path:
    """A copy of an index (its link and the folder the link points at) inside ``folder``."""
    shutil.copytree(index_dir.parent, folder, symlinks=True)
    return folder / index_dir.name


def index_folders(index_dir: Path) -> list[str]:
    """The index folders and links that builds leave next to ``index_dir`` (the live one included)."""
    return sorted(p.name for p in index_dir.parent.glob(f".{index_dir.name}-*"))


PLANQA = [sys.executable, "-m", "qa"]


def start(command: list[str], env: dict | None = None) -> subprocess.Popen:
    """Start ``command`` with text pipes on stdin, stdout and stderr (the model comes from the
    project's cache, as usual)."""
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


# -- damaged and stale files -----------------------------------------------------------------
def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_a_bit(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))


def drop_last_line(path: Path) -> None:
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")


def edit_manifest(index_dir: Path, change: Callable[[dict], None]) -> None:
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (index_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def passages_a_line_short_checksum_updated(index_dir: Path) -> None:
    """Out of step with the vectors, yet matching its (rewritten) checksum: only the counts tell."""
    drop_last_line(index_dir / "passages.jsonl")
    digest = hashlib.sha256((index_dir / "passages.jsonl").read_bytes()).hexdigest()
    edit_manifest(index_dir, lambda m: m["files"].update({"passages.jsonl": digest}))


DAMAGE = {  # name: (damage done to the index folder, what the refusal says)
    "truncated FAISS file": (lambda d: truncate(d / "vectors.faiss"), "vectors.faiss does not match its checksum"),
    "bit-flipped FAISS file": (lambda d: flip_a_bit(d / "vectors.faiss"), "vectors.faiss does not match its checksum"),
    "FAISS file missing": (lambda d: (d / "vectors.faiss").unlink(), "vectors.faiss does not match its checksum"),
    "passages file a line short": (lambda d: drop_last_line(d / "passages.jsonl"),
                                   "passages.jsonl does not match its checksum"),
    "passages out of step, checksum updated": (passages_a_line_short_checksum_updated, "in the manifest"),
    "BM25 file bit-flipped": (lambda d: flip_a_bit(d / "bm25" / "vocab.index.json"), "bm25 does not match"),
    "manifest naming another model": (lambda d: edit_manifest(d, lambda m: m.update(model="intfloat/e5-large")),
                                      "stale: model is 'intfloat/e5-large'"),
    "manifest naming another corpus": (lambda d: edit_manifest(d, lambda m: m.update(corpus_sha256="0" * 64)),
                                       "stale: corpus_sha256 is '0000"),
    "manifest without checksums": (lambda d: edit_manifest(d, lambda m: m.pop("files")),
                                   "manifest.json has no files"),
    "manifest cut short": (lambda d: truncate(d / "manifest.json"), "manifest.json is unreadable"),
}


@pytest.mark.parametrize("name", DAMAGE)
def test_damaged_or_stale_index_is_refused_by_name_then_rebuilt(tmp_path, small_index, st_model, name):
    index_dir = copy_index(small_index, tmp_path / "cache")
    damage, says = DAMAGE[name]
    damage(index_dir)
    with pytest.raises(IndexProblem) as refused:
        load_index(index_dir, PLAN, SETTINGS)
    assert says in str(refused.value) and str(index_dir) in str(refused.value)
    reasons = []
    rebuilt = open_index(index_dir, PLAN, SETTINGS, on_build=reasons.append, model=st_model)
    assert reasons == [str(refused.value)]
    assert rebuilt.passages == load_index(small_index, PLAN, SETTINGS).passages
    assert index_folders(index_dir) == [index_dir.resolve().name]  # the damaged folder is gone


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_any_bit_flip_in_the_manifest_is_refused_or_harmless(tmp_path, small_index, where, bit):
    index_dir = tmp_path / "cache" / "index"
    if not index_dir.exists():
        copy_index(small_index, tmp_path / "cache")
    good = (small_index / "manifest.json").read_bytes()
    data = bytearray(good)
    data[int(where * len(data))] ^= 1 << bit
    (index_dir / "manifest.json").write_bytes(bytes(data))
    try:
        index = load_index(index_dir, PLAN, SETTINGS)
    except IndexProblem as problem:
        assert str(index_dir) in str(problem)
        return
    assert index.passages == load_index(small_index, PLAN, SETTINGS).passages  # e.g. a flip inside built_at


# -- killed builds ---------------------------------------------------------------------------
# `planqa ARGS`, made to wait at every step of its index write (creating the new folder, opening
# each file for writing, making the link, swapping it, removing the old folder): the audit hook says
# "at STEP" on stderr, then waits for a line on stdin. The test looks at the disk, then lets it go
# on or SIGKILLs it right there. Killing it is the only thing it does differently from planqa.
PAUSED_PLANQA = r"""
import sys
from qa.cli import main

marker = sys.argv[1]

def pause(event, args):
    if event not in ("os.mkdir", "open", "os.symlink", "os.rename", "shutil.rmtree"):
        return
    where = " ".join(map(str, args[:2]))
    if marker in where and (event != "open" or "w" in str(args[1] or "")):
        print("at", event, where, file=sys.stderr, flush=True)
        sys.stdin.readline()

sys.addaudithook(pause)
sys.exit(main(sys.argv[2:]))
"""


def kill_during_write(index_dir: Path, source: Path, kill_at: Callable[[int, str], bool],
                      check: Callable[[str], None]) -> list[str]:
    """Run ``planqa index --rebuild`` paused at each step of its write; ``check(step)`` at each, and
    SIGKILL it at the first step for which ``kill_at(number, step)`` holds. Returns the steps reached."""
    args = ["index", "--rebuild", "--source", str(source), "--index-dir", str(index_dir)]
    proc = start([sys.executable, "-c", PAUSED_PLANQA, f"{os.sep}.{index_dir.name}-", *args])
    steps: list[str] = []
    try:
        for line in proc.stderr:
            if not line.startswith("at "):
                continue
            steps.append(line[3:].strip())
            check(steps[-1])
            if kill_at(len(steps), steps[-1]):
                proc.kill()
                break
            proc.stdin.write("\n")
            proc.stdin.flush()
        assert proc.wait(timeout=300) == -signal.SIGKILL, f"the build ended before it was killed: {steps}"
        return steps
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


KILL_AT = random.Random(2021).randint(2, 13)  # seeded: the same step on every run, not always the first


@pytest.mark.parametrize("kill_at", [
    lambda n, step: n == KILL_AT,
    lambda n, step: step.startswith("shutil.rmtree"),  # the last: the new index in use, the old not yet removed
], ids=[f"at step {KILL_AT}", "at the old folder's removal"])
def test_a_build_killed_during_its_write_leaves_a_complete_index_in_use(tmp_path, small_index, plan_file, st_model,
                                                                       kill_at):
    index_dir = copy_index(small_index, tmp_path / "cache")
    expected = load_index(small_index, PLAN, SETTINGS).passages

    def old_or_new_complete(step: str) -> None:  # what a reader starting now gets
        assert load_index(index_dir, PLAN, SETTINGS).passages == expected, step

    steps = kill_during_write(index_dir, plan_file, kill_at, old_or_new_complete)
    old_or_new_complete("after the kill")
    reasons = []
    open_index(index_dir, PLAN, SETTINGS, on_build=reasons.append, model=st_model)
    assert reasons == [], "the index in use is complete and fresh: no rebuild"
    open_index(index_dir, PLAN, SETTINGS, rebuild=True, model=st_model)
    assert index_folders(index_dir) == [index_dir.resolve().name], f"leftovers of the build killed at {steps[-1]}"


def test_a_first_build_killed_during_its_write_is_rebuilt_at_the_next_start(tmp_path, plan_file, st_model):
    index_dir = tmp_path / "cache" / "index"
    swapped = []

    def none_or_complete(step: str) -> None:
        try:
            swapped.append(bool(load_index(index_dir, PLAN, SETTINGS).passages))
        except IndexProblem as problem:
            assert str(problem) == f"no index at {index_dir}" and not any(swapped), step

    steps = kill_during_write(index_dir, plan_file, lambda n, step: n == 5, none_or_complete)
    assert not any(swapped), f"killed before the swap, at {steps[-1]}"
    reasons = []
    index = open_index(index_dir, PLAN, SETTINGS, on_build=reasons.append, model=st_model)
    assert reasons == [f"no index at {index_dir}"] and index.passages
    assert index_folders(index_dir) == [index_dir.resolve().name]


# -- two builds at once ----------------------------------------------------------------------
def test_two_index_commands_at_once_one_rebuilds_the_other_waits(tmp_path, small_index, plan_file):
    index_dir = copy_index(small_index, tmp_path / "cache")
    flip_a_bit(index_dir / "vectors.faiss")
    command = [*PLANQA, "index", "--source", str(plan_file), "--index-dir", str(index_dir)]
    results = [finish(p) for p in [start(command), start(command)]]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    assert all(out.startswith("index ok: ") for _, out, _ in results)
    builds = [err for _, _, err in results if "building the index" in err]
    assert len(builds) == 1, "the second found the first one's index fresh"
    assert "vectors.faiss does not match its checksum" in builds[0]
    assert load_index(index_dir, PLAN, SETTINGS).passages == load_index(small_index, PLAN, SETTINGS).passages
    assert index_folders(index_dir) == [index_dir.resolve().name]


# -- a cache folder that cannot be written ---------------------------------------------------
@pytest.fixture
def read_only_folder(tmp_path):
    """An empty folder whose mode forbids writing (restored afterwards, so it can be removed)."""
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    yield folder
    folder.chmod(0o755)


def as_a_user_who_obeys_file_modes() -> list[str]:
    """A command prefix: root writes into read-only folders unless it gives up CAP_DAC_OVERRIDE."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and without setpriv root ignores a folder's mode")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.mark.parametrize("args, env, says", [
    ([], {"PLANQA_CACHE": "{ro}"}, "cannot write the index under {ro}: Permission denied"),
    (["--index-dir", "{ro}/index"], {}, "cannot write the index under {ro}: Permission denied"),
], ids=["read-only cache folder", "read-only index folder"])
def test_a_read_only_folder_is_named_in_a_one_line_error(read_only_folder, plan_file, args, env, says):
    ro = str(read_only_folder)
    command = [*as_a_user_who_obeys_file_modes(), *PLANQA, "index", "--source", str(plan_file),
               *[a.format(ro=ro) for a in args]]
    code, _, err = finish(start(command, {k: v.format(ro=ro) for k, v in env.items()}))
    assert code == 2 and err.startswith(f"planqa: error: {says.format(ro=ro)}") and err.count("\n") == 1, err
    assert list(read_only_folder.iterdir()) == []


@contextmanager
def files_limited_to(size: int):
    """Writes past ``size`` bytes of a file fail (EFBIG), as on a full disk, for this process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


def test_a_full_disk_during_a_build_is_a_clear_error_and_the_old_index_stays(tmp_path, small_index, st_model):
    index_dir = copy_index(small_index, tmp_path / "cache")
    old = index_dir.resolve().name
    room = (small_index / "passages.jsonl").stat().st_size + 100  # the passages fit, the vectors do not
    assert (small_index / "vectors.faiss").stat().st_size > room
    with pytest.raises(IndexProblem) as refused, files_limited_to(room):
        open_index(index_dir, PLAN, SETTINGS, rebuild=True, model=st_model)
    assert str(refused.value) == f"cannot write the index under {index_dir.parent}: File too large"
    assert index_dir.resolve().name == old and load_index(index_dir, PLAN, SETTINGS).passages
    assert index_folders(index_dir) == [old]  # the half-written folder was removed
