"""The arithmetic of the contrast measured on a rendered page (homolog.suites.ui.contrast)."""

from __future__ import annotations

import pytest

from homolog.suites.ui.contrast import contrast_ratio, drawn_in_its_colour, judge_pixels, threshold

WHITE, BLACK, BLUE, GREY = (255, 255, 255), (0, 0, 0), (0, 0, 145), (138, 138, 138)


def test_contrast_ratio_is_wcag_s() -> None:
    assert contrast_ratio(WHITE, BLACK) == pytest.approx(21.0)
    assert contrast_ratio(BLACK, WHITE) == pytest.approx(21.0)
    assert contrast_ratio(GREY, WHITE) == pytest.approx(3.45, abs=0.01)
    assert contrast_ratio((118, 118, 118), WHITE) == pytest.approx(4.54, abs=0.01)  # #767676: the 4.5 boundary


@pytest.mark.parametrize(
    ("size", "weight", "ratio"),
    [(16, 400, 4.5), (23.9, 400, 4.5), (24, 400, 3.0), (18.5, 700, 3.0), (18.4, 700, 4.5), (20, 600, 4.5)],
)
def test_rgaa_3_2_thresholds(size: float, weight: int, ratio: float) -> None:
    assert threshold(size, weight) == ratio


def _glyphs(n: int, ground: tuple[int, int, int], color: tuple[int, int, int] = BLUE) -> tuple[list, list]:
    return [color] * n, [ground] * n


def test_a_text_read_on_grounds_of_enough_contrast_passes() -> None:
    shown, ground = _glyphs(200, WHITE)
    shown += [WHITE] * 500  # pixels the text does not cover: not judged
    ground += [WHITE] * 500
    assert judge_pixels(shown, ground, BLUE, 4.5) == ("passed", pytest.approx(14.91, abs=0.01), 0.0, 200)


def test_a_decoration_in_the_text_s_colour_is_no_ground() -> None:
    # a descender crossing an underline of the text's own colour: nothing changes there
    shown, ground = _glyphs(200, WHITE)
    shown += [BLUE] * 30
    ground += [BLUE] * 30
    assert judge_pixels(shown, ground, BLUE, 4.5)[0] == "passed"


def test_an_edge_pixel_half_covered_counts_and_a_faint_one_does_not() -> None:
    half = (120, 120, 200)  # blue over white, a little more than half covered
    verdict, _, _, glyphs = judge_pixels([BLUE] * 20 + [half], [WHITE] * 21, BLUE, 4.5)
    assert glyphs == 21 and verdict == "passed"
    faint = (230, 230, 245)
    assert judge_pixels([BLUE] * 20 + [faint], [WHITE] * 21, BLUE, 4.5)[3] == 20


@pytest.mark.parametrize(
    ("low", "verdict"),
    [(0, "passed"), (9, "passed"), (10, "undecided"), (49, "undecided"), (50, "failed"), (600, "failed")],
)
def test_the_share_read_on_too_little_contrast_decides(low: int, verdict: str) -> None:
    # 1,000 glyph pixels of black text, `low` of them on a dark grey ground (below 4.5:1):
    # under 1 % passes (edges, decorations), 5 % or more fails, between is for an auditor
    shown, ground = [BLACK] * 1000, [WHITE] * (1000 - low) + [(100, 100, 100)] * low
    assert judge_pixels(shown, ground, BLACK, 4.5)[0] == verdict


def test_too_few_glyph_pixels_decide_nothing() -> None:
    assert judge_pixels([BLACK] * 5, [WHITE] * 5, BLACK, 4.5) == ("undecided", pytest.approx(21.0), None, 5)


def test_a_glyph_under_a_translucent_veil_is_not_drawn_in_its_colour() -> None:
    # #595959 text on white: its cores are #595959, its edges between it and white
    grey = (89, 89, 89)
    edges = [(150, 150, 150), (120, 120, 120)] * 5
    assert drawn_in_its_colour([grey, *edges], [WHITE] * 11, grey) is True
    assert drawn_in_its_colour([(95, 95, 95), *edges], [WHITE] * 11, grey) is True  # within a tenth
    # under a half-transparent white veil the cores are #acacac: read at 2.3:1, not 7:1 -
    # and the ground captured is the veil over white, white: only the cores tell
    veiled = [(172, 172, 172)] * 8 + [(200, 200, 200)] * 3
    assert drawn_in_its_colour(veiled, [WHITE] * 11, grey) is False
    # too few glyph pixels in the stretch to tell (a comma, a dot)
    assert drawn_in_its_colour([(172, 172, 172)] * 3 + [WHITE] * 8, [WHITE] * 11, grey) is None


def test_a_glyph_sliver_at_a_stretch_edge_is_read_in_its_colour_unless_veiled() -> None:
    # A stretch 16 pixels high holding a stem's sliver, cut by its edge: 17 glyph pixels
    # (fewer than the 32 of a whole glyph), none fully covered, the nearest a tenth of the
    # way to white (a grey placeholder in a Material field, Chromium's anti-aliasing).
    grey = (68, 71, 78)
    sliver = [(87, 90, 96), (94, 97, 103)] + [(144, 146, 150)] * 15
    assert drawn_in_its_colour(sliver, [WHITE] * 17, grey, whole=32) is True
    # the same pixels filling a stretch (as many as a whole glyph) show no core: not its colour
    assert drawn_in_its_colour(sliver, [WHITE] * 17, grey, whole=16) is False
    assert drawn_in_its_colour(sliver, [WHITE] * 17, grey) is False
    # a sliver under a half-transparent veil is still not read in its colour
    veiled = [(150, 152, 156)] * 10 + [(200, 201, 203)] * 7
    assert drawn_in_its_colour(veiled, [WHITE] * 17, grey, whole=32) is False


def test_a_translucent_colour_is_read_as_drawn_over_its_ground() -> None:
    # black at half opacity on white is drawn #808080: 3.9:1, below 4.5; at 0.87 (Material's
    # body text) #212121: 16:1
    half = (128, 128, 128)
    verdict, lowest, share, _ = judge_pixels([half] * 100, [WHITE] * 100, BLACK, 4.5, alpha=0.5)
    assert (verdict, share) == ("failed", 1.0) and lowest == pytest.approx(3.95, abs=0.01)
    assert judge_pixels([half] * 100, [WHITE] * 100, BLACK, 4.5)[0] == "undecided"  # not black: no glyph pixel
    dark = (33, 33, 33)
    assert judge_pixels([dark] * 100, [WHITE] * 100, BLACK, 4.5, alpha=0.87)[0] == "passed"
    # its cores are the blend, not the colour: drawn in its colour at its opacity only
    core = (120, 120, 120)
    assert drawn_in_its_colour([core] * 12, [WHITE] * 12, BLACK, alpha=0.5) is True
    assert drawn_in_its_colour([core] * 12, [WHITE] * 12, BLACK) is False
