"""Synthetic testimonies in the archive's JSON format ("testimony-archive/1"), for benchmarks.

    python bench/generate.py N OUT.json [--seed S] [--words W]

Each testimony has about W words (default 6,000) drawn from a Zipf distribution over a vocabulary of
50,000 pseudo-words per language, with a few hundred real English, French and Arabic words placed at
frequent, middling and rare ranks so that benchmark queries mean something. Languages are mixed
60% English, 20% French, 20% Arabic. Transcripts alternate interviewer and narrator turns, one turn a
line, cut into 20-40 timecoded segments at line boundaries (`text_start`/`text_end`). Around them:
5 collections, 20 place authorities with spelling variants in Latin and Arabic script, subjects,
EDTF interview dates, narrators with restricted `legal_name`/`contact`/`risk_notes`, mixed consent
(mostly open and published; some researchers-only, embargoed, archive-only, pending, in review,
withdrawn) and 1-3 span redactions per testimony whose `text` equals `text[start:end]`.

Deterministic for a given (N, seed, words). Words are drawn in bulk with `random.choices`; the
output is streamed, one testimony at a time, so 10,000 testimonies need little memory.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from itertools import accumulate
from pathlib import Path
from typing import Iterator, TextIO

FORMAT = "testimony-archive/1"
VOCABULARY_SIZE = 50_000
ZIPF_S = 1.05
LANGUAGES = ("en", "fr", "ar")
LANGUAGE_WEIGHTS = (60, 20, 20)

# Real words. "function" words take the top ranks, "content" words are spread over the ranks after them up to 800
# (present in most testimonies), "rare" words over ranks 3,000-40,000 (present in a few).
REAL = {
    "en": {
        "function": "the and i to of a we was in it they that he my you for on were there with at but "
                    "not had said me his her them from this all when our so one no what be by if".split(),
        "content": "border crossing night smuggler checkpoint family village road car money fear army "
                   "hospital teacher school river hills fuel bribe cousin brother mother father winter "
                   "truck phone passport prison soldiers bread water doctor children house street city "
                   "camp tent rain snow friends neighbours market mosque church wedding funeral guard "
                   "police officer commander fighters group weapons bombing shelling airstrike siege "
                   "hunger medicine farm sheep olive harvest wheat bus driver money debt smugglers "
                   "documents permit refugee asylum boat sea coast lorry journey mountains forest "
                   "darkness morning evening letter radio television news".split(),
        "rare": "apostasy defector orchard vineyard lighthouse typewriter accordion locksmith tannery "
                "ferryman saddler cartographer beekeeper falconry tinsmith embroidery lantern quarry "
                "aqueduct granary dovecote cistern almanac telegram compass sextant parchment "
                "violinist carpenter blacksmith pharmacist midwife ambulance stretcher bandage "
                "tourniquet interrogation blindfold handcuffs courier ransom".split(),
    },
    "fr": {
        "function": "le la les de des et un une il elle nous on je dans pour pas que qui est était "
                    "avec sur au aux ce mais".split(),
        "content": "frontière passage nuit passeur famille village route voiture argent peur armée "
                   "hôpital école rivière collines essence cousin frère mère père hiver camion "
                   "téléphone passeport prison soldats pain eau médecin enfants maison rue ville "
                   "camp pluie neige amis voisins marché mosquée mariage police officier combattants "
                   "armes bombardement siège faim médicaments ferme moutons olives récolte bateau "
                   "mer côte voyage montagnes forêt matin soir lettre radio".split(),
        "rare": "verger apostasie transfuge phare lanterne carrière citerne boussole parchemin "
                "forgeron pharmacienne sage-femme ambulance brancard interrogatoire rançon".split(),
    },
    "ar": {
        "function": "في من على إلى أن كان هذا هذه مع عن لم لا ثم قال كانت نحن هو هي".split(),
        "content": "الحدود العبور الليل المهرب الحاجز العائلة القرية الطريق السيارة المال الخوف "
                   "الجيش المستشفى المدرسة النهر التلال الوقود الرشوة أخي أمي أبي الشتاء الشاحنة "
                   "الهاتف جواز السجن الجنود الخبز الماء الطبيب الأطفال البيت الشارع المدينة "
                   "المخيم المطر الثلج الأصدقاء الجيران السوق المسجد العرس الشرطة الضابط "
                   "المقاتلين السلاح القصف الحصار الجوع الدواء المزرعة الزيتون الحصاد البحر "
                   "الرحلة الجبال الصباح المساء الرسالة".split(),
        "rare": "البستان المنارة الفانوس البئر البوصلة الحداد الصيدلية القابلة الإسعاف الضمادة "
                "التحقيق الفدية".split(),
    },
}
SPEAKERS = {"en": "Interviewer", "fr": "Enquêtrice", "ar": "المحاورة"}
COLON = {"en": ":", "fr": " :", "ar": ":"}
QUESTION = {"en": "?", "fr": " ?", "ar": "؟"}

# 20 place authorities: label, Latin variants, Arabic variants.
PLACES = [
    ("Raqqa", ["Al-Raqqa", "Al-Raqqah", "ar-Raqqah", "Rakka"], ["الرقة"]),
    ("Tel Abyad", ["Tell Abyad", "Tal Abyad"], ["تل أبيض"]),
    ("Jarabulus", ["Jarablus"], ["جرابلس"]),
    ("Aleppo", ["Halab", "Alep"], ["حلب"]),
    ("Idlib", ["Idleb"], ["إدلب"]),
    ("Deir ez-Zor", ["Deir al-Zour", "Dayr az-Zawr"], ["دير الزور"]),
    ("Mosul", ["al-Mawsil", "Mossoul"], ["الموصل"]),
    ("Homs", ["Hims"], ["حمص"]),
    ("Hama", ["Hamah"], ["حماة"]),
    ("Damascus", ["Dimashq", "Damas"], ["دمشق"]),
    ("Daraa", ["Deraa", "Dar'a"], ["درعا"]),
    ("Kobani", ["Kobane", "Ayn al-Arab"], ["عين العرب"]),
    ("Manbij", ["Menbij"], ["منبج"]),
    ("Azaz", ["A'zaz"], ["أعزاز"]),
    ("Afrin", ["Efrin"], ["عفرين"]),
    ("Qamishli", ["Qamishlo", "Al-Qamishli"], ["القامشلي"]),
    ("Hasakah", ["Al-Hasakah", "Hassake"], ["الحسكة"]),
    ("Palmyra", ["Tadmur", "Tadmor"], ["تدمر"]),
    ("Sinjar", ["Shingal"], ["سنجار"]),
    ("Tal Afar", ["Tall Afar", "Tel Afar"], ["تلعفر"]),
]
INTERVIEW_PLACES = ["Gaziantep, Turkey", "Istanbul, Turkey", "Erbil, Iraq", "Beirut, Lebanon", "Amman, Jordan",
                    "Berlin, Germany", "Paris, France", "Brussels, Belgium", "by video call", "Sanliurfa, Turkey"]
COLLECTIONS = [
    ("leaving-raqqa", "Leaving Raqqa, 2014-2017"),
    ("border-smugglers", "Smugglers of the northern border"),
    ("medics-under-siege", "Medics under siege"),
    ("exile-voices", "Voix de l'exil"),
    ("teachers-in-war", "Teachers in wartime"),
]
COLLECTION_WEIGHTS = (30, 25, 20, 15, 10)
SUBJECTS = ["defection", "smuggling", "border crossings", "detention", "displacement", "medicine",
            "education", "siege", "family separation", "religion", "journalism", "women's lives",
            "agriculture", "military service", "exile", "asylum", "reconstruction", "children",
            "economy", "resistance", "prison", "sea crossing", "kidnapping", "humanitarian aid",
            "memory", "music", "food", "work", "language", "return"]
FIRST_NAMES = ["Omar", "Ahmad", "Mahmoud", "Yusuf", "Khaled", "Hassan", "Ali", "Karim", "Samir", "Walid",
               "Fatima", "Aisha", "Layla", "Mariam", "Noor", "Huda", "Rania", "Salma", "Zainab", "Yasmin",
               "Ibrahim", "Tariq", "Bilal", "Nabil", "Rami", "Hiba", "Dina", "Lina", "Amal", "Sara"]
SURNAMES = ["Haddad", "Khoury", "Mansour", "Saleh", "Nasser", "Darwish", "Hamdan", "Qasim", "Barakat",
            "Aziz", "Farouk", "Jaber", "Halabi", "Shami", "Masri", "Tamimi", "Rahman", "Suleiman", "Najjar",
            "Attar", "Sabbagh", "Hakim", "Zaher", "Othman", "Kassab", "Issa", "Rashid", "Yassin", "Obeid"]
ROLES = ["defector", "smuggler", "activist", "medic", "teacher", "journalist", "farmer", "student",
         "former detainee", "aid worker"]
NATIONALITIES = ["Syrian", "Iraqi", "Kurdish", "Palestinian", "Turkish", "French", "Canadian"]

SYLLABLES = {
    "en": ("b c d f g h j k l m n p r s t v w z br cr dr fr gr pl pr sh st th tr ch".split(),
           "a e i o u ai ea ee oo ou ar er or".split(),
           ["", "", "", "n", "s", "t", "r", "l", "nd", "st", "ck", "m"]),
    "fr": ("b c d f g j l m n p r s t v ch gn qu br cr pl tr".split(),
           "a e i o u é è ê ou ai eau au oi an on in".split(),
           ["", "", "", "", "s", "t", "x", "r", "l", "nt", "rs"]),
}
AR_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _pseudo_words(rng: random.Random, lang: str, size: int, taken: set[str]) -> list[str]:
    """`size` distinct made-up words, shortest first (short words are the frequent ones)."""
    out: set[str] = set()
    while len(out) < size:
        if lang == "ar":
            word = "".join(rng.choices(AR_LETTERS, k=rng.choice((3, 3, 4, 4, 4, 5, 5, 6))))
            if rng.random() < 0.3:
                word = "ال" + word
        else:
            onsets, vowels, codas = SYLLABLES[lang]
            word = "".join(rng.choice(onsets) + rng.choice(vowels)
                           for _ in range(rng.choice((1, 2, 2, 2, 3, 3, 4)))) + rng.choice(codas)
        if word not in taken:
            out.add(word)
    return sorted(sorted(out), key=lambda w: (len(w), rng.random()))


def vocabulary(rng: random.Random, lang: str, size: int = VOCABULARY_SIZE) -> tuple[list[str], list[float]]:
    """Words by Zipf rank and their cumulative weights (for random.choices)."""
    real = REAL[lang]
    taken = {w.casefold() for group in real.values() for w in group}
    taken |= {w.casefold() for label, latin, arabic in PLACES for w in [label, *latin, *arabic]}
    words = _pseudo_words(rng, lang, size, taken)
    for rank, word in enumerate(real["function"]):
        words[rank] = word
    content, first = real["content"], len(real["function"]) + 5
    for k, word in enumerate(content):
        words[first + k * (800 - first) // len(content)] = word
    rare = real["rare"]
    for k, word in enumerate(rare):  # log-spaced over ranks 3,000 .. 40,000
        words[int(3000 * (40000 / 3000) ** (k / max(1, len(rare) - 1)))] = word
    weights = [1.0 / (rank + 1) ** ZIPF_S for rank in range(size)]
    return words, list(accumulate(weights))


def _sentences(rng: random.Random, words: list[str], lang: str, question: bool = False) -> str:
    """Words cut into sentences of 6-20 words, capitalised (Latin), with final punctuation."""
    out, i = [], 0
    while i < len(words):
        k = rng.randint(6, 20)
        chunk = words[i:i + k]
        i += k
        sentence = " ".join(chunk)
        out.append(sentence[:1].upper() + sentence[1:] + ".")
    text = " ".join(out)
    if question:
        text = text[:-1] + QUESTION[lang]
    return text


class Generator:
    def __init__(self, seed: int = 1, words: int = 6000):
        self.seed = seed
        self.words = words
        rng = random.Random(seed)
        self.vocab = {lang: vocabulary(rng, lang) for lang in LANGUAGES}

    # -- parts ---------------------------------------------------------------
    def _place_mention(self, rng: random.Random, lang: str, place: tuple) -> str:
        label, latin, arabic = place
        return rng.choice(arabic) if lang == "ar" else rng.choice([label, label, *latin])

    def _transcript(self, rng, n: int, lang: str, narrator: str, places: list[tuple],
                    names: list[str]) -> tuple[str, list[dict], float]:
        words, cum = self.vocab[lang]
        target = max(50, int(rng.gauss(self.words, self.words * 0.15)))
        body = rng.choices(words, cum_weights=cum, k=target)
        # Places the narrator talks about, about once every 400 words.
        for at in rng.sample(range(len(body)), k=max(1, target // 400)):
            body[at] = self._place_mention(rng, lang, rng.choice(places))
        # Third-party names (to be redacted): each inserted once, inside a narrator turn.
        lines, i, turn = [], 0, 0
        name_lines = {}
        while i < len(body):
            if turn % 2 == 0:  # interviewer: a short question
                size = rng.randint(6, 25)
                line = f"{SPEAKERS[lang]}{COLON[lang]} " + _sentences(rng, body[i:i + size], lang, question=True)
            else:
                size = rng.randint(30, 130)
                line = f"{narrator}{COLON[lang]} " + _sentences(rng, body[i:i + size], lang)
            lines.append(line)
            i, turn = i + size, turn + 1
        narrator_lines = list(range(1, len(lines), 2)) or [0]
        for name in names:
            at = rng.choice(narrator_lines)
            name_lines.setdefault(at, []).append(name)
        for at, inserted in name_lines.items():
            head, _, rest = lines[at].partition(" ")
            words_in_line = rest.split(" ")
            for name in inserted:
                words_in_line.insert(rng.randrange(1, len(words_in_line) + 1), name)
            lines[at] = head + " " + " ".join(words_in_line)
        text = "\n".join(lines) + "\n"
        starts, pos = [], 0
        for line in lines:
            starts.append(pos)
            pos += len(line) + 1
        # 20-40 segments, each starting at an interviewer's question where possible.
        n_segments = max(1, min(len(lines), rng.randint(20, 40)))
        questions = list(range(2, len(lines), 2))
        pool = questions if len(questions) >= n_segments - 1 else list(range(1, len(lines)))
        cuts = sorted(rng.sample(pool, n_segments - 1))
        bounds = [0] + [starts[c] for c in cuts] + [len(text)]
        duration = round(target / 2.4, 1)  # about 145 words a minute
        segments = []
        for k in range(n_segments):
            lo, hi = bounds[k], bounds[k + 1]
            title = " ".join(rng.choices(words[30:2000], k=rng.randint(2, 5)))
            segments.append({
                "start": round(duration * lo / len(text), 1), "end": round(duration * hi / len(text), 1),
                "title": title[:1].upper() + title[1:],
                "synopsis": _sentences(rng, rng.choices(words[30:5000], k=rng.randint(10, 25)), lang),
                "keywords": rng.sample(words[30:3000], k=rng.randint(2, 4)),
                "text_start": lo, "text_end": hi})
        return text, segments, duration

    def _consent(self, rng) -> tuple[dict, str]:
        kind = rng.choices(["open", "researchers", "embargo", "archive", "pending", "review", "withdrawn"],
                           weights=[70, 10, 6, 3, 6, 4, 1])[0]
        year = rng.randint(2013, 2022)
        consent = {"status": "granted", "scope": "open", "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                   "obtained_by": rng.choice(["Interviewer A", "Interviewer B", "Interviewer C"]),
                   "embargo_until": None,
                   "permissions": {"publish_transcript": rng.random() > 0.03, "publish_audio": rng.random() > 0.5,
                                   "publish_images": rng.random() > 0.5, "quote": True,
                                   "attribute_real_name": False}}
        state = "published"
        if kind == "researchers":
            consent["scope"] = "researchers"
        elif kind == "embargo":
            consent["embargo_until"] = f"{rng.randint(2031, 2045)}-01-01"
            consent["scope"] = rng.choice(["open", "researchers"])
        elif kind == "archive":
            consent["scope"] = "archive"
        elif kind == "pending":
            consent["status"] = "pending"
            state = rng.choice(["draft", "in_review"])
        elif kind == "review":
            state = "in_review"
        elif kind == "withdrawn":
            consent["status"] = "withdrawn"
            consent["withdrawn_date"] = f"{rng.randint(2023, 2025)}-0{rng.randint(1, 9)}-15"
            consent["withdrawal_reason"] = "narrator's request"
            state = "withdrawn"
        return consent, state

    @staticmethod
    def _date(rng) -> str:
        year = rng.randint(2013, 2022)
        kind = rng.random()
        if kind < 0.4:
            return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if kind < 0.7:
            return f"{year}-{rng.randint(1, 12):02d}"
        if kind < 0.8:
            return str(year)
        if kind < 0.9:
            return f"{year}?"
        return f"{year}/{year + 1}"

    def testimony(self, n: int) -> dict:
        rng = random.Random(f"{self.seed}:{n}")
        lang = rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]
        words, _ = self.vocab[lang]
        accession = f"BENCH-{n:06d}"
        places = rng.sample(PLACES, k=rng.randint(1, 4))
        public_name = rng.choice(FIRST_NAMES)
        names = [f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}" for _ in range(rng.randint(1, 3))]
        names = list(dict.fromkeys(names))
        text, segments, duration = self._transcript(rng, n, lang, public_name, places, names)
        redactions = []
        for k, name in enumerate(names):
            start = text.find(name)
            if start < 0 or text.find(name, start + 1) >= 0:
                continue
            redactions.append({"id": f"R-{len(redactions) + 1}", "transcript": lang, "start": start,
                               "end": start + len(name), "text": name, "category": "person",
                               "reason": "third party, at risk",
                               "visible_to": rng.choice(["archivist", "archivist", "researcher"]),
                               "replacement": "[name withheld]", "state": "approved",
                               "proposed_by": "archivist-a", "approved_by": "archivist-b"})
        redactions.sort(key=lambda r: r["start"])
        for k, r in enumerate(redactions):
            r["id"] = f"R-{k + 1}"
        interview_place = rng.choice(INTERVIEW_PLACES)
        if rng.random() < 0.2:
            redactions.append({"id": f"R-{len(redactions) + 1}", "field": "interview_place", "category": "place",
                               "reason": "narrator still lives nearby", "visible_to": "archivist",
                               "replacement": "[undisclosed location]", "state": "approved"})
        consent, state = self._consent(rng)
        place_words = " ".join(self._place_mention(rng, lang, p) for p in places)
        title = " ".join(rng.choices(words[30:3000], k=rng.randint(3, 7)))
        summary = _sentences(rng, rng.choices(words[:5000], k=rng.randint(30, 60)), lang)
        narrators = [{"id": f"N-{n:06d}", "public_name": public_name,
                      "legal_name": f"BENCH-LEGAL-{n:06d} {rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
                      "contact": f"+90 5{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                      "risk_notes": "family still inside; do not name the village",
                      "birth_year": rng.randint(1950, 2002), "gender": rng.choice(["male", "female"]),
                      "role": rng.choice(ROLES), "nationality": rng.choice(NATIONALITIES)}]
        return {
            "id": accession,
            "collection": rng.choices([c for c, _ in COLLECTIONS], weights=COLLECTION_WEIGHTS)[0],
            "title": f"{title[:1].upper()}{title[1:]} ({places[0][0]})",
            "summary": f"{summary} {place_words}.",
            "interview_date": self._date(rng),
            "interview_place": interview_place,
            "languages": [lang],
            "duration": duration,
            "interviewers": [rng.choice(["Interviewer A", "Interviewer B", "Interviewer C"])],
            "subjects": rng.sample(SUBJECTS, k=rng.randint(2, 4)),
            "keywords": rng.sample(words[30:2000], k=rng.randint(2, 5)),
            "places": [f"place:{p[0].lower().replace(' ', '-')}" for p in places],
            "rights": "In copyright. Educational use permitted.",
            "fictional": True,
            "narrators": narrators,
            "consent": consent,
            "state": state,
            "transcripts": [{"id": lang, "language": lang, "kind": "original", "text": text,
                             "segments": segments}],
            "redactions": redactions,
        }

    # -- document ------------------------------------------------------------
    @staticmethod
    def header() -> dict:
        return {
            "format": FORMAT,
            "collections": [{"id": slug, "title": title,
                             "description": "Synthetic benchmark collection; every word is generated."}
                            for slug, title in COLLECTIONS],
            "authorities": [{"id": f"place:{label.lower().replace(' ', '-')}", "type": "place", "label": label,
                             "variants": [*latin, *arabic]} for label, latin, arabic in PLACES],
        }

    def testimonies(self, n: int) -> Iterator[dict]:
        for k in range(1, n + 1):
            yield self.testimony(k)

    def write(self, n: int, out: TextIO) -> None:
        """Stream the document: header fields, then one testimony at a time."""
        head = json.dumps(self.header(), ensure_ascii=False)
        out.write(head[:-1] + ', "testimonies": [\n')
        for k, item in enumerate(self.testimonies(n)):
            if k:
                out.write(",\n")
            out.write(json.dumps(item, ensure_ascii=False))
        out.write("\n]}\n")


def generate(n: int, words: int = 6000, seed: int = 1) -> dict:
    """The whole document in memory (small N)."""
    gen = Generator(seed, words)
    return {**gen.header(), "testimonies": list(gen.testimonies(n))}


def write_corpus(n: int, path: str | Path, words: int = 6000, seed: int = 1) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as handle:
        Generator(seed, words).write(n, handle)
    partial.replace(path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of testimonies")
    parser.add_argument("out", help="output JSON file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--words", type=int, default=6000, help="average words per transcript")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    path = write_corpus(args.n, args.out, args.words, args.seed)
    print(f"{args.n} testimonies, {path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s "
          f"-> {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
