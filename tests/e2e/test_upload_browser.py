"""The CSV upload in a real Chromium (issue 18): the limit is stated before the upload, and a
file over it is explained where the student looks, in place of the previous file's error.

The browser refuses a file over the limit itself, so the server never reruns for it: what the
student sees of it is the browser's own chip, which static/upload.css makes readable.
"""
from __future__ import annotations

from playwright.sync_api import expect
from streamlit_browser import wait_until_quiet
from test_pages_browser import assert_no_exception, open_app

from ui.runtime import budget

LIMIT = budget.size_text(budget.UPLOAD_BYTES)


def upload(page, name: str, data: bytes) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])


def test_a_too_large_file_says_why_in_place_of_the_old_error(page):
    open_app(page, "/?preset=csv")
    sidebar = page.locator('[data-testid="stSidebar"]')
    uploader = sidebar.locator('[data-testid="stFileUploader"]')
    expect(uploader.locator('[data-testid="stWidgetLabel"]')).to_contain_text(f"at most {LIMIT}")

    upload(page, "bad.csv", b"a,b\nx,y\n")
    old_error = sidebar.locator(".st-key-csv_error")
    expect(old_error).to_contain_text("expected a number")
    wait_until_quiet(page)

    upload(page, "big.csv", b"1,2\n" * (2 * budget.MB // 4))   # 2 MB
    refused = uploader.locator('[data-testid="stFileChip"][aria-invalid="true"]')
    expect(refused).to_contain_text("big.csv")
    reason = refused.locator('[role="alert"]')
    expect(reason).to_contain_text("1.0MB or smaller")
    # Visible, not a 1-pixel screen-reader box: wide and tall enough to read, inside the sidebar
    box, bar = reason.bounding_box(), sidebar.bounding_box()
    assert box["width"] > 100 and box["height"] >= 12, box
    assert bar["x"] <= box["x"] and box["x"] + box["width"] <= bar["x"] + bar["width"], (box, bar)
    expect(old_error).to_be_hidden()
    assert_no_exception(page)
