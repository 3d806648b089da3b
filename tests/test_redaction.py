"""``scrub`` masks every value of a link's query, wherever the link sits in the text.

A MagicLink's token logs its reader in and an API v3 URL may carry ``ks=``;
neither need be long enough to look like a token, so a query's values go
whatever they are. Text with no link and nothing shaped like a token comes
back as it went in, so an error or a log line stays readable.
"""

from __future__ import annotations

import string
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from kaltura_events.api.redaction import scrub

MASK = "[redacted]"
_QUERY_CHARS = string.ascii_letters + string.digits + "-._~!$'()*+,;=:@/?"
"""What RFC 3986 lets a query hold unencoded, but ``&`` (between items) and ``#`` (the fragment)."""

_names = st.text(alphabet=_QUERY_CHARS.replace("=", ""), min_size=1, max_size=12)
_values = st.text(alphabet=_QUERY_CHARS, min_size=1, max_size=60) | st.text(min_size=1, max_size=20).map(
    lambda text: quote(text, safe="")
)
_queries = st.lists(st.tuples(_names, _values), min_size=1, max_size=5)
_hosts = st.sampled_from(["events.example.com", "www.kaltura.com", "127.0.0.1:8000", "x.example"])
_paths = st.sampled_from(["", "/", "/join", "/api_v3/service/session", "/a/b.html"])
_fragments = st.sampled_from(["", "#top", "#section-2"])


def _url(host: str, path: str, query: list[tuple[str, str]], fragment: str, masked: bool) -> str:
    items = "&".join(f"{name}={MASK if masked else value}" for name, value in query)
    return f"https://{host}{path}?{items}{fragment}"


@settings(max_examples=300, deadline=None)
@given(host=_hosts, path=_paths, query=_queries, fragment=_fragments)
def test_no_value_of_a_links_query_survives(
    host: str, path: str, query: list[tuple[str, str]], fragment: str
) -> None:
    shown = scrub(_url(host, path, query, fragment, masked=False))
    assert shown == _url(host, path, query, fragment, masked=True)


_words = st.text(alphabet=string.ascii_letters + string.digits + ",.:;!()[]{}&=/-_+%'", max_size=31)
_prose = st.lists(
    st.tuples(_words, st.sampled_from(["", "?", "?)"]), st.sampled_from([" ", "\n", "  "])), max_size=12
).map(lambda parts: "".join(word + mark + space for word, mark, space in parts))
"""Words shorter than a token (32 characters), some ending in a question: nothing in it is a secret."""


@settings(max_examples=300, deadline=None)
@given(
    before=_prose,
    after=_prose,
    wrap=st.sampled_from([("", ""), ("<", ">"), ('href="', '"'), ("link: ", "\n")]),
    host=_hosts,
    path=_paths,
    query=_queries,
    fragment=_fragments,
)
def test_in_text_only_the_query_values_go(
    before: str,
    after: str,
    wrap: tuple[str, str],
    host: str,
    path: str,
    query: list[tuple[str, str]],
    fragment: str,
) -> None:
    opening, closing = wrap

    def text(link: str) -> str:
        return f"{before} {opening}{link}{closing} {after}"

    shown = scrub(text(_url(host, path, query, fragment, masked=False)))
    assert shown == text(_url(host, path, query, fragment, masked=True))


@settings(max_examples=300, deadline=None)
@given(text=_prose)
def test_text_without_secrets_is_unchanged(text: str) -> None:
    assert scrub(text) == text


def test_a_kept_value_is_masked_however_short_and_the_rest_reads_as_before() -> None:
    text = "GET https://events.example.com/join?token=ab12&lang=en failed (timeout?) after 3 tries"
    assert (
        scrub(text)
        == f"GET https://events.example.com/join?token={MASK}&lang={MASK} failed (timeout?) after 3 tries"
    )
