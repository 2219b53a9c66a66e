"""The simulator's directory of synthetic identities, and how INSi matches traits.

Every identity is invented; its NIR is built from its traits (sex, birth year and month,
birth place) with a computed control key, so it is valid for any key check. The default
directory holds:

- the two ANS test INS the reference DPI already knows (``279035121518989``,
  ``277076322082910``), so that its seeded identities can be verified;
- a pair of homonyms: same birth name, first name, sex and birth date, born in two
  different communes. A search without the birth place finds both (code ``02``);
  with the birth place, exactly one (``00``);
- a few ordinary identities. Traits that match nobody (e.g. ``INCONNU``) give ``01``.

Matching follows what the teleservice compares: birth name, a first name (the first
birth first name, or the whole list), sex and birth date, plus the birth place when it is
sent; case, accents and repeated spaces are ignored.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..identifiers import INS_NIR_TEST_OID, nir_problems, nir_with_key

__all__ = [
    "DEFAULT_IDENTITIES",
    "NOT_FOUND_EXAMPLE",
    "Directory",
    "Identity",
    "Traits",
    "make_identity",
    "normalise",
]


def normalise(text: str) -> str:
    """Upper case, accents removed, spaces collapsed: how INSi compares traits."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.upper().split())


@dataclass(frozen=True)
class Traits:
    """The identity traits a client sends (all optional: the client may omit some)."""

    birth_name: str | None = None
    first_names: tuple[str, ...] = ()
    sex: str | None = None
    birth_date: str | None = None
    birth_place: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["first_names"] = list(self.first_names)
        return data


@dataclass(frozen=True)
class Identity:
    """One person as the national directory knows them (the traits INSi returns)."""

    birth_name: str
    given_names: tuple[str, ...]
    sex: str
    birth_date: str
    birth_place: str
    nir: str
    oid: str = INS_NIR_TEST_OID

    @property
    def number(self) -> str:
        """The 13 characters INSi returns as ``NumIdentifiant``."""
        return self.nir[:13]

    @property
    def key(self) -> str:
        """The 2-digit control key INSi returns as ``Cle``."""
        return self.nir[13:]

    def matches(self, traits: Traits) -> bool:
        """True when the sent traits designate this person (see the module docstring)."""
        if traits.birth_name is None or normalise(traits.birth_name) != normalise(self.birth_name):
            return False
        if traits.sex is None or traits.sex.upper() != self.sex:
            return False
        if traits.birth_date is None or traits.birth_date != self.birth_date:
            return False
        names = {normalise(n) for n in traits.first_names}
        if not names & {normalise(self.given_names[0]), normalise(" ".join(self.given_names))}:
            return False
        return not (traits.birth_place and traits.birth_place not in ("99999", self.birth_place))

    def to_json(self) -> dict[str, Any]:
        return {
            "birth_name": self.birth_name,
            "given_names": list(self.given_names),
            "sex": self.sex,
            "birth_date": self.birth_date,
            "birth_place": self.birth_place,
            "ins": self.nir,
            "oid": self.oid,
        }


def make_identity(
    birth_name: str,
    given_names: Iterable[str],
    sex: str,
    birth_date: str,
    birth_place: str,
    *,
    order: int = 1,
    nir: str | None = None,
    oid: str = INS_NIR_TEST_OID,
    as_given: bool = False,
) -> Identity:
    """An identity whose NIR is built from its traits and ``order`` (or is ``nir``, checked).

    ``as_given`` keeps ``nir`` even with a wrong key: a test that exercises the system's own
    key check registers it, so that INSi's refusal cannot hide a missing check.
    """
    names = tuple(n for n in given_names if n)
    if not birth_name or not names:
        raise ValueError("an identity needs a birth name and at least one given name")
    if sex not in ("F", "M"):
        raise ValueError(f"sex must be F or M, not {sex!r}")
    if len(birth_date) != 10 or birth_date[4] != "-" or birth_date[7] != "-":
        raise ValueError(f"birth date must be YYYY-MM-DD, not {birth_date!r}")
    if len(birth_place) != 5 or not birth_place.isalnum():
        raise ValueError(f"birth place must be a 5-character COG code, not {birth_place!r}")
    if nir is None:
        if not 1 <= order <= 999:
            raise ValueError(f"order must be 1..999, not {order}")
        sex_digit = "2" if sex == "F" else "1"
        nir = nir_with_key(f"{sex_digit}{birth_date[2:4]}{birth_date[5:7]}{birth_place}{order:03d}")
    elif not as_given and (problems := nir_problems(nir)):
        raise ValueError(f"NIR {nir!r} is not valid: {'; '.join(problems)}")
    return Identity(birth_name, names, sex, birth_date, birth_place, nir, oid)


