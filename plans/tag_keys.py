"""What makes two tag names the same tag: their key.

"Ethnography", "ethnography ", "ethnography," and "ethnógraphy" were four tags of one idea: the admin
created a second one whenever somebody typed a variant, and the public facet then missed half the plans.
A tag's `key` folds case, accents, spacing and punctuation, and each vocabulary holds one tag per key
(a unique column). Plain functions, no Django: the migration that merged the existing variants uses them.
"""

import unicodedata
from functools import lru_cache

# Unicode categories that never distinguish two tags: punctuation (P…) and symbols (S…), which become
# spaces ("co-creation", "co creation" and "co -creation" are one tag), and marks (M…), dropped after
# decomposition (accents: "economía" is "economia").
_SPACE_CATEGORIES = ("P", "S", "Z", "C")


# The importer asks for the key of every tag of every plan, twice (to attach it, to index its plan): the
# archive's 10,646 tag names are 871 distinct ones. Bounded, as names also come from forms.
@lru_cache(maxsize=8192)
def tag_key(name: str) -> str:
    """The comparison key of a tag name: accents removed, case folded, punctuation and symbols read as
    spaces, runs of spaces as one, none at either end. A name of nothing but punctuation ("-", "?") is
    its own key, so that such tags of the archive stay apart rather than all becoming one."""
    folded = []
    for char in unicodedata.normalize("NFKD", name or ""):
        category = unicodedata.category(char)
        if category.startswith("M"):
            continue
        folded.append(" " if category.startswith(_SPACE_CATEGORIES) else char)
    return " ".join("".join(folded).casefold().split()) or (name or "").strip()


def clean_name(name: str) -> str:
    """A name as typed, tidied to be stored: spaces collapsed, and stray separators (commas, semicolons,
    full stops…) trimmed from its ends; brackets and quotes that close something are kept."""
    text = " ".join((name or "").split())
    return text.strip(" ,;:.·-–—/|").strip() or text
