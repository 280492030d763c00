"""course.hubconfig: the class's config.yaml validates against the chart's schema, and every
figure in it comes from the sizing run's record."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from support import readme_block

from course import hubconfig
from course.notebooks import ROOT, find_notebooks

CHART = ROOT.parent / "shared" / "reference" / "z2jh"
needs_chart = pytest.mark.skipif(
    not (CHART / "values.schema.yaml").is_file(), reason=f"no chart reference at {CHART}"
)


def merged(defaults: dict, config: dict) -> dict:
    """What helm does with ``-f config.yaml``: the config's maps merged into the chart's."""
    out = copy.deepcopy(defaults)
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def validate(config: dict) -> None:
    schema = yaml.safe_load((CHART / "values.schema.yaml").read_text())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    jsonschema.validate(merged(defaults, config), schema)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("hub") / "config.yaml"
    assert hubconfig.main(["--class", "300", "--out", str(out), "--tag", "test"]) == 0
    return out, out.read_text()


@needs_chart
def test_the_config_for_300_validates_against_the_charts_schema(written):
    validate(yaml.safe_load(written[1]))


@needs_chart
def test_the_schema_check_can_fail(written):
    config = yaml.safe_load(written[1])
    wrong = copy.deepcopy(config)
    wrong["singleuser"]["memory"]["guarantee"] = ["1Gi"]
    with pytest.raises(jsonschema.ValidationError):
        validate(wrong)
    unknown = copy.deepcopy(config)
    unknown["singleuser"]["memroy"] = {"limit": "1Gi"}
    with pytest.raises(jsonschema.ValidationError):
        validate(unknown)


@needs_chart
def test_the_images_jupyterhub_has_the_charts_major_version():
    text = (CHART / "README.md").read_text()
    app = re.search(r"appVersion (\d+)\.(\d+)\.(\d+)", text)
    assert app, "the chart reference states its appVersion"
    assert hubconfig.IMAGE_JUPYTERHUB.split(".")[0] == app[1]


def test_the_image_brings_what_the_config_runs():
    """The postStart hook runs gitpuller: nbgitpuller is in the image's requirements."""
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    assert re.search(r"^nbgitpuller==", binder, re.M)
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_the_record_is_of_the_whole_series():
    record = hubconfig.read_record()
    assert [n["notebook"] for n in record["notebooks"]] == [p.name for p in find_notebooks()]
    assert record["server_rss"] > 0 and record["disk"]["home"] > 0


def test_every_figure_follows_the_record(tmp_path):
    record = hubconfig.read_record()
    size = hubconfig.sizing(record)
    largest = max(n["peak_rss"] for n in record["notebooks"])
    assert size.memory_guarantee >= hubconfig.MARGIN * (record["server_rss"] + largest)
    assert size.memory_guarantee - 128 * hubconfig.MiB < hubconfig.MARGIN * (
        record["server_rss"] + largest
    )
    assert size.memory_limit > size.memory_guarantee
    heavier = copy.deepcopy(record)
    for n in heavier["notebooks"]:
        n["peak_rss"] *= 2
        n["cpu_seconds"] *= 4
    heavier["disk"]["home"] = 3 * hubconfig.GiB
    bigger = hubconfig.sizing(heavier)
    assert bigger.memory_guarantee > size.memory_guarantee
    assert bigger.memory_limit > size.memory_limit
    assert bigger.cpu_guarantee > size.cpu_guarantee
    assert bigger.storage == 5 * hubconfig.GiB
    # The file's figures are the sizing's.
    path = tmp_path / "heavier.json"
    path.write_text(json.dumps(heavier))
    out = tmp_path / "config.yaml"
    assert hubconfig.main(["--class", "40", "--record", str(path), "--out", str(out)]) == 0
    config = yaml.safe_load(out.read_text())
    user = config["singleuser"]
    assert user["memory"]["guarantee"] == hubconfig._quantity(bigger.memory_guarantee)
    assert user["memory"]["limit"] == hubconfig._quantity(bigger.memory_limit)
    assert user["cpu"] == {"guarantee": bigger.cpu_guarantee, "limit": bigger.cpu_limit}
    assert user["storage"]["capacity"] == "5Gi"
    assert config["scheduling"]["userPlaceholder"]["replicas"] == 40


def test_the_file_opens_notebook_01_and_culls(written):
    config = yaml.safe_load(written[1])
    user = config["singleuser"]
    command = user["lifecycleHooks"]["postStart"]["exec"]["command"]
    assert command[0] == "gitpuller" and command[-1] == "attention-names"
    assert user["defaultUrl"] == "/lab/tree/attention-names/notebooks/01_names.ipynb"
    assert (ROOT / "notebooks" / "01_names.ipynb").is_file()
    kernels = user["extraFiles"]["cull-idle-kernels"]
    assert kernels["mountPath"].endswith("jupyter_server_config.json")
    assert kernels["data"]["MappingKernelManager"]["cull_idle_timeout"] > 0
    assert config["cull"]["enabled"] and config["cull"]["timeout"] > 0


def test_nodes_for_the_class_against_the_run_on_one_machine(written, capsys):
    size = hubconfig.sizing(hubconfig.read_record())
    run = hubconfig.load_run()
    assert run["students"] == 30
    # Never more students on that machine than ran there, never less memory than each used.
    assert hubconfig.per_node(size, run["cores"], run["memory_gb"] * 10**9) <= run["students"]
    used = (run["peak_gib"] - run["before_gib"]) * hubconfig.GiB / run["students"]
    assert size.memory_guarantee >= used
    count = hubconfig.nodes(300, size)
    per = hubconfig.per_node(size, hubconfig.NODE_CORES, hubconfig.NODE_MEMORY_GIB * hubconfig.GiB)
    assert (count - 1) * per < 300 <= count * per
    assert f"300 students at once: {count} nodes of" in written[1]
    tiny = hubconfig.Sizing(int(used / 2), int(used), 0.05, 1.0, hubconfig.GiB)
    with pytest.raises(ValueError, match="below"):
        hubconfig.check_against_run(tiny, run)


def test_bad_input_says_what_and_where(tmp_path, capsys):
    out = tmp_path / "config.yaml"
    with pytest.raises(SystemExit):
        hubconfig.main(["--class", "0", "--out", str(out)])
    assert "at least one student" in capsys.readouterr().err
    missing = tmp_path / "none.json"
    with pytest.raises(SystemExit):
        hubconfig.main(["--class", "5", "--record", str(missing), "--out", str(out)])
    assert "make hub-sizing" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"notebooks": [')
    with pytest.raises(SystemExit):
        hubconfig.main(["--class", "5", "--record", str(broken), "--out", str(out)])
    assert "broken.json: not JSON" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


def test_the_readme_shows_what_it_prints(tmp_path, capsys):
    out = tmp_path / "config.yaml"
    assert hubconfig.main(["--class", "300", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()[1:]
    assert readme_block("`make hub-config CLASS=300` writes")[1:] == printed
