"""The tutorials the app follows are named wherever a page cites one (issue 18): never a bare
"seed 004", always "the SimpleRNN & LSTM Colab notebook (seed 004)"; the home page lists them."""
from __future__ import annotations

import re

import pytest
from app_helpers import open_page, texts

from ui.classroom import sources

BARE = re.compile(r"seed (\d{3})", re.IGNORECASE)


def cited_properly(text: str) -> list[str]:
    """Every 'seed NNN' in ``text`` whose tutorial is not named just before it (as cite(NNN)
    and the Sources list writes it, after its link): the bad ones, with some context."""
    bad = []
    for match in BARE.finditer(text):
        name = sources.SOURCES[match.group(1)].name.removeprefix("the ")
        if name.lower() not in text[max(0, match.start() - 220):match.start()].lower():
            bad.append(text[max(0, match.start() - 40):match.end()])
    return bad


def every_text(at) -> list[str]:
    out = texts(at)
    for kind in ("info", "success", "warning", "error", "subheader", "expander"):
        out += [getattr(element, "label", None) or element.value for element in getattr(at, kind)]
    return out


def test_cite_names_the_tutorial_and_rejects_an_unknown_seed():
    assert sources.cite("000") == "the Keras RNN guide (seed 000)"
    assert sources.cite("004", capital=True).startswith("The SimpleRNN & LSTM Colab notebook")
    assert sources.cite_preset("seed001_simple_rnn") == sources.cite("001")
    with pytest.raises(ValueError, match="seed"):
        sources.cite("9")


@pytest.mark.parametrize("page, query", [
    ("home", {}), ("hidden_states", {"preset": "train_X"}), ("encoder_decoder", {}),
    ("shapes", {}),
])
def test_every_seed_a_page_mentions_is_named(page, query):
    at = open_page(page, **query)
    shown = every_text(at)
    assert any(BARE.search(t) for t in shown), "the page cites no tutorial any more: pick another"
    assert [bad for t in shown for bad in cited_properly(t)] == []


def test_home_lists_the_sources_with_a_link_each():
    at = open_page("home")
    assert any(s.value == "Sources" for s in at.subheader)
    listed = "\n".join(texts(at.get_by_key("sources")))
    for seed, source in sources.SOURCES.items():
        assert f"(seed {seed})" in listed and source.url in listed
