"""The interface in English, Arabic and French (issue 16): the header's switch keeps the reader's choice,
else Accept-Language decides, else English; Arabic pages are right-to-left; every message of the
catalogue template is translated in both catalogues, and the template is what the sources hold."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from babel.messages.pofile import read_po

from app.i18n import COOKIE

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
NAVIGATION = {"en": ["Search", "Collections", "About"], "ar": ["بحث", "المجموعات", "عن الأرشيف"],
              "fr": ["Recherche", "Collections", "À propos"]}


def page(client, path: str, **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return lxml.html.fromstring(response.get_data(as_text=True))


def navigation(doc) -> list[str]:
    return [a.text_content().strip() for a in doc.xpath("//header[@class='site']/nav[1]/a")]


def test_a_page_in_each_language_says_its_language_and_direction(client):
    for language, direction in (("ar", "rtl"), ("fr", "ltr"), ("en", "ltr")):
        for path in ("/", "/search?q=Raqqa", "/about"):
            doc = page(client, path, **{"Accept-Language": language})
            html = doc.getroottree().getroot()
            assert (html.get("lang"), html.get("dir")) == (language, direction), path
            assert navigation(doc) == NAVIGATION[language], path


def test_arabic_and_french_pages_translate_the_interface_and_not_the_testimonies(client):
    doc = page(client, "/search?q=Raqqa", **{"Accept-Language": "ar"})
    assert doc.xpath("string(//h1)") == "بحث"
    assert "شهاد" in doc.xpath("string(//p[@id='result-count'])")
    assert doc.xpath("//label[@for='sort']")[0].text_content() == "الترتيب بحسب"
    # the testimonies' own words keep their own language: an English title stays English
    assert all(a.text_content().isascii() for a in doc.xpath("//li[@class='hit']/h2/a[@lang='en']"))
    # an interview date in the reader's words: "juin 2015" in French, not "2015-06"
    french = page(client, "/testimonies/OH-2015-0001", **{"Accept-Language": "fr"})
    dates = french.xpath("//dl[@class='metadata']/dt[starts-with(., 'Date de')]/following-sibling::dd[1]")
    assert dates and "2015" in dates[0].text_content() and not dates[0].text_content().strip().startswith("2015-")
    assert french.xpath("//dl[@class='metadata']/dt[.='Langues']")
    title = french.xpath("//h1")[0].text_content()
    assert title == page(client, "/testimonies/OH-2015-0001").xpath("//h1")[0].text_content()


def test_the_switch_keeps_the_choice_goes_back_and_wins_over_the_browser(client):
    doc = page(client, "/search?q=Raqqa")
    links = {a.get("hreflang"): a.get("href") for a in doc.xpath("//nav[@class='languages']/a")}
    assert set(links) == {"en", "ar", "fr"}
    response = client.get(links["fr"])
    assert response.status_code == 302 and response.headers["Location"] == "/search?q=Raqqa"
    assert f"{COOKIE}=fr" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert page(client, "/collections", **{"Accept-Language": "ar"}).getroottree().getroot().get("lang") == "fr"
    assert navigation(page(client, "/about")) == NAVIGATION["fr"]
    client.get("/language/ar")
    assert page(client, "/signin").getroottree().getroot().get("dir") == "rtl"
    client.get("/language/en")
    assert page(client, "/", **{"Accept-Language": "fr"}).getroottree().getroot().get("lang") == "en"
    assert client.get("/language/de").status_code == 404
    for away in ("https://elsewhere.example/", "//elsewhere.example/x", "javascript:alert(1)"):
        response = client.get("/language/ar", query_string={"next": away})
        assert response.status_code == 302 and response.headers["Location"] == "/", away


def test_the_browser_language_decides_when_there_is_no_choice_even_on_errors(client):
    lang = lambda header: page(client, "/", **({"Accept-Language": header} if header else {})).getroottree().getroot().get("lang")  # noqa: E731
    assert lang("fr-CH, fr;q=0.9, en;q=0.8") == "fr"
    assert lang("de-DE, ar;q=0.5, en;q=0.4") == "ar"
    assert lang("de, ja") == "en"
    assert lang(None) == "en"
    assert "Accept-Language" in client.get("/", headers={"Accept-Language": "fr"}).headers["Vary"]
    response = client.get("/testimonies/NOSUCH", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert doc.xpath("string(//h1)") == "غير موجود" and doc.getroottree().getroot().get("dir") == "rtl"
    api = client.get("/api/testimonies/NOSUCH", headers={"Accept-Language": "ar"})
    assert api.get_json()["error"] == "Not found"          # the API's words stay in English


# -- the catalogues ------------------------------------------------------------------------------

def _catalogue(path: Path, locale: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _ids(catalogue) -> set:
    return {m.id for m in catalogue if m.id}


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_every_message_is_translated(language):
    template = _catalogue(TRANSLATIONS / "messages.pot")
    catalogue = _catalogue(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", language)
    untranslated = []
    for message in template:
        if not message.id:
            continue
        found = catalogue.get(message.id)
        strings = found.string if found is not None and isinstance(found.string, tuple) else (found.string if found else "",)
        if (found is None or "fuzzy" in found.flags or not all(strings)
                or (isinstance(message.id, tuple) and len(strings) != catalogue.num_plurals)):
            untranslated.append(message.id)
    assert not untranslated, f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:5]}"


def test_the_catalogue_template_holds_what_the_sources_mark(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg", "-k", "N_", "-k", "_l",
                    "--no-location", "-o", str(fresh), "."], cwd=ROOT, check=True, capture_output=True)
    kept, extracted = _ids(_catalogue(TRANSLATIONS / "messages.pot")), _ids(_catalogue(fresh))
    assert not extracted - kept, f"not in messages.pot (run make messages): {sorted(map(str, extracted - kept))[:10]}"
    assert not kept - extracted, f"in messages.pot but no longer in the sources: {sorted(map(str, kept - extracted))[:10]}"


def test_the_staff_pages_and_their_messages_speak_the_archivist_language(signed_in):
    archivist = signed_in("archivist")
    archivist.get("/language/ar")
    doc = page(archivist, "/staff/")
    assert doc.xpath("string(//h1)") == "لوحة أمين الأرشيف" and doc.getroottree().getroot().get("dir") == "rtl"
    manage = page(archivist, "/staff/testimonies/OH-2015-0001")
    assert "عمليات الحجب" in [h.text_content() for h in manage.xpath("//h2")]
    archivist.get("/language/fr")
    assert page(archivist, "/staff/").xpath("string(//h1)") == "Tableau de bord de l'archiviste"


def test_an_error_page_names_no_address_and_the_switch_goes_back_by_the_referrer(client):
    missing = client.get("/testimonies/NOSUCH-1")
    other = client.get("/testimonies/NOSUCH-2")
    assert missing.status_code == other.status_code == 404
    assert missing.get_data() == other.get_data()          # a hidden record answers like a missing one
    link = lxml.html.fromstring(missing.get_data(as_text=True)).xpath("//nav[@class='languages']/a[@hreflang='fr']")[0]
    back = client.get(link.get("href"), headers={"Referer": "http://localhost/testimonies/NOSUCH-1"})
    assert back.status_code == 302 and back.headers["Location"] == "/testimonies/NOSUCH-1"
    away = client.get(link.get("href"), headers={"Referer": "https://elsewhere.example/x"})
    assert away.headers["Location"] == "/"
