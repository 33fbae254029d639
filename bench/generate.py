"""Synthetic testimonies in the archive's JSON format, for benchmarks.

    python bench/generate.py N OUT.json [--seed S] [--words W]

Realistic shape: about W words per transcript (Zipf-distributed vocabulary with real words mixed
in), English, French and Arabic, 20-40 timecoded segments, place authorities with variants,
restricted narrator fields, mixed consent, and span redactions whose text matches their offsets.
"""
from __future__ import annotations

import argparse
import json
import random
import string
from itertools import accumulate

REAL = {
    "en": "the border crossing night smuggler checkpoint family village road car money fear army "
          "hospital teacher school river hills fuel bribe cousin brother mother father winter".split(),
    "fr": "la frontière passage nuit passeur famille village route voiture argent peur armée "
          "hôpital école rivière collines essence cousin frère mère père hiver".split(),
    "ar": "الحدود العبور الليل المهرب الحاجز العائلة القرية الطريق السيارة المال الخوف الجيش "
          "المستشفى المدرسة النهر التلال الوقود الرشوة ابن عمي أخي أمي أبي الشتاء".split(),
}
LETTERS = {"en": string.ascii_lowercase, "fr": string.ascii_lowercase + "éèàç",
           "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"}
PLACES = [("Raqqa", ["Al-Raqqa", "ar-Raqqah", "الرقة"]), ("Jarabulus", ["Jarablus", "جرابلس"]),
          ("Aleppo", ["Halab", "حلب"]), ("Mosul", ["al-Mawsil", "الموصل"]), ("Idlib", ["Idleb", "إدلب"])]
PLACES += [(f"Town{n}", [f"Town-{n}", f"Tawn{n}"]) for n in range(15)]


def vocabulary(rng: random.Random, lang: str, size: int) -> tuple[list[str], list[float]]:
    words = [("".join(rng.choices(LETTERS[lang], k=rng.randint(3, 9)))) for _ in range(size)]
    words[:len(REAL[lang])] = REAL[lang]           # real words take the most frequent ranks
    weights = [1.0 / (rank + 1) for rank in range(size)]
    return words, list(accumulate(weights))


def transcript(rng, lang, words, cum, n_words) -> tuple[str, list[dict]]:
    body = rng.choices(words, cum_weights=cum, k=n_words)
    speakers = {"en": ("Interviewer:", "Narrator:"), "fr": ("Intervieweur :", "Narrateur :"),
                "ar": ("المحاور:", "الراوي:")}[lang]
    lines, i, turn = [], 0, 0
    while i < len(body):
        size = rng.randint(15, 60)
        lines.append(f"{speakers[turn % 2]} {' '.join(body[i:i + size])}.")
        i, turn = i + size, turn + 1
    text = "\n".join(lines) + "\n"
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    n_segments = min(len(lines), rng.randint(20, 40))
    cut = sorted(rng.sample(range(1, len(lines)), n_segments - 1)) if n_segments > 1 else []
    bounds = [0] + [starts[c] for c in cut] + [len(text)]
    seconds = n_words / 2.5
    segments = [{"start": round(seconds * k / n_segments, 1), "end": round(seconds * (k + 1) / n_segments, 1),
                 "title": " ".join(rng.choices(words[:200], k=3)), "keywords": rng.choices(words[:100], k=2),
                 "text_start": bounds[k], "text_end": bounds[k + 1]} for k in range(n_segments)]
    return text, segments


def testimony(rng, n, vocab, words_per) -> dict:
    lang = rng.choices(("en", "fr", "ar"), weights=(60, 20, 20))[0]
    words, cum = vocab[lang]
    text, segments = transcript(rng, lang, words, cum, words_per)
    redactions = []
    for k in range(rng.randint(1, 3)):
        start = rng.randrange(0, len(text) - 20)
        while not text[start].isalpha() or (start and text[start - 1].isalpha()):
            start += 1
        end = start
        while end < len(text) and text[end].isalpha():
            end += 1
        if redactions and start < redactions[-1]["end"]:
            continue
        redactions.append({"id": f"R-{k + 1}", "transcript": "t", "start": start, "end": end, "text": text[start:end],
                           "category": "person", "reason": "bench", "visible_to": "archivist",
                           "replacement": "[withheld]", "state": "approved"})
    redactions.sort(key=lambda r: r["start"])
    kind = rng.random()
    consent = {"status": "granted", "scope": "open", "date": "2016-01-01", "obtained_by": "bench",
               "embargo_until": None, "permissions": {"publish_transcript": True}}
    if kind > 0.95:
        consent["status"] = "pending"
    elif kind > 0.9:
        consent["embargo_until"] = "2040-01-01"
    elif kind > 0.8:
        consent["scope"] = "researchers"
    year = rng.randint(2012, 2020)
    return {"id": f"BENCH-{n:06d}", "collection": f"c{n % 5}", "title": " ".join(rng.choices(words[:300], k=5)),
            "summary": " ".join(rng.choices(words[:500], k=25)), "interview_date": f"{year}-{rng.randint(1, 12):02d}",
            "interview_place": "Undisclosed", "languages": [lang],
            "subjects": rng.sample(["defection", "smuggling", "medicine", "education", "prison", "flight"], 2),
            "places": [f"place:{p[0].lower()}" for p in rng.sample(PLACES, 2)], "interviewers": ["Bench"],
            "narrators": [{"id": f"BN-{n:06d}", "public_name": f"Narrator {n}", "legal_name": f"LEGAL-{n}",
                           "contact": f"+00 {n:08d}"}],
            "consent": consent, "state": "published" if consent["status"] == "granted" else "draft",
            "transcripts": [{"id": "t", "language": lang, "kind": "original", "text": text, "segments": segments}],
            "redactions": redactions}


def generate(n: int, words_per: int = 6000, seed: int = 1) -> dict:
    rng = random.Random(seed)
    vocab = {lang: vocabulary(rng, lang, 50_000) for lang in REAL}
    return {"format": "testimony-archive/1",
            "collections": [{"id": f"c{k}", "title": f"Bench collection {k}"} for k in range(5)],
            "authorities": [{"id": f"place:{label.lower()}", "type": "place", "label": label, "variants": variants}
                            for label, variants in PLACES],
            "testimonies": [testimony(rng, k, vocab, words_per) for k in range(n)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--words", type=int, default=6000)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(generate(args.n, args.words, args.seed), handle, ensure_ascii=False)


if __name__ == "__main__":
    main()
