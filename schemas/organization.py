"""The organisation (`organization.yaml`): departments, people, their git identities and roles (§1.4).

Approvals are checked against this file, never taken on trust: a person's
git e-mail addresses tie commits to the person, and roles say what they may
approve.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import ClassVar, Literal

from .base import DepartmentId, Email, FieldError, IsoDate, Line, Part, PersonId, Record, field


class Role(StrEnum):
    APPROVER = "approver"
    HEAD = "head"
    QUALITY_INSPECTOR = "quality_inspector"
    ARCHIVIST = "archivist"
    ADMINISTRATOR = "administrator"


class Department(Part):
    id: DepartmentId = field("Department id used in records", "部門代號", "§1.4")
    name_zh: Line = field("Name in Chinese", "中文名稱", "§1.4")
    name_en: Line = field("Name in English", "英文名稱", "§1.4")
    head: PersonId = field("Head of the department", "部門主管", "§8.3")
    duties: Line | None = field("What the department is responsible for", "職責", "§1.4", default=None)


class Person(Part):
    id: PersonId = field("Person id used in records", "人員代號")
    name: Line = field("Full name", "姓名")
    name_en: Line | None = field("Name in English", "英文姓名", default=None)
    department: DepartmentId = field("Department", "所屬部門", "§1.4")
    emails: list[Email] = field("Git e-mail identities", "Git 電子郵件", min_length=1, max_length=10)
    roles: list[Role] = field("Roles", "角色", default_factory=list, max_length=10)
    signing_keys: list[Line] = field(
        "SSH public keys that sign this person's approvals (ssh-ed25519 AAAA…)", "簽章用 SSH 公鑰", default_factory=list, max_length=10
    )
    active: bool = field("Still with the company", "在職", default=True, strict=True)
    left_on: IsoDate | None = field("Last day with the company: no step dated after it can be theirs", "離職日期", "§1.4", default=None)


class Organization(Record):
    """Who is who: the only source of truth for approvers."""

    clause: ClassVar[str] = "§1.4"

    kind: Literal["organization"] = field("Record kind", "記錄類型")
    name_zh: Line = field("Company name in Chinese", "公司中文名稱")
    name_en: Line = field("Company name in English", "公司英文名稱")
    departments: list[Department] = field("Departments", "部門", "§1.4", min_length=1, max_length=100)
    people: list[Person] = field("People", "人員", "§1.4", min_length=1, max_length=5000)

    def checks(self) -> Iterator[FieldError]:
        dept_ids = {d.id for d in self.departments}
        person_ids = {p.id for p in self.people}
        seen_depts: set[str] = set()
        for i, dept in enumerate(self.departments):
            if dept.id in seen_depts:
                yield FieldError(("departments", i, "id"), f"department {dept.id} is defined twice", "§1.4")
            seen_depts.add(dept.id)
            if dept.head not in person_ids:
                yield FieldError(("departments", i, "head"), f"{dept.head} is not in the people list", "§1.4")
        seen_people: set[str] = set()
        owner_of_email: dict[str, str] = {}
        for i, person in enumerate(self.people):
            if person.id in seen_people:
                yield FieldError(("people", i, "id"), f"person {person.id} is defined twice")
            seen_people.add(person.id)
            if person.department not in dept_ids:
                yield FieldError(("people", i, "department"), f"no department {person.department}", "§1.4")
            for j, email in enumerate(person.emails):
                key = email.lower()
                if key in owner_of_email and owner_of_email[key] != person.id:
                    yield FieldError(("people", i, "emails", j), f"{email} already belongs to {owner_of_email[key]}")
                owner_of_email[key] = person.id

    def person(self, person_id: str) -> Person | None:
        return next((p for p in self.people if p.id == person_id), None)
