"""Etags and fingerprints are bytes in Google's JSON: a client may send back, in the
URL-safe base64 alphabet, the tag it read in the standard one."""

from __future__ import annotations

from nimbus.core.fingerprints import same_tag


def test_either_alphabet_names_the_same_bytes() -> None:
    assert same_tag("B+Wm4pBKseQ=", "B+Wm4pBKseQ=")
    assert same_tag("B-Wm4pBKseQ=", "B+Wm4pBKseQ=")  # as gcloud sends it back
    assert same_tag("Bw_x", "Bw/x")
    assert same_tag("B-Wm4pBKseQ", "B+Wm4pBKseQ=")  # unpadded


def test_other_tags_do_not_match() -> None:
    assert not same_tag("B+Wm4pBKseR=", "B+Wm4pBKseQ=")
    assert not same_tag("not base64!", "B+Wm4pBKseQ=")
    assert not same_tag("", "ACAB")
