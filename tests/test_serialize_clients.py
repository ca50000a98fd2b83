"""The README's hand-offs: ``to_line_protocol`` chunks written by influxdb-client, by
influxdb3-python and by a plain gzip HTTP POST, each into an ``influxlp.Server``, which must
then hold exactly the frame."""

from __future__ import annotations

import gzip
import urllib.request

import influxlp
import numpy as np
import pandas as pd
import pytest

TOKEN = "test-token"
ROWS = 2_500
CHUNK_ROWS = 1_000


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "host": pd.Categorical(rng.choice(["a", "b c", "d,e"], ROWS)),
            "usage": rng.normal(50, 10, ROWS),
            "cores": rng.integers(1, 64, ROWS),
            "note": rng.choice(["ok", 'say "hi"'], ROWS),
        },
        index=pd.DatetimeIndex(1_700_000_000_000_000_000 + np.arange(ROWS) * 10**9, tz="UTC"),
    )


def chunks(frame: pd.DataFrame):
    return influxlp.to_line_protocol(
        frame, measurement="cpu", tag_columns=["host"], chunk_rows=CHUNK_ROWS
    )


def assert_stored(server: influxlp.Server, frame: pd.DataFrame, db: str) -> None:
    stored = server.store.table("cpu", db=db).to_pandas()
    stored = stored.sort_values(["time"]).reset_index(drop=True)
    want = frame.reset_index(names="time").sort_values(["time"]).reset_index(drop=True)
    assert len(stored) == ROWS
    assert (stored["time"].to_numpy() == want["time"].to_numpy()).all()
    assert list(stored["host"].astype(str)) == list(want["host"].astype(str))
    assert (stored["usage"].to_numpy() == want["usage"].to_numpy()).all()
    assert (stored["cores"].to_numpy() == want["cores"].to_numpy()).all()
    assert list(stored["note"]) == list(want["note"])


def test_influxdb_client_write_api(frame):
    from influxdb_client import InfluxDBClient
    from influxdb_client.client.write_api import SYNCHRONOUS

    with influxlp.Server(flavor="v2", tokens=[TOKEN]) as server:
        server.store.create_database("telemetry")
        with InfluxDBClient(url=server.url, token=TOKEN, org="my-org") as client:
            write_api = client.write_api(write_options=SYNCHRONOUS)
            for chunk in chunks(frame):
                write_api.write(bucket="telemetry", record=chunk)
        assert_stored(server, frame, "telemetry")


def test_influxdb3_python_client(frame):
    from influxdb_client_3 import InfluxDBClient3

    with influxlp.Server(flavor="v3", tokens=[TOKEN]) as server:
        with InfluxDBClient3(host=server.url, token=TOKEN, database="telemetry") as client:
            for chunk in chunks(frame):
                client.write(record=chunk)
        assert_stored(server, frame, "telemetry")


def test_plain_gzip_http_post(frame):
    with influxlp.Server(flavor="v1") as server:
        server.store.create_database("telemetry")
        for chunk in chunks(frame):
            request = urllib.request.Request(
                f"{server.url}/write?db=telemetry&precision=ns",
                data=gzip.compress(chunk),
                headers={"Content-Encoding": "gzip"},
                method="POST",
            )
            with urllib.request.urlopen(request) as response:
                assert response.status == 204
        assert_stored(server, frame, "telemetry")
