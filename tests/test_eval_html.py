"""`oncall-bot eval FILE --html OUT.html`: one self-contained page whose figures, per-intent scores and confusion
heat map agree with the text report and with counts made here, independently, from the evaluation's predictions."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from bot.evaluation.html_report import render_html
from bot.evaluation.labelled import Case, Report, evaluate, load_cases

from conftest import ROOT

HOLDOUT = ROOT / "eval" / "holdout.yaml"
SCRIPT = "<script>alert(1)</script> what does a pm do"
# "hello" and "hi there" are greetings, labelled pm.role on purpose: the confusion pm.role -> smalltalk.greet is 2.
# The <b> intent id and the <script> message check that everything from the labelled set is escaped.
SMALL = f"""
- {{id: a, text: "what does a pm do", intent: pm.role}}
- {{id: b, text: "recipe for lasagna", intent: fallback}}
- {{id: c, text: "hello", intent: pm.role}}
- {{id: d, text: "hi there", intent: pm.role}}
- {{id: e, text: "{SCRIPT}", intent: ops.role}}
- {{id: f, text: "how much does it cost", intent: "<b>pricing</b>"}}
"""
FIGURES = ("intent accuracy", "out-of-scope rejection", "recommendation accuracy")


class Page(HTMLParser):
    """The parts of the page the tests read: the figures, every table's rows by table id, every attribute."""

    def __init__(self, text: str):
        super().__init__()
        self.figures: dict[str, str] = {}
        self.tables: dict[str, list[list[tuple[str, dict, str]]]] = {}
        self.attributes: list[tuple[str, str, str | None]] = []
        self.tags: set[str] = set()
        self._table: str | None = None
        self._cell: list | None = None
        self._term: list | None = None
        self._dt = ""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id", "")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = [tag, attrs, ""]
        elif tag in ("dt", "dd"):
            self._term = [tag, ""]

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append((self._cell[0], self._cell[1], " ".join(self._cell[2].split())))
            self._cell = None
        elif tag in ("dt", "dd") and self._term is not None:
            text = " ".join(self._term[1].split())
            if tag == "dt":
                self._dt = text
            else:
                self.figures[self._dt] = text
            self._term = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data
        if self._term is not None:
            self._term[1] += data


def run_eval(cli, labelled, tmp_path) -> tuple[str, str, Page]:
    out = cli("eval", str(labelled), "--html", "out.html").stdout  # relative: the process runs in tmp_path
    raw = (tmp_path / "out.html").read_text(encoding="utf-8")
    return out, raw, Page(raw)


def expected_scores(report: Report) -> dict[str, tuple[str, str, str, str]]:
    """Precision, recall, F1 and support per intent, counted from the raw (case, predicted) pairs."""
    labelled = Counter(case.intent for case, _ in report.predictions)
    predicted = Counter(got for _, got in report.predictions)
    right = Counter(case.intent for case, got in report.predictions if case.intent == got)

    def share(part, whole):
        return f"{part / whole:.1%}" if whole else "—"

    scores = {}
    for intent in labelled.keys() | predicted.keys():
        precision = right[intent] / predicted[intent] if predicted[intent] else 0.0
        recall = right[intent] / labelled[intent] if labelled[intent] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[intent] = (share(right[intent], predicted[intent]), share(right[intent], labelled[intent]),
                          f"{f1:.1%}", str(labelled[intent]))
    return scores


def table_scores(page: Page) -> dict[str, tuple[str, ...]]:
    header, *rows = page.tables["scores"]
    assert [text for _, _, text in header] == ["intent", "precision", "recall", "F1", "support"]
    return {row[0][2]: tuple(text for _, _, text in row[1:]) for row in rows}


def heatmap(page: Page) -> dict[tuple[str, str], tuple[str, dict]]:
    """(expected, predicted) -> (printed count, cell attributes), read by row and column position."""
    header, *rows = page.tables["confusion"]
    columns = [text for _, _, text in header[1:]]
    cells = {}
    for row in rows:
        (_, _, expected), *values = row
        assert len(values) == len(columns)
        for predicted, (_, attrs, text) in zip(columns, values, strict=True):
            cells[(expected, predicted)] = (text, attrs)
    return cells


def assert_figures_match_stdout(out: str, page: Page):
    printed = dict(re.findall(r"^(intent accuracy|out-of-scope rejection|recommendation accuracy): (.+)$", out, re.M))
    assert set(printed) == set(FIGURES)
    assert {name: page.figures[name] for name in FIGURES} == printed


def assert_self_contained(raw: str, page: Page):
    assert not re.search(r"https?://", raw, re.I)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert not [a for a in page.attributes if a[1] in ("src", "href")]
    assert "url(" not in raw and "@import" not in raw