# Traits that match no identity of the default directory.
NOT_FOUND_EXAMPLE = Traits("INCONNU", ("PERSONNE",), "M", "1950-01-01")

DEFAULT_IDENTITIES: tuple[Identity, ...] = (
    make_identity("ZOLA", ("LISE", "MARIE"), "F", "1979-03-28", "51215", nir="279035121518989"),
    make_identity("RIVIERE", ("CLAIRE", "ANNE"), "F", "1977-07-14", "63220", nir="277076322082910"),
    # Homonyms: only the birth place tells them apart.
    make_identity("MARTIN", ("CAMILLE", "LOUISE"), "F", "1990-01-15", "75056", order=11),
    make_identity("MARTIN", ("CAMILLE", "ROSE"), "F", "1990-01-15", "69123", order=12),
    make_identity("DUBOIS", ("JEAN", "PIERRE", "MARC"), "M", "1965-11-30", "2A004", order=21),
    make_identity("N'GUYEN", ("THI", "MAI"), "F", "2001-06-02", "99223", order=31),
)


class Directory:
    """The identities the simulator answers for; thread-safe, new ones can be registered."""

    def __init__(self, identities: Iterable[Identity] = DEFAULT_IDENTITIES) -> None:
        self._lock = threading.Lock()
        self._identities = list(identities)

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._identities))

    def add(self, identity: Identity) -> Identity:
        """Register an identity; an INS already known for someone else is refused."""
        with self._lock:
            for known in self._identities:
                if known.nir == identity.nir and known != identity:
                    raise ValueError(f"INS {identity.nir} already belongs to {known.birth_name}")
            if identity not in self._identities:
                self._identities.append(identity)
            return identity

    def register(self, data: Mapping[str, Any]) -> Identity:
        """Register an identity described as JSON (``given_names`` list, optional ``ins``,
        ``oid``, ``as_given``); without ``ins`` the NIR gets the first order number no known
        identity with the same sex, birth month and place uses."""
        try:
            traits = (
                str(data["birth_name"]),
                [str(g) for g in data["given_names"]],
                str(data["sex"]),
                str(data["birth_date"]),
                str(data.get("birth_place") or "99999"),
            )
            oid = str(data.get("oid") or INS_NIR_TEST_OID)
            if data.get("ins"):
                return self.add(
                    make_identity(*traits, nir=str(data["ins"]), oid=oid, as_given=bool(data.get("as_given")))
                )
        except KeyError as exc:
            raise ValueError(f"identity lacks {exc.args[0]!r}") from None
        except TypeError as exc:
            raise ValueError(f"identity is malformed: {exc}") from None
        with self._lock:
            used = {i.nir for i in self._identities}
            for order in range(1, 1000):
                identity = make_identity(*traits, order=order, oid=oid)
                if identity.nir not in used:
                    self._identities.append(identity)
                    return identity
        raise ValueError("every order number of these traits is taken: no NIR left to give")

    def search(self, traits: Traits) -> list[Identity]:
        """Every identity the traits designate."""
        with self._lock:
            return [i for i in self._identities if i.matches(traits)]

    def by_ins(self, nir: str) -> Identity | None:
        """The identity with this NIR/INS (15 characters), if any."""
        with self._lock:
            return next((i for i in self._identities if i.nir == nir.upper()), None)
