"""The results page's facet links are built without url_for per link (routes.search_url): the same URLs."""
from __future__ import annotations

import random

from flask import url_for

from app.public.routes import search_url


def test_a_search_url_is_the_one_url_for_builds(app):
    rng = random.Random(3)
    values = ["", "Raqqa", "الرقة", "a b", "x&y=z", "100%", "l'été", "[p]", "#frag", "?", "/", "+", "~!$'()*,;:@"]
    for base in ("http://localhost/", "http://localhost/archive/"):  # also served under a path prefix
        with app.test_request_context("/search", base_url=base):
            assert search_url({}) == url_for("public.search")
            for _ in range(300):
                state = {key: [rng.choice(values) for _ in range(rng.randrange(1, 3))]
                         for key in rng.sample(["language", "place", "collection", "subject"], rng.randrange(0, 4))}
                if rng.random() < 0.8:
                    state["q"] = " ".join(rng.sample(values, 2))
                if rng.random() < 0.3:
                    state["sort"] = rng.choice(["-date", "accession"])
                if rng.random() < 0.2:
                    state["page"] = rng.randrange(1, 9)
                assert search_url(state) == url_for("public.search", **state), state