def test_holdout_page_matches_the_text_report_and_an_independent_count(cli, tmp_path, shared_engine):
    out, raw, page = run_eval(cli, HOLDOUT, tmp_path)
    assert_figures_match_stdout(out, page)
    report = evaluate(shared_engine, load_cases(HOLDOUT))
    assert f"intent accuracy: {report.accuracy:.1%} ({report.correct}/{report.total})" in out  # same engine
    scores = table_scores(page)
    assert set(scores) >= {case.intent for case in load_cases(HOLDOUT)}  # a row per intent in the set
    assert scores == expected_scores(report)
    assert_self_contained(raw, page)


def test_confusions_are_counted_in_the_heat_map_and_the_set_is_escaped(cli, tmp_path, shared_engine):
    labelled = tmp_path / "small.yaml"
    labelled.write_text(SMALL, encoding="utf-8")
    out, raw, page = run_eval(cli, labelled, tmp_path)
    assert_figures_match_stdout(out, page)
    report = evaluate(shared_engine, load_cases(labelled))
    assert table_scores(page) == expected_scores(report)
    assert table_scores(page)["pm.role"] == ("50.0%", "33.3%", "40.0%", "3")  # 1 of 2 predicted, 1 of 3 labelled

    cells = heatmap(page)
    assert cells[("pm.role", "smalltalk.greet")][0] == "2"
    assert cells[("ops.role", "pm.role")][0] == "1"
    assert cells[("pm.role", "pm.role")][0] == "1" and "diagonal" in cells[("pm.role", "pm.role")][1]["class"]
    assert cells[("pm.role", "ops.role")][0] == ""  # no such confusion
    # only intents involved in a confusion are drawn; fallback was never confused
    axis = {expected for expected, _ in cells}
    assert axis == {"pm.role", "smalltalk.greet", "ops.role", "oncall.pricing", "<b>pricing</b>"}
    assert cells[("<b>pricing</b>", "oncall.pricing")][0] == "1"

    # escaped once: the markup is text on the page (the parser gives back the original), never a tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw and "<script" not in raw.lower()
    assert "&lt;b&gt;pricing&lt;/b&gt;" in raw and "<b>" not in raw
    errors = [[text for _, _, text in row] for row in page.tables["errors"][1:]]
    assert ["e", SCRIPT, "ops.role", "pm.role"] in errors
    assert "<b>pricing</b>" in table_scores(page)
    assert_self_contained(raw, page)


@pytest.mark.parametrize("where", ["missing/out.html", "."])
def test_an_unwritable_output_path_is_a_clear_error(cli, tmp_path, where):
    labelled = tmp_path / "small.yaml"
    labelled.write_text(SMALL, encoding="utf-8")
    result = cli("eval", str(labelled), "--html", where, check=False)
    assert result.returncode != 0
    assert result.stderr.startswith("error: cannot write the HTML report to ") and where.rstrip("/") in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "missing").exists()


def test_html_is_refused_with_stories(cli):
    result = cli("eval", "--stories", "--html", "out.html", check=False)
    assert result.returncode == 2 and "--stories" in result.stderr and "Traceback" not in result.stderr


def synthetic(pairs: list[tuple[str, str]]) -> Report:
    """A Report filled as evaluate() fills it, from (expected, predicted) pairs."""
    report = Report()
    for number, (expected, predicted) in enumerate(pairs):
        case = Case(str(number), f"message {number}", expected)
        report.total += 1
        report.expected[expected] += 1
        report.predicted[predicted] += 1
        report.predictions.append((case, predicted))
        if expected == predicted:
            report.correct += 1
            report.hits[expected] += 1
        else:
            report.confusions[(expected, predicted)] += 1
            report.errors.append((case, predicted))
    return report


def test_forty_intents_with_two_confused_draw_a_two_by_two_heat_map():
    pairs = [(f"intent.{n:02}", f"intent.{n:02}") for n in range(40) for _ in range(3)]
    pairs += [("intent.07", "intent.31")] * 4 + [("intent.31", "intent.07")]
    page = Page(render_html(synthetic(pairs), "forty.yaml"))
    assert len(table_scores(page)) == 40
    cells = heatmap(page)
    assert cells == {key: cells[key] for key in [("intent.07", "intent.07"), ("intent.07", "intent.31"),
                                                 ("intent.31", "intent.07"), ("intent.31", "intent.31")]}
    assert [cells[key][0] for key in sorted(cells)] == ["3", "4", "1", "3"]
    # shade proportional to the count, on its own scale for the diagonal and for confusions
    assert "/ 1.000)" in cells[("intent.07", "intent.31")][1]["style"]
    assert "/ 0.250)" in cells[("intent.31", "intent.07")][1]["style"]


def test_at_most_fifty_misclassified_messages_are_listed():
    page = Page(render_html(synthetic([("a", "b")] * 120), "many.yaml"))
    assert len(page.tables["errors"]) - 1 == 50
    assert heatmap(page)[("a", "b")][0] == "120"


def test_a_set_without_confusions_says_so():
    page = Page(render_html(synthetic([("a", "a"), ("b", "b")]), "clean.yaml"))
    assert "confusion" not in page.tables and "errors" not in page.tables
    assert set(table_scores(page)) == {"a", "b"}
