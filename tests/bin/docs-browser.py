"""The built docs site opened in headless Chromium with no way out.

Serves SITE on 127.0.0.1, opens every page with every request to another host refused,
and fails unless: each Mermaid diagram became an SVG (not mermaid's error picture), each
picture loaded, no page logged a console error or threw, no request left the site, and every link within
the site reaches a page that exists and, with a #fragment, an element of that id.

    python docs-browser.py SITE [SCREENSHOT_DIR]
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import shutil
import sys
import threading
import urllib.parse
from pathlib import Path

from playwright.sync_api import sync_playwright

# Pages Sphinx makes for its own machinery: the search page runs only with a query.
SKIPPED = {"search.html"}
DIAGRAM_TIMEOUT_MS = 30_000


class Ids(html.parser.HTMLParser):
    """The ids (and old-style anchor names) a page offers to #fragments."""

    def __init__(self):
        super().__init__()
        self.ids: set = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" or (tag == "a" and name == "name"):
                self.ids.add(value)


@functools.cache
def ids_of(page: Path) -> frozenset:
    parser = Ids()
    parser.feed(page.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def serve(root: Path) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def broken_link(root: Path, origin: str, href: str) -> str | None:
    """Why a link within the site does not resolve, or None."""
    parts = urllib.parse.urlsplit(href)
    if parts.scheme not in ("http", "https") or "%s://%s" % (parts.scheme, parts.netloc) != origin:
        return None
    target = root / urllib.parse.unquote(parts.path).lstrip("/")
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return "no page %s" % parts.path
    if parts.fragment and target.suffix == ".html" and urllib.parse.unquote(parts.fragment) not in ids_of(target):
        return "no #%s in %s" % (parts.fragment, parts.path)
    return None


def check_page(page, root: Path, origin: str, path: Path, problems: list, counts: dict) -> None:
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = path.relative_to(root).as_posix()
    page.goto("%s/%s" % (origin, name), wait_until="load")
    diagrams = page.locator(".mermaid").count()
    if diagrams:
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.mermaid')].every(d => d.querySelector('svg'))",
                timeout=DIAGRAM_TIMEOUT_MS,
            )
        except Exception:  # playwright's TimeoutError: reported as a problem of this page
            problems.append("%s: %d diagram(s), not all rendered to SVG within %d s" % (name, diagrams, DIAGRAM_TIMEOUT_MS // 1000))
        failed = page.locator(".mermaid svg[aria-roledescription='error']").count()
        if failed:
            problems.append("%s: %d diagram(s) rendered as mermaid's syntax error" % (name, failed))
        counts["diagrams"] += page.locator(".mermaid svg").count() - failed
    page.wait_for_load_state("networkidle")
    for source in page.eval_on_selector_all("img", "images => images.filter(i => !i.complete || !i.naturalWidth).map(i => i.src)"):
        problems.append("%s: picture %s does not load" % (name, source))
    counts["pictures"] += page.locator("img").count()
    problems.extend("%s: console error: %s" % (name, text) for text in errors)
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
        counts["links"] += 1
        reason = broken_link(root, origin, href)
        if reason:
            counts["broken"] += 1
            problems.append("%s: link %s: %s" % (name, href, reason))
    counts["pages"] += 1


def main(site: str, screenshots: str | None = None) -> int:
    root = Path(site).resolve()
    server = serve(root)
    origin = "http://127.0.0.1:%d" % server.server_address[1]
    problems: list = []
    left_the_site: list = []
    counts = {"pages": 0, "diagrams": 0, "pictures": 0, "links": 0, "broken": 0}

    def guard(route):
        url = route.request.url
        if url.startswith(origin + "/") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            left_the_site.append(url)
            route.abort("blockedbyclient")

    with sync_playwright() as playwright:
        # Chromium itself resolves no other host either: a request the route missed still fails.
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        context = browser.new_context(service_workers="block")
        context.route("**/*", guard)
        for path in sorted(root.rglob("*.html")):
            if path.name in SKIPPED or "_static" in path.parts or "_sources" in path.parts:
                continue
            page = context.new_page()
            check_page(page, root, origin, path, problems, counts)
            if screenshots and path.relative_to(root).as_posix() == "docs/ha.html":
                Path(screenshots).mkdir(parents=True, exist_ok=True)
                page.locator(".mermaid").first.scroll_into_view_if_needed()
                page.screenshot(path=str(Path(screenshots) / "ha.png"))
            page.close()
        browser.close()
    server.shutdown()
    problems.extend("request left the site: %s" % url for url in sorted(set(left_the_site)))
    print(
        "docs in Chromium: %d pages, %d diagrams rendered as SVG, %d pictures, %d links of which %d within the site do not resolve, "
        "%d requests outside the site" % (counts["pages"], counts["diagrams"], counts["pictures"], counts["links"], counts["broken"], len(left_the_site))
    )
    for problem in problems:
        print("  " + problem, file=sys.stderr)
    return 1 if problems or not counts["diagrams"] else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
