"""Signatures on the trail, verified with the keys that were in force where each approval was given.

A merge is judged by the ``organization.yaml`` of its first parent, so a key
that a branch adds (or swaps) never verifies the merge that brings it in, and
a key rotated away later still verifies what it signed while it was in force.
Only SSH signatures count: the keys live in ``organization.yaml``; a GPG
signature would be checked against whatever keyring the machine has, and a
GPG key can claim anyone's address.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from generator.trail.commits import UnreadableHistory
from generator.trail.rules import ORGANIZATION, POLICY, read_model

SSH_SIGNATURE = b"-----BEGIN SSH SIGNATURE-----"


def allowed_signers(organization: bytes | None, policy: bytes | None = None) -> str:
    """git's ``gpg.ssh.allowedSignersFile`` for one version of organization.yaml and policy.yaml: every key of
    every active person, and the keys of the platforms whose merge buttons merge (under their committer address).

    A version that does not validate lists no key, so nothing signed under it verifies.
    """
    people = read_model(organization, ORGANIZATION)
    rules = read_model(policy, POLICY)
    out = "".join(f'{address} namespaces="git" {key}\n' for p in people.people if p.active for address in p.emails for key in p.signing_keys) if people else ""
    return out + ("".join(f'{p.committer} namespaces="git" {key}\n' for p in rules.platforms for key in p.signing_keys) if rules else "")


def verify(cwd: str, groups: dict[tuple[str | None, str | None], list[str]], read_blob: Callable[[str], bytes]) -> dict[str, str]:
    """``sha → the verified signer's address`` for the commits git verifies under the keys of their group.

    ``groups`` maps the blob ids of the organization.yaml and policy.yaml in force (None: absent) to the commits judged under them.
    A commit absent from the answer carries no signature git could verify with those keys.
    """
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="orders-signers-") as folder:
        for index, (blob, shas) in enumerate(groups.items()):
            signers = allowed_signers(*(read_blob(b) if b else None for b in blob))
            if not signers or not shas:
                continue
            path = Path(folder) / f"allowed_signers.{index}"
            path.write_text(signers, encoding="utf-8")
            for sha, status, signer in _signatures(cwd, shas, ["-c", f"gpg.ssh.allowedSignersFile={path}"]):
                if status == b"G" and signer:
                    out[sha] = signer.decode("utf-8", "replace").splitlines()[0]
    return out


def verify_platforms(cwd: str, groups: dict[str | None, list[str]], committers: dict[str, str], read_blob: Callable[[str], bytes]) -> dict[str, str]:
    """``sha → platform address`` for GPG-signed commits that the GPG key of the platform they name as committer
    verifies, the key taken from the policy.yaml in force (``groups``: policy blob → commits judged under it).

    Each key is imported into a keyring of its own, holding nothing else, so a signature verifies only if that
    very key made it: another key with the platform's name and address verifies nothing (GPG's trust levels
    mean nothing here, so "good, unknown trust" counts as good).
    """
    out: dict[str, str] = {}
    for blob, shas in groups.items():
        policy = read_model(read_blob(blob) if blob else None, POLICY)
        for platform in policy.platforms if policy else ():
            mine = [sha for sha in shas if committers[sha].lower() == platform.committer.lower()]
            if platform.gpg_key is None or not mine:
                continue
            with tempfile.TemporaryDirectory(prefix="orders-gpg-") as home:
                env = {**os.environ, "GNUPGHOME": home}
                imported = subprocess.run(["gpg", "--batch", "--quiet", "--import"], input=platform.gpg_key.encode(), env=env, capture_output=True, check=False)
                if imported.returncode != 0:
                    continue  # a key that does not import verifies nothing
                for sha, status, _ in _signatures(cwd, mine, ["-c", "gpg.program=gpg"], env):
                    if status in (b"G", b"U"):
                        out[sha] = platform.committer
    return out


def _signatures(cwd: str, shas: list[str], config: list[str], env: dict[str, str] | None = None) -> list[tuple[str, bytes, bytes]]:
    """git's verdict on each commit's signature: (sha, %G? status, %GS signer), with the given configuration."""
    args = ["git", *config, "log", "--no-walk=unsorted", "--stdin", "--format=%H%x00%G?%x00%GS%x00"]
    result = subprocess.run(args, cwd=cwd, input="\n".join(shas).encode() + b"\n", env=env, capture_output=True, check=False)
    if result.returncode != 0:
        raise UnreadableHistory(f"git could not verify signatures: {result.stderr.decode('utf-8', 'replace').strip()}")
    fields = result.stdout.split(b"\0")
    return [(fields[i].strip().decode("ascii", "replace"), fields[i + 1], fields[i + 2]) for i in range(0, len(fields) - 3, 3)]
