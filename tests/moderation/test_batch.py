"""`townhall moderate score`: JSONL in, verdicts out, bad lines named on stderr; and no network needed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from townhall.cli import main

ARTICLE = {
    "title": "Larkford council approves a six-month night bus pilot",
    "text": "The transport committee voted to run a night bus between the station, the hospital and the "
    "northern estates every forty minutes from January. The pilot costs 410,000 pounds from the parking "
    "surplus.",
}


def _line(**fields: object) -> str:
    return json.dumps({"article": ARTICLE, "parent": None, "thread": [], "author": None, **fields})


def test_score_writes_one_verdict_per_good_line_and_names_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                _line(id="a", text="A bus every forty minutes beats walking home from the hospital."),
                "{not json",
                _line(id="b", text=""),
                json.dumps({"id": "c", "text": "Hello"}),
                _line(id="d", text="You are all idiots and liars, every one of you."),
                _line(id=5, text="Buy cheap watches at https://bit.ly/xyz now!!!"),
            ]
        )
        + "\n"
    )
    banned = tmp_path / "banned.txt"
    banned.write_text("liars\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        main,
        [
            "moderate",
            "score",
            "--input",
            str(source),
            "--output",
            str(out),
            "--banned",
            str(banned),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    verdicts = {v["id"]: v for v in map(json.loads, out.read_text().splitlines())}
    assert set(verdicts) == {"a", "d", "5"}
    assert verdicts["a"]["decision"] == "publish"
    assert verdicts["d"]["decision"] == "reject"
    assert verdicts["d"]["signals"]["words"]["evidence"]["matches"][0]["word"] == "liars"
    assert verdicts["d"]["signals"]["toxicity"]["score"] > verdicts["a"]["signals"]["toxicity"]["score"]
    assert verdicts["5"]["signals"]["spam"]["score"] >= 0.5
    assert set(verdicts["a"]["signals"]) == {"toxicity", "off_topic", "spam", "words", "trust"}
    assert "line 2: not valid JSON" in result.stderr
    assert "line 3: 'text' must not be empty" in result.stderr
    assert "line 4: 'article' must be an object" in result.stderr
    assert "3 line(s) could not be scored" in result.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="network namespaces are Linux's")
def test_models_load_and_score_with_the_network_off() -> None:
    """Run the batch scorer in a network namespace with no interfaces: nothing can be fetched."""
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed for this test"
    line = _line(id="x", text="A bus every forty minutes beats walking home from the hospital.")
    command = [
        unshare,
        "--net",
        "--map-root-user",
        sys.executable,
        "-m",
        "townhall",
        "moderate",
        "score",
        "--quiet",
    ]
    done = subprocess.run(command, input=line + "\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["decision"] == "publish"
    # The namespace's only interface is its own loopback: there is no route to anything.
    interfaces = "import socket; print(' '.join(name for _i, name in socket.if_nameindex()))"
    listed = subprocess.run(
        [unshare, "--net", "--map-root-user", sys.executable, "-c", interfaces],
        capture_output=True,
        text=True,
    )
    assert listed.stdout.split() == ["lo"]
