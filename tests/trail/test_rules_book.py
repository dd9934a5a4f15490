"""The rules in force for each commit, from the versions of organization.yaml and policy.yaml met in history order."""

from __future__ import annotations

import yaml

from generator.demo.company import organization, policy
from generator.trail.rules import ORGANIZATION, POLICY, RulesBook


def _text(data: dict) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


TEXTS = {
    "org": _text(organization()),
    "strict": _text(policy(approvals_required=True)),
    "loose": _text(policy(approvals_required=False)),
    "broken": _text({**policy(), "approvals_required": "no"}),  # not a yes/no: does not validate
}


def _in_force(book: RulesBook, policy_blob: str | None) -> bool | None:
    """Whether the rules the book gives for (org, ``policy_blob``) require approvals; None: no policy in force."""
    rules = book.at(("org", policy_blob))
    return None if rules.policy is None else rules.policy.approvals_required


def test_a_version_that_does_not_validate_keeps_the_last_valid_one_however_often_it_is_asked():
    book = RulesBook(TEXTS)
    asked = ["broken", "strict", "broken", "broken", "loose", "broken", "broken", "strict", "strict", None, "broken"]
    # before any valid policy a broken one leaves none in force; after one, that one, asked once or many times over
    assert [_in_force(book, blob) for blob in asked] == [None, True, True, True, False, False, False, True, True, None, None]


def test_the_same_versions_give_the_same_rules_wherever_they_are_met():
    book = RulesBook(TEXTS)
    first = book.at(("org", "strict"))
    assert book.at(("org", "strict")) is first
    assert book.at(("org", "loose")) is not first
    assert book.at(("org", "strict")) is first  # one Rules per pair of valid versions: its people are worked out once
    assert book.valid("broken", POLICY) is False and book.valid("strict", POLICY) and book.valid("org", ORGANIZATION)
