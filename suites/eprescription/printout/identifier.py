"""eprescription.printout.identifier: the printout carries its registered number, in a 2D code and in clear."""

from __future__ import annotations

from homolog import check, fail

from ..exchange import PRESCRIBES, Prescribing
from ..pdf_reading import codes_in, normalised, text_of

__all__ = ["identifier"]


@check("eprescription.printout.identifier", needs=PRESCRIBES)
def identifier(prescribing: Prescribing) -> None:
    """The printed prescription's QR code (or Data Matrix) decodes to the number the service registered.

    The PDF the system printed for the prescription (``settings.eprescription.trigger``) is
    rendered page by page and its 2D codes decoded: one of them must carry exactly the unique
    prescription number the e-prescription service answered for this prescription, and that
    number must also be printed in clear (a pharmacist types it when the code cannot be read).
    """
    pdf = prescribing.printed()
    codes = codes_in(pdf)
    numbers = [str(r.get("prescription_id")) for r in prescribing.registered]
    if not codes:
        fail("the printed prescription carries no QR code or Data Matrix that can be decoded")
    carried = ", ".join(f"{c.format} on page {c.page}: {c.text[:80]!r}" for c in codes)
    if not numbers:
        fail(f"the printed prescription carries {carried}, but the service registered no prescription")
    number = numbers[-1]
    if not any(c.text.strip() == number for c in codes):
        fail(f"the printed prescription carries {carried}; the number the service registered is {number}")
    # A number may be printed in groups ("ABCD EFGH ..."): spaces do not count.
    if number.casefold() not in normalised(text_of(pdf)).replace(" ", ""):
        fail(f"the registered number {number} is in the 2D code but not printed in clear")
