"""The reports page as a supervisor sees it at 1920x1080, in a real browser, on the generated
peak day: totals that add up or say why, tables that fit, Vietnamese numbers and plain words,
capacity advice without history, and dates as dd/mm/yyyy whatever the browser's language."""
import re
import signal

import pytest

from conftest import Server
from test_browser_pages import sync_api
from test_reports import DAY, generate_peak_day

expect = sync_api.expect
PEAK = DAY.strftime("%d/%m/%Y")  # 23/11/2026, a Monday


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("reports"), "eventlet")
    generate_peak_day(server.workdir / "motcua.db")
    server.start()
    server.supervisor = server.token("supervisor")["Authorization"][7:]
    yield server
    server.kill(signal.SIGTERM)


def reports_page(browser, srv, query="", locale="vi-VN"):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale=locale)
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto(srv.url + "/reports")
    page.fill("#token", srv.supervisor)
    page.click("#login-form button[type=submit]")
    page.locator("#summary").wait_for()
    if query:
        page.goto(srv.url + "/reports?" + query)
    return page


def number(text: str) -> int:
    """A cell's count: its leading whole number; empty or a dash count as 0."""
    match = re.match(r"\d+", text.strip())
    return int(match.group()) if match else 0


def test_every_total_row_adds_up_or_says_plainly_why_not(srv, browser):
    page = reports_page(browser, srv, f"from={PEAK}&to={PEAK}&plan=30/11/2026")
    tables = page.evaluate("""() => [...document.querySelectorAll('tr.total')].map(total => {
        const table = total.closest('table'), text = td => [...td.childNodes]
            .filter(n => n.nodeName !== 'SUP').map(n => n.textContent).join('').trim();
        return {
            section: total.closest('section').id,
            sums: [...table.querySelectorAll('thead th')].map(th => th.dataset.sum !== 'no'),
            total: [...total.cells].map(td => ({shown: text(td), note: td.querySelector('sup a')?.getAttribute('href')})),
            rows: [...table.querySelectorAll('tbody tr:not(.total):not(.actual)')].map(tr => [...tr.cells].map(text)),
        };
    })""")
    assert [t["section"] for t in tables] == ["table-summary", "capacity"]
    checked, explained = 0, []
    for table in tables:
        for col, cell in enumerate(table["total"][1:], start=1):
            if not cell["shown"]:
                continue
            if not table["sums"][col]:   # an average or a rate: the table's note says it is not a sum
                expect(page.locator(f"#{table['section']} .note")).to_contain_text("không phải là tổng")
                continue
            column = sum(number(row[col]) for row in table["rows"])
            checked += 1
            if number(cell["shown"]) != column:
                assert cell["note"], f"{table['section']} column {col}: {cell['shown']} != {column}, unexplained"
                expect(page.locator(cell["note"])).to_contain_text(f"Cộng cột là {column} vì")
                explained.append(cell["note"])
    # On this day both differ: counters serving two fields, fields busiest at different hours.
    assert checked >= 15 and explained == ["#note-open", "#note-peak"]
    page.context.close()


def test_tables_fit_1920_px_in_vietnamese_numbers_and_plain_words(srv, browser):
    page = reports_page(browser, srv, f"from={PEAK}&to={PEAK}&plan=30/11/2026")
    cut = page.evaluate("""() => [...document.querySelectorAll('.scroll')]
        .filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.parentElement.id)""")
    assert cut == [] and page.evaluate("document.documentElement.scrollWidth") <= 1920
    text = page.evaluate("document.querySelector('main').textContent")   # tables, charts (SVG) and notes
    assert re.findall(r"\d\.\d", text) == []
    assert re.search(r"\d,\d", text)
    for jargon in ("P90", "Erlang", "M/M/c", "docs/", "TB ("):
        assert jargon not in text, jargon
    expect(page.locator("#summary")).to_contain_text("9 trong 10 người chờ không quá (phút)")
    page.click("text=Cách đọc báo cáo")
    expect(page.locator("#times")).to_contain_text("9 trong 10 người chờ ít hơn hoặc bằng con số này")
    expect(page.locator("#capacity")).to_contain_text("chưa đủ dữ liệu")
    page.context.close()


def test_capacity_advice_without_history_says_there_is_not_enough_data(srv, browser):
    page = reports_page(browser, srv, f"from={PEAK}&to={PEAK}&plan={PEAK}")  # nothing before the peak day
    shortage = page.locator("#capacity-shortage")
    expect(shortage).to_contain_text(f"Chưa đủ dữ liệu để đề xuất số quầy cho ngày {PEAK}.")
    expect(shortage).to_contain_text(f"cùng thứ trong 4 tuần trước ngày {PEAK}")
    assert page.locator("#capacity table").count() == 0
    # The day after the peak has one ticket, never served: no service time to model with.
    page.goto(srv.url + f"/reports?from={PEAK}&to={PEAK}&plan=01/12/2026")
    expect(shortage).to_contain_text("24/11/2026")
    expect(shortage).to_contain_text("chưa có số nào được phục vụ xong")
    page.context.close()


def test_dates_read_dd_mm_yyyy_in_an_en_us_browser(srv, browser):
    page = reports_page(browser, srv, f"from={PEAK}&to={PEAK}", locale="en-US")
    start = page.locator('form.period input[name="from"]').first
    assert start.get_attribute("type") == "text"
    expect(start).to_have_value(PEAK)
    start.fill("24/11/2026")
    page.locator('form.period input[name="to"]').first.fill("24/11/2026")
    page.click("text=Xem báo cáo")
    expect(page.locator("#summary div").first).to_contain_text("1")
    expect(page.locator('form.period input[name="from"]').first).to_have_value("24/11/2026")
    expect(page.locator('#capacity input[name="plan"]')).to_have_value(re.compile(r"^\d\d/\d\d/\d{4}$"))
    page.context.close()
