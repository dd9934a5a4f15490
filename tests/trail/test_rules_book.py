"""The rules in force for each commit, from the versions of organization.yaml and policy.yaml met in history order."""

from __future__ import annotations

import random

import pytest
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


def _in_force(book: RulesBook, index: int) -> bool | None:
    """Whether the rules at the book's base ``index`` require approvals; None: no policy in force."""
    rules = book.in_force(index)
    return None if rules.policy is None else rules.policy.approvals_required


ASKED = ["broken", "strict", "broken", "broken", "loose", "broken", "broken", "strict", "strict", None, "broken"]
IN_FORCE = [None, True, True, True, False, False, False, True, True, None, None]
"""Policies at a history's bases, and what each leaves in force: before any valid policy a broken one leaves none;
after one, that one, however many broken versions follow; a removed policy, none."""


def test_a_version_that_does_not_validate_keeps_the_last_valid_one_however_often_it_is_asked():
    book = RulesBook(TEXTS, [("org", blob) for blob in ASKED])
    assert [_in_force(book, index) for index in range(len(ASKED))] == IN_FORCE


@pytest.mark.parametrize("order", ["backwards", "shuffled", "each alone"])
def test_the_rules_at_a_base_do_not_depend_on_which_bases_were_asked_about_before(order):
    """A build after a merge asks about its new commits alone, and a process beside about a later half."""
    indexes = list(range(len(ASKED)))
    if order == "backwards":
        indexes.reverse()
    elif order == "shuffled":
        random.Random(7).shuffle(indexes)
    bases = [("org", blob) for blob in ASKED]
    shared = RulesBook(TEXTS, bases)
    found = {i: _in_force(RulesBook(TEXTS, bases) if order == "each alone" else shared, i) for i in indexes}
    assert [found[i] for i in range(len(ASKED))] == IN_FORCE


def test_a_file_left_broken_for_many_commits_is_walked_once():
    book = RulesBook(TEXTS, [("org", "strict")] + [("org", "broken")] * 50_000)
    assert all(book.in_force(i).policy.approvals_required for i in range(50_000, 0, -1))
    assert len(book._carried) == 50_000


def test_the_same_versions_give_the_same_rules_wherever_they_are_met():
    book = RulesBook(TEXTS, [("org", "strict"), ("org", "strict"), ("org", "loose"), ("org", "broken"), ("org", "strict")])
    first = book.in_force(0)
    assert book.in_force(1) is first and book.in_force(4) is first
    assert book.in_force(2) is not first and book.in_force(3) is book.in_force(2)  # one Rules per pair of valid versions: its people are worked out once
    assert book.valid("broken", POLICY) is False and book.valid("strict", POLICY) and book.valid("org", ORGANIZATION)
