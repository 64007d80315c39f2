"""The site in a real browser: Debian's chromium, headless, driven by Playwright (no browser download). Opened from
file:// with no network: sort, filter, a chart point's click, the trace viewer's samples, filters and code view.
Every page must log no console error and request nothing but file:// URLs. Screenshots go to the test's tmp_path.

Without chromium these tests skip, or fail where HARNESS_REQUIRE_BROWSER=1 (CI)."""

import os
import shutil
import tempfile

import pytest

from tests.report.conftest import HOSTILE

pytestmark = pytest.mark.browser
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(why: str):
    msg = f"{why}; the site's browser tests need it"
    if os.environ.get("HARNESS_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{msg} (HARNESS_REQUIRE_BROWSER=1)")
    pytest.skip(msg)


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        _missing("chromium is missing: as root, apt-get install chromium (setup.sh does where it can)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is missing: pip install -e '.[test]'")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=chromium, args=ARGS, headless=True, viewport={"width": 1280, "height": 900}
        )
        yield ctx
        ctx.close()


@pytest.fixture()
def page(browser, tmp_path):
    """A fresh tab that records console errors, page errors and every request; checked when the test ends."""
    page = browser.new_page()
    seen = {"errors": [], "requests": []}
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("request", lambda r: seen["requests"].append(r.url))
    yield page
    page.screenshot(path=tmp_path / "last.png", full_page=True)
    page.close()
    assert seen["errors"] == [], seen["errors"]
    assert seen["requests"] and all(u.startswith("file://") for u in seen["requests"]), seen["requests"]


def _column(page, i: int) -> list[str]:
    return page.eval_on_selector_all(f"#board tbody tr td:nth-child({i})", "tds => tds.map(td => td.dataset.v)")


def test_overview_sorts_filters_and_a_chart_point_opens_its_samples(page, site, tmp_path):
    page.goto(site.as_uri())
    heads = page.eval_on_selector_all("#board thead th", "ths => ths.map(th => th.textContent)")
    col, n = heads.index("gsm8k") + 1, heads.index("n") + 1
    page.click(f"#board thead th:nth-child({col})")
    values = _column(page, col)
    assert values[2:] == ["", ""] and values[:2] == sorted(values[:2], key=float)  # runs without gsm8k go last
    page.click(f"#board thead th:nth-child({n})")
    assert [int(v) for v in _column(page, n)] == [1, 3, 3, 8]
    page.click(f"#board thead th:nth-child({n})")
    assert [int(v) for v in _column(page, n)] == [8, 3, 3, 1]
    page.fill("#filter", "published")
    assert page.locator("#board tbody tr:visible").count() == 1 and page.inner_text("#shown") == "1 of 4 rows"
    page.fill("#filter", "")
    page.screenshot(path=tmp_path / "overview.png", full_page=True)
    # the first point of the first series drawn (the task the chart opens on): click it where Plotly drew it
    page.wait_for_selector("#overview-chart .scatterlayer .point")
    page.locator("#overview-chart").scroll_into_view_if_needed()
    where = page.evaluate(
        """() => {
        const gd = document.getElementById('overview-chart');
        const t = gd.data.find(t => t.visible !== false && t.customdata);
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
        return {x: box.left + xa._offset + xa.l2p(t.x[0]), y: box.top + ya._offset + ya.l2p(t.y[0]),
                link: t.customdata[0][0]};
    }"""
    )
    page.mouse.click(where["x"], where["y"])
    page.wait_for_url("**/samples.html#*")
    assert page.url.endswith(where["link"])
    page.wait_for_selector("#list tbody tr")


def test_viewer_shows_thinking_cut_verdict_and_calls(page, site, smollm2_sweep, tmp_path):
    from harness.records import RECORDS_FILE, read_records

    cut = next(r for r in read_records(smollm2_sweep[0] / RECORDS_FILE) if r.thinking_end == "budget")
    page.goto(f"{(site.parent / 'runs' / 'demo' / 'samples.html').as_uri()}#task=gsm8k&budget={cut.budget}")
    page.wait_for_selector("#list tbody tr")
    assert page.inner_text("#status") == "3 of 3 samples of gsm8k match"
    page.click(f"#list tbody tr[data-sample='{cut.sample_id}~0']")
    column = page.locator(f"#sample .column[data-budget='{cut.budget}']")
    assert "current" in column.get_attribute("class")
    column.locator("summary", has_text="thinking").click()
    thinking = column.locator("pre.thinking")
    assert cut.thinking.strip()[:40] in thinking.inner_text() and thinking.locator(".cut").is_visible()
    verdict = "correct" if cut.correct else "wrong"
    assert column.locator(".verdict").inner_text().startswith(verdict)
    assert cut.answer.strip()[:30] in column.locator("pre.solution").inner_text()
    assert page.locator("#sample pre.question").inner_text() == cut.question
    assert column.locator("summary", has_text="calls (2)").count() == 1
    page.screenshot(path=tmp_path / "viewer.png", full_page=True)
    page.select_option("#filters select[name=verdict]", "1")  # correct only
    n = sum(bool(r.correct) for r in read_records(smollm2_sweep[0] / RECORDS_FILE) if r.budget == cut.budget)
    assert page.inner_text("#status") == f"{n} of 3 samples of gsm8k match"


def test_viewer_says_what_was_not_logged_and_filters_by_reason(page, site):
    page.goto((site.parent / "runs" / "published-7b" / "index.html").as_uri())  # budget 0: a linear axis draws it
    page.wait_for_selector("#chart-1 .scatterlayer .point", timeout=10_000)
    assert page.locator("#chart-1 .scatterlayer .point").count() == 1
    page.goto((site.parent / "runs" / "published-7b" / "samples.html").as_uri())
    page.select_option("#filters select[name=reason]", label="thinking_not_closed")
    assert page.inner_text("#status") == "1 of 3 samples of math500 match"
    page.goto((site.parent / "runs" / "smollm2-gsm8k-e1" / "samples.html").as_uri() + "#sample=0~0")
    page.wait_for_selector("#sample .column")
    assert "question not recorded" in page.inner_text("#sample")
    assert "not recorded (run with --log-samples)" in page.inner_text("#sample .column")


def test_code_sample_shows_program_tests_and_sandbox_message_as_text(page, site):
    page.goto((site.parent / "runs" / "lcb-hand-written" / "samples.html").as_uri() + "#sample=2727~0")
    wrong = page.locator("#sample .column[data-budget='64']")
    assert "runtime_error" in wrong.locator(".verdict").inner_text()
    assert "IndexError" in wrong.inner_text() and "d[99]" in wrong.locator("pre.program").inner_text()
    right = page.locator("#sample .column[data-budget='128']")
    assert right.locator("ol.tests li").all_inner_texts() == ["passed", "passed"]
    assert HOSTILE in right.locator("pre.solution").inner_text() and page.locator("#injected").count() == 0
