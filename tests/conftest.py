"""Shared fixtures of the pytest suites."""

import pytest


@pytest.fixture
def telegraf_lines() -> bytes:
    """Ten telegraf-style `cpu` lines with three tags and four float fields."""
    lines = [
        f"cpu,host=h{i % 3},region=r{i % 2},cpu=cpu{i % 2} "
        f"usage_user={i}.5,usage_system={i * 2}.25,usage_idle=90,usage_iowait=0.{i} "
        f"{1_700_000_000_000_000_000 + i}"
        for i in range(10)
    ]
    return ("\n".join(lines) + "\n").encode()
