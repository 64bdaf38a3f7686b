"""Pins for the private APIs of other libraries the product still relies on.

Each one is used because no public API does the job (see the comment where it is imported); each
test here fails loudly, naming what changed, when an upgrade moves or reshapes it, instead of the
guard silently resolving pages or callbacks differently from Dash itself.

The Dash facts are read in a child process: building a pages app mutates Dash's global page
registry and config, which would leak into the real app other tests build in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dash
import dash._pages
import dash._utils
import dash.dash
import pytest

from dashboard import security

REPO_ROOT = Path(__file__).resolve().parents[2]

DASH_FACTS = """
import json, dash
from dash import html
from dash._pages import _path_to_page
app = dash.Dash(__name__, use_pages=True, pages_folder="")
dash.register_page("pin_plain", path="/pin-plain", layout=html.Div())
dash.register_page("pin_template", path_template="/pin-tpl/<code>", layout=html.Div())
app.layout = html.Div([dash.page_container])
app.server.test_client().get("/")  # the pages router callback is added at the first request
plain, _ = _path_to_page(app.strip_relative_path("/pin-plain"))
templ, variables = _path_to_page(app.strip_relative_path("/pin-tpl/42"))
missing, _ = _path_to_page("no/such/page")
print(json.dumps({
    "plain": plain.get("module"),
    "template": templ.get("module"),
    "variables": variables,
    "missing": missing,
    "csp": app.csp_hashes(),
    "callbacks": {key: value.get("inputs_state_indices") for key, value in app.callback_map.items()},
}))
"""


@pytest.fixture(scope="module")
def dash_facts() -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DASH_FACTS], capture_output=True, text=True, cwd=REPO_ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_guard_resolves_pages_with_the_function_dashs_router_uses(dash_facts):
    # The router in dash.dash must call the very function the guard imports.
    assert dash.dash._path_to_page is dash._pages._path_to_page is security._path_to_page, (
        "Dash's pages router no longer uses dash._pages._path_to_page: re-check SecurityGuard.area_for_page"
    )
    assert dash_facts["plain"] == "pin_plain"
    assert dash_facts["template"] == "pin_template" and dash_facts["variables"] == {"code": "42"}
    assert dash_facts["missing"] == {}


def test_pages_router_callback_has_the_ids_and_argument_the_guard_reads(dash_facts):
    routers = {
        key: indices
        for key, indices in dash_facts["callbacks"].items()
        if any(out["id"] in security.PAGES_ROUTER_IDS for out in security._split_outputs(key))
    }
    assert len(routers) == 1, f"Dash's pages router callback changed: {dash_facts['callbacks']}"
    outputs = {out["id"] for out in security._split_outputs(next(iter(routers)))}
    assert outputs == set(security.PAGES_ROUTER_IDS), "the pages router's output ids changed"
    assert isinstance(next(iter(routers.values())).get("pathname_"), int), (
        "the pages router no longer takes a pathname_ argument: re-check SecurityGuard.callback_area"
    )


def test_callback_keys_are_split_as_dashs_dispatcher_splits_them():
    assert dash.dash.split_callback_id is dash._utils.split_callback_id is security.split_callback_id
    assert security._split_outputs("graph.figure") == [{"id": "graph", "property": "figure"}]
    assert security._split_outputs("..a.children...b.data..") == [
        {"id": "a", "property": "children"},
        {"id": "b", "property": "data"},
    ]


def test_csp_hashes_cover_the_renderer_bootstrap(dash_facts):
    """Public API, but the CSP depends on its shape: one quoted sha256 source per inline script."""
    hashes = dash_facts["csp"]
    assert hashes and all(h.startswith("'sha256-") and h.endswith("'") for h in hashes)
