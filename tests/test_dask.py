"""influxlp.dask.read_line_protocol on a small glob, with dask's local scheduler."""

from __future__ import annotations

import gzip
import pathlib

import influxlp
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")
from influxlp.dask import read_line_protocol  # noqa: E402


def lines(host: str, start: int, count: int, extra: str = "") -> bytes:
    return b"".join(
        f"cpu,host={host} usage={n}.5,count={n}i{extra} {n}\n"
        f"mem,host={host} free={n}u {n}\n".encode()
        for n in range(start, start + count)
    )


@pytest.fixture()
def files(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "a.lp").write_bytes(lines("a", 0, 300))
    (tmp_path / "b.lp.gz").write_bytes(gzip.compress(lines("b", 300, 50)))
    (tmp_path / "c.lp").write_bytes(lines("c", 350, 10))
    return tmp_path


def test_a_glob_reads_as_read_does(files: pathlib.Path):
    frame = read_line_protocol(str(files / "*.lp*"), measurement="cpu", blocksize="2KiB")
    # a.lp is split into line-aligned blocks, the gzip file is one partition.
    assert frame.npartitions > 5
    result = frame.compute(scheduler="synchronous").reset_index(drop=True)
    expected = pd.concat(
        [influxlp.read(files / name)["cpu"].to_pandas() for name in ("a.lp", "b.lp.gz", "c.lp")],
        ignore_index=True,
    )
    assert list(result.columns) == ["time", "host", "count", "usage"]
    assert str(result["count"].dtype) == "Int64"
    assert isinstance(result["host"].dtype, pd.CategoricalDtype)
    assert str(result["time"].dtype) == "datetime64[ns, UTC]"
    pd.testing.assert_frame_equal(
        result.astype({"host": "object"}),
        expected.astype({"host": "object", "count": "Int64"}),
        check_dtype=False,
    )
    assert len(read_line_protocol(files / "a.lp", measurement="mem", blocksize=None)) == 300


def test_options_reach_read_and_later_columns_are_a_clear_error(tmp_path: pathlib.Path):
    (tmp_path / "a.lp").write_bytes(b"cpu v=1 1\ncpu v=2 2\n")
    (tmp_path / "b.lp").write_bytes(b"cpu v=3 3\ncpu v=4,w=1 4\n")
    frame = read_line_protocol([tmp_path / "a.lp"], measurement="cpu", precision="s")
    assert frame.compute()["time"].iloc[1] == pd.Timestamp(2, unit="s", tz="UTC")
    frame = read_line_protocol(str(tmp_path / "*.lp"), measurement="cpu")
    with pytest.raises(
        ValueError, match=r"b.lp has columns \['w'\] that the first partition lacks"
    ):
        frame.compute(scheduler="synchronous")
    with pytest.raises(FileNotFoundError, match="no file matches"):
        read_line_protocol(str(tmp_path / "*.nothing"), measurement="cpu")
    with pytest.raises(TypeError, match="byte_range"):
        read_line_protocol(tmp_path / "a.lp", measurement="cpu", byte_range=(0, 1))
