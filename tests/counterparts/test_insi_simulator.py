"""The INSi simulator over real HTTPS: the two operations, the directory, and hostile input
(malformed SOAP, SOAP 1.1, DTD/entities, oversized and truncated bodies) answered with a
fault naming the reason, recorded, and never stopping the service."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from homolog.counterparts.insi import (
    NOT_FOUND_EXAMPLE,
    InsiControl,
    InsiSimulator,
    make_identity,
)
from homolog.counterparts.soap import ControlError
from homolog.suites.identity import is_valid_nir

pytestmark = pytest.mark.timeout(60)

SOAP = "http://www.w3.org/2003/05/soap-envelope"


def search_body(
    birth_name: str, first: str, sex: str | None, birth_date: str | None, place: str | None = None
) -> bytes:
    traits = f"<r:NomNaissance>{birth_name}</r:NomNaissance><r:Prenom>{first}</r:Prenom>"
    if sex:
        traits += f"<r:Sexe>{sex}</r:Sexe>"
    if birth_date:
        traits += f"<r:DateNaissance>{birth_date}</r:DateNaissance>"
    if place:
        traits += f"<r:LieuNaissance>{place}</r:LieuNaissance>"
    return (
        f'<?xml version="1.0"?><s:Envelope xmlns:s="{SOAP}"><s:Header>'
        '<a:Action xmlns:a="http://www.w3.org/2005/08/addressing">'
        "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite</a:Action></s:Header>"
        f'<s:Body><r:RECSANSVITALE xmlns:r="http://www.cnamts.fr/INSiRecSans">{traits}</r:RECSANSVITALE>'
        "</s:Body></s:Envelope>"
    ).encode()


def verify_body(ins: str, oid: str, birth_name: str, first: str, sex: str, birth_date: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP}"><s:Body><v:RequeteUnitaire xmlns:v="http://www.cnamts.fr/INSiVerif">'
        "<v:IndividuVerifie><v:INSFourni><v:IdIndividu>"
        f"<v:NumIdentifiant>{ins[:13]}</v:NumIdentifiant><v:Cle>{ins[13:]}</v:Cle></v:IdIndividu>"
        f"<v:OID>{oid}</v:OID></v:INSFourni><v:TraitsIdentiteIndividu>"
        f"<v:NomNaissance>{birth_name}</v:NomNaissance><v:Prenom>{first}</v:Prenom>"
        f"<v:Sexe>{sex}</v:Sexe><v:DateNaissance>{birth_date}</v:DateNaissance>"
        "</v:TraitsIdentiteIndividu></v:IndividuVerifie></v:RequeteUnitaire></s:Body></s:Envelope>"
    ).encode()


@pytest.fixture(scope="module")
def insi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InsiSimulator]:
    with InsiSimulator(workdir=tmp_path_factory.mktemp("insi")) as sim:
        yield sim


@pytest.fixture
def client(insi: InsiSimulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=ssl.create_default_context(cafile=str(insi.ca_file)), timeout=10) as c:
        yield c


def post(client: httpx.Client, insi: InsiSimulator, body: bytes) -> httpx.Response:
    return client.post(insi.url, content=body, headers={"Content-Type": "application/soap+xml"})


def last(insi: InsiSimulator) -> dict:
    return insi.exchanges()[-1]


def test_every_default_identity_has_a_valid_nir_coherent_with_its_traits() -> None:
    from homolog.counterparts.insi import DEFAULT_IDENTITIES

    for ident in DEFAULT_IDENTITIES:
        assert is_valid_nir(ident.nir), ident
        assert ident.nir[0] == ("2" if ident.sex == "F" else "1")
        assert ident.nir[1:5] == ident.birth_date[2:4] + ident.birth_date[5:7]
        assert ident.nir[5:10] == ident.birth_place


def test_search_one_identity_returns_ins_and_reference_traits(client: httpx.Client, insi: InsiSimulator) -> None:
    resp = post(client, insi, search_body("zola", "Lise", "F", "1979-03-28"))
    assert resp.status_code == 200
    assert "<CodeCR>00</CodeCR>" in resp.text
    assert "<NumIdentifiant>2790351215189</NumIdentifiant><Cle>89</Cle>" in resp.text
    assert "<ListePrenom>LISE MARIE</ListePrenom>" in resp.text
    assert "<LieuNaissance>51215</LieuNaissance>" in resp.text
    record = last(insi)
    assert record["operation"] == "search"
    assert record["request"]["traits"]["birth_name"] == "zola"
    assert record["response"]["code"] == "00"
    assert record["http"]["tls_version"] in ("TLSv1.2", "TLSv1.3")


def test_homonyms_give_several_unless_the_birth_place_is_sent(client: httpx.Client, insi: InsiSimulator) -> None:
    assert "<CodeCR>02</CodeCR>" in post(client, insi, search_body("MARTIN", "CAMILLE", "F", "1990-01-15")).text
    answer = post(client, insi, search_body("MARTIN", "CAMILLE", "F", "1990-01-15", "69123")).text
    assert "<CodeCR>00</CodeCR>" in answer
    assert "<ListePrenom>CAMILLE ROSE</ListePrenom>" in answer


def test_unknown_traits_give_no_identity(client: httpx.Client, insi: InsiSimulator) -> None:
    t = NOT_FOUND_EXAMPLE
    resp = post(client, insi, search_body(t.birth_name or "", t.first_names[0], t.sex, t.birth_date))
    assert "<CodeCR>01</CodeCR>" in resp.text
    assert "INDIVIDU" not in resp.text


def test_missing_traits_are_a_fault_naming_them(client: httpx.Client, insi: InsiSimulator) -> None:
    resp = post(client, insi, search_body("ZOLA", "LISE", None, None))
    assert resp.status_code == 400
    assert "Sexe (sex) is missing" in resp.text and "DateNaissance (birth date) is missing" in resp.text
    assert last(insi)["outcome"] == "fault"


def test_verification(client: httpx.Client, insi: InsiSimulator) -> None:
    oid = "1.2.250.1.213.1.4.10"
    ok = post(client, insi, verify_body("279035121518989", oid, "ZOLA", "LISE", "F", "1979-03-28"))
    assert "<CodeCR>00</CodeCR>" in ok.text
    assert last(insi)["operation"] == "verify"
    wrong_traits = post(client, insi, verify_body("279035121518989", oid, "ZOLA", "LISE", "F", "1980-03-28"))
    assert "<CodeCR>01</CodeCR>" in wrong_traits.text and "discordants" in wrong_traits.text
    wrong_oid = post(
        client, insi, verify_body("279035121518989", "1.2.250.1.213.1.4.8", "ZOLA", "LISE", "F", "1979-03-28")
    )
    assert "<CodeCR>01</CodeCR>" in wrong_oid.text
    unknown = post(client, insi, verify_body("180017512300145", oid, "X", "Y", "M", "1980-01-01"))
    assert "<CodeCR>01</CodeCR>" in unknown.text and "INS inconnu" in unknown.text


def test_registered_identity_is_found(client: httpx.Client, insi: InsiSimulator) -> None:
    control = InsiControl(insi.control_url)
    ident = control.register(
        birth_name="HOMOLOG-REG", given_names=["ANNE"], sex="F", birth_date="1980-02-03", birth_place="2A004"
    )
    assert is_valid_nir(ident["ins"])
    assert "<CodeCR>00</CodeCR>" in post(client, insi, search_body("HOMOLOG-REG", "ANNE", "F", "1980-02-03")).text
    with pytest.raises(ControlError, match="key 18 is wrong"):
        control.register(
            birth_name="X",
            given_names=["Y"],
            sex="F",
            birth_date="1979-03-28",
            birth_place="51215",
            ins="279035121518918",
        )
    kept = control.register(
        birth_name="X",
        given_names=["Y"],
        sex="F",
        birth_date="1979-03-28",
        birth_place="51215",
        ins="279035121518918",
        as_given=True,
    )
    assert kept["ins"] == "279035121518918"  # a wrong key kept on purpose, for key-check tests
    with pytest.raises(ControlError, match="sex must be F or M"):
        control.register(birth_name="X", given_names=["Y"], sex="?", birth_date="1980-02-03", birth_place="51215")


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b"<s:Envelope", 400, "not well-formed XML"),
        (b"not xml at all", 400, "not well-formed XML"),
        (
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>',
            400,
            "SOAP 1.1 envelope",
        ),
        (b"<x/>", 400, "expected a SOAP Envelope"),
        (f'<s:Envelope xmlns:s="{SOAP}"/>'.encode(), 400, "has no SOAP Body"),
        (f'<s:Envelope xmlns:s="{SOAP}"><s:Body><Other/></s:Body></s:Envelope>'.encode(), 400, "unknown INSi request"),
    ],
)
def test_malformed_messages_get_a_fault_with_the_reason(
    client: httpx.Client, insi: InsiSimulator, body: bytes, status: int, reason: str
) -> None:
    resp = post(client, insi, body)
    assert resp.status_code == status
    assert reason in resp.text
    assert any(reason in p for p in last(insi)["problems"])


def test_entities_are_refused_never_expanded(client: httpx.Client, insi: InsiSimulator) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{"&lol" + str(i - 1) + ";" if i > 1 else "&lol;"}' * 10 + '">' for i in range(1, 10)
        )
        + f']><s:Envelope xmlns:s="{SOAP}"><s:Body>&lol9;</s:Body></s:Envelope>'
    )
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        f'<s:Envelope xmlns:s="{SOAP}"><s:Body><r:RECSANSVITALE xmlns:r="http://www.cnamts.fr/INSiRecSans">'
        "<r:NomNaissance>&secret;</r:NomNaissance></r:RECSANSVITALE></s:Body></s:Envelope>"
    )
    for body in (laughs, xxe):
        start = time.monotonic()
        resp = post(client, insi, body.encode())
        assert resp.status_code == 400
        assert "declares a DTD" in resp.text
        assert "root:" not in resp.text and "lollol" not in resp.text
        assert time.monotonic() - start < 5  # generous: expansion would take far longer or blow memory
        assert last(insi)["envelope"] is None


def test_oversized_body_is_refused_before_reading(client: httpx.Client, insi: InsiSimulator) -> None:
    resp = post(client, insi, b" " * (300 * 1024))
    assert resp.status_code == 413
    record = last(insi)
    assert record["outcome"] == "rejected"
    assert "above the 262144-byte limit" in record["problems"][0]


def test_wrong_method_and_path(client: httpx.Client, insi: InsiSimulator) -> None:
    assert client.get(insi.url).status_code == 405
    resp = client.post(insi.url.rsplit("/", 1)[0] + "/other", content=b"<x/>")
    assert resp.status_code == 404
    assert last(insi)["outcome"] == "rejected"


def test_truncated_body_is_cut_and_recorded(insi: InsiSimulator) -> None:
    host, port = "127.0.0.1", int(insi.url.split(":")[2].split("/")[0])
    ctx = ssl.create_default_context(cafile=str(insi.ca_file))
    before = insi.log.last_seq
    with socket.create_connection((host, port), timeout=15) as raw, ctx.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(b"POST /lps/insi HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<s:Envelope")
        tls.settimeout(15)
        assert tls.recv(100) == b""  # the server gives up on the idle client and closes
    records = insi.exchanges(before)
    assert records and "request body not received" in records[-1]["problems"][0]


def test_plain_http_client_does_not_disturb_the_service(client: httpx.Client, insi: InsiSimulator) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.post(insi.url.replace("https://", "http://"), content=b"<x/>", timeout=5)
    assert post(client, insi, search_body("ZOLA", "LISE", "F", "1979-03-28")).status_code == 200


def test_control_api_needs_its_secret(insi: InsiSimulator) -> None:
    wrong = insi.control_url.rsplit("/", 1)[0] + "/guess"
    assert httpx.get(f"{wrong}/exchanges").status_code == 404
    with pytest.raises(ControlError):
        InsiControl("http://example.org/_homolog/x")


def test_stop_frees_the_ports(tmp_path: Path) -> None:
    sim = InsiSimulator(workdir=tmp_path).start()
    port = int(sim.url.split(":")[2].split("/")[0])
    sim.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_make_identity_computes_the_key() -> None:
    ident = make_identity("X", ["Y"], "M", "1965-11-30", "2B033", order=7)
    assert ident.nir[:13] == "16511" + "2B033" + "007"
    assert is_valid_nir(ident.nir)


def test_computed_nirs_never_collide_with_known_ones() -> None:
    from homolog.counterparts.insi.directory import Directory

    directory = Directory()
    given = {"given_names": ["ANNE"], "sex": "F", "birth_date": "1979-03-28", "birth_place": "51215"}
    nirs = [directory.register({"birth_name": f"H-{i}", **given}).nir for i in range(300)]
    assert len(set(nirs)) == 300
    assert "279035121518989" not in nirs  # ZOLA's INS, order 189 of the same traits
    assert all(is_valid_nir(n) for n in nirs)
